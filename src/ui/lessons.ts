/**
 * The guided lessons, as data. Each step says what to do and where; a step's action drives the same
 * controls a person would use (the app performs it through the views, so the result is shown there).
 */

export type ViewName = 'keys' | 'ring' | 'members' | 'partitions' | 'activity' | 'settings';

export type LessonAction =
  | { readonly kind: 'locate'; readonly key: string }
  | { readonly kind: 'put'; readonly key: string; readonly value: string }
  | { readonly kind: 'put-many'; readonly prefix: string; readonly count: number }
  | { readonly kind: 'get'; readonly key: string }
  /** Split the members (sorted by id) in two halves; this tab's half first. */
  | { readonly kind: 'split-halves' }
  /** Isolate the first replica of `key` that is not this tab. */
  | { readonly kind: 'isolate-replica'; readonly key: string }
  | { readonly kind: 'isolate-self' }
  | { readonly kind: 'heal' }
  | { readonly kind: 'configure'; readonly n?: number; readonly r?: number; readonly w?: number }
  | { readonly kind: 'capacity'; readonly capacity: number }
  | { readonly kind: 'leave' }
  | { readonly kind: 'join' }
  | { readonly kind: 'wipe' }
  | { readonly kind: 'show'; readonly view: ViewName };

/**
 * A control in one of the views that a step points at: the control its button stands for (so the class
 * learns where it lives) or the one the step asks the person to use or watch. Highlighted while the step
 * is current, and the view's navigation button too while another view is shown.
 */
export type ControlName = 'split' | 'isolate' | 'heal' | 'rw' | 'capacity' | 'leave-join' | 'members' | 'hints' | 'repairs' | 'merge';

export interface LessonControl {
  readonly view: ViewName;
  readonly name: ControlName;
}

/**
 * What a step should have brought about, beyond its action succeeding; checked on screen (lesson-check.ts).
 * `otherwise` says what to do when it did not happen.
 */
export type Expectation =
  /** The located key has a fallback standing in for an unreachable replica. */
  | { readonly kind: 'fallback' }
  /** The located key has no fallback in use: every copy is on its preference list. */
  | { readonly kind: 'home' }
  /** The read returned exactly this one value. */
  | { readonly kind: 'value'; readonly value: string; readonly otherwise: string }
  /** The read returned this many versions. */
  | { readonly kind: 'versions'; readonly count: number; readonly otherwise: string }
  /** This tab holds keys (again). */
  | { readonly kind: 'holds-keys' };

export interface LessonStep {
  /** Which tab should do it: 'this tab', 'another tab', 'any tab'. */
  readonly where: string;
  readonly text: string;
  /** The button's label and what it does. */
  readonly button: string;
  readonly action: LessonAction;
  readonly control?: LessonControl;
  readonly expect?: Expectation;
}

export interface Lesson {
  readonly id: string;
  readonly title: string;
  readonly tabs: string;
  readonly summary: string;
  readonly steps: readonly LessonStep[];
}

export const lessons: readonly Lesson[] = [
  {
    id: 'handoff',
    title: 'Sloppy quorum and hinted handoff',
    tabs: '3-5 tabs',
    summary: 'A replica is unreachable, yet writes succeed: a fallback node keeps a hinted copy and hands it back.',
    steps: [
      { where: 'this tab', text: 'Find where the key lives: its partition and its preference list of N replicas.', button: 'Locate "lesson:handoff"', action: { kind: 'locate', key: 'lesson:handoff' } },
      { where: 'this tab', text: 'Cut one of its replicas (not this tab) off from everyone. The banner shows it on every tab.', button: 'Isolate a replica', action: { kind: 'isolate-replica', key: 'lesson:handoff' }, control: { view: 'partitions', name: 'isolate' } },
      { where: 'this tab', text: 'Wait until the members view shows it suspect (a few seconds), then write the key. The isolated replica cannot ack, so the next healthy node stands in (sloppy quorum).', button: 'Put "lesson:handoff"', action: { kind: 'put', key: 'lesson:handoff', value: 'written while a replica was away' }, control: { view: 'members', name: 'members' } },
      { where: 'this tab', text: 'The ring lists the fallback in use, and its replica table shows the fallback as "hinted holder"; that tab shows a hint queue for the missing replica under Activity.', button: 'Show on the ring', action: { kind: 'locate', key: 'lesson:handoff' }, control: { view: 'activity', name: 'hints' }, expect: { kind: 'fallback' } },
      { where: 'any tab', text: 'Heal. The fallback hands the version back and its hint queue empties.', button: 'Heal', action: { kind: 'heal' }, control: { view: 'partitions', name: 'heal' } },
      { where: 'any tab', text: 'Locate again: the copies are back on the preference list, no fallback in use.', button: 'Locate again', action: { kind: 'locate', key: 'lesson:handoff' }, expect: { kind: 'home' } },
    ],
  },
  {
    id: 'siblings',
    title: 'Partition → siblings → reconciliation',
    tabs: '4 tabs (2 + 2)',
    summary: 'Both sides of a split accept writes to one key. After healing, a read returns both versions; you merge them.',
    steps: [
      { where: 'this tab', text: 'Split the cluster in two halves. Every tab shows the groups in its banner.', button: 'Split in two', action: { kind: 'split-halves' }, control: { view: 'partitions', name: 'split' } },
      { where: 'this tab', text: 'Write the shopping cart on this side.', button: 'Put cart = milk', action: { kind: 'put', key: 'cart', value: 'milk' } },
      { where: 'a tab on the other side', text: 'Open this lesson in a tab of the other group and write the same key there.', button: 'Put cart = eggs', action: { kind: 'put', key: 'cart', value: 'eggs' } },
      { where: 'any tab', text: 'Heal the partition.', button: 'Heal', action: { kind: 'heal' }, control: { view: 'partitions', name: 'heal' } },
      { where: 'any tab', text: 'Read the cart: two siblings, with concurrent vector clocks, side by side.', button: 'Get cart', action: { kind: 'get', key: 'cart' } },
      { where: 'that tab', text: 'Reconcile in the key console: keep one, or edit the merged value, and write it back with the context. Every tab then reads one value.', button: 'Open the key console', action: { kind: 'show', view: 'keys' }, control: { view: 'keys', name: 'merge' } },
      { where: 'any tab', text: 'Read the cart again, from any tab: one value, whose clock has seen both writes.', button: 'Read cart again', action: { kind: 'get', key: 'cart' },
        expect: { kind: 'versions', count: 1, otherwise: 'reconcile in the key console first (the step before), then press again.' } },
    ],
  },
  {
    id: 'anti-entropy',
    title: 'A wiped node repaired by Merkle trees',
    tabs: '3-5 tabs',
    summary: 'A replica loses its disk. Anti-entropy compares Merkle trees per partition and copies only what differs.',
    steps: [
      { where: 'any tab', text: 'Write twenty keys.', button: 'Put aae:0 … aae:19', action: { kind: 'put-many', prefix: 'aae:', count: 20 } },
      { where: 'this tab', text: "Wipe this tab's storage. It restarts under the same id with a new epoch, so its old counters are never reused.", button: 'Wipe this tab', action: { kind: 'wipe' } },
      { where: 'this tab', text: 'Watch anti-entropy: a progress bar per partition while its tree is compared, then the repaired versions.', button: 'Show activity', action: { kind: 'show', view: 'activity' }, control: { view: 'activity', name: 'repairs' } },
      { where: 'this tab', text: 'The members view shows this tab holding keys again.', button: 'Show members', action: { kind: 'show', view: 'members' }, control: { view: 'members', name: 'members' }, expect: { kind: 'holds-keys' } },
    ],
  },
  {
    id: 'join',
    title: 'A join, and the partitions that move',
    tabs: '3-5 tabs',
    summary: 'Membership changes move only the partitions they must; capacity decides how many a node owns.',
    steps: [
      { where: 'any tab', text: 'Start with 3 tabs. Look at the ring: each partition is colored by its owner; this tab is outlined.', button: 'Show the ring', action: { kind: 'show', view: 'ring' } },
      { where: 'a new tab', text: 'Open one more tab on this address (the server names it, e.g. n4): it joins and takes partitions from the others, and only those. The ring flashes them: "k of Q moved".', button: 'Show members', action: { kind: 'show', view: 'members' }, control: { view: 'members', name: 'members' } },
      { where: 'the new tab', text: 'Double its capacity: it now owns about twice as many partitions as each other node.', button: 'Capacity 2', action: { kind: 'capacity', capacity: 2 }, control: { view: 'members', name: 'capacity' } },
      { where: 'one tab', text: 'Leave the ring: its partitions move to the other nodes, and it stops serving.', button: 'Leave', action: { kind: 'leave' }, control: { view: 'members', name: 'leave-join' } },
      { where: 'any tab', text: 'Compare partitions owned per node.', button: 'Show members', action: { kind: 'show', view: 'members' } },
      { where: 'the tab that left', text: 'Join again, no reload: it comes back as a new life (a higher life beats its "left"), takes partitions again, and anti-entropy fills them.', button: 'Join', action: { kind: 'join' }, control: { view: 'members', name: 'leave-join' } },
    ],
  },
  {
    id: 'stale-read',
    title: 'R/W tuning and a stale read',
    tabs: '3-5 tabs',
    summary: 'With R + W <= N a read need not overlap the last write. Watch one return an old value.',
    steps: [
      { where: 'any tab', text: 'Set R = 1 and W = 1 (N = 3). The settings show a warning.', button: 'R = 1, W = 1', action: { kind: 'configure', r: 1, w: 1 }, control: { view: 'settings', name: 'rw' } },
      { where: 'this tab', text: 'Write score = 1; every replica gets it.', button: 'Put score = 1', action: { kind: 'put', key: 'score', value: '1' } },
      { where: 'this tab', text: 'Read it back here: the next put carries this context, so score = 2 will replace 1 rather than stand beside it as a sibling.', button: 'Read score here', action: { kind: 'get', key: 'score' } },
      { where: 'this tab', text: 'Isolate this tab, then write score = 2 here. One ack is enough (W = 1).', button: 'Isolate this tab', action: { kind: 'isolate-self' }, control: { view: 'partitions', name: 'isolate' } },
      { where: 'this tab', text: 'Write the new score while isolated.', button: 'Put score = 2', action: { kind: 'put', key: 'score', value: '2' } },
      { where: 'another tab', text: 'Read score from another tab: it still says 1. The write was acknowledged, yet this read missed it.', button: 'Get score', action: { kind: 'get', key: 'score' },
        expect: { kind: 'value', value: '1', otherwise: 'this read reached the new value after all (is this tab isolated, or was the heal already done?).' } },
      { where: 'any tab', text: 'Heal. Hinted handoff and read repair bring the new value to every replica.', button: 'Heal', action: { kind: 'heal' }, control: { view: 'partitions', name: 'heal' } },
      { where: 'any tab', text: 'Restore R = 2, W = 2 (the warning goes away) and read again: 2.', button: 'R = 2, W = 2', action: { kind: 'configure', r: 2, w: 2 }, control: { view: 'settings', name: 'rw' } },
      { where: 'another tab', text: 'Read score again.', button: 'Get score', action: { kind: 'get', key: 'score' },
        expect: { kind: 'value', value: '2', otherwise: 'handoff and read repair take a few seconds after the heal: press again.' } },
    ],
  },
];
