/**
 * What a client request may ask, checked before anything is coordinated: key and value sizes, no
 * tombstone as a value, and a quorum override within N as it applies now (fewer members than the
 * configured N make N smaller).
 */
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { ClientRequest } from './node-io.js';
import type { NodeState } from './node-state.js';
import * as quorum from './quorum.js';

export type WriteRequest = Extract<ClientRequest, { op: 'put' | 'delete' }>;

/** The first problem with a client request's key, value or quorum override, or undefined. */
export function invalid(state: NodeState, request: ClientRequest): string | undefined {
  const n = replicaCount(state);
  if ('key' in request) {
    const bytes = hash.utf8(request.key).length;
    if (bytes === 0 || bytes > limits.keyBytesMax) return `key must be 1 to ${limits.keyBytesMax} bytes of UTF-8, got ${bytes}`;
  }
  if (request.op === 'put' && request.value.bytes.length > limits.valueBytesMax) return `value of ${request.value.bytes.length} bytes exceeds ${limits.valueBytesMax}`;
  if (request.op === 'put' && request.value.kind === 'tombstone') return 'a put cannot store a tombstone: use delete';
  return quorum.invalid(request.op === 'get' ? request.r : request.op === 'put' || request.op === 'delete' ? request.w : undefined, n);
}

/** N as it applies now: the configured N, or fewer when the ring has fewer members. */
export function replicaCount(state: NodeState): number {
  return Math.max(1, Math.min(state.config.n, state.ring.members.length));
}

export function quorumWarnings(state: NodeState, r: number, w: number): string[] {
  return quorum.warnings(r, w, replicaCount(state));
}
