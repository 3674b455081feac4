/**
 * Client requests are checked at the edge, before they reach the core: a key or value past its limit, a
 * malformed context or an impossible quorum is refused with a message naming the limit, so a caller learns
 * what to change and the core never sees input it would have to reject.
 */
import { limits } from '../core/limits.js';
import * as clientContext from '../core/client-context.js';
import type { ClientRequest } from '../core/node-io.js';
import { removeAfterSecondsMax } from '../core/types.js';

const encoder = new TextEncoder();

/** Upper bound of the capacity weight: one node may hold at most this many times a unit node's share. */
export const capacityMax = limits.capacityMax;

/** Largest N (and so R and W) a client may ask for: one replica per member at most. */
export const quorumMax = limits.membersMax;

/** Why the request is refused, or undefined when it may go to the node. */
export function problem(request: ClientRequest): string | undefined {
  switch (request.op) {
    case 'get':
      return keyProblem(request.key) ?? quorumProblem('r', request.r);
    case 'locate':
      return keyProblem(request.key);
    case 'put':
      return keyProblem(request.key) ?? valueProblem(request.value.bytes) ?? contextProblem(request.context)
        ?? quorumProblem('w', request.w);
    case 'delete':
      return keyProblem(request.key) ?? contextProblem(request.context) ?? quorumProblem('w', request.w);
    case 'configure':
      return quorumProblem('n', request.n) ?? quorumProblem('r', request.r) ?? quorumProblem('w', request.w)
        ?? (request.removeAfterSeconds === undefined || (Number.isInteger(request.removeAfterSeconds) && request.removeAfterSeconds >= 0 && request.removeAfterSeconds <= removeAfterSecondsMax)
          ? undefined : `removeAfterSeconds must be an integer in 0..${removeAfterSecondsMax} (0 disables automatic removal), got ${String(request.removeAfterSeconds)}`);
    case 'remove':
    case 'removal-preview':
      return typeof request.id === 'string' && request.id !== '' ? undefined : `${request.op} needs a node id, got ${JSON.stringify(request.id)}`;
    case 'leave':
    case 'join':
    case 'goodbye':
      return undefined;
    case 'set-capacity':
      return Number.isFinite(request.capacity) && request.capacity > 0 && request.capacity <= capacityMax
        ? undefined : `capacity must be a number in (0, ${capacityMax}], got ${request.capacity}`;
    default: {
      const never: never = request;
      return `unknown operation ${JSON.stringify((never as { op?: unknown }).op)}`;
    }
  }
}

export function keyProblem(key: unknown): string | undefined {
  if (typeof key !== 'string') return `key must be a string, got ${typeof key}`;
  if (key.length === 0) return 'key must not be empty';
  const bytes = encoder.encode(key).length;
  if (bytes > limits.keyBytesMax) return `key too large: ${bytes} bytes exceeds keyBytesMax (${limits.keyBytesMax} bytes)`;
  return undefined;
}

export function valueProblem(bytes: Uint8Array): string | undefined {
  if (bytes.length > limits.valueBytesMax) {
    return `value too large: ${bytes.length} bytes exceeds valueBytesMax (${limits.valueBytesMax} bytes)`;
  }
  return undefined;
}

function contextProblem(context: string | undefined): string | undefined {
  if (context === undefined) return undefined;
  const parsed = clientContext.fromContext(context);
  return parsed.ok ? undefined : `invalid context: ${parsed.reason}`;
}

function quorumProblem(name: 'n' | 'r' | 'w', value: number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1 || value > quorumMax) return `${name} must be an integer from 1 to ${quorumMax}, got ${value}`;
  return undefined;
}
