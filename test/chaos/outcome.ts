/**
 * How a client classifies a write that did not resolve. window.kv rejects with an Error whose text says
 * what happened, but it does not expose the core's `indeterminate` flag (page-api.ts throws
 * `new Error(result.error)`). So the harness treats every rejected write as INDETERMINATE (it may have
 * taken effect) unless its text is one of the refusals the store makes before anything is written:
 * those come from request-check.ts, runtime.ts and the core replies marked `indeterminate: false`.
 * Erring towards indeterminate never hides a lost write: only acknowledged writes must survive.
 */
import type { Outcome } from '../checker/history.js';

/** Refusals that say nothing was written anywhere (sources in the comments). */
const nothingWritten: readonly RegExp[] = [
  /^too many siblings/, // coordinator.ts: refused before the coordinator persists
  /^too many (writes|requests) in flight/, // coordinator.ts, node.ts, runtime.ts
  /^no replica of partition \d+ is reachable to coordinate the write/, // coordinator.ts
  /^bad context/, // coordinator.ts
  /^bad config/, // node.ts (configure only)
  /too large/, // request-check.ts: key or value past its limit
  /^the node is overloaded/, // runtime.ts: the input queue refused the request
  /^the node has stopped/, // runtime.ts: closed (a wipe or page teardown) before the request went in
  / has left the ring$/, // node.ts
];

/** The outcome of a write that rejected with `message`. */
export function ofWriteError(message: string): Outcome {
  return nothingWritten.some((re) => re.test(message)) ? 'failed' : 'indeterminate';
}
