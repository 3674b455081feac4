/**
 * Merkle trees for anti-entropy (Dynamo paper section 4.7): one tree per partition over (key, leafDigest)
 * leaves, where leafDigest is siblings.leafDigest of the key's versions.
 *
 * Shape: a fixed tree of `depth` levels below the root with `fanOut` children per node; its
 * `bucketCount` = fanOut^depth leaf buckets each hold the keys whose hash falls in them (bucket = low bits
 * of the key's MD5; the top bits pick the partition, so they are the same for every key of one tree).
 *   - A bucket's hash is the XOR of MD5(key, leafDigest) over its leaves. XOR is order-independent and
 *     updates in O(1) (xor the old leaf out, the new one in). It is a sound set hash here because a key
 *     appears at most once per tree (no pair of equal leaves can cancel) and the leaf hashes are MD5
 *     outputs: two different bucket contents collide with probability about 2^-128. Peers are trusted
 *     (Dynamo's threat model), so nobody crafts collisions.
 *   - An inner node's hash is MD5 of its children's hashes, or all zeros when every child is empty
 *     (so empty subtrees cost nothing and two empty trees agree).
 * An update is O(depth * fanOut) hashing; the tree object is MUTABLE (update changes it in place).
 *
 * The interactive exchange between two nodes, each holding only its own tree (anti-entropy drives it):
 *   1. A sends root(A) (1 hash). Equal roots: done.
 *   2. Level by level, for each inner node whose hashes differed, one side sends childrenHashes of it
 *      (fanOut hashes); the other compares them with its own and descends into the differing children.
 *   3. For each differing bucket, both sides send bucketLeaves (one digest per leaf); each side then knows
 *      exactly which keys differ (missing on one side or different digests) and pushes its versions.
 * `diff` performs the same descent locally and counts every hash and leaf digest that exchange sends.
 * On the wire the hashes travel salted and shortened: merkle-wire.ts.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import * as hash from './hash.js';

export const fanOut = 16;
export const depth = 2;
export const bucketCount = fanOut ** depth;
/** Bytes of every node hash and leaf digest (MD5). */
export const hashBytes = hash.md5Bytes;
/** The hash of an empty bucket or subtree, and the root of an empty tree. */
export const emptyHash = '0'.repeat(2 * hashBytes);
const emptyHashBytes = new Uint8Array(hashBytes);

export interface MerkleTree {
  /** Per level 0..depth: node index -> 16-byte hash (absent = empty). Level `depth` holds the buckets. */
  readonly levels: Array<Map<number, Uint8Array>>;
  /** Per bucket: key -> leafDigest. */
  readonly buckets: Map<number, Map<string, string>>;
  size: number;
}

export function create(): MerkleTree {
  return { levels: Array.from({ length: depth + 1 }, () => new Map()), buckets: new Map(), size: 0 };
}

/** The bucket a key's leaf lives in (low bits of its MD5, independent of the partition bits). */
export function bucketOf(key: string): number {
  return bucketOfPosition(hash.keyPosition(key));
}

/** The hash a leaf adds to its bucket's XOR; a stored checkpoint may keep it so start-up need not hash it. */
export function leafHash(key: string, leafDigest: string): Uint8Array {
  return hash.md5(hash.utf8(`${key.length}:${key}|${leafDigest}`));
}

function xorInto(target: Uint8Array, source: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = (target[i] ?? 0) ^ (source[i] ?? 0);
}

const isZero = (bytes: Uint8Array): boolean => bytes.every((b) => b === 0);

/** Recomputes the inner node `index` at `level` from its children. */
function refreshNode(tree: MerkleTree, level: number, index: number): void {
  const children = tree.levels[level + 1] as Map<number, Uint8Array>;
  const buf = new Uint8Array(16 * fanOut);
  let any = false;
  for (let c = 0; c < fanOut; c++) {
    const child = children.get(index * fanOut + c);
    if (child !== undefined) {
      buf.set(child, 16 * c);
      any = true;
    }
  }
  const nodes = tree.levels[level] as Map<number, Uint8Array>;
  if (any) nodes.set(index, hash.md5(buf));
  else nodes.delete(index);
}

/** Recomputes the inner nodes above a bucket, up to the root. */
function refreshPath(tree: MerkleTree, bucket: number): void {
  let index = bucket;
  for (let level = depth - 1; level >= 0; level--) {
    index = Math.floor(index / fanOut);
    refreshNode(tree, level, index);
  }
}

/** Recomputes the inner nodes above many buckets, each node once (a bulk restore touches every bucket). */
function refreshPaths(tree: MerkleTree, buckets: Iterable<number>): void {
  let indexes = new Set(buckets);
  for (let level = depth - 1; level >= 0; level--) {
    const parents = new Set<number>();
    for (const i of indexes) parents.add(Math.floor(i / fanOut));
    for (const p of parents) refreshNode(tree, level, p);
    indexes = parents;
  }
}

/** Sets a key's leaf (leafDigest undefined removes it). O(depth * fanOut). */
export function update(tree: MerkleTree, key: string, leafDigest: string | undefined): void {
  const b = bucketOf(key);
  if (setLeaf(tree, b, key, leafDigest)) refreshPath(tree, b);
}

/**
 * Sets many leaves, each with its bucket (bucketOfPosition of the key's ring position, which the caller
 * has anyway) and, when known, its leafHash as hex (a stored checkpoint keeps it): the same tree as
 * `update` one by one, but each touched bucket's hash is copied once and each inner node above them is
 * hashed once, at the end. Start-up restores every key this way (store-index-restore.restoreAll, restoreEntries).
 */
export function updateMany(tree: MerkleTree, leaves: Iterable<{ readonly key: string; readonly bucket: number; readonly leafDigest: string | undefined; readonly leafHash?: string | undefined }>): void {
  const bucketHashes = tree.levels[depth] as Map<number, Uint8Array>;
  const working = new Map<number, Uint8Array>();
  for (const { key, bucket: b, leafDigest, leafHash: known } of leaves) {
    let keys = tree.buckets.get(b);
    const old = keys?.get(key);
    if (old === leafDigest) continue;
    let acc = working.get(b);
    if (acc === undefined) working.set(b, acc = (bucketHashes.get(b) ?? new Uint8Array(hashBytes)).slice());
    if (old !== undefined) {
      xorInto(acc, leafHash(key, old));
      keys?.delete(key);
      tree.size--;
    }
    if (leafDigest !== undefined) {
      if (known === undefined) xorInto(acc, leafHash(key, leafDigest));
      else xorHexInto(acc, known);
      if (keys === undefined) tree.buckets.set(b, keys = new Map());
      keys.set(key, leafDigest);
      tree.size++;
    }
  }
  for (const [b, acc] of working) {
    const keys = tree.buckets.get(b);
    if (keys !== undefined && keys.size === 0) tree.buckets.delete(b);
    if (isZero(acc) && (keys === undefined || keys.size === 0)) bucketHashes.delete(b);
    else bucketHashes.set(b, acc);
  }
  refreshPaths(tree, working.keys());
}

const hexValues = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) hexValues['0123456789abcdef'.charCodeAt(i)] = i;

/** True for a hex MD5 as leafHash/hash.hex write it (32 lower-case hex digits). */
export function isHexHash(text: string): boolean {
  if (text.length !== 2 * hashBytes) return false;
  for (let i = 0; i < text.length; i++) if ((hexValues[text.charCodeAt(i)] ?? -1) < 0) return false;
  return true;
}

/** XORs a hex hash (isHexHash) into `target` without allocating its bytes. */
function xorHexInto(target: Uint8Array, hex: string): void {
  for (let i = 0; i < target.length; i++) {
    target[i] = (target[i] ?? 0) ^ (((hexValues[hex.charCodeAt(2 * i)] ?? 0) << 4) | (hexValues[hex.charCodeAt(2 * i + 1)] ?? 0));
  }
}

/** The bucket of a ring position (hash.keyPosition): what bucketOf computes from the key. */
export function bucketOfPosition(position: Uint8Array): number {
  return (((position[14] ?? 0) << 8) | (position[15] ?? 0)) % bucketCount;
}

/** Sets the leaf and the bucket's hash, not the inner nodes above it; false when nothing changed. */
function setLeaf(tree: MerkleTree, b: number, key: string, leafDigest: string | undefined): boolean {
  let leaves = tree.buckets.get(b);
  const old = leaves?.get(key);
  if (old === leafDigest) return false;
  const bucketHashes = tree.levels[depth] as Map<number, Uint8Array>;
  const acc = (bucketHashes.get(b) ?? new Uint8Array(16)).slice();
  if (old !== undefined) {
    xorInto(acc, leafHash(key, old));
    leaves?.delete(key);
    tree.size--;
  }
  if (leafDigest !== undefined) {
    xorInto(acc, leafHash(key, leafDigest));
    if (leaves === undefined) {
      leaves = new Map();
      tree.buckets.set(b, leaves);
    }
    leaves.set(key, leafDigest);
    tree.size++;
  }
  if (leaves !== undefined && leaves.size === 0) tree.buckets.delete(b);
  if (isZero(acc) && (leaves === undefined || leaves.size === 0)) bucketHashes.delete(b);
  else bucketHashes.set(b, acc);
  return true;
}

/** The leaf digest of a key, if present. */
export function get(tree: MerkleTree, key: string): string | undefined {
  return tree.buckets.get(bucketOf(key))?.get(key);
}

export function root(tree: MerkleTree): string {
  const r = tree.levels[0]?.get(0);
  return r === undefined ? emptyHash : hash.hex(r);
}

export function size(tree: MerkleTree): number {
  return tree.size;
}

/** True when `index` names a node at inner `level` (0 = root, depth - 1 = parents of buckets). */
export function isInnerNode(level: number, index: number): boolean {
  return Number.isInteger(level) && level >= 0 && level < depth && Number.isInteger(index) && index >= 0 && index < fanOut ** level;
}

/**
 * The raw hashes (hashBytes each, all zeros when empty) of the children of node `index` at `level`
 * (0 = root, depth - 1 = parents of buckets), as anti-entropy sends them. Do not mutate them.
 */
export function childrenHashBytes(tree: MerkleTree, level: number, index: number): Uint8Array[] {
  if (!isInnerNode(level, index)) throw new RangeError(`merkle: no node ${index} at inner level ${level}`);
  const children = tree.levels[level + 1] as Map<number, Uint8Array>;
  return Array.from({ length: fanOut }, (_, c) => children.get(index * fanOut + c) ?? emptyHashBytes);
}

/** The children hashes of node `index` at `level`, as hex (childrenHashBytes for the wire). */
export function childrenHashes(tree: MerkleTree, level: number, index: number): string[] {
  return childrenHashBytes(tree, level, index).map((h) => hash.hex(h));
}

/** A leaf digest (hex MD5, siblings.leafDigest) as hashBytes raw bytes; throws on non-hex. */
export function digestBytes(digest: string): Uint8Array {
  return hexToBytes(digest);
}

/** A leaf digest received as raw bytes, back to the hex form the tree keeps (any bytes are accepted). */
export function digestHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** The leaves of one bucket, sorted by key. */
export function bucketLeaves(tree: MerkleTree, bucketIndex: number): Array<[string, string]> {
  if (!Number.isInteger(bucketIndex) || bucketIndex < 0 || bucketIndex >= bucketCount) throw new RangeError(`merkle: no bucket ${bucketIndex}`);
  return [...(tree.buckets.get(bucketIndex) ?? new Map<string, string>()).entries()].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}

/** The keys whose leaves differ between two trees (sorted), found by the exchange's descent, and its cost. */
export function diff(a: MerkleTree, b: MerkleTree): { keys: string[]; hashesCompared: number } {
  let hashesCompared = 1;
  if (root(a) === root(b)) return { keys: [], hashesCompared };
  let frontier = [0];
  for (let level = 0; level < depth; level++) {
    const next: number[] = [];
    for (const index of frontier) {
      const mine = childrenHashes(a, level, index);
      const theirs = childrenHashes(b, level, index);
      hashesCompared += fanOut;
      mine.forEach((h, c) => {
        if (h !== theirs[c]) next.push(index * fanOut + c);
      });
    }
    frontier = next;
  }
  const keys: string[] = [];
  for (const bucket of frontier) {
    const mine = new Map(bucketLeaves(a, bucket));
    const theirs = new Map(bucketLeaves(b, bucket));
    hashesCompared += mine.size + theirs.size;
    for (const [key, d] of mine) if (theirs.get(key) !== d) keys.push(key);
    for (const key of theirs.keys()) if (!mine.has(key)) keys.push(key);
  }
  return { keys: keys.sort(), hashesCompared };
}
