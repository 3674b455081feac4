/**
 * The checkpoint's rows (idb-store schema 3): the index entries (store-index.KeyEntry: a key's sibling set
 * with its partition bits, bucket, leaf digest and leaf hash) of one key range [lo, hi), so start-up
 * rebuilds the index of a million keys without hashing one (store-index.restoreEntries).
 *
 * A chunk is a cache of the `metas` rows of its range, never the only copy: a row read back may hold
 * anything (a damaged disk, another version of the app), so `decode` checks the shape and a checksum over
 * the range and body, and a chunk that fails is not used (its range is read from `metas`, as without a
 * checkpoint). The body is one JSON string: one large value per few thousand keys is cheap to read back
 * (a getAll of compact strings instead of a million structured-clone objects), and JSON.parse builds the
 * VersionMeta objects the core keeps directly.
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { KeyEntry } from '../core/store-index.js';
import { isMetaShape, type ChunkRow } from './idb-rows.js';

/** One entry in a body: short names, since a million of them are parsed at start. */
interface EncodedEntry { k: string; t: number; b: number; d: string; h: string; v: unknown[] }

export function encode(lo: string, hi: string | null, entries: readonly KeyEntry[]): ChunkRow {
  const body = JSON.stringify(entries.map((e): EncodedEntry => ({ k: e.key, t: e.positionTop32, b: e.bucket, d: e.leafDigest, h: bytesToHex(e.leafHash), v: [...e.versions] })));
  return { lo, hi, keys: entries.length, sum: checksum(lo, hi, body), body };
}

/** True when the row has a chunk's shape and its checksum matches (read before deciding what to read). */
export function intact(row: unknown): row is ChunkRow {
  if (typeof row !== 'object' || row === null) return false;
  const r = row as Partial<ChunkRow>;
  return typeof r.lo === 'string' && (r.hi === null || typeof r.hi === 'string') && typeof r.keys === 'number'
    && typeof r.sum === 'number' && typeof r.body === 'string' && checksum(r.lo, r.hi ?? null, r.body) === r.sum;
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
    const e = parsed[i] as Partial<EncodedEntry> | null;
    if (typeof e !== 'object' || e === null || typeof e.k !== 'string' || e.k < row.lo || (row.hi !== null && e.k >= row.hi)
      || typeof e.t !== 'number' || typeof e.b !== 'number' || typeof e.d !== 'string' || typeof e.h !== 'string'
      || !/^[0-9a-f]{32}$/.test(e.h) || !Array.isArray(e.v) || e.v.length === 0 || !e.v.every(isMetaShape)) return undefined;
    out[i] = { key: e.k, versions: e.v, positionTop32: e.t, bucket: e.b, leafDigest: e.d, leafHash: hexToBytes(e.h) };
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
