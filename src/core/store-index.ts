/**
 * What a node holds, in memory: the metadata of every version it stores (values stay in storage), one
 * Merkle tree per partition over (key, leaf digest), and the hinted versions it keeps for other owners.
 * Every change returns the storage records that make it durable; the caller persists them.
 */
import * as hash from './hash.js';
import { limits } from './limits.js';
import * as merkle from './merkle.js';
import type { StoreRecord } from './node-io.js';
import * as siblings from './siblings.js';
import type { NodeId, Version, VersionMeta } from './types.js';
import * as version from './version.js';

/** How versions are reconciled: dotted version vectors, or one of the simulator's broken controls (node.ts). */
export type ConflictMode = 'dvv' | 'plain-vv' | 'lww';

export interface Index {
  /** The partition count Q the trees are cut by; changes only through repartition (kv.configure). */
  partitions: number;
  readonly versions: Map<string, readonly VersionMeta[]>;
  readonly partitionOfKey: Map<string, number>;
  /** One Merkle tree per partition over (key, siblings.leafDigest) leaves (merkle.ts). */
  readonly trees: Map<number, merkle.MerkleTree>;
  readonly hints: Map<NodeId, Map<string, readonly VersionMeta[]>>;
  /** Running count of the versions in `versions` (all keys), kept by every change so counting is O(1). */
  versionCount: number;
  /** Running count of the hinted versions in `hints` (all owners and keys). */
  hintCount: number;
}

export function create(partitions: number): Index {
  return { partitions, versions: new Map(), partitionOfKey: new Map(), trees: new Map(), hints: new Map(), versionCount: 0, hintCount: 0 };
}

/**
 * Cuts the index by a new partition count (a room's kv.configure({ partitions })): every key keeps its
 * versions and every hint stays; only the key -> partition map and the per-partition Merkle trees are
 * rebuilt, O(keys). No records: nothing stored names a partition.
 */
export function repartition(index: Index, partitions: number): void {
  hash.assertPartitionCount(partitions);
  if (partitions === index.partitions) return;
  index.partitions = partitions;
  index.partitionOfKey.clear();
  index.trees.clear();
  for (const [key, metas] of index.versions) merkle.update(tree(index, partitionOf(index, key)), key, siblings.leafDigest(metas));
}

/** What the index holds, from its running counts: O(1), whatever the number of keys. */
export function counts(index: Index): { readonly keys: number; readonly versions: number; readonly hints: number } {
  return { keys: index.versions.size, versions: index.versionCount, hints: index.hintCount };
}

export function partitionOf(index: Index, key: string): number {
  let p = index.partitionOfKey.get(key);
  if (p === undefined) {
    p = hash.partitionOf(key, index.partitions);
    index.partitionOfKey.set(key, p);
  }
  return p;
}

export function get(index: Index, key: string): readonly VersionMeta[] {
  return index.versions.get(key) ?? [];
}

export function tree(index: Index, partition: number): merkle.MerkleTree {
  let t = index.trees.get(partition);
  if (t === undefined) {
    t = merkle.create();
    index.trees.set(partition, t);
  }
  return t;
}

export function bucketOf(key: string): number {
  return merkle.bucketOf(key);
}

/**
 * The raw hashes of the children of each of `parents` (nodes at inner `level` of a partition's tree),
 * merkle.fanOut per parent, in order: what one step of anti-entropy's descent sends. Throws on a node
 * the tree does not have (check with merkle.isInnerNode first).
 */
export function childrenHashes(index: Index, partition: number, level: number, parents: readonly number[]): Uint8Array[] {
  const t = tree(index, partition);
  return parents.flatMap((p) => merkle.childrenHashBytes(t, level, p));
}

/**
 * The hex hash of every bucket of a partition's tree (merkle.bucketCount of them), gathered level by
 * level with merkle.childrenHashes: a whole view for tests and tools (anti-entropy descends instead).
 */
export function bucketHashes(index: Index, partition: number): string[] {
  const t = tree(index, partition);
  const parents = merkle.fanOut ** (merkle.depth - 1);
  const out: string[] = [];
  for (let i = 0; i < parents; i++) out.push(...merkle.childrenHashes(t, merkle.depth - 1, i));
  return out;
}

/** The Merkle root of a partition (equal roots: equal contents, up to MD5 collisions). */
export function root(index: Index, partition: number): string {
  return merkle.root(tree(index, partition));
}

export function bucketLeaves(index: Index, partition: number, bucket: number): { key: string; digest: string }[] {
  if (!Number.isInteger(bucket) || bucket < 0 || bucket >= merkle.bucketCount) return [];
  return merkle.bucketLeaves(tree(index, partition), bucket).map(([key, digest]) => ({ key, digest }));
}

/** Partitions with at least one key held. */
export function nonEmptyPartitions(index: Index): number[] {
  return [...index.trees].filter(([, t]) => merkle.size(t) > 0).map(([p]) => p);
}

function setVersions(index: Index, key: string, metas: readonly VersionMeta[]): void {
  index.versionCount += metas.length - get(index, key).length;
  if (metas.length === 0) index.versions.delete(key);
  else index.versions.set(key, metas);
  merkle.update(tree(index, partitionOf(index, key)), key, siblings.leafDigest(metas));
}

/** Loads one version storage holds (no records: it is already durable). */
export function restore(index: Index, key: string, v: Version | VersionMeta): void {
  const r = siblings.reconcile(get(index, key), metaOf(v), { max: Number.POSITIVE_INFINITY });
  if (r.outcome !== 'overflow') setVersions(index, key, r.versions);
}

/** A version's metadata: what the index keeps of a stored row. */
export const metaOf = (v: Version | VersionMeta): VersionMeta => ('value' in v ? version.meta(v) : v);

export type Applied =
  | { readonly outcome: 'changed' | 'unchanged'; readonly versions: readonly VersionMeta[]; readonly records: readonly StoreRecord[]; readonly added: number; readonly clashes: number }
  | { readonly outcome: 'overflow'; readonly versions: readonly VersionMeta[]; readonly records: readonly []; readonly clashes: 0 };

/**
 * The sibling set after reconciling `incoming` into `current`. In 'lww' mode (the simulator's control
 * only) clocks are ignored and the newest timestamp wins, ties by digest: it loses concurrent writes.
 */
export function reconcileAll<V extends VersionMeta | Version>(mode: ConflictMode, current: readonly V[], incoming: readonly V[], max: number): { ok: true; versions: readonly V[]; clashes: number } | { ok: false } {
  let set = current;
  let clashes = 0;
  for (const v of incoming) {
    if (mode === 'lww') {
      const best = set[0];
      if (best === undefined || v.timestamp > best.timestamp || (v.timestamp === best.timestamp && v.digest > best.digest)) set = [v];
      continue;
    }
    const r = siblings.reconcile(set, v, { max, policy: mode });
    if (r.outcome === 'overflow') return { ok: false };
    set = r.versions;
    clashes += r.clashes;
  }
  return { ok: true, versions: set, clashes };
}

/**
 * Stores versions of a key as a replica. `max` is siblingsMax for a new client write, siblingsHardMax for
 * versions arriving from other nodes (siblings.ts). Returns the records that make the change durable.
 */
export function apply(index: Index, mode: ConflictMode, key: string, incoming: readonly Version[], max: number): Applied {
  const current = get(index, key);
  const byDigest = new Map(incoming.map((v) => [v.digest, v]));
  const r = reconcileAll(mode, current, incoming.map(version.meta), max);
  if (!r.ok) return { outcome: 'overflow', versions: current, records: [], clashes: 0 };
  const before = new Set(current.map((m) => m.digest));
  const after = new Set(r.versions.map((m) => m.digest));
  const records: StoreRecord[] = [];
  let added = 0;
  const wholeSet = r.versions.every((m) => !before.has(m.digest) && byDigest.has(m.digest));
  for (const m of r.versions) {
    const full = byDigest.get(m.digest);
    if (!before.has(m.digest) && full !== undefined) {
      records.push(wholeSet ? { kind: 'put-version', key, version: full, wholeSet } : { kind: 'put-version', key, version: full });
      added++;
    }
  }
  for (const m of current) if (!after.has(m.digest)) records.push({ kind: 'drop-version', key, digest: m.digest });
  if (records.length === 0) return { outcome: 'unchanged', versions: current, records, added, clashes: r.clashes };
  setVersions(index, key, r.versions);
  return { outcome: 'changed', versions: r.versions, records, added, clashes: r.clashes };
}

/** Forgets versions storage could not return intact (failed integrity check): anti-entropy repairs them. */
export function forgetMissing(index: Index, key: string, present: readonly Version[]): StoreRecord[] {
  const keep = new Set(present.map((v) => v.digest));
  const current = get(index, key);
  const gone = current.filter((m) => !keep.has(m.digest));
  if (gone.length === 0) return [];
  setVersions(index, key, current.filter((m) => keep.has(m.digest)));
  return gone.map((m) => ({ kind: 'drop-version', key, digest: m.digest }));
}

export function keysIn(index: Index, partition: number): string[] {
  return [...tree(index, partition).buckets.values()].flatMap((b) => [...b.keys()]);
}

// ---- hints -------------------------------------------------------------------------------------------

export function hintsFor(index: Index, owner: NodeId, key: string): readonly VersionMeta[] {
  return index.hints.get(owner)?.get(key) ?? [];
}

export function restoreHint(index: Index, owner: NodeId, key: string, v: Version): void {
  addHint(index, 'dvv', owner, key, [v], Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
}

/** Keeps versions for an absent owner. Refuses (ok: false) past limits.hintsMax hinted versions in all. */
export function addHint(index: Index, mode: ConflictMode, owner: NodeId, key: string, incoming: readonly Version[], max: number, hintsMax: number = limits.hintsMax):
  { ok: true; records: StoreRecord[] } | { ok: false; error: string } {
  let byKey = index.hints.get(owner);
  const current = byKey?.get(key) ?? [];
  const r = reconcileAll(mode, current, incoming.map(version.meta), max);
  if (!r.ok) return { ok: false, error: 'too many siblings for hint' };
  const grow = r.versions.length - current.length;
  if (index.hintCount + grow > hintsMax) return { ok: false, error: `hint store full (${hintsMax} hinted versions)` };
  const before = new Set(current.map((m) => m.digest));
  const after = new Set(r.versions.map((m) => m.digest));
  const records: StoreRecord[] = [];
  for (const v of incoming) if (after.has(v.digest) && !before.has(v.digest)) records.push({ kind: 'put-hint', owner, key, version: v });
  for (const m of current) if (!after.has(m.digest)) records.push({ kind: 'drop-hint', owner, key, digest: m.digest });
  if (byKey === undefined) {
    byKey = new Map();
    index.hints.set(owner, byKey);
  }
  byKey.set(key, r.versions);
  index.hintCount += grow;
  return { ok: true, records };
}

/**
 * Drops the hinted versions of a key once the owner confirmed EVERY one of them durable; drops none when
 * it confirmed only some (hints that arrived meanwhile): a hint set is a whole per-key sibling set and
 * must not lose its lower dots while it keeps higher ones (dvv.ts invariant). The next handoff sends it all.
 */
export function dropHints(index: Index, owner: NodeId, key: string, confirmed: readonly string[]): StoreRecord[] {
  const byKey = index.hints.get(owner);
  const current = byKey?.get(key);
  if (byKey === undefined || current === undefined) return [];
  const done = new Set(confirmed);
  if (!current.every((m) => done.has(m.digest))) return [];
  const gone = current;
  byKey.delete(key);
  if (byKey.size === 0) index.hints.delete(owner);
  index.hintCount -= gone.length;
  return gone.map((m) => ({ kind: 'drop-hint', owner, key, digest: m.digest }));
}
