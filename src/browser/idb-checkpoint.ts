/**
 * The checkpoint's rows (idb-store schema 3): the index entries (store-index.KeyEntry: a key's sibling set
 * with its partition bits, bucket, leaf digest and leaf hash) of one key range [lo, hi), so start-up
 * rebuilds the index of a million keys without hashing one (store-index.restoreEntries).
 *
 * A chunk is a cache of the `metas` rows of its range, never the only copy: a row read back may hold
 * anything (a damaged disk, another version of the app), so `decode` checks the shape and a checksum over
 * the range and body, and a chunk that fails is not used (its range is read from `metas`, as without a
 * checkpoint). The body is one JSON string of arrays (field names would be most of its bytes): one large
 * value per few thousand keys is cheap to read back (a getAll of a few strings instead of a million
 * structured-clone objects), and parsing it is most of what start-up still does per key.
 *   entry   = [key, positionTop32, bucket, leafDigest, leafHash, version, ...more versions]
 *   version = [dotActor, dotCounter, [pastActor, pastCounter, ...], valueHash, digest, timestamp, kind, sizeBytes, op?]
 */
import { isHexHash } from '../core/merkle.js';
import type { KeyEntry } from '../core/store-index.js';
import type { VersionMeta } from '../core/types.js';
import type { ChunkRow } from './idb-rows.js';

const encodeVersion = (m: VersionMeta): unknown[] => {
  const past: (string | number)[] = [];
  for (const e of m.past) past.push(e.actor, e.counter);
  const out: unknown[] = [m.dot.actor, m.dot.counter, past, m.valueHash, m.digest, m.timestamp, m.kind, m.sizeBytes];
  if (m.op !== undefined) out.push(m.op);
  return out;
};

export function encode(lo: string, hi: string | null, entries: readonly KeyEntry[]): ChunkRow {
  const body = JSON.stringify(entries.map((e) => [e.key, e.positionTop32, e.bucket, e.leafDigest, e.leafHash, ...e.versions.map(encodeVersion)]));
  return { lo, hi, keys: entries.length, sum: checksum(lo, hi, body), body };
}

/** True when the row has a chunk's shape and its checksum matches (read before deciding what to read). */
export function intact(row: unknown): row is ChunkRow {
  if (typeof row !== 'object' || row === null) return false;
  const r = row as Partial<ChunkRow>;
  return typeof r.lo === 'string' && (r.hi === null || typeof r.hi === 'string') && typeof r.keys === 'number'
    && typeof r.sum === 'number' && typeof r.body === 'string' && checksum(r.lo, r.hi ?? null, r.body) === r.sum;
}

/** The version an encoded one stands for (the shape version.meta makes), or undefined when it is not one. */
function decodeVersion(x: unknown): VersionMeta | undefined {
  if (!Array.isArray(x) || x.length < 8 || x.length > 9) return undefined;
  const [actor, counter, flat, valueHash, digest, timestamp, kind, sizeBytes, op] = x as unknown[];
  if (typeof actor !== 'string' || typeof counter !== 'number' || !Array.isArray(flat) || flat.length % 2 !== 0 || typeof valueHash !== 'string'
    || typeof digest !== 'string' || typeof timestamp !== 'number' || typeof kind !== 'string' || typeof sizeBytes !== 'number'
    || (x.length === 9 && typeof op !== 'string')) return undefined;
  const past: { actor: string; counter: number }[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const a: unknown = flat[i];
    const c: unknown = flat[i + 1];
    if (typeof a !== 'string' || typeof c !== 'number') return undefined;
    past.push({ actor: a, counter: c });
  }
  const meta = { dot: { actor, counter }, past, valueHash, digest, timestamp, kind: kind as VersionMeta['kind'], sizeBytes };
  return typeof op === 'string' ? { ...meta, op } : meta;
}

/**
 * The entries of an intact chunk, or undefined when its body is not what `encode` writes (then the chunk
 * is not used). Every entry's key must lie in [lo, hi): a chunk speaks only for its own range.
 */
export function decode(row: ChunkRow): KeyEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // JSON.parse's documented signal for bad text
    throw error;
  }
  if (!Array.isArray(parsed) || parsed.length !== row.keys) return undefined;
  const out: KeyEntry[] = new Array<KeyEntry>(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const e: unknown = parsed[i];
    if (!Array.isArray(e) || e.length < 6) return undefined;
    const [key, positionTop32, bucket, leafDigest, leafHash] = e as unknown[];
    if (typeof key !== 'string' || key < row.lo || (row.hi !== null && key >= row.hi) || typeof positionTop32 !== 'number'
      || typeof bucket !== 'number' || typeof leafDigest !== 'string' || typeof leafHash !== 'string' || !isHexHash(leafHash)) return undefined;
    const versions: VersionMeta[] = [];
    for (let j = 5; j < e.length; j++) {
      const m = decodeVersion(e[j]);
      if (m === undefined) return undefined;
      versions.push(m);
    }
    out[i] = { key, versions, positionTop32, bucket, leafDigest, leafHash };
  }
  return out;
}

/**
 * cyrb53 (two 32-bit multiply-xor lanes, 53 bits kept) over lo, hi and the body: against accidents (a
 * damaged or truncated row), not an adversary, like every hash of this store. A damaged chunk passes with
 * probability about 2^-53. Cheap: two multiplies per character.
 */
export function checksum(lo: string, hi: string | null, body: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  const feed = (text: string): void => {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
  };
  // Length prefixes: no other (lo, hi, body) reads as the same text.
  feed(`${lo.length}:${lo}|${hi === null ? '-' : `${hi.length}:${hi}`}|`);
  feed(body);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
