/**
 * Loading what storage holds at start into an index (store-index.ts), built for a million keys: from the
 * stored rows (restoreAll), or from the entries a store's checkpoint kept (entriesOf computes them in the
 * background; restoreEntries rebuilds the index from them without hashing a key). Both build the index
 * that `store-index.restore`, row by row, would.
 */
import * as hash from './hash.js';
import * as merkle from './merkle.js';
import type { IndexEntry } from './node-io.js';
import * as siblings from './siblings.js';
import * as storeIndex from './store-index.js';
import type { Version, VersionMeta } from './types.js';

/**
 * Loads everything storage holds at start: the same index as `restore` row by row, built for a million
 * keys. A key's rows usually come together (stores read them in key order) and a key with one version
 * and no earlier entry needs no reconcile; the key's ring position is hashed once for its partition and
 * bucket, and each Merkle bucket's path once for all its keys (merkle.updateMany). Rows of a key that
 * come apart, or several versions of a key, are reconciled as `restore` does.
 */
export function restoreAll(index: storeIndex.Index, rows: Iterable<{ readonly key: string; readonly version: Version | VersionMeta }>): void {
  const leaves = new Map<number, { key: string; bucket: number; leafDigest: string | undefined }[]>();
  let runKey: string | undefined;
  let run: VersionMeta[] = [];
  const flush = (): void => {
    if (runKey === undefined) return;
    const key = runKey;
    const current = storeIndex.get(index, key);
    let metas: readonly VersionMeta[] = run;
    if (current.length > 0 || run.length > 1) {
      const r = storeIndex.reconcileAll('dvv', current, run, Number.POSITIVE_INFINITY);
      if (!r.ok) return;
      metas = r.versions;
    }
    index.versionCount += metas.length - current.length;
    index.versions.set(key, metas);
    const position = hash.keyPosition(key);
    const partition = hash.partitionOfPosition(position, index.partitions);
    index.partitionOfKey.set(key, partition);
    let list = leaves.get(partition);
    if (list === undefined) leaves.set(partition, list = []);
    list.push({ key, bucket: merkle.bucketOfPosition(position), leafDigest: siblings.leafDigest(metas) });
  };
  for (const { key, version: v } of rows) {
    if (key !== runKey) {
      flush();
      runKey = key;
      run = [];
    }
    run.push(storeIndex.metaOf(v));
  }
  flush();
  for (const [partition, list] of leaves) merkle.updateMany(storeIndex.tree(index, partition), list);
}

/**
 * The entries of the keys in `rows` (one per key, in order of first appearance): what restoreAll would
 * build from the same rows into an empty index, with every hash it computes. A store computes them in
 * the background (checkpoint); restoreEntries then rebuilds the index without hashing.
 */
export function entriesOf(rows: Iterable<{ readonly key: string; readonly version: Version | VersionMeta }>): IndexEntry[] {
  const runs = new Map<string, VersionMeta[]>();
  for (const { key, version: v } of rows) {
    const run = runs.get(key);
    if (run === undefined) runs.set(key, [storeIndex.metaOf(v)]);
    else run.push(storeIndex.metaOf(v));
  }
  const out: IndexEntry[] = [];
  for (const [key, run] of runs) {
    // As restoreAll: a lone version is its own set; several are reconciled in order (no bound: all stored).
    const r = run.length > 1 ? storeIndex.reconcileAll('dvv', [], run, Number.POSITIVE_INFINITY) : { ok: true as const, versions: run };
    if (!r.ok || r.versions.length === 0) continue;
    out.push(entryOf(key, r.versions));
  }
  return out;
}

/** The entry of one key holding `versions` (non-empty). */
export function entryOf(key: string, versions: readonly VersionMeta[]): IndexEntry {
  const position = hash.keyPosition(key);
  const leafDigest = siblings.leafDigest(versions);
  if (leafDigest === undefined) throw new RangeError(`store-index: no entry for "${key}" without versions`);
  return { key, versions, positionTop32: hash.positionTop32(position), bucket: merkle.bucketOfPosition(position), leafDigest, leafHash: hash.hex(merkle.leafHash(key, leafDigest)) };
}

/**
 * Loads keys from their entries (entriesOf, kept by a store): the same index as restoreAll of their rows,
 * without hashing a key, a leaf digest or a leaf. An entry for a key the index already holds (restored
 * earlier) is reconciled into it as restore does, and its hashes computed afresh.
 */
export function restoreEntries(index: storeIndex.Index, entries: Iterable<IndexEntry>): void {
  const leaves = new Map<number, { readonly key: string; readonly bucket: number; readonly leafDigest: string | undefined; readonly leafHash?: string }[]>();
  for (const entry of entries) {
    const { key } = entry;
    const current = storeIndex.get(index, key);
    let metas = entry.versions;
    let fresh = true;
    if (current.length > 0) {
      const r = storeIndex.reconcileAll('dvv', current, entry.versions, Number.POSITIVE_INFINITY);
      if (!r.ok) continue;
      metas = r.versions;
      fresh = false;
    }
    index.versionCount += metas.length - current.length;
    index.versions.set(key, metas);
    const partition = hash.partitionOfTop32(entry.positionTop32, index.partitions);
    index.partitionOfKey.set(key, partition);
    let list = leaves.get(partition);
    if (list === undefined) leaves.set(partition, list = []);
    list.push(fresh ? entry : { key, bucket: entry.bucket, leafDigest: siblings.leafDigest(metas) });
  }
  for (const [partition, list] of leaves) merkle.updateMany(storeIndex.tree(index, partition), list);
}
