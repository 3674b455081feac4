/**
 * The outbound side of one link: a bounded queue of whole messages, cut into frames by chunker.ts as they
 * are written, with back-pressure on the channel's buffered bytes (high and low watermarks). Pure: it only
 * decides which frames to write now; the link machine turns that into effects and the driver writes them.
 *
 * The channel drains by itself, so the queue cannot know its buffered amount; it keeps an upper bound
 * instead (the last amount the driver reported plus every byte written since). Once that bound passes the
 * high-water mark the queue pauses and asks to hear when the channel has drained to the low-water mark;
 * the driver then reports the true amount and writing resumes. A bound that is too high only pauses early.
 */
import * as chunker from './chunker.js';

export interface QueueLimits {
  /** Most whole messages waiting per link; past it offer() refuses. */
  readonly messagesMax: number;
  /** Most bytes of whole messages waiting per link; past it offer() refuses. */
  readonly bytesMax: number;
  /** Writing pauses while the channel may hold more than this many bytes. */
  readonly highWaterBytes: number;
  /** Writing resumes once the channel holds this many bytes or fewer. */
  readonly lowWaterBytes: number;
}

export interface SendQueue {
  /** Whole messages waiting, oldest first; the head may be partly written (see `head`). */
  readonly messages: Uint8Array[];
  /** Bytes of the waiting messages. */
  bytes: number;
  /** The frames of the head message and how many of them were written. */
  head: { readonly frames: readonly Uint8Array[]; index: number } | undefined;
  /** Message id for the next message's frames (u32, wraps): 0, 1, 2, ... on each link. */
  nextMessageId: number;
  /** Upper bound of the bytes buffered in the channel. */
  bufferedBytes: number;
  /** True while waiting for the channel to drain to the low-water mark. */
  paused: boolean;
}

/** What to do now: write these frames (in order), and whether to watch for the channel draining. */
export interface Take {
  readonly frames: readonly Uint8Array[];
  /** Whole messages whose last frame is among `frames`, and their bytes (for the stats). */
  readonly messagesDone: number;
  readonly bytesDone: number;
  /** True when writing paused at the high-water mark: ask the driver to report when the channel drains. */
  readonly watchDrain: boolean;
}

export function create(): SendQueue {
  return { messages: [], bytes: 0, head: undefined, nextMessageId: 0, bufferedBytes: 0, paused: false };
}

/** Queues a copy of `message` (the caller may reuse its buffer); false when the queue is full. */
export function offer(q: SendQueue, limits: QueueLimits, message: Uint8Array): boolean {
  if (q.messages.length >= limits.messagesMax || q.bytes + message.length > limits.bytesMax) return false;
  q.messages.push(message.slice());
  q.bytes += message.length;
  return true;
}

/** The frames to write now on an open channel: until the queue is empty or the high-water mark is passed. */
export function take(q: SendQueue, limits: QueueLimits): Take {
  const frames: Uint8Array[] = [];
  let messagesDone = 0;
  let bytesDone = 0;
  if (q.paused) return { frames, messagesDone, bytesDone, watchDrain: false }; // already watching
  while (q.messages.length > 0) {
    if (q.bufferedBytes > limits.highWaterBytes) {
      q.paused = true;
      return { frames, messagesDone, bytesDone, watchDrain: true };
    }
    const message = q.messages[0] as Uint8Array;
    if (!q.head) {
      q.head = { frames: chunker.split(q.nextMessageId, message), index: 0 };
      q.nextMessageId = (q.nextMessageId + 1) >>> 0;
    }
    const frame = q.head.frames[q.head.index] as Uint8Array;
    frames.push(frame);
    q.bufferedBytes += frame.length;
    q.head.index += 1;
    if (q.head.index < q.head.frames.length) continue;
    q.messages.shift();
    q.bytes -= message.length;
    q.head = undefined;
    messagesDone += 1;
    bytesDone += message.length;
  }
  return { frames, messagesDone, bytesDone, watchDrain: false };
}

/** The driver measured the channel after it drained: writing may resume from the true amount. */
export function drained(q: SendQueue, bufferedBytes: number): void {
  q.bufferedBytes = bufferedBytes;
  q.paused = false;
}

/**
 * The link is gone: the next link starts with an empty channel, and a partly written head message restarts
 * whole (the far side's reassembler for the old link is gone too). Message ids start again at 0: the far
 * side delivers each link's messages in id order from 0 (in-order.ts).
 */
export function restart(q: SendQueue): void {
  q.head = undefined;
  q.nextMessageId = 0;
  q.bufferedBytes = 0;
  q.paused = false;
}

/** Empties the queue; returns how many whole messages were dropped. */
export function clear(q: SendQueue): number {
  const count = q.messages.length;
  q.messages.length = 0;
  q.bytes = 0;
  q.head = undefined;
  return count;
}
