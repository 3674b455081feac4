/**
 * Read-modify-write clients in real tabs, driven from the Playwright side through window.kv, recording
 * every request in the client-side history format (test/checker/history.ts). Each client sticks to one
 * tab (its node id) and loops until stopped: get a key, then put a globally unique value with the get's
 * context (sometimes a delete with that context), and now and then a blind put with no context (none in a
 * pure read-modify-write run, where a client's blind puts would pile up siblings of its own). When its tab
 * is closed, reloading or wiping, the client waits for it to come back.
 */
import type { GetOp, History, Outcome, WriteOp } from '../checker/history.js';
import type { Rng } from '../../src/core/rng.js';
import type { Tab } from '../e2e/helpers.js';
import type { ChaosCluster } from './cluster.js';
import * as outcome from './outcome.js';
import { sleep, within } from './wait.js';

export const keys: readonly string[] = Array.from({ length: 12 }, (_, i) => `k${i}`);

/** Shares of each request kind (the rest are read-modify-write puts); blind puts unless a run says otherwise. */
export const blindPutShareDefault = 0.1;
const deleteShare = 0.1;
/** A request the tab has not answered in this long is recorded as indeterminate (the tab may be hung). */
const requestBoundMs = 30_000;
/** Pause between requests, so six clients leave CPU for the tabs' own work on two cores. */
const thinkMsMax = 40;

/** What clients saw beyond the history: the largest clock and the most siblings any get returned. */
export interface ClientFigures {
  largestClockEntries: number;
  largestClock: Record<string, number>;
  /** The most values (live siblings) one get returned, and the key it read. */
  siblingsMax: number;
  siblingsMaxKey: string;
}

export function emptyFigures(): ClientFigures {
  return { largestClockEntries: 0, largestClock: {}, siblingsMax: 0, siblingsMaxKey: '' };
}

type PageReply =
  | { readonly ok: true; readonly values: string[]; readonly context: string; readonly clocks: Record<string, number>[] }
  | { readonly ok: false; readonly error: string; readonly tabGone?: boolean };

async function callGet(tab: Tab, key: string): Promise<PageReply> {
  const asked = tab.page.evaluate(async (k) => {
    try {
      const got = await window.kv.get(k);
      return { ok: true as const, values: got.values.map(String), context: got.context, clocks: got.versions.map((v) => v.clock) };
    } catch (error) {
      return { ok: false as const, error: error instanceof Error ? error.message : String(error) };
    }
  }, key);
  return guard(asked);
}

async function callWrite(tab: Tab, op: 'put' | 'delete', key: string, value: string | undefined, context: string | undefined): Promise<PageReply> {
  const asked = tab.page.evaluate(async ([o, k, v, c]) => {
    const options = c === null ? {} : { context: c };
    try {
      const done = o === 'put' ? await window.kv.put(k, v ?? '', options) : await window.kv.delete(k, options);
      return { ok: true as const, values: [], context: done.context, clocks: [] };
    } catch (error) {
      return { ok: false as const, error: error instanceof Error ? error.message : String(error) };
    }
  }, [op, key, value ?? null, context ?? null] as const);
  return guard(asked);
}

/** A closed or reloading tab rejects page.evaluate; a hung one never answers: both are "tab gone". */
async function guard(asked: Promise<PageReply>): Promise<PageReply> {
  const settled = asked.catch((error: unknown): PageReply => ({ ok: false, tabGone: true, error: `the tab closed or reloaded mid-request: ${firstLine(error)}` }));
  return within(settled, requestBoundMs, () => ({ ok: false, tabGone: true, error: `no answer from the tab within ${requestBoundMs / 1000} s` }));
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

export interface ClientDeps {
  readonly name: string;
  readonly tabId: string;
  readonly cluster: ChaosCluster;
  readonly rng: Rng;
  readonly history: History;
  readonly figures: ClientFigures;
  readonly stopped: () => boolean;
  /** Share of blind puts (no context) among the requests: 0 for pure read-modify-write clients. */
  readonly blindPutShare: number;
  /** Milliseconds since the run started (client-side times in the history). */
  readonly now: () => number;
}

/** Runs one client until `stopped()`; every request it made is in the history when it returns. */
export async function run(deps: ClientDeps): Promise<void> {
  let seq = 0;
  const nextValue = () => `${deps.name}.${++seq}`;
  while (!deps.stopped()) {
    const tab = deps.cluster.usable(deps.tabId);
    if (!tab) {
      await sleep(250);
      continue;
    }
    const key = deps.rng.pick(keys);
    if (deps.rng.next() < deps.blindPutShare) {
      await write(deps, tab, 'put', key, nextValue(), undefined, []);
    } else {
      const got = await read(deps, tab, key);
      if (got !== undefined && !deps.stopped()) {
        if (deps.rng.next() < deleteShare) await write(deps, tab, 'delete', key, undefined, got.context, got.values);
        else await write(deps, tab, 'put', key, nextValue(), got.context, got.values);
      }
    }
    await sleep(deps.rng.int(thinkMsMax + 1));
  }
}

async function read(deps: ClientDeps, tab: Tab, key: string): Promise<{ values: string[]; context: string } | undefined> {
  const start = deps.now();
  const reply = await callGet(tab, key);
  const end = deps.now();
  const base = { kind: 'get' as const, client: deps.name, key, start, end };
  if (!reply.ok) {
    const op: GetOp = { ...base, outcome: reply.tabGone ? 'indeterminate' : 'failed', values: [], error: reply.error };
    deps.history.ops.push(op);
    return undefined;
  }
  if (reply.values.length > deps.figures.siblingsMax) {
    deps.figures.siblingsMax = reply.values.length;
    deps.figures.siblingsMaxKey = key;
  }
  for (const clock of reply.clocks) {
    if (Object.keys(clock).length > deps.figures.largestClockEntries) {
      deps.figures.largestClockEntries = Object.keys(clock).length;
      deps.figures.largestClock = clock;
    }
  }
  deps.history.ops.push({ ...base, outcome: 'ok', values: reply.values, context: reply.context });
  return { values: reply.values, context: reply.context };
}

async function write(deps: ClientDeps, tab: Tab, kind: 'put' | 'delete', key: string, value: string | undefined,
  context: string | undefined, observed: readonly string[]): Promise<void> {
  const start = deps.now();
  const reply = await callWrite(tab, kind, key, value, context);
  const end = deps.now();
  const result: Outcome = reply.ok ? 'ok' : reply.tabGone ? 'indeterminate' : outcome.ofWriteError(reply.error);
  const op: WriteOp = {
    kind, client: deps.name, key, start, end, outcome: result, observed: [...observed],
    ...(value !== undefined ? { value } : {}),
    ...(reply.ok ? {} : { error: reply.error }),
  };
  deps.history.ops.push(op);
}
