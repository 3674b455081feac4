/**
 * Store batching: the `store`s (and `store-ack`s) the loop sends one peer in one synchronous run (the steps
 * of one pump, whose stores leave at step time when writes are pipelined, or the effects of one released
 * batch) leave as ONE `store-batch` (`store-ack-batch`) message, which the receiver handles in one step
 * (messages.ts). Nothing waits for a timer: the loop flushes at the end of the run that queued them, so a
 * batch costs no latency; it saves the per-message cost (encoding envelope, transport send, chunking, the
 * receiver's decode and step) that dominated a put (README, B2 notes).
 *
 * Bounds: at most messages.storesPerMessageMax entries and limits.messageBytesMax encoded bytes per batch
 * (a batch entry is never larger than the lone message it replaces, so the lone sizes plus a small
 * envelope bound it). A lone message is sent as the plain `store` / `store-ack` it was, readable by older
 * tabs. Order is kept within one peer and kind; across kinds and peers it never was promised (the network
 * reorders, and the protocol does not rely on order).
 */
import { limits } from '../core/limits.js';
import { storesPerMessageMax, type Message, type MessageOf } from '../core/messages.js';
import type { NodeId } from '../core/types.js';

type Batchable = MessageOf<'store'> | MessageOf<'store-ack'>;

/** Bytes a batch adds beyond its entries: envelope (2), union tag (1), entry count (at most 3). */
const batchOverheadBytes = 8;

interface Pending {
  readonly to: NodeId;
  readonly messages: Batchable[];
  /** Each message encoded alone: sent as is when it travels alone, and its size bounds its batch entry. */
  readonly encoded: Uint8Array[];
}

export type Sender = (to: NodeId, message: Message, bytes: Uint8Array) => void;
export type Encoder = (message: Message) => { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: string };

export function isBatchable(message: Message): message is Batchable {
  return message.type === 'store' || message.type === 'store-ack';
}

export class StoreCoalescer {
  /** By peer and kind, in the order first queued. */
  private readonly pending = new Map<string, Pending>();

  /** Queues a store or store-ack (already encoded alone) for `to` until the next flush. */
  add(to: NodeId, message: Batchable, encoded: Uint8Array): void {
    const slot = `${message.type}\u0000${to}`;
    let pending = this.pending.get(slot);
    if (pending === undefined) {
      pending = { to, messages: [], encoded: [] };
      this.pending.set(slot, pending);
    }
    pending.messages.push(message);
    pending.encoded.push(encoded);
  }

  get size(): number {
    return this.pending.size;
  }

  /** Sends everything queued: lone messages as they were, runs of several as batches within the bounds. */
  flush(encode: Encoder, send: Sender): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const pending of all) {
      for (const [from, to] of runs(pending.encoded)) sendRun(pending, from, to, encode, send);
    }
  }
}

/** Splits a peer's queue into runs [from, to) that fit one message each. */
function runs(encoded: readonly Uint8Array[]): [number, number][] {
  const out: [number, number][] = [];
  let from = 0;
  let bytes = batchOverheadBytes;
  for (let i = 0; i < encoded.length; i++) {
    const size = encoded[i]?.length ?? 0;
    if (i > from && (i - from >= storesPerMessageMax || bytes + size > limits.messageBytesMax)) {
      out.push([from, i]);
      from = i;
      bytes = batchOverheadBytes;
    }
    bytes += size;
  }
  if (from < encoded.length) out.push([from, encoded.length]);
  return out;
}

function sendRun(pending: Pending, from: number, to: number, encode: Encoder, send: Sender): void {
  const lone = (i: number) => {
    const message = pending.messages[i];
    const bytes = pending.encoded[i];
    if (message !== undefined && bytes !== undefined) send(pending.to, message, bytes);
  };
  if (to - from === 1) return lone(from);
  const batch = batchOf(pending.messages.slice(from, to));
  const encoded = encode(batch);
  // The bounds above make this unreachable; should a batch still not encode, its entries go alone.
  if (!encoded.ok) {
    for (let i = from; i < to; i++) lone(i);
    return;
  }
  send(pending.to, batch, encoded.bytes);
}

/** One batch message of messages all of one kind (the queue is per kind). */
function batchOf(messages: readonly Batchable[]): Message {
  const stores: Omit<MessageOf<'store'>, 'type'>[] = [];
  const acks: Omit<MessageOf<'store-ack'>, 'type'>[] = [];
  for (const message of messages) {
    if (message.type === 'store') {
      const { type: _type, ...entry } = message;
      stores.push(entry);
    } else {
      const { type: _type, ...entry } = message;
      acks.push(entry);
    }
  }
  return stores.length > 0 ? { type: 'store-batch', stores } : { type: 'store-ack-batch', acks };
}
