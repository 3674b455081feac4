/**
 * The value checker, Jepsen style: it judges a run only by what clients asked and saw (history.ts) and by
 * the live values replicas hold at the end, never by the store's clocks or digests. A clock that falsely
 * descends another (a reused dot, a wiped node's old epoch) makes the store believe a write was replaced;
 * the values say whether a client ever replaced it.
 *
 * Every put writes a value no other put wrote, so a value names its write. The rules:
 *   (a) lost: an acknowledged put's value is absent from every replica at the end, and no write (ok, failed
 *       or indeterminate: any of them may have taken effect) listed it in `observed`;
 *   (b) stale survivor: a value observed by an ACKNOWLEDGED write is still held at the end (that write
 *       replaced it);
 *   (c) unknown value: a final value, or a value a get returned, that no put of the history wrote; and a
 *       failed put's value held at the end (the store said nothing was written anywhere);
 *   (d) divergence: the replicas of a key hold different live values;
 *   (e) strict runs only (R + W > N, no faults): a get that started after a put was acknowledged returns
 *       that value or a value written by a write that (transitively) observed it; an empty answer is
 *       allowed only if a delete in that line of descent may have taken effect before the get ended;
 *   (f) duplicate: a get returned one value twice, as two siblings (one put applied twice as the client
 *       sees it: a failover's retry coordinated on a second node must show as one value, forward.ts).
 */
import type { FinalState, GetOp, History, Op, WriteOp } from './history.js';

export interface CheckOptions {
  /** Apply rule (e): only for runs with R + W > N, strict quorums and no faults. */
  readonly strict?: boolean;
  /** At most this many problem lines (counts are always complete). Default 50. */
  readonly problemsMax?: number;
}

export interface Verdict {
  /** True when no rule is broken. */
  readonly ok: boolean;
  readonly operations: number;
  readonly gets: number;
  readonly writes: number;
  readonly acknowledged: number;
  readonly failed: number;
  /** Failed or indeterminate operations by error text, digits folded to N ("1 of 2" -> "N of N"). */
  readonly failedByReason: Readonly<Record<string, number>>;
  readonly indeterminate: number;
  /** Rule (a). */
  readonly lost: number;
  /** Rule (b). */
  readonly staleSurvivors: number;
  /** Rule (c): final or read values no put wrote, and failed puts' values held at the end. */
  readonly unknownValues: number;
  /** Rule (d): keys whose replicas hold different live values. */
  readonly divergentKeys: readonly string[];
  /** Rule (e), strict runs only. */
  readonly staleReads: number;
  /** Rule (f): gets that returned a value twice. */
  readonly duplicateReads: number;
  readonly problems: readonly string[];
}

function describe(op: Op): string {
  const what = op.kind === 'get' ? 'get' : op.kind === 'put' ? `put ${JSON.stringify(op.value)}` : 'delete';
  return `${what} by ${op.client} [${op.start}..${op.end}] ${op.outcome}${op.error ? ` (${op.error})` : ''}`;
}

function isWrite(op: Op): op is WriteOp {
  return op.kind === 'put' || op.kind === 'delete';
}

/** For each value, the writes that observed it (any outcome). */
function observersOf(writes: readonly WriteOp[]): Map<string, WriteOp[]> {
  const by = new Map<string, WriteOp[]>();
  for (const w of writes) {
    for (const v of w.observed) {
      const list = by.get(v) ?? [];
      list.push(w);
      by.set(v, list);
    }
  }
  return by;
}

/** The writes that transitively observed `value`: those that observed it, those that observed their values, ... */
function descendantsOf(value: string, observers: ReadonlyMap<string, readonly WriteOp[]>): WriteOp[] {
  const seen = new Set<WriteOp>();
  const queue = [value];
  while (queue.length > 0) {
    const v = queue.pop() as string;
    for (const w of observers.get(v) ?? []) {
      if (seen.has(w)) continue;
      seen.add(w);
      if (w.value !== undefined) queue.push(w.value);
    }
  }
  return [...seen];
}

/** Union of the live values every replica holds, per key. */
function heldByKey(final: FinalState): Map<string, Set<string>> {
  const held = new Map<string, Set<string>>();
  for (const [key, replicas] of final.replicas) {
    const set = new Set<string>();
    for (const values of replicas.values()) for (const v of values) set.add(v);
    held.set(key, set);
  }
  return held;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

export function check(history: History, final: FinalState, options: CheckOptions = {}): Verdict {
  const problemsMax = options.problemsMax ?? 50;
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < problemsMax) problems.push(text);
  };
  const writes = history.ops.filter(isWrite);
  const gets = history.ops.filter((op): op is GetOp => op.kind === 'get');
  const puts = new Map<string, WriteOp>();
  for (const w of writes) {
    if (w.kind !== 'put' || w.value === undefined) continue;
    if (puts.has(w.value)) throw new Error(`value-checker: value ${JSON.stringify(w.value)} written twice: values must be unique`);
    puts.set(w.value, w);
  }
  const observers = observersOf(writes);
  const held = heldByKey(final);

  // (a) lost acknowledged puts.
  let lost = 0;
  for (const w of puts.values()) {
    if (w.outcome !== 'ok' || w.value === undefined) continue;
    if (held.get(w.key)?.has(w.value)) continue;
    if ((observers.get(w.value) ?? []).length > 0) continue;
    lost++;
    problem(`LOST ${w.key}=${JSON.stringify(w.value)}: ${describe(w)}; no replica holds it and no write observed it`);
  }

  // (b) values replaced by an acknowledged write that survive.
  let staleSurvivors = 0;
  for (const [key, values] of held) {
    for (const v of values) {
      const replacer = (observers.get(v) ?? []).find((w) => w.outcome === 'ok' && w.key === key);
      if (replacer === undefined) continue;
      staleSurvivors++;
      problem(`STALE ${key}=${JSON.stringify(v)} survives, though ${describe(replacer)} observed and replaced it`);
    }
  }

  // (c) values nobody wrote, and failed puts that took effect.
  let unknownValues = 0;
  for (const [key, values] of held) {
    for (const v of values) {
      const w = puts.get(v);
      if (w === undefined || w.key !== key) {
        unknownValues++;
        problem(`UNKNOWN ${key}=${JSON.stringify(v)} held at the end, but no put of ${key} wrote it`);
      } else if (w.outcome === 'failed') {
        unknownValues++;
        problem(`FAILED-BUT-HELD ${key}=${JSON.stringify(v)}: ${describe(w)} said it was not written, yet a replica holds it`);
      }
    }
  }
  for (const g of gets) {
    if (g.outcome !== 'ok') continue;
    for (const v of g.values) {
      const w = puts.get(v);
      if (w !== undefined && w.key === g.key) continue;
      unknownValues++;
      problem(`UNKNOWN READ ${g.key}=${JSON.stringify(v)} returned by ${describe(g)}, but no put of ${g.key} wrote it`);
    }
  }

  // (d) convergence of the replicas of each key.
  const divergentKeys: string[] = [];
  for (const [key, replicas] of final.replicas) {
    const entries = [...replicas.entries()];
    const first = entries[0];
    if (first === undefined || entries.every(([, values]) => sameSet(values, first[1]))) continue;
    divergentKeys.push(key);
    problem(`DIVERGENT ${key}: ${entries.map(([id, values]) => `${id} holds [${[...values].sort().join(', ')}]`).join('; ')}`);
  }

  // (e) strict: reads see every put acknowledged before they started, or a descendant of it.
  let staleReads = 0;
  if (options.strict) {
    for (const g of gets) {
      if (g.outcome !== 'ok') continue;
      const returned = new Set(g.values);
      for (const w of puts.values()) {
        if (w.outcome !== 'ok' || w.key !== g.key || w.end >= g.start || w.value === undefined) continue;
        if (returned.has(w.value)) continue;
        const line = descendantsOf(w.value, observers);
        if (line.some((d) => d.value !== undefined && returned.has(d.value))) continue;
        if (line.some((d) => d.kind === 'delete' && d.start < g.end)) continue;
        staleReads++;
        problem(`STALE READ ${g.key}: ${describe(g)} returned [${g.values.join(', ')}], missing ${describe(w)} and every write descending from it`);
      }
    }
  }

  // (f) one write shown twice.
  let duplicateReads = 0;
  for (const g of gets) {
    if (g.outcome !== 'ok' || new Set(g.values).size === g.values.length) continue;
    duplicateReads++;
    problem(`DUPLICATE ${g.key}: ${describe(g)} returned [${g.values.join(', ')}], one value twice`);
  }

  const failedByReason: Record<string, number> = {};
  for (const op of history.ops) {
    if (op.outcome === 'ok') continue;
    const reason = `${op.outcome}: ${op.error?.replace(/\d+/g, 'N') ?? 'no answer'}`;
    failedByReason[reason] = (failedByReason[reason] ?? 0) + 1;
  }
  return {
    ok: lost + staleSurvivors + unknownValues + divergentKeys.length + staleReads + duplicateReads === 0,
    operations: history.ops.length,
    gets: gets.length,
    writes: writes.length,
    acknowledged: writes.filter((w) => w.outcome === 'ok').length,
    failed: history.ops.filter((op) => op.outcome === 'failed').length,
    failedByReason,
    indeterminate: history.ops.filter((op) => op.outcome === 'indeterminate').length,
    lost, staleSurvivors, unknownValues, divergentKeys, staleReads, duplicateReads, problems,
  };
}
