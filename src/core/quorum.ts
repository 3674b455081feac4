/**
 * Quorum arithmetic (Dynamo section 4.5): pure decisions the coordinator and the read path take, in one
 * place so they can be read and tested as tables. A decision is a small enum, as in etcd's raft:
 * 'won' (answer the client now), 'pending' (wait), 'lost' (the deadline passed: answer with an error).
 */

export type Decision = 'won' | 'pending' | 'lost';

/** The first problem with a per-request R or W, or undefined (it must be an integer in 1..N). */
export function invalid(quorum: number | undefined, n: number): string | undefined {
  if (quorum === undefined) return undefined;
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > n) return `quorum must be an integer in 1..${n} (N), got ${quorum}`;
  return undefined;
}

/** What a client is told about its quorums: R + W <= N promises no read-your-writes. */
export function warnings(r: number, w: number, n: number): string[] {
  return r + w <= n ? [`R + W <= N (${r} + ${w} <= ${n}): a read may miss the latest acknowledged write`] : [];
}

/** Where a request stands after `answers` of the `needed` it waits for, `elapsedTicks` into its `timeoutTicks`. */
export function decide(answers: number, needed: number, elapsedTicks: number, timeoutTicks: number): Decision {
  if (answers >= needed) return 'won';
  return elapsedTicks >= timeoutTicks ? 'lost' : 'pending';
}

/** The error a write gets when its quorum is lost: a copy exists (the coordinator's own), so it is indeterminate. */
export function writeLost(acked: number, w: number): { ok: false; error: string; indeterminate: true } {
  return { ok: false, indeterminate: true, error: `write quorum not reached: ${acked} of ${w} acknowledged` };
}

/** The error a read gets when its quorum is lost. */
export function readLost(replies: number, r: number): { ok: false; error: string; indeterminate: false } {
  return { ok: false, indeterminate: false, error: `read quorum not reached: ${replies} of ${r} replied` };
}

/**
 * The always-on rule (DESIGN.md, Decisions): while a peer is reachable, a write is acknowledged only once at
 * least one peer holds a durable copy, so a lab whose tabs all close right after writing keeps every
 * acknowledged key. `acked` are the nodes with a durable copy (the coordinator included when its own commit
 * counts); `awaiting` the targets the write went to that have neither answered nor timed out or refused.
 * A peer that stops answering leaves `awaiting` at its replica timeout, and then W alone decides: the rule
 * never holds a write past the time a silent replica is given.
 */
export function peerCopyNeeded(isPeer: (id: string) => boolean, acked: Iterable<string>, awaiting: Iterable<string>): boolean {
  for (const id of acked) if (isPeer(id)) return false;
  for (const id of awaiting) if (isPeer(id)) return true;
  return false;
}
