/**
 * What a lesson step should have changed on screen, checked against the live snapshot (so the verdict
 * follows the room as it changes), and what to do when it did not happen. Also names the tab a step
 * speaks of by its node name ("this tab (n1)", "another tab: n3").
 */
import type { PeerView } from '../runtime/peer-view.js';
import type { StepOutcome } from './lesson-runner.js';
import type { Expectation, LessonAction, LessonStep } from './lessons.js';
import * as viewFormat from './view-format.js';

export interface Verdict {
  readonly ok: boolean;
  readonly text: string;
}

const alive = viewFormat.aliveIds;
const keysHeld = (s: PeerView) => s.node?.keys ?? 0;
const said = (result: string, start: string) => result.startsWith(start);

/** The ring view's latest location of a key (it refreshes about once a second while shown). */
export interface LatestLocation {
  readonly key: string;
  readonly fallbacks: readonly string[];
}

/**
 * The verdict on a performed step, from what it said and saw (`outcome`) and the snapshot now: its
 * expectation when it has one (and its action succeeded), else its action's; undefined when there is
 * nothing to check beyond its sentence. A locate step is judged by `latest` when that is the same key: the
 * fallbacks seen at the press go stale (after a heal, the replica may still be suspect for a moment), and
 * the verdict should follow the ring view the person is looking at rather than ask for another press.
 */
export function check(step: LessonStep, outcome: StepOutcome, s: PeerView, latest?: LatestLocation): Verdict | undefined {
  const done = actionVerdict(step.action, outcome.text, s);
  if (!step.expect || done?.ok === false) return done;
  const live = step.action.kind === 'locate' && latest?.key === step.action.key ? { ...outcome, fallbacks: latest.fallbacks } : outcome;
  return expected(step.expect, live, s);
}

const quoted = (values: readonly string[]) => values.map((v) => `"${v}"`).join(' and ');

function expected(e: Expectation, outcome: StepOutcome, s: PeerView): Verdict {
  const fallbacks = outcome.fallbacks ?? [];
  const values = outcome.values ?? [];
  switch (e.kind) {
    case 'fallback':
      return fallbacks.length > 0 ? { ok: true, text: `${fallbacks.join(', ')} stands in for the unreachable replica: its row in the replica table says "hinted holder".` }
        : { ok: false, text: 'No fallback in use: the replica is not suspect yet, or the put went to it. Wait for the members view to show it suspect, then press again.' };
    case 'home':
      return fallbacks.length === 0 ? { ok: true, text: 'No fallback in use: every copy is back on the preference list.' }
        : { ok: false, text: `${fallbacks.join(', ')} still stands in: handoff takes a few seconds after the heal (this line follows the ring view).` };
    case 'value':
      return values.length === 1 && values[0] === e.value ? { ok: true, text: `The read returned "${e.value}".` }
        : { ok: false, text: `The read returned ${values.length === 0 ? 'nothing' : quoted(values)}, not "${e.value}": ${e.otherwise}` };
    case 'versions':
      return values.length === e.count ? { ok: true, text: `The read returned ${e.count === 1 ? `one value: ${quoted(values)}` : `${e.count} versions`}.` }
        : { ok: false, text: `The read returned ${values.length} versions, not ${e.count}: ${e.otherwise}` };
    case 'holds-keys':
      return keysHeld(s) > 0 ? { ok: true, text: `This tab holds ${keysHeld(s)} keys again.` }
        : { ok: false, text: 'This tab holds no keys yet: anti-entropy needs a few seconds. If it stays at 0, check that other tabs are up.' };
    default: {
      const never: never = e;
      throw new Error(`unknown expectation ${JSON.stringify(never)}`);
    }
  }
}

function actionVerdict(action: LessonAction, result: string, s: PeerView): Verdict | undefined {
  const rules = s.network.faults;
  const faultText = viewFormat.faultText(s);
  const config = viewFormat.config(s);
  const me = viewFormat.self(s);
  if (result.startsWith('failed')) return { ok: false, text: `Did not happen: ${result.slice('failed: '.length)}. Check the banner and the members, then press the button again.` };
  switch (action.kind) {
    case 'locate':
      return { ok: true, text: 'On the ring: the arc and the numbered dots are the preference list; the table says what each replica holds.' };
    case 'put':
      return said(result, 'Stored') ? { ok: true, text: `The outcome line says "${result}"` }
        : { ok: false, text: `Not stored: ${result} Wait until the members view shows the replica suspect, then press again.` };
    case 'get':
      return said(result, 'Read') || result.endsWith('not found.') ? { ok: true, text: `The key console shows the answer: "${result}"` }
        : { ok: false, text: `${result} Press again once the banner shows the network you expect.` };
    case 'put-many':
      return { ok: true, text: result };
    case 'split-halves':
      return rules.groups.length > 0 ? { ok: true, text: `The banner shows the split: ${faultText}` }
        : { ok: false, text: 'No split in force yet (the banner would show it). Is this the teacher\'s tab? Press again.' };
    case 'isolate-replica':
    case 'isolate-self':
      return rules.isolated.length > 0 ? { ok: true, text: `The banner shows it: ${faultText}` }
        : { ok: false, text: 'Nothing is isolated (the banner would say so). Use the teacher\'s tab and press again.' };
    case 'heal':
      return faultText === '' ? { ok: true, text: 'Healed: the banner is back to "Network healthy".' }
        : { ok: false, text: `Still in force: ${faultText}. Press Heal again from the teacher's tab.` };
    case 'configure': {
      const want = { n: action.n ?? config.n, r: action.r ?? config.r, w: action.w ?? config.w };
      const ok = want.n === config.n && want.r === config.r && want.w === config.w;
      return ok ? { ok: true, text: `Settings in force: N=${config.n} R=${config.r} W=${config.w}.` }
        : { ok: false, text: `Settings still N=${config.n} R=${config.r} W=${config.w}: press again from the teacher's tab.` };
    }
    case 'capacity':
      return s.identity.capacity === action.capacity ? { ok: true, text: `This tab's capacity is ${action.capacity}: the members view shows its share.` }
        : { ok: false, text: `Capacity is still ${s.identity.capacity}: press again.` };
    case 'leave':
      return me?.status === 'left' ? { ok: true, text: 'This tab left: the ring no longer colors it.' }
        : { ok: false, text: 'This tab has not left yet: wait a few seconds; if nothing changes, press Leave again.' };
    case 'join':
      return alive(s).includes(s.identity.nodeId) && viewFormat.partitionsOwned(s, s.identity.nodeId) > 0
        ? { ok: true, text: 'This tab is a member again: it owns partitions on the ring.' }
        : { ok: false, text: 'Not back yet: wait a few seconds; if nothing changes, press Join again.' };
    case 'wipe':
      return keysHeld(s) > 0 ? { ok: true, text: `Repaired: this tab holds ${keysHeld(s)} keys again.` }
        : { ok: false, text: 'This tab holds no keys yet: anti-entropy needs a few seconds. If it stays at 0, check that other tabs are up.' };
    case 'show':
      return undefined;
    default: {
      const never: never = action;
      throw new Error(`unknown lesson action ${JSON.stringify(never)}`);
    }
  }
}

/** The step's "where", with node names: "this tab (n1)", "another tab: n3", "a tab on the other side: n4". */
export function where(step: LessonStep, s: PeerView | undefined): string {
  if (!s) return step.where;
  const me = s.identity.nodeId;
  const groups = s.network.faults.groups;
  const others = alive(s).filter((id) => id !== me);
  const grouped = groups.flat();
  const mySide = groups.find((g) => g.includes(me)) ?? alive(s).filter((id) => !grouped.includes(id));
  const otherSide = alive(s).filter((id) => !mySide.includes(id));
  switch (step.where) {
    case 'this tab': return `this tab (${me})`;
    case 'another tab': return others.length > 0 ? `another tab: ${others[0]}` : 'another tab (open one)';
    case 'a tab on the other side': return otherSide.length > 0 ? `a tab on the other side: ${otherSide.join(' or ')}` : step.where;
    case 'the new tab': return others.length > 0 ? `the new tab: ${alive(s).at(-1)}` : step.where;
    default: return step.where;
  }
}
