import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as siblings from '../../src/core/siblings.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { Version } from '../../src/core/types.js';
import * as vclock from '../../src/core/vclock.js';
import * as version from '../../src/core/version.js';

const seed = Number(process.env.FC_SEED ?? 20261123);

function v(actor: string, counter: number, text: string, base: ReturnType<typeof vclock.fresh> = []): Version {
  let clock = base;
  for (let i = 0; i < counter; i++) clock = vclock.increment(clock, actor, i);
  return version.make({ clock, value: version.stringValue(text), timestamp: counter });
}

describe('store-index: versions of a key, with the records that make them durable', () => {
  it('stores a new version, ignores it the second time, replaces it with a descendant', () => {
    const index = storeIndex.create(8);
    const a1 = v('a@1', 1, 'x');
    const a2 = v('a@1', 2, 'y');
    expect(storeIndex.apply(index, 'vclock', 'k', [a1], limits.siblingsMax)).toMatchObject({ outcome: 'changed', records: [{ kind: 'put-version', key: 'k' }] });
    expect(storeIndex.apply(index, 'vclock', 'k', [a1], limits.siblingsMax)).toMatchObject({ outcome: 'unchanged', records: [] });
    const r = storeIndex.apply(index, 'vclock', 'k', [a2], limits.siblingsMax);
    expect(r.records).toEqual([{ kind: 'put-version', key: 'k', version: a2 }, { kind: 'drop-version', key: 'k', digest: a1.digest }]);
    expect(storeIndex.get(index, 'k').map((m) => m.digest)).toEqual([a2.digest]);
  });

  it('keeps concurrent versions as siblings and refuses to grow past the bound', () => {
    const index = storeIndex.create(8);
    for (let i = 0; i < limits.siblingsMax; i++) expect(storeIndex.apply(index, 'vclock', 'k', [v(`w${i}@1`, 1, `${i}`)], limits.siblingsMax).outcome).toBe('changed');
    expect(storeIndex.apply(index, 'vclock', 'k', [v('late@1', 1, 'late')], limits.siblingsMax).outcome).toBe('overflow');
    expect(storeIndex.apply(index, 'vclock', 'k', [v('late@1', 1, 'late')], siblings.siblingsHardMax).outcome).toBe('changed');
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
    expect(storeIndex.addHint(index, 'vclock', 'owner', 'k1', [x], limits.siblingsMax, 2)).toMatchObject({ ok: true, records: [{ kind: 'put-hint', owner: 'owner', key: 'k1' }] });
    expect(storeIndex.addHint(index, 'vclock', 'owner', 'k2', [x], limits.siblingsMax, 2).ok).toBe(true);
    expect(storeIndex.addHint(index, 'vclock', 'other', 'k3', [x], limits.siblingsMax, 2)).toEqual({ ok: false, error: 'hint store full (2 hinted versions)' });
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
      for (const [key, ver] of versions) storeIndex.apply(a, 'vclock', key, [ver], siblings.siblingsHardMax);
      for (const [key, ver] of [...versions].reverse()) storeIndex.apply(b, 'vclock', key, [ver], siblings.siblingsHardMax);
      for (let p = 0; p < 4; p++) expect(storeIndex.root(a, p)).toBe(storeIndex.root(b, p));
      storeIndex.apply(b, 'vclock', extraKey, [v('z@1', 1, 'new')], siblings.siblingsHardMax);
      const p = storeIndex.partitionOf(b, extraKey);
      expect(storeIndex.root(a, p)).not.toBe(storeIndex.root(b, p));
      const ha = storeIndex.bucketHashes(a, p);
      const hb = storeIndex.bucketHashes(b, p);
      const differing = ha.flatMap((h, i) => (h === hb[i] ? [] : [i]));
      expect(differing).toEqual([storeIndex.bucketOf(extraKey)]);
    }), { seed, numRuns: 100 });
  });
});
