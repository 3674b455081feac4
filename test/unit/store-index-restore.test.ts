// store-index-restore.restoreAll (start-up's bulk restore) builds exactly the index that restoring the same rows
// one by one builds: same sibling sets, counts, partitions and Merkle trees, whatever the rows' order.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as storeIndex from '../../src/core/store-index.js';
import * as indexRestore from '../../src/core/store-index-restore.js';
import type { Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

const seed = Number(process.env.SEED ?? 13_005);

function v(actor: string, counter: number, text: string, past: Version['past'] = []): Version {
  return version.make({ dot: { actor, counter }, past, value: version.stringValue(text), timestamp: counter });
}

/** The parts of an index that matter: sibling sets (as digests), counts, partition map and every tree root. */
function view(index: storeIndex.Index): unknown {
  const versions = [...index.versions].map(([k, ms]) => [k, ms.map((m) => m.digest).sort()]).sort();
  const roots = [...index.trees.keys()].sort((a, b) => a - b).map((p) => [p, storeIndex.root(index, p), storeIndex.bucketHashes(index, p)]);
  return { versions, counts: storeIndex.counts(index), partitionOfKey: [...index.partitionOfKey].sort(), roots };
}

const keyArb = fc.constantFrom('k1', 'k2', 'k3', 'k4', 'k5');
const rowArb = fc.tuple(keyArb, fc.constantFrom('a@1', 'b@1'), fc.integer({ min: 1, max: 3 }), fc.constantFrom('x', 'y'), fc.boolean())
  .map(([key, actor, counter, text, seen]) => ({ key, version: v(actor, counter, text, seen ? [{ actor: 'c@1', counter: 1 }] : []) }));

describe('store-index-restore.restoreAll', () => {
  it('equals restoring row by row, in key order or not, with full versions or their metadata', () => {
    fc.assert(fc.property(fc.array(rowArb, { maxLength: 30 }), fc.boolean(), fc.boolean(), (rows, sorted, metas) => {
      const input = (sorted ? [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) : rows)
        .map((r) => ({ key: r.key, version: metas ? version.meta(r.version) : r.version }));
      const one = storeIndex.create(4);
      for (const r of input) storeIndex.restore(one, r.key, r.version);
      const all = storeIndex.create(4);
      indexRestore.restoreAll(all, input);
      expect(view(all)).toEqual(view(one));
    }), { seed, numRuns: 300 });
  });

  it('fills an index that later changes keep consistent (a restored key then applied to)', () => {
    const index = storeIndex.create(8);
    const a = v('a@1', 1, 'x');
    indexRestore.restoreAll(index, [{ key: 'k', version: version.meta(a) }, { key: 'm', version: version.meta(v('b@1', 1, 'y')) }]);
    const later = version.make({ dot: { actor: 'a@1', counter: 2 }, past: [{ actor: 'a@1', counter: 1 }], value: version.stringValue('z'), timestamp: 2 });
    storeIndex.apply(index, 'dvv', 'k', [later], 10);
    const fresh = storeIndex.create(8);
    storeIndex.restore(fresh, 'm', v('b@1', 1, 'y'));
    storeIndex.restore(fresh, 'k', later);
    expect(view(index)).toEqual(view(fresh));
  });
});

// A store's checkpoint keeps each key's entry (store-index-restore.entriesOf) so start-up hashes nothing:
// restoreEntries must build the very index restoreAll builds from the rows, under any partition count,
// also when start-up restores some keys from entries and the rest (changed since) from their rows.
describe('store-index-restore.restoreEntries', () => {
  it('equals restoreAll of the same rows (any Q, any split between entries and rows)', () => {
    const qArb = fc.constantFrom(1, 4, 256);
    fc.assert(fc.property(fc.array(rowArb, { maxLength: 30 }), qArb, fc.array(keyArb, { maxLength: 3 }), (rows, q, changed) => {
      const input = rows.map((r) => ({ key: r.key, version: version.meta(r.version) }));
      const full = storeIndex.create(q);
      indexRestore.restoreAll(full, input);
      // Entries are computed without knowing Q (a checkpoint outlives a repartition).
      const kept = indexRestore.entriesOf(input.filter((r) => !changed.includes(r.key)));
      const fromCheckpoint = storeIndex.create(q);
      indexRestore.restoreEntries(fromCheckpoint, kept);
      indexRestore.restoreAll(fromCheckpoint, input.filter((r) => changed.includes(r.key)));
      expect(view(fromCheckpoint)).toEqual(view(full));
      expect(new Map(fromCheckpoint.versions)).toEqual(new Map(full.versions));
    }), { seed, numRuns: 300 });
  });

  it('reconciles an entry for a key the index already holds, as restore does', () => {
    const a = v('a@1', 1, 'x');
    const b = v('b@1', 1, 'y');
    const index = storeIndex.create(8);
    indexRestore.restoreAll(index, [{ key: 'k', version: version.meta(a) }]);
    indexRestore.restoreEntries(index, indexRestore.entriesOf([{ key: 'k', version: version.meta(b) }, { key: 'm', version: version.meta(a) }]));
    const fresh = storeIndex.create(8);
    for (const [key, x] of [['k', a], ['k', b], ['m', a]] as const) storeIndex.restore(fresh, key, x);
    expect(view(index)).toEqual(view(fresh));
  });

  it('keeps the sibling set restoreAll reconciles (a dominated row of a key is not restored)', () => {
    const old = v('a@1', 1, 'x');
    const newer = v('a@1', 2, 'z', [{ actor: 'a@1', counter: 1 }]);
    const [entry] = indexRestore.entriesOf([{ key: 'k', version: old }, { key: 'k', version: newer }]);
    expect(entry?.versions.map((m) => m.digest)).toEqual([newer.digest]);
  });
});
