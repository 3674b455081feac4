/**
 * The nemesis: a seeded schedule of faults, applied one at a time to the real cluster, each healed after
 * a few seconds. Network faults go through window.kv's room controls (carried to every tab by the
 * signaling server); the rest act on the tabs and the server themselves. Every schedule holds each fault
 * issue 9 names at least once: a partition into two groups, message loss, a one-way cut, an isolated tab,
 * a tab closed and reopened under the same ?node= (its IndexedDB survives), exactly one kv.wipe() and one
 * signaling restart on the same port; the other slots are seeded partitions, isolations, cuts, loss and
 * more tabs closed and reopened.
 */
import type { Rng } from '../../src/core/rng.js';
import type { ChaosCluster } from './cluster.js';
import { pollUntil, sleep } from './wait.js';

export type Fault =
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'isolate'; readonly id: string }
  | { readonly kind: 'cut'; readonly from: string; readonly to: string; readonly oneWay: boolean }
  | { readonly kind: 'loss'; readonly rate: number }
  | { readonly kind: 'reopen-tab'; readonly id: string }
  | { readonly kind: 'wipe'; readonly id: string }
  | { readonly kind: 'signaling-restart' };

export interface Step {
  readonly fault: Fault;
  /** How long the fault is held before it is healed. */
  readonly holdMs: number;
  /** Quiet time after the heal, before the next fault. */
  readonly gapMs: number;
}

const holdMsMin = 2000;
const holdMsMax = 5000;
const gapMsMin = 1000;
const gapMsMax = 2500;
/** Room-wide commands may reject while a tab reconnects to the signaling server: retried this often. */
const commandAttempts = 20;

/** A seeded fault for the other slots: mostly network faults, sometimes a tab closed and reopened again. */
function anyFault(rng: Rng, ids: readonly string[]): Fault {
  const shuffled = rng.shuffle(ids);
  switch (rng.int(5)) {
    case 0: {
      const cut = 1 + rng.int(ids.length - 1);
      return { kind: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut)] };
    }
    case 1: return { kind: 'isolate', id: shuffled[0]! };
    case 2: return { kind: 'cut', from: shuffled[0]!, to: shuffled[1]!, oneWay: rng.next() < 0.5 };
    case 3: return { kind: 'reopen-tab', id: shuffled[0]! };
    default: return { kind: 'loss', rate: Math.round((0.1 + rng.next() * 0.3) * 100) / 100 };
  }
}

/** One fault of each kind the issue lists, so even a short run covers them all. */
function everyKind(rng: Rng, ids: readonly string[]): Fault[] {
  const shuffled = rng.shuffle(ids);
  const cut = 1 + rng.int(ids.length - 1);
  return [
    { kind: 'partition', groups: [shuffled.slice(0, cut), shuffled.slice(cut)] },
    { kind: 'loss', rate: Math.round((0.1 + rng.next() * 0.3) * 100) / 100 },
    { kind: 'cut', from: shuffled[0]!, to: shuffled[1]!, oneWay: true },
    { kind: 'isolate', id: rng.pick(ids) },
    { kind: 'reopen-tab', id: rng.pick(ids) },
    { kind: 'wipe', id: rng.pick(ids) },
    { kind: 'signaling-restart' },
  ];
}

/** About `seconds` of faults (holds and gaps; at least one of each kind), the fixed ones at seeded places. */
export function plan(rng: Rng, ids: readonly string[], seconds: number): Step[] {
  const meanStepMs = (holdMsMin + holdMsMax + gapMsMin + gapMsMax) / 2;
  const specials = everyKind(rng, ids);
  const count = Math.max(specials.length, Math.round((seconds * 1000) / meanStepMs));
  const places = rng.shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, specials.length);
  return Array.from({ length: count }, (_, i) => {
    const special = places.indexOf(i);
    return {
      fault: special >= 0 ? specials[special]! : anyFault(rng, ids),
      holdMs: holdMsMin + rng.int(holdMsMax - holdMsMin + 1),
      gapMs: gapMsMin + rng.int(gapMsMax - gapMsMin + 1),
    };
  });
}

export function describe(fault: Fault): string {
  switch (fault.kind) {
    case 'partition': return `partition ${fault.groups.map((g) => g.join(',')).join(' | ')}`;
    case 'isolate': return `isolate ${fault.id}`;
    case 'cut': return `cut ${fault.from} -> ${fault.to}${fault.oneWay ? ' (one way)' : ' (both ways)'}`;
    case 'loss': return `loss ${fault.rate}`;
    case 'reopen-tab': return `close ${fault.id}'s tab, reopen it`;
    case 'wipe': return `kv.wipe() in ${fault.id}`;
    case 'signaling-restart': return 'restart the signaling server';
    default: {
      const never: never = fault;
      return String(never);
    }
  }
}

/**
 * Runs a room-wide command from any usable tab, retrying while tabs reconnect (a command rejects when its
 * tab's signaling socket is not open); throws after `commandAttempts`.
 */
export async function roomCommand<A>(cluster: ChaosCluster, what: string, command: (arg: A) => Promise<void>, arg: A): Promise<void> {
  let last = '';
  for (let attempt = 0; attempt < commandAttempts; attempt++) {
    const tab = cluster.anyUsable();
    if (tab) {
      try {
        await tab.page.evaluate(command as (a: unknown) => Promise<void>, arg as unknown);
        return;
      } catch (error) {
        last = error instanceof Error ? error.message.split('\n')[0] ?? '' : String(error);
      }
    }
    await sleep(500);
  }
  throw new Error(`chaos: ${what} failed ${commandAttempts} times; last error: ${last}`);
}

export const heal = (cluster: ChaosCluster) => roomCommand(cluster, 'heal', () => window.kv.heal(), null);

async function inject(cluster: ChaosCluster, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'partition':
      return roomCommand(cluster, describe(fault), (groups) => window.kv.partition(groups), fault.groups.map((g) => [...g]));
    case 'isolate':
      return roomCommand(cluster, describe(fault), (id) => window.kv.isolate(id), fault.id);
    case 'cut':
      return roomCommand(cluster, describe(fault), (c) => window.kv.cut(c.from, c.to, c.oneWay), { from: fault.from, to: fault.to, oneWay: fault.oneWay });
    case 'loss':
      return roomCommand(cluster, describe(fault), (rate) => window.kv.setLoss(rate), fault.rate);
    case 'reopen-tab':
      return cluster.closeTab(fault.id);
    case 'wipe':
      return cluster.wipeTab(fault.id);
    case 'signaling-restart':
      return cluster.stopServer();
    default: {
      const never: never = fault;
      throw new Error(`unknown fault ${JSON.stringify(never)}`);
    }
  }
}

async function repair(cluster: ChaosCluster, fault: Fault): Promise<void> {
  switch (fault.kind) {
    case 'reopen-tab': return cluster.reopenTab(fault.id);
    case 'wipe': return; // the wipe restarted the tab already
    case 'signaling-restart': return cluster.restartServer();
    default: return heal(cluster);
  }
}

/** Applies `steps` in order until done or `stopped()`; leaves the cluster healed. */
export async function run(cluster: ChaosCluster, steps: readonly Step[], log: (line: string) => void, now: () => number): Promise<void> {
  for (const [i, step] of steps.entries()) {
    log(`chaos: [${(now() / 1000).toFixed(1)} s] fault ${i + 1}/${steps.length}: ${describe(step.fault)} for ${step.holdMs} ms`);
    await inject(cluster, step.fault);
    await sleep(step.holdMs);
    await repair(cluster, step.fault);
    await sleep(step.gapMs);
  }
  // Every tab must be open again before the final heal (a reopened tab may still be joining).
  await pollUntil('every tab is open', 60_000, async () => cluster.ids.every((id) => cluster.usable(id) !== undefined));
  await heal(cluster);
}
