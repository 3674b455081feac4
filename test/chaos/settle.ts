/**
 * The end of a chaos run: once faults are healed and clients stopped, wait until the cluster is quiet
 * (every tab sees the whole ring alive, no hints held, no requests pending, for several polls in a row),
 * then read every key with r = N from one tab per browser context. Those reads are the FinalState the
 * checker judges: what the replicas hold in storage, as a client with the strictest read sees it.
 */
import type { FinalState } from '../checker/history.js';
import { aliveMembers, type Tab } from '../e2e/helpers.js';
import { tabsPerContext, type ChaosCluster } from './cluster.js';
import { pollUntil, sleep } from './wait.js';

/** Only a cluster that never settles crosses this; the run then reports it and still reads. */
const quietBoundMs = 180_000;
const quietPollsInARow = 4;
const quietPollMs = 1000;
/** A final read may fail while the last repairs run: retried this often, a second apart. */
const readAttempts = 10;

type Busy = { hints: number; pending: number };

async function busyOf(tab: Tab): Promise<Busy> {
  const busy = await tab.page.evaluate(() => {
    type Snap = { runtime?: { pendingRequests?: unknown; node?: { hints?: { count?: unknown }; pendingRequests?: unknown } } };
    const runtime = (window.kv.snapshot() as Snap).runtime;
    return { hints: runtime?.node?.hints?.count, core: runtime?.node?.pendingRequests, loop: runtime?.pendingRequests };
  });
  // A renamed snapshot field must not read as "idle": say so instead.
  if (typeof busy.hints !== 'number' || typeof busy.core !== 'number' || typeof busy.loop !== 'number') {
    throw new Error(`chaos: ${tab.id}'s snapshot lacks runtime.node.hints.count, runtime.node.pendingRequests or runtime.pendingRequests: ${JSON.stringify(busy)}`);
  }
  return { hints: busy.hints, pending: busy.core + busy.loop };
}

export interface Quiet {
  readonly quiet: boolean;
  readonly reason: string;
}

/** Waits for quiet; on the bound, says what was still busy instead of throwing. */
export async function waitForQuiet(cluster: ChaosCluster): Promise<Quiet> {
  const want = [...cluster.ids].sort().join(',');
  let inARow = 0;
  let last = 'not polled yet';
  try {
    await pollUntil('the cluster goes quiet', quietBoundMs, async () => {
      const busy: string[] = [];
      for (const id of cluster.ids) {
        const tab = cluster.usable(id);
        if (!tab) { busy.push(`${id} closed`); continue; }
        const alive = (await aliveMembers(tab)).join(',');
        if (alive !== want) busy.push(`${id} sees ${alive}`);
        const b = await busyOf(tab);
        if (b.hints > 0 || b.pending > 0) busy.push(`${id} holds ${b.hints} hints, ${b.pending} pending`);
      }
      last = busy.join('; ');
      inARow = busy.length === 0 ? inARow + 1 : 0;
      return inARow >= quietPollsInARow;
    }, quietPollMs);
    return { quiet: true, reason: 'quiet' };
  } catch (error) {
    if (error instanceof Error && !error.message.startsWith('chaos: gave up waiting')) throw error;
    return { quiet: false, reason: last };
  }
}

/** One tab per browser context: reads from different hosts. */
export function readers(cluster: ChaosCluster): string[] {
  return cluster.ids.filter((_, i) => i % tabsPerContext === 0);
}

export interface FinalReads {
  readonly final: FinalState;
  /** `key@reader` pairs whose read never succeeded, with the last error. */
  readonly unread: readonly string[];
}

/** Reads every key with r = N from every reader; a failed read is retried, bounded. */
export async function readFinal(cluster: ChaosCluster, keys: readonly string[]): Promise<FinalReads> {
  const replicas = new Map<string, Map<string, readonly string[]>>(keys.map((k) => [k, new Map()]));
  const unread: string[] = [];
  for (const id of readers(cluster)) {
    const tab = cluster.usable(id);
    if (!tab) { unread.push(`*@${id}: tab closed`); continue; }
    for (const key of keys) {
      let error = '';
      for (let attempt = 0; attempt < readAttempts; attempt++) {
        const got = await tab.page.evaluate(async (k) => {
          try {
            return { ok: true as const, values: (await window.kv.get(k, { r: window.kv.config().n })).values.map(String) };
          } catch (e) {
            return { ok: false as const, error: e instanceof Error ? e.message : String(e) };
          }
        }, key);
        if (got.ok) { replicas.get(key)!.set(`read@${id}`, got.values.sort()); error = ''; break; }
        error = got.error;
        await sleep(1000);
      }
      if (error !== '') unread.push(`${key}@${id}: ${error}`);
    }
  }
  return { final: { replicas }, unread };
}
