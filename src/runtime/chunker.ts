/**
 * Chunking of whole messages into data-channel frames, and their bounded reassembly. Pure and
 * deterministic: time comes in as `nowMs` arguments.
 *
 * Frame layout (big-endian): [messageId u32][index u16][count u16][payload]. A message of n bytes becomes
 * max(1, ceil(n / payloadBytes)) frames, where payloadBytes = chunkBytes - headerBytes, so no frame exceeds
 * chunkBytes; an empty message is one frame with an empty payload.
 */
import { limits } from '../core/limits.js';

export const headerBytes = 8;

export interface ChunkOptions {
  /** Largest frame, header included. */
  readonly chunkBytes: number;
}

export const defaultChunkOptions: ChunkOptions = { chunkBytes: limits.dataChannelChunkBytes };

/** Splits one message into frames. Throws on a programmer error (message id out of range, too many chunks). */
export function split(messageId: number, message: Uint8Array, opts: ChunkOptions = defaultChunkOptions): Uint8Array[] {
  if (!Number.isInteger(messageId) || messageId < 0 || messageId > 0xffffffff) throw new Error(`chunker: bad message id ${messageId}`);
  const payloadBytes = opts.chunkBytes - headerBytes;
  if (payloadBytes < 1) throw new Error(`chunker: chunkBytes ${opts.chunkBytes} leaves no room for a payload`);
  const count = Math.max(1, Math.ceil(message.length / payloadBytes));
  if (count > 0xffff) throw new Error(`chunker: a message of ${message.length} bytes needs more than 65535 chunks`);
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const payload = message.subarray(index * payloadBytes, (index + 1) * payloadBytes);
    const frame = new Uint8Array(headerBytes + payload.length);
    const view = new DataView(frame.buffer);
    view.setUint32(0, messageId);
    view.setUint16(4, index);
    view.setUint16(6, count);
    frame.set(payload, headerBytes);
    frames.push(frame);
  }
  return frames;
}

export interface ReassemblyOptions {
  /** Largest whole message accepted. */
  readonly messageBytesMax: number;
  /** Most messages partly received at once (per reassembler, i.e. per peer); past it the frame is refused. */
  readonly partialsMax: number;
  /** A partial message not completed within this long is discarded by sweep(). */
  readonly partialTimeoutMs: number;
}

export const defaultReassemblyOptions: ReassemblyOptions = {
  messageBytesMax: limits.messageBytesMax,
  partialsMax: 4,
  partialTimeoutMs: 30_000,
};

export type Pushed =
  | { readonly kind: 'partial' }
  | { readonly kind: 'complete'; readonly id: number; readonly message: Uint8Array }
  | { readonly kind: 'rejected'; readonly reason: 'malformed' | 'too-large' | 'too-many-partials' | 'inconsistent' };

interface Partial {
  readonly count: number;
  readonly parts: (Uint8Array | undefined)[];
  received: number;
  bytes: number;
  readonly startedMs: number;
}

/** Reassembles the frames of one peer. Frames may arrive in any order; each message is delivered once. */
export interface Reassembler {
  push(frame: Uint8Array, nowMs: number): Pushed;
  /** Discards partial messages older than partialTimeoutMs; returns how many were discarded. */
  sweep(nowMs: number): number;
  /** Messages partly received right now. */
  partials(): number;
}

export function createReassembler(opts: ReassemblyOptions = defaultReassemblyOptions): Reassembler {
  const partials = new Map<number, Partial>();
  return {
    push(frame, nowMs) {
      if (frame.length < headerBytes) return { kind: 'rejected', reason: 'malformed' };
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const id = view.getUint32(0);
      const index = view.getUint16(4);
      const count = view.getUint16(6);
      const payload = frame.subarray(headerBytes);
      if (count === 0 || index >= count) return { kind: 'rejected', reason: 'malformed' };
      if (count === 1) {
        return payload.length > opts.messageBytesMax ? { kind: 'rejected', reason: 'too-large' } : { kind: 'complete', id, message: payload.slice() };
      }
      let partial = partials.get(id);
      if (!partial) {
        if (partials.size >= opts.partialsMax) return { kind: 'rejected', reason: 'too-many-partials' };
        partial = { count, parts: new Array<Uint8Array | undefined>(count).fill(undefined), received: 0, bytes: 0, startedMs: nowMs };
        partials.set(id, partial);
      }
      if (partial.count !== count || partial.parts[index] !== undefined) {
        partials.delete(id);
        return { kind: 'rejected', reason: 'inconsistent' };
      }
      partial.bytes += payload.length;
      if (partial.bytes > opts.messageBytesMax) {
        partials.delete(id);
        return { kind: 'rejected', reason: 'too-large' };
      }
      partial.parts[index] = payload.slice();
      partial.received += 1;
      if (partial.received < count) return { kind: 'partial' };
      partials.delete(id);
      const message = new Uint8Array(partial.bytes);
      let offset = 0;
      for (const part of partial.parts as Uint8Array[]) {
        message.set(part, offset);
        offset += part.length;
      }
      return { kind: 'complete', id, message };
    },
    sweep(nowMs) {
      let discarded = 0;
      for (const [id, partial] of partials) {
        if (nowMs - partial.startedMs >= opts.partialTimeoutMs) {
          partials.delete(id);
          discarded += 1;
        }
      }
      return discarded;
    },
    partials: () => partials.size,
  };
}
