import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as merkle from '../../src/core/merkle.js';
import * as merkleWire from '../../src/core/merkle-wire.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);
const runs = { seed: fcSeed, numRuns: 100 };

const treeOf = (entries: Iterable<[string, string]>): merkle.MerkleTree => {
  const t = merkle.create();
  for (const [k, d] of entries) merkle.update(t, k, d);
  return t;
};

const leavesArb = fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.constantFrom('d1', 'd2', 'd3'), { maxKeys: 200 });
type Edit = { key: string; digest: string | undefined };
const editsArb = fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 12 }), digest: fc.option(fc.constantFrom('d1', 'd2', 'd4'), { nil: undefined }) }), { maxLength: 20 });

describe('merkle: shape and updates', () => {
  it('exports its shape: fanOut^depth buckets', () => {
    expect(merkle.bucketCount).toBe(merkle.fanOut ** merkle.depth);
  });

  it('an empty tree has the empty root; adding then removing a key returns to it', () => {
    const t = merkle.create();
    expect(merkle.root(t)).toBe(merkle.emptyHash);
    merkle.update(t, 'k', 'd');
    expect(merkle.root(t)).not.toBe(merkle.emptyHash);
    expect(merkle.size(t)).toBe(1);
    merkle.update(t, 'k', undefined);
    expect(merkle.root(t)).toBe(merkle.emptyHash);
    expect(merkle.size(t)).toBe(0);
    expect(t.levels.every((level) => level.size === 0) && t.buckets.size === 0).toBe(true);
  });

  it('the root depends on the leaf set only, not on the order of updates or on overwritten history', () => {
    fc.assert(
      fc.property(leavesArb, editsArb, (leaves, edits) => {
        const direct = treeOf(Object.entries(leaves));
        const viaHistory = treeOf(Object.entries(leaves).reverse());
        for (const e of edits) merkle.update(viaHistory, e.key, e.digest ?? 'x');
        for (const e of edits) merkle.update(viaHistory, e.key, leaves[e.key]);
        expect(merkle.root(viaHistory)).toBe(merkle.root(direct));
        expect(merkle.size(viaHistory)).toBe(Object.keys(leaves).length);
      }),
      runs,
    );
  });
});

describe('merkle: diff, as the network exchange would run it', () => {
  it('finds exactly the keys whose leaves differ, in both directions', () => {
    fc.assert(
      fc.property(leavesArb, editsArb, (leaves, edits) => {
        const a = treeOf(Object.entries(leaves));
        const bLeaves = new Map<string, string>(Object.entries(leaves));
        for (const e of edits as Edit[]) {
          if (e.digest === undefined) bLeaves.delete(e.key);
          else bLeaves.set(e.key, e.digest);
        }
        const b = treeOf(bLeaves);
        const expected = [...new Set([...Object.keys(leaves), ...bLeaves.keys()])].filter((k) => leaves[k] !== bLeaves.get(k)).sort();
        expect(merkle.diff(a, b).keys).toEqual(expected);
        expect(merkle.diff(b, a).keys).toEqual(expected);
        expect(merkle.root(a) === merkle.root(b)).toBe(expected.length === 0);
      }),
      runs,
    );
  });

  it('counts the hashes sent: 1 for equal trees; root + 2 levels of 16 + both buckets\' leaves for one changed key', () => {
    const entries: Array<[string, string]> = Array.from({ length: 1000 }, (_, i) => [`key-${i}`, 'd']);
    const a = treeOf(entries);
    const b = treeOf(entries);
    expect(merkle.diff(a, b)).toEqual({ keys: [], hashesCompared: 1 });
    merkle.update(b, 'key-42', 'changed');
    const bucket = merkle.bucketOf('key-42');
    const leavesInBucket = merkle.bucketLeaves(a, bucket).length;
    expect(merkle.diff(a, b)).toEqual({ keys: ['key-42'], hashesCompared: 1 + merkle.fanOut * merkle.depth + 2 * leavesInBucket });
    expect(merkle.diff(a, b).hashesCompared).toBeLessThan(entries.length / 10); // far fewer than sending every leaf
  });

  it('the exchange pieces answer from one side only: childrenHashes and bucketLeaves', () => {
    const t = treeOf([['a', '1'], ['b', '2']]);
    const top = merkle.childrenHashes(t, 0, 0);
    expect(top.length).toBe(merkle.fanOut);
    expect(top.filter((h) => h !== merkle.emptyHash).length).toBeGreaterThanOrEqual(1);
    const bucket = merkle.bucketOf('a');
    expect(merkle.bucketLeaves(t, bucket)).toContainEqual(['a', '1']);
    expect(merkle.get(t, 'b')).toBe('2');
    expect(() => merkle.childrenHashes(t, merkle.depth, 0)).toThrow(RangeError);
    expect(() => merkle.bucketLeaves(t, merkle.bucketCount)).toThrow(RangeError);
  });
});

describe('merkle: the wire form of hashes and leaf digests', () => {
  it('childrenHashBytes are the raw form of childrenHashes: hashBytes each, zeros for an empty child', () => {
    fc.assert(
      fc.property(leavesArb, (leaves) => {
        const t = treeOf(Object.entries(leaves));
        for (let level = 0; level < merkle.depth; level++) {
          for (let index = 0; index < merkle.fanOut ** level; index += 5) {
            const raw = merkle.childrenHashBytes(t, level, index);
            expect(raw.every((h) => h.length === merkle.hashBytes)).toBe(true);
            expect(raw.map((h) => merkle.digestHex(h))).toEqual(merkle.childrenHashes(t, level, index));
          }
        }
      }),
      runs,
    );
    expect(merkle.childrenHashBytes(merkle.create(), 1, 3).every((h) => h.every((b) => b === 0))).toBe(true);
    expect(() => merkle.childrenHashBytes(merkle.create(), 1, merkle.fanOut)).toThrow(RangeError);
  });

  it.each([
    ['equal bytes', [1, 2, 3], [1, 2, 3], true],
    ['one byte differs', [1, 2, 3], [1, 2, 4], false],
    ['a shorter hash is never equal', [1, 2, 3], [1, 2], false],
    ['empty and empty', [], [], true],
  ])('sameHash: %s', (_name, a, b, same) => {
    expect(merkleWire.sameHash(Uint8Array.from(a), Uint8Array.from(b))).toBe(same);
  });

  it('a hex leaf digest travels as hashBytes raw bytes and comes back the same', () => {
    const digest = merkle.root(treeOf([['k', 'd']]));
    const bytes = merkle.digestBytes(digest);
    expect(bytes.length).toBe(merkle.hashBytes);
    expect(merkle.digestHex(bytes)).toBe(digest);
  });

  it('a wire hash is wireHashBytes of MD5(salt, hash): the same for the same salt, another for another salt', () => {
    const h = merkle.digestBytes(merkle.root(treeOf([['k', 'd']])));
    const s1 = merkleWire.salt(7, 3, 1);
    expect(merkleWire.wireHash(h, s1).length).toBe(merkleWire.wireHashBytes);
    expect(merkleWire.wireHash(h, s1)).toEqual(merkleWire.wireHash(h, merkleWire.salt(7, 3, 1)));
    for (const other of [merkleWire.salt(8, 3, 1), merkleWire.salt(7, 4, 1), merkleWire.salt(7, 3, 2)]) expect(merkleWire.wireHash(h, other)).not.toEqual(merkleWire.wireHash(h, s1));
    expect(merkleWire.sameOnWire(h, merkleWire.wireHash(h, s1), s1)).toBe(true);
    expect(merkleWire.sameOnWire(h, merkleWire.wireHash(h, s1, merkle.hashBytes), s1)).toBe(true); // compared at the width received
    expect([3, 4, 16, 17].map((n) => merkleWire.validWireHash(new Uint8Array(n)))).toEqual([false, true, true, false]);
  });

  it('a collision on the wire depends on the salt, so it does not repeat in the next exchange', () => {
    // At 1 byte, two different hashes look equal under about 1 salt in 256; an unsalted truncation would make
    // them look equal under every salt or none. 4096 exchanges: about 16, and never two in a row here.
    const a = merkle.digestBytes(merkle.root(treeOf([['k', 'd1']])));
    const b = merkle.digestBytes(merkle.root(treeOf([['k', 'd2']])));
    const collided = Array.from({ length: 4096 }, (_, id) => merkleWire.sameOnWire(a, merkleWire.wireHash(b, merkleWire.salt(id, 0, 1), 1), merkleWire.salt(id, 0, 1)));
    const count = collided.filter(Boolean).length;
    expect(count).toBeGreaterThan(4);
    expect(count).toBeLessThan(40);
    expect(collided.some((c, i) => c && collided[i + 1] === true)).toBe(false);
  });
});
