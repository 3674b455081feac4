// Lesson steps check their outcome on the live snapshot and name tabs by node name (src/ui/lesson-check.ts).
import { describe, expect, it } from 'vitest';
import * as lessonCheck from '../../src/ui/lesson-check.js';
import { lessons, type LessonAction, type LessonStep } from '../../src/ui/lessons.js';
import { noFaults, type FaultRules } from '../../src/protocol/faults.js';
import type { NodeSnapshot } from '../../src/core/snapshot.js';
import * as peerView from '../../src/runtime/peer-view.js';
import { member, partsOf, runtimeViewOf } from './peer-view-parts.js';

/** n1's view of four alive members owning 4 partitions each, with `node` fields and fault rules replaced. */
function snapshot(over: { node?: Partial<NodeSnapshot>; faults?: FaultRules } = {}): peerView.PeerView {
  const ids = ['n1', 'n2', 'n3', 'n10'];
  const rt = runtimeViewOf('n1', {
    members: ids.map((id) => member(id, 'alive')), owners: ids.flatMap((id) => [id, id, id, id]),
    partitionsOwned: Object.fromEntries(ids.map((id) => [id, 4])), ...over.node,
  });
  return peerView.build(partsOf(rt, { faults: over.faults ?? noFaults }));
}

/** A step doing `action`, expecting `expect` when given. */
const stepOf = (action: LessonAction, expect?: LessonStep['expect']): LessonStep => ({ where: 'this tab', text: '', button: '', action, ...(expect ? { expect } : {}) });

describe('lesson checks', () => {
  it('a heal is confirmed only once the banner is healthy, and says what to do otherwise', () => {
    expect(lessonCheck.check(stepOf({ kind: 'heal' }), { text: 'healed' }, snapshot())).toMatchObject({ ok: true });
    const still = lessonCheck.check(stepOf({ kind: 'heal' }), { text: 'healed' }, snapshot({ faults: { ...noFaults, isolated: ['n2'] } }));
    expect(still).toEqual({ ok: false, text: "Still in force: isolated: n2. Press Heal again from the teacher's tab." });
  });

  it.each([
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'put failed: write quorum not reached: 1 of 2 acknowledged', false],
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'Stored k.', true],
    [{ kind: 'configure', r: 1, w: 1 } as const, 'settings changed', false],
    [{ kind: 'configure', r: 2, w: 2 } as const, 'settings changed', true],
    [{ kind: 'isolate-self' } as const, 'isolated this tab (n1)', false],
  ])('%j said %j: ok = %s', (action, result, ok) => {
    expect(lessonCheck.check(stepOf(action), { text: result }, snapshot())?.ok).toBe(ok);
  });

  const get = { kind: 'get', key: 'score' } as const;
  const locate = { kind: 'locate', key: 'k' } as const;
  it.each([
    ['a read of the expected value', stepOf(get, { kind: 'value', value: '2', otherwise: 'press again.' }), { text: 'Read score: one version.', values: ['2'] }, snapshot(), true],
    ['a stale read where a fresh one was expected', stepOf(get, { kind: 'value', value: '2', otherwise: 'press again.' }), { text: 'Read score: one version.', values: ['1'] }, snapshot(), false],
    ['two siblings where one value was expected', stepOf(get, { kind: 'versions', count: 1, otherwise: 'reconcile first.' }), { text: 'Read cart: 2 siblings.', values: ['milk', 'eggs'] }, snapshot(), false],
    ['a failed read, whatever was expected', stepOf(get, { kind: 'value', value: '2', otherwise: '' }), { text: 'failed: read quorum not reached' }, snapshot(), false],
    ['a fallback in use, as expected', stepOf(locate, { kind: 'fallback' }), { text: 'located k', fallbacks: ['n4'] }, snapshot(), true],
    ['no fallback yet', stepOf(locate, { kind: 'fallback' }), { text: 'located k', fallbacks: [] }, snapshot(), false],
    ['home again', stepOf(locate, { kind: 'home' }), { text: 'located k', fallbacks: [] }, snapshot(), true],
    ['a fallback still standing in', stepOf(locate, { kind: 'home' }), { text: 'located k', fallbacks: ['n4'] }, snapshot(), false],
    ['keys held again', stepOf({ kind: 'show', view: 'members' }, { kind: 'holds-keys' }), { text: 'showing members' }, snapshot({ node: { keys: 20 } }), true],
    ['no keys yet', stepOf({ kind: 'show', view: 'members' }, { kind: 'holds-keys' }), { text: 'showing members' }, snapshot(), false],
  ])('expectation: %s', (_name, step, outcome, s, ok) => {
    expect(lessonCheck.check(step, outcome, s)?.ok).toBe(ok);
  });

  it('a locate step follows the ring view\'s latest location of its key, not the one seen at the press', () => {
    // Pressed right after a heal, while the replica was still suspect here: a fallback stood in.
    const home = stepOf(locate, { kind: 'home' });
    const atPress = { text: 'located k', fallbacks: ['n4'] };
    expect(lessonCheck.check(home, atPress, snapshot())?.ok).toBe(false);
    // The ring view's refresh a second later finds every copy home: the verdict follows without a press.
    expect(lessonCheck.check(home, atPress, snapshot(), { key: 'k', fallbacks: [] })?.ok).toBe(true);
    // And back the other way, since the verdict is live.
    expect(lessonCheck.check(home, { text: 'located k', fallbacks: [] }, snapshot(), { key: 'k', fallbacks: ['n4'] })?.ok).toBe(false);
    // A location of another key (the person typed one since) says nothing about this step.
    expect(lessonCheck.check(home, atPress, snapshot(), { key: 'other', fallbacks: [] })?.ok).toBe(false);
  });

  it('every lesson ends with a step whose outcome is checked on screen', () => {
    for (const lesson of lessons) {
      const last = lesson.steps.at(-1)!;
      expect(last.action.kind !== 'show' || last.expect !== undefined, `${lesson.id}: the last step checks something`).toBe(true);
      expect(lessonCheck.check(last, { text: 'done', values: [], fallbacks: [] }, snapshot()), lesson.id).toBeDefined();
    }
  });

  it('a join is confirmed once this tab is alive and owns partitions again; a leave once this tab is marked left', () => {
    const join = stepOf({ kind: 'join' });
    expect(lessonCheck.check(join, { text: 'joined the ring' }, snapshot())?.ok).toBe(true);
    const ownsNone = snapshot({ node: { partitionsOwned: { n2: 8, n3: 4, n10: 4 } } });
    expect(lessonCheck.check(join, { text: 'joined the ring' }, ownsNone)?.ok).toBe(false);
    const leave = stepOf({ kind: 'leave' });
    expect(lessonCheck.check(leave, { text: 'left the ring' }, snapshot())?.ok).toBe(false);
    const left = snapshot({ node: { members: [member('n1', 'left'), member('n2', 'alive')] } });
    expect(lessonCheck.check(leave, { text: 'left the ring' }, left)?.ok).toBe(true);
  });

  it('a split is confirmed in the banner\'s words, naming the members', () => {
    const split = snapshot({ faults: { ...noFaults, groups: [['n1', 'n2']] } });
    expect(lessonCheck.check(stepOf({ kind: 'split-halves' }), { text: 'split: {n1, n2} and the rest' }, split))
      .toEqual({ ok: true, text: 'The banner shows the split: partitioned: {n1, n2} | {n10, n3}' });
    expect(lessonCheck.check(stepOf({ kind: 'split-halves' }), { text: 'split: {n1, n2} and the rest' }, snapshot())?.ok).toBe(false);
  });

  it('names tabs by node name', () => {
    const step = (where: string) => ({ where, text: '', button: '', action: { kind: 'heal' as const } });
    expect(lessonCheck.where(step('this tab'), snapshot())).toBe('this tab (n1)');
    expect(lessonCheck.where(step('another tab'), snapshot())).toBe('another tab: n2');
    expect(lessonCheck.where(step('the new tab'), snapshot())).toBe('the new tab: n10');
    const split = snapshot({ faults: { ...noFaults, groups: [['n1', 'n2']] } });
    expect(lessonCheck.where(step('a tab on the other side'), split)).toBe('a tab on the other side: n3 or n10');
  });
});
