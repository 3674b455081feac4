// The value cache in front of both durable stores: after any sequence of committed batches, a load served
// from the cache equals what a read of the disk returns, and a load that raced a commit never fills it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { limits } from '../../src/core/limits.js';
import type { StoreRecord } from '../../src/core/node-io.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';
import * as valueCache from '../../src/runtime/value-cache.js';
import type { Loaded } from '../../src/runtime/store.js';

const v = (value: string, counter: number): Version =>
  version.make({ dot: { actor: 'a@1', counter }, past: [], value: version.stringValue(value), timestamp: 0 });

/** A disk as both stores keep it: rows by (key, digest), read back in digest order. */
function disk() {
  const rows = new Map<string, Version>();
  let reads = 0;
  return {
    apply(records: readonly StoreRecord[]) {
      for (const r of records) {
        if (r.kind === 'put-version') rows.set(`${r.key}\u0000${r.version.digest}`, r.version);
        if (r.kind === 'drop-version') rows.delete(`${r.key}\u0000${r.digest}`);
      }
    },
    read: (key: string) => async (): Promise<Loaded> => {
      reads++;
      const versions = [...rows].filter(([k]) => k.startsWith(`${key}\u0000`)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, x]) => x);
      return { versions, corrupt: 0 };
    },
    reads: () => reads,
  };
}

describe('value cache', () => {
  it('stays current through committed writes and drops: a get after a put is served from memory and equals the disk', async () => {
    const d = disk();
    const cache = valueCache.create(1 << 20);
    const versions = Array.from({ length: 6 }, (_, i) => v(`value ${i}`, i + 1));
    const batches: StoreRecord[][] = [
      [{ kind: 'put-version', key: 'k', version: versions[0]! }],
      [{ kind: 'put-version', key: 'k', version: versions[1]! }, { kind: 'put-version', key: 'other', version: versions[2]! }],
      [{ kind: 'drop-version', key: 'k', digest: versions[0]!.digest }, { kind: 'put-version', key: 'k', version: versions[3]! }],
      [{ kind: 'put-version', key: 'k', version: versions[4]! }, { kind: 'put-version', key: 'k', version: versions[5]! }, { kind: 'drop-version', key: 'k', digest: versions[4]!.digest }],
      [{ kind: 'put-version', key: 'k', version: versions[3]! }], // the same version again: held once
    ];
    await cache.load('k', d.read('k')); // fills the cache (one disk read)
    for (const batch of batches) {
      d.apply(batch);
      cache.committed(batch);
      expect(await cache.load('k', d.read('k'))).toEqual(await d.read('k')());
    }
    // Every load after the first came from memory (the comparisons' own reads are the other 5).
    expect([cache.stats().cacheMisses, cache.stats().cacheHits, d.reads()]).toEqual([1, 5, 6]);
    // A key that was not cached is not filled by a commit: its first load reads the disk.
    expect(await cache.load('other', d.read('other'))).toEqual({ versions: [versions[2]], corrupt: 0 });
    expect(cache.stats().cacheMisses).toBe(2);
  });

  it('a key not cached gets an entry when a step puts its whole set (store-index.apply says so), and every load equals the disk', async () => {
    // Writes as the core makes them: siblings from other writers, descendants replacing some or all.
    const step = fc.record({ key: fc.constantFrom('a', 'b'), writer: fc.constantFrom('w1', 'w2', 'w3'), seesAll: fc.boolean() });
    await fc.assert(fc.asyncProperty(fc.array(fc.array(step, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 8 }), async (batches) => {
      const d = disk();
      const cache = valueCache.create(1 << 20);
      const index = storeIndex.create(8);
      let counter = 0;
      for (const batch of batches) {
        const records: StoreRecord[] = [];
        for (const { key, writer, seesAll } of batch) {
          const held = storeIndex.get(index, key);
          const seen = new Map<string, number>();
          for (const m of seesAll ? held : held.filter((x) => x.dot.actor === writer)) {
            for (const e of [m.dot, ...m.past]) seen.set(e.actor, Math.max(seen.get(e.actor) ?? 0, e.counter));
          }
          const past = [...seen].sort(([a], [b]) => (a < b ? -1 : 1)).map(([actor, c]) => ({ actor, counter: c }));
          const next = version.make({ dot: { actor: writer, counter: ++counter }, past, value: version.stringValue(`${counter}`), timestamp: counter });
          records.push(...storeIndex.apply(index, 'dvv', key, [next], limits.siblingsHardMax).records);
        }
        d.apply(records);
        cache.committed(records);
        for (const key of ['a', 'b']) expect(await cache.load(key, d.read(key))).toEqual(await d.read(key)());
      }
    }), { seed: 20261202, numRuns: 300 });
    // And it does fill: a new key's first put is served from memory.
    const cache = valueCache.create(1 << 20);
    const index = storeIndex.create(8);
    const records = storeIndex.apply(index, 'dvv', 'new', [v('first', 1)], limits.siblingsMax).records;
    cache.committed(records);
    expect(await cache.load('new', () => Promise.reject(new Error('read the disk')))).toEqual({ versions: [v('first', 1)], corrupt: 0 });
  });

  it('never fills the cache with a read that raced a committed write', async () => {
    const d = disk();
    const cache = valueCache.create(1 << 20);
    const first: StoreRecord[] = [{ kind: 'put-version', key: 'k', version: v('old', 1) }];
    d.apply(first);
    const stale = await d.read('k')();
    let finish!: (loaded: Loaded) => void;
    const racing = cache.load('k', () => new Promise<Loaded>((resolve) => { finish = resolve; }));
    const second: StoreRecord[] = [{ kind: 'put-version', key: 'k', version: v('new', 2) }];
    d.apply(second);
    cache.committed(second);
    finish(stale);
    await racing;
    expect(await cache.load('k', d.read('k'))).toEqual(await d.read('k')());
    expect(cache.stats().cacheMisses).toBe(2);
  });
});
