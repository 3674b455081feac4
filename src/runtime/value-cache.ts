/**
 * The cache both durable stores put in front of their version reads (IndexedDB in tabs, LevelDB in always-on
 * peers): verified versions per key in an LRU bounded by bytes. Contract:
 * - a load that raced a committed write never fills the cache with what it read (a write generation);
 * - a damaged version is never cached, so a repair written later is read from disk;
 * - `committed(records)` brings every cached key a committed batch changed up to date (the batch's
 *   put-version / drop-version records applied to the cached set, in digest order as both stores read
 *   them), so a get right after a put is served from memory and equals what a disk read would return;
 *   a key not cached gets an entry when a step's puts are its whole set (`wholeSet`, store-index.apply).
 */
import type { StoreRecord } from '../core/node-io.js';
import type { Version } from '../core/types.js';
import * as lru from './lru.js';
import type { Loaded } from './store.js';

export interface ValueCache {
  /** The key's versions from the cache, or from `read` (the store's own disk read, which counts itself). */
  load(key: string, read: () => Promise<Loaded>): Promise<Loaded>;
  /** Called after each committed batch. */
  committed(records: readonly StoreRecord[]): void;
  stats(): { readonly cacheHits: number; readonly cacheMisses: number; readonly cacheBytes: number; readonly cacheEntries: number };
}

/** Approximate memory cost of cached versions: the bytes plus a fixed overhead per version. */
function costBytes(versions: readonly Version[]): number {
  return versions.reduce((sum, v) => sum + v.value.bytes.length + 200, 64);
}

export function create(bytesMax: number): ValueCache {
  const cache = lru.create<string, readonly Version[]>(bytesMax);
  let hits = 0;
  let misses = 0;
  // Bumped by every committed write: a load that raced a write must not fill the cache with what it read.
  let writeGeneration = 0;
  return {
    async load(key, read) {
      const cached = cache.get(key);
      if (cached) {
        hits++;
        return { versions: cached, corrupt: 0 };
      }
      misses++;
      const generation = writeGeneration;
      const loaded = await read();
      if (generation === writeGeneration && loaded.corrupt === 0) cache.set(key, loaded.versions, costBytes(loaded.versions));
      return loaded;
    },
    committed(records) {
      writeGeneration++;
      const changed = new Map<string, Version[]>();
      for (const record of records) {
        if (record.kind !== 'put-version' && record.kind !== 'drop-version') continue;
        let versions = changed.get(record.key) ?? cache.get(record.key);
        if (versions === undefined) {
          // Not cached: nothing to keep current, unless the step's puts are the key's whole set (a new key,
          // or a write that replaced every version), so the entry starts from them and a get right after
          // a put is served from memory on every replica, not only where the key was cached before.
          if (record.kind !== 'put-version' || record.wholeSet !== true) continue;
          versions = [];
        }
        const digest = record.kind === 'put-version' ? record.version.digest : record.digest;
        const kept = versions.filter((v) => v.digest !== digest);
        if (record.kind === 'put-version') kept.push(record.version);
        changed.set(record.key, kept.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0)));
      }
      for (const [key, versions] of changed) cache.set(key, versions, costBytes(versions));
    },
    stats: () => ({ cacheHits: hits, cacheMisses: misses, cacheBytes: cache.bytes(), cacheEntries: cache.size() }),
  };
}
