/**
 * chunker: any message survives split + reassembly in any frame order, no frame exceeds chunkBytes, and
 * every bound (size, concurrent partials, stale partials, malformed frames) gives its named rejection.
 * fast-check runs are seeded: FC_SEED=<n> reproduces a failure (fast-check prints the seed).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as chunker from '../../src/runtime/chunker.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);
const runs = { seed: fcSeed, numRuns: 300 };
const small: chunker.ChunkOptions = { chunkBytes: chunker.headerBytes + 5 };
const smallReassembly: chunker.ReassemblyOptions = { messageBytesMax: 1000, partialsMax: 3, partialTimeoutMs: 100 };

function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

describe('chunker: split', () => {
  it.each([
    { n: 0, frames: 1 },
    { n: 1, frames: 1 },
    { n: limits.dataChannelChunkBytes - chunker.headerBytes, frames: 1 },
    { n: limits.dataChannelChunkBytes - chunker.headerBytes + 1, frames: 2 },
    { n: 16 * 1024, frames: 2 },
    { n: 16 * 1024 + 1, frames: 2 },
    { n: 3 * (limits.dataChannelChunkBytes - chunker.headerBytes), frames: 3 },
    { n: limits.messageBytesMax, frames: 65 },
  ])('a message of $n bytes becomes $frames frames of at most dataChannelChunkBytes', ({ n, frames }) => {
    const out = chunker.split(7, bytes(n));
    expect(out.length).toBe(frames);
    expect(out.every((f) => f.length <= limits.dataChannelChunkBytes)).toBe(true);
    expect(out.reduce((sum, f) => sum + f.length - chunker.headerBytes, 0)).toBe(n);
  });

  it('throws on programmer errors: bad message id, chunk too small for a header', () => {
    expect(() => chunker.split(-1, bytes(1))).toThrow(/bad message id/);
    expect(() => chunker.split(2 ** 32, bytes(1))).toThrow(/bad message id/);
    expect(() => chunker.split(1, bytes(1), { chunkBytes: chunker.headerBytes })).toThrow(/no room/);
  });
});

describe('chunker: reassembly', () => {
  it('round-trips any message, frames shuffled and interleaved with other messages (property)', () => {
    const payload = chunker.headerBytes + 5;
    // Lengths around exact multiples of the payload size are the interesting ones: bias towards them.
    const length = fc.oneof(fc.nat({ max: 60 }), fc.nat({ max: 10 }).map((k) => k * (payload - chunker.headerBytes)));
    fc.assert(fc.property(
      fc.array(fc.tuple(length, fc.nat(255)), { minLength: 1, maxLength: 3 }), fc.nat(), (specs, shuffleSeed) => {
        const messages = specs.map(([n, seed]) => bytes(n, seed));
        const frames = messages.flatMap((m, id) => chunker.split(id, m, small));
        const order = shuffled(frames.length, shuffleSeed);
        const r = chunker.createReassembler(smallReassembly);
        const done = new Map<number, Uint8Array>();
        for (const i of order) {
          const frame = frames[i] as Uint8Array;
          const out = r.push(frame, 0);
          if (out.kind === 'rejected') throw new Error(`rejected: ${out.reason}`);
          if (out.kind === 'complete') done.set(new DataView(frame.buffer).getUint32(0), out.message);
        }
        expect([...done.keys()].sort()).toEqual(messages.map((_, id) => id));
        messages.forEach((m, id) => expect(done.get(id)).toEqual(m));
        expect(r.partials()).toBe(0);
      }), runs);
  });

  it('round-trips the real sizes: 1 B, 16 KiB, 16 KiB + 1, 1 MiB', () => {
    const r = chunker.createReassembler();
    for (const n of [1, 16 * 1024, 16 * 1024 + 1, limits.messageBytesMax]) {
      const frames = chunker.split(n, bytes(n, n));
      const outs = frames.map((f) => r.push(f, 0));
      expect(outs.slice(0, -1).every((o) => o.kind === 'partial')).toBe(true);
      const last = outs.at(-1);
      expect(last?.kind).toBe('complete');
      // Buffer.equals: a byte-by-byte toEqual on 1 MiB takes seconds.
      expect(last?.kind === 'complete' && Buffer.from(last.message).equals(bytes(n, n))).toBe(true);
    }
  });

  it('refuses a message larger than messageBytesMax, and forgets it', () => {
    const r = chunker.createReassembler(smallReassembly);
    const frames = chunker.split(1, bytes(1001), small);
    const outs = frames.map((f) => r.push(f, 0));
    expect(outs.filter((o) => o.kind === 'rejected')[0]).toEqual({ kind: 'rejected', reason: 'too-large' });
    expect(r.push(chunker.split(9, bytes(1001), { chunkBytes: 2000 })[0] as Uint8Array, 0)).toEqual({ kind: 'rejected', reason: 'too-large' });
  });

  it('refuses a new message past partialsMax concurrent partial messages', () => {
    const r = chunker.createReassembler(smallReassembly);
    for (const id of [1, 2, 3]) expect(r.push(chunker.split(id, bytes(20), small)[0] as Uint8Array, 0).kind).toBe('partial');
    expect(r.push(chunker.split(4, bytes(20), small)[0] as Uint8Array, 0)).toEqual({ kind: 'rejected', reason: 'too-many-partials' });
    expect(r.push(chunker.split(5, bytes(3), small)[0] as Uint8Array, 0).kind).toBe('complete'); // single frames need no slot
  });

  it('discards stale partial messages on sweep, and only those', () => {
    const r = chunker.createReassembler(smallReassembly);
    r.push(chunker.split(1, bytes(20), small)[0] as Uint8Array, 0);
    r.push(chunker.split(2, bytes(20), small)[0] as Uint8Array, 50);
    expect(r.sweep(99)).toBe(0);
    expect(r.sweep(100)).toBe(1);
    expect(r.partials()).toBe(1);
  });

  it.each([
    { name: 'shorter than a header', frame: new Uint8Array(7), reason: 'malformed' },
    { name: 'count 0', frame: Uint8Array.from([0, 0, 0, 1, 0, 0, 0, 0]), reason: 'malformed' },
    { name: 'index >= count', frame: Uint8Array.from([0, 0, 0, 1, 0, 2, 0, 2, 9]), reason: 'malformed' },
  ])('refuses a malformed frame: $name', ({ frame, reason }) => {
    expect(chunker.createReassembler().push(frame, 0)).toEqual({ kind: 'rejected', reason });
  });

  it('refuses a duplicate or inconsistent frame and drops that message', () => {
    const r = chunker.createReassembler(smallReassembly);
    const frames = chunker.split(1, bytes(20), small);
    r.push(frames[0] as Uint8Array, 0);
    expect(r.push(frames[0] as Uint8Array, 0)).toEqual({ kind: 'rejected', reason: 'inconsistent' });
    expect(r.partials()).toBe(0);
  });
});

/** A seeded permutation of 0..n-1 (Fisher-Yates with a small LCG). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let state = seed >>> 0;
  for (let i = n - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}
