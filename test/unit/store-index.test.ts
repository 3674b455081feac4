import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as siblings from '../../src/core/siblings.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

const seed = Number(process.env.FC_SEED ?? 20261123);

function v(actor: string, counter: number, text: string): Version {
  const past = counter > 1 ? [{ actor, counter: counter - 1 }] : [];
  return version.make({ dot: { actor, counter }, past, value: version.stringValue(text), timestamp: counter });
}

describe('store-index: versions of a key, with the records that make them durable', () => {
  it('stores a new version, ignores it the second time, replaces it with a descendant', () => {
    const index = storeIndex.create(8);
    const a1 = v('a@1', 1, 'x');
    const a2 = v('a@1', 2, 'y');
    expect(storeIndex.apply(index, 'dvv', 'k', [a1], limits.siblingsMax)).toMatchObject({ outcome: 'changed', records: [{ kind: 'put-version', key: 'k' }] });
    expect(storeIndex.apply(index, 'dvv', 'k', [a1], limits.siblingsMax)).toMatchObject({ outcome: 'unchanged', records: [] });
    const r = storeIndex.apply(index, 'dvv', 'k', [a2], limits.siblingsMax);
    // a2 replaces every version the key held: the value cache may start the key's entry from it.
    expect(r.records).toEqual([{ kind: 'put-version', key: 'k', version: a2, wholeSet: true }, { kind: 'drop-version', key: 'k', digest: a1.digest }]);
    expect(storeIndex.get(index, 'k').map((m) => m.digest)).toEqual([a2.digest]);
  });

  it('keeps concurrent versions as siblings and refuses to grow past the bound', () => {
    const index = storeIndex.create(8);
    for (let i = 0; i < limits.siblingsMax; i++) expect(storeIndex.apply(index, 'dvv', 'k', [v(`w${i}@1`, 1, `${i}`)], limits.siblingsMax).outcome).toBe('changed');
    expect(storeIndex.apply(index, 'dvv', 'k', [v('late@1', 1, 'late')], limits.siblingsMax).outcome).toBe('overflow');
    expect(storeIndex.apply(index, 'dvv', 'k', [v('late@1', 1, 'late')], siblings.siblingsHardMax).outcome).toBe('changed');
  });

  it('last-write-wins mode keeps only the newest timestamp (the control that loses writes)', () => {
    const index = storeIndex.create(8);
    storeIndex.apply(index, 'lww', 'k', [v('a@1', 3, 'newer')], limits.siblingsMax);
    storeIndex.apply(index, 'lww', 'k', [v('b@1', 1, 'older but concurrent')], limits.siblingsMax);
    expect(storeIndex.get(index, 'k')).toHaveLength(1);
    expect(storeIndex.get(index, 'k')[0]?.timestamp).toBe(3);
  });
});

describe('store-index: hints', () => {
  it('keeps hints per owner, refuses past the bound, drops what the owner confirmed', () => {
    const index = storeIndex.create(8);
    const x = v('a@1', 1, 'x');
    expect(storeIndex.addHint(index, 'dvv', 'owner', 'k1', [x], limits.siblingsMax, 2)).toMatchObject({ ok: true, records: [{ kind: 'put-hint', owner: 'owner', key: 'k1' }] });
    expect(storeIndex.addHint(index, 'dvv', 'owner', 'k2', [x], limits.siblingsMax, 2).ok).toBe(true);
    expect(storeIndex.addHint(index, 'dvv', 'other', 'k3', [x], limits.siblingsMax, 2)).toEqual({ ok: false, error: 'hint store full (2 hinted versions)' });
    expect(index.hintCount).toBe(2);
    expect(storeIndex.dropHints(index, 'owner', 'k1', [x.digest])).toEqual([{ kind: 'drop-hint', owner: 'owner', key: 'k1', digest: x.digest }]);
    expect(index.hintCount).toBe(1);
    expect(storeIndex.dropHints(index, 'owner', 'k1', [x.digest])).toEqual([]);
  });
});

describe("store-index: Merkle trees per partition (merkle.ts)", () => {
  const entries = fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.string({ maxLength: 4 })), { maxLength: 40 });

  it('the same versions in any order give the same roots; a changed key changes exactly its bucket', () => {
    fc.assert(fc.property(entries, fc.string({ minLength: 1, maxLength: 6 }), (list, extraKey) => {
      const a = storeIndex.create(4);
      const b = storeIndex.create(4);
      const versions = list.map(([key, text]) => [key, v('w@1', 1, text)] as const);
      for (const [key, ver] of versions) storeIndex.apply(a, 'dvv', key, [ver], siblings.siblingsHardMax);
      for (const [key, ver] of [...versions].reverse()) storeIndex.apply(b, 'dvv', key, [ver], siblings.siblingsHardMax);
      for (let p = 0; p < 4; p++) expect(storeIndex.root(a, p)).toBe(storeIndex.root(b, p));
      storeIndex.apply(b, 'dvv', extraKey, [v('z@1', 1, 'new')], siblings.siblingsHardMax);
      const p = storeIndex.partitionOf(b, extraKey);
      expect(storeIndex.root(a, p)).not.toBe(storeIndex.root(b, p));
      const ha = storeIndex.bucketHashes(a, p);
      const hb = storeIndex.bucketHashes(b, p);
      const differing = ha.flatMap((h, i) => (h === hb[i] ? [] : [i]));
      expect(differing).toEqual([storeIndex.bucketOf(extraKey)]);
    }), { seed, numRuns: 100 });
  });
});

describe('store-index: running counts', () => {
  /** The counts the slow way: walking every key and every hint. */
  function recount(index: storeIndex.Index): { keys: number; versions: number; hints: number } {
    let versions = 0;
    for (const metas of index.versions.values()) versions += metas.length;
    let hints = 0;
    for (const byKey of index.hints.values()) for (const metas of byKey.values()) hints += metas.length;
    return { keys: index.versions.size, versions, hints };
  }

  const keyArb = fc.constantFrom('k1', 'k2', 'k3', 'k4');
  const versionArb = fc.tuple(fc.constantFrom('a@1', 'b@1', 'c@1'), fc.integer({ min: 1, max: 3 }), fc.constantFrom('x', 'y')).map(([actor, counter, text]) => v(actor, counter, text));
  const ownerArb = fc.constantFrom('o1', 'o2');
  const opArb = fc.oneof(
    fc.record({ op: fc.constant('apply' as const), mode: fc.constantFrom('dvv' as const, 'lww' as const), key: keyArb, versions: fc.array(versionArb, { minLength: 1, maxLength: 3 }), max: fc.constantFrom(2, limits.siblingsMax) }),
    fc.record({ op: fc.constant('restore' as const), key: keyArb, version: versionArb }),
    fc.record({ op: fc.constant('forget' as const), key: keyArb, keep: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('hint' as const), owner: ownerArb, key: keyArb, versions: fc.array(versionArb, { minLength: 1, maxLength: 3 }), hintsMax: fc.constantFrom(3, limits.hintsMax) }),
    fc.record({ op: fc.constant('restore-hint' as const), owner: ownerArb, key: keyArb, version: versionArb }),
    fc.record({ op: fc.constant('drop-hints' as const), owner: ownerArb, key: keyArb, confirm: fc.integer({ min: 0, max: 3 }) }),
  );

  it('keys, versions and hints equal a full recount after any sequence of changes', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const index = storeIndex.create(4);
      for (const o of ops) {
        switch (o.op) {
          case 'apply': storeIndex.apply(index, o.mode, o.key, o.versions, o.max); break;
          case 'restore': storeIndex.restore(index, o.key, o.version); break;
          // Storage returned only some of the versions (the first `keep` of them, rebuilt from their metadata's digests).
          case 'forget': storeIndex.forgetMissing(index, o.key, storeIndex.get(index, o.key).slice(0, o.keep) as unknown as Version[]); break;
          case 'hint': storeIndex.addHint(index, 'dvv', o.owner, o.key, o.versions, limits.siblingsMax, o.hintsMax); break;
          case 'restore-hint': storeIndex.restoreHint(index, o.owner, o.key, o.version); break;
          case 'drop-hints': storeIndex.dropHints(index, o.owner, o.key, storeIndex.hintsFor(index, o.owner, o.key).slice(0, o.confirm).map((m) => m.digest)); break;
          default: { const never: never = o; throw new Error(`unknown op ${JSON.stringify(never)}`); }
        }
        expect(storeIndex.counts(index)).toEqual(recount(index));
      }
    }), { seed, numRuns: 300 });
  });
});
