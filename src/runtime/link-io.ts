/**
 * The contract of the link machine (link-machine.ts): its settings, the inputs a driver feeds it and the
 * effects it returns, in the manner of core/node-io.ts. Time comes in as `nowMs` with every step; timers are
 * effects (set / cancel), and every timer set is either cancelled or fed back as a `timer` input.
 */
import type { NodeId } from '../core/types.js';
import type { RtcSignal, SignalPayload } from '../protocol/signaling.js';
import { limits } from '../core/limits.js';
import * as chunker from './chunker.js';
import type { InOrderLimits } from './in-order.js';
import type { QueueLimits } from './send-queue.js';
import type { DropReason } from './transport.js';

export interface LinkConfig {
  /** This node's id; in a glare, the dial of the smaller id survives. */
  readonly self: NodeId;
  /** An open link with nothing sent, received or queued for this long is closed (reopened on demand). */
  readonly idleCloseMs: number;
  /** A link not open this long after it was dialled or accepted is abandoned (and retried if messages wait). */
  readonly connectTimeoutMs: number;
  /** Failed attempts in a row after which the waiting messages are dropped as `unreachable`. */
  readonly connectAttemptsMax: number;
  /** Retry delay: backoffInitialMs doubling per failed attempt, capped at backoffMaxMs, times a jitter in [0.5, 1). */
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly queue: QueueLimits;
  readonly reassembly: chunker.ReassemblyOptions;
  /** Bounds of the messages held for an earlier one, to deliver each link's messages in order (in-order.ts). */
  readonly inOrder: InOrderLimits;
}

export function defaultConfig(self: NodeId): LinkConfig {
  return {
    self, idleCloseMs: 60_000, connectTimeoutMs: 10_000, connectAttemptsMax: 8, backoffInitialMs: 250, backoffMaxMs: 5000,
    queue: { messagesMax: 1024, bytesMax: 8 * limits.messageBytesMax, highWaterBytes: 1024 * 1024, lowWaterBytes: 256 * 1024 },
    reassembly: chunker.defaultReassemblyOptions,
    inOrder: { heldMax: 16, heldBytesMax: 4 * limits.messageBytesMax },
  };
}

/** The retry delay before attempt number `attempt` (0-based), for a jitter draw in [0, 1). */
export function backoffMs(config: LinkConfig, attempt: number, draw: number): number {
  return Math.min(config.backoffMaxMs, config.backoffInitialMs * 2 ** Math.min(attempt, 30)) * (0.5 + draw / 2);
}

/** One timer per peer and kind: setting one again replaces it. */
export type TimerKind = 'connect' | 'retry' | 'idle';

/** Where a peer's link stands. `none` with closedIdle set still counts as reachable (reopened on demand). */
export type Phase = 'none' | 'backoff' | 'asking' | 'dialing' | 'accepting' | 'open';

export type LinkInput =
  /** The runtime sends one whole message. Refused at once (a `refused` effect) or queued. */
  | { readonly kind: 'send'; readonly peer: NodeId; readonly bytes: Uint8Array }
  /** A signal relayed by the signaling server from `peer`. */
  | { readonly kind: 'signal'; readonly peer: NodeId; readonly payload: SignalPayload }
  /** The data channel of link `link` opened. */
  | { readonly kind: 'opened'; readonly peer: NodeId; readonly link: string }
  /** Link `link` closed or failed by itself (never fed after a `destroy` effect for it). */
  | { readonly kind: 'closed'; readonly peer: NodeId; readonly link: string; readonly reason: string }
  /** One frame arrived on link `link`. */
  | { readonly kind: 'frame'; readonly peer: NodeId; readonly link: string; readonly frame: Uint8Array }
  /** After a `watchDrain`: the channel now buffers `bufferedBytes` (at most the low-water mark, or closed). */
  | { readonly kind: 'drained'; readonly peer: NodeId; readonly link: string; readonly bufferedBytes: number }
  /** A timer set by a `setTimer` effect fired. */
  | { readonly kind: 'timer'; readonly peer: NodeId; readonly timer: TimerKind }
  /** The signaling server's presence list changed, or its connection opened or dropped. */
  | { readonly kind: 'presence'; readonly peers: readonly NodeId[]; readonly signalingOpen: boolean }
  /** Close every link, drop every queue (counted as `closed`), cancel every timer; later sends are refused. */
  | { readonly kind: 'close' };

export type LinkEffect =
  /** Create an initiating link named `link` to `peer` (its signals are relayed tagged with `link`). */
  | { readonly kind: 'dial'; readonly peer: NodeId; readonly link: string }
  /** Ask `peer`, through signaling, to dial us (the larger id asks, so the two never dial at once). */
  | { readonly kind: 'ask'; readonly peer: NodeId }
  /** Create an answering link named `link` (a `feed` with the offer follows). */
  | { readonly kind: 'accept'; readonly peer: NodeId; readonly link: string }
  /** Hand a signal from the far side to link `link`. */
  | { readonly kind: 'feed'; readonly peer: NodeId; readonly link: string; readonly signal: RtcSignal }
  /** Close link `link` and forget it; its events must not be fed any more. */
  | { readonly kind: 'destroy'; readonly peer: NodeId; readonly link: string }
  /** Write these frames, in order, on link `link` (a refused write closes the link: feed `closed`). */
  | { readonly kind: 'write'; readonly peer: NodeId; readonly link: string; readonly frames: readonly Uint8Array[] }
  /** Feed `drained` once link `link` buffers lowBytes or fewer. */
  | { readonly kind: 'watchDrain'; readonly peer: NodeId; readonly link: string; readonly lowBytes: number }
  | { readonly kind: 'setTimer'; readonly peer: NodeId; readonly timer: TimerKind; readonly atMs: number }
  | { readonly kind: 'cancelTimer'; readonly peer: NodeId; readonly timer: TimerKind }
  /** A whole message arrived from `peer`. */
  | { readonly kind: 'deliver'; readonly peer: NodeId; readonly message: Uint8Array }
  /** Whether `peer` is usable changed (told on changes only). */
  | { readonly kind: 'reachable'; readonly peer: NodeId; readonly up: boolean }
  /** The `send` of this step was refused (send() returns false). */
  | { readonly kind: 'refused'; readonly peer: NodeId; readonly reason: DropReason };
