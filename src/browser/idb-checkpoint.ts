/**
 * The checkpoint's rows (idb-store schema 3): the index entries (node-io.IndexEntry: a key's sibling set
 * with its partition bits, bucket, leaf digest and leaf hash) of one key range [lo, hi), so start-up
 * rebuilds the index of a million keys without hashing one (store-index-restore.restoreEntries).
 *
 * A chunk is a cache of the metadata of the `versions` rows of its range, never the only copy: a row read
 * back may hold anything (a damaged disk, another version of the app), so `decode` checks the shape and a
 * checksum over the range and body, and a chunk that fails is not used (its range is read from `versions`,
 * as without a checkpoint). The body is one JSON string of arrays (field names would be most of its bytes): one large
 * value per few thousand keys is cheap to read back (a getAll of a few strings instead of a million
 * structured-clone objects), and parsing it is most of what start-up still does per key.
 *   entry   = [key, positionTop32, bucket, leafDigest, leafHash, version, ...more versions]
 *   version = [dotActor, dotCounter, [pastActor, pastCounter, ...], valueHash, digest, timestamp, kind, sizeBytes, op?]
 */
import { isHexHash } from '../core/merkle.js';
import type { IndexEntry } from '../core/node-io.js';
import type { VersionMeta } from '../core/types.js';
import * as cover from './idb-cover.js';
import type { ChunkRow } from './idb-rows.js';

const encodeVersion = (m: VersionMeta): unknown[] => {
  const past: (string | number)[] = [];
  for (const e of m.past) past.push(e.actor, e.counter);
  const out: unknown[] = [m.dot.actor, m.dot.counter, past, m.valueHash, m.digest, m.timestamp, m.kind, m.sizeBytes];
  if (m.op !== undefined) out.push(m.op);
  return out;
};

export function encode(lo: string, hi: string | null, entries: readonly IndexEntry[]): ChunkRow {
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

/**
 * The version an encoded one stands for (the shape version.meta makes), or undefined when it is not one.
 * Indexed reads, not destructuring: this runs a million times at start.
 */
function decodeVersion(x: unknown): VersionMeta | undefined {
  if (!Array.isArray(x) || x.length < 8 || x.length > 9) return undefined;
  const a = x as unknown[];
  const actor = a[0];
  const counter = a[1];
  const flat = a[2];
  const valueHash = a[3];
  const digest = a[4];
  const timestamp = a[5];
  const kind = a[6];
  const sizeBytes = a[7];
  const op = a[8];
  if (typeof actor !== 'string' || typeof counter !== 'number' || !Array.isArray(flat) || flat.length % 2 !== 0 || typeof valueHash !== 'string'
    || typeof digest !== 'string' || typeof timestamp !== 'number' || typeof kind !== 'string' || typeof sizeBytes !== 'number'
    || (a.length === 9 && typeof op !== 'string')) return undefined;
  let past: { actor: string; counter: number }[] = flat as [];
  if (flat.length > 0) {
    past = [];
    for (let i = 0; i < flat.length; i += 2) {
      const pa: unknown = flat[i];
      const pc: unknown = flat[i + 1];
      if (typeof pa !== 'string' || typeof pc !== 'number') return undefined;
      past.push({ actor: pa, counter: pc });
    }
  }
  return typeof op === 'string'
    ? { dot: { actor, counter }, past, valueHash, digest, timestamp, kind: kind as VersionMeta['kind'], sizeBytes, op }
    : { dot: { actor, counter }, past, valueHash, digest, timestamp, kind: kind as VersionMeta['kind'], sizeBytes };
}

/**
 * The entries of an intact chunk, or undefined when its body is not what `encode` writes (then the chunk
 * is not used). Every entry's key must lie in [lo, hi): a chunk speaks only for its own range.
 */
export function decode(row: ChunkRow): IndexEntry[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.body);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // JSON.parse's documented signal for bad text
    throw error;
  }
  if (!Array.isArray(parsed) || parsed.length !== row.keys) return undefined;
  const out: IndexEntry[] = new Array<IndexEntry>(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const e: unknown = parsed[i];
    if (!Array.isArray(e) || e.length < 6) return undefined;
    const key: unknown = e[0];
    const positionTop32: unknown = e[1];
    const bucket: unknown = e[2];
    const leafDigest: unknown = e[3];
    const leafHash: unknown = e[4];
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

/** A chunk start-up uses: its range and entries. */
export interface UsableChunk { readonly lo: string; readonly hi: string | null; readonly entries: IndexEntry[] }

/**
 * The chunks start-up can use, of all chunk rows in key order (a getAll): intact, decodable, and
 * overlapping no other row. Compaction never leaves two overlapping rows, but if it ever did, neither
 * could be trusted (each one's build cleared the journal of its own range), so both ranges are read from
 * `versions` as gaps. `skipped` counts the rows left unused.
 */
export function usable(rows: readonly ChunkRow[]): { chunks: UsableChunk[]; skipped: number } {
  const overlapping = new Set<number>();
  for (let i = 0; i < rows.length; i++) {
    for (let j = i + 1; j < rows.length; j++) {
      const a = rows[i] as ChunkRow;
      const b = rows[j] as ChunkRow;
      if (a.hi !== null && a.hi <= b.lo) break; // sorted by lo: no later row starts before a.hi either
      overlapping.add(i).add(j);
    }
  }
  const chunks: UsableChunk[] = [];
  rows.forEach((row, i) => {
    const entries = !overlapping.has(i) && intact(row) ? decode(row) : undefined;
    if (entries !== undefined) chunks.push({ lo: row.lo, hi: row.hi, entries });
  });
  return { chunks, skipped: rows.length - chunks.length };
}

/** True when `key` lies in one of the sorted, non-overlapping chunks. */
export function covers(chunks: readonly UsableChunk[], key: string): boolean {
  const c = chunks[cover.find(chunks, key)];
  return c !== undefined && c.lo <= key && (c.hi === null || key < c.hi);
}

/**
 * cyrb53's mixing (two 32-bit multiply-xor lanes, 53 bits kept) over the UTF-8 bytes of lo, hi and the
 * body, four bytes a step: against accidents (a damaged or truncated row), not an adversary, like every
 * hash of this store. A damaged chunk passes with probability about 2^-53. Word by word because start-up
 * checks every chunk: a step per character cost as much as parsing them.
 */
export function checksum(lo: string, hi: string | null, body: string): number {
  // Length prefixes: no other (lo, hi, body) reads as the same text.
  const text = `${lo.length}:${lo}|${hi === null ? '-' : `${hi.length}:${hi}`}|${body}`;
  const words = utf8Words(text);
  let h1 = 0xdeadbeef ^ words.bytes;
  let h2 = 0x41c6ce57 ^ words.bytes;
  const view = words.view;
  for (let i = 0; i < words.count; i++) {
    const w = view[i] as number;
    h1 = Math.imul(h1 ^ w, 2654435761);
    h2 = Math.imul(h2 ^ w, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const encoder = new TextEncoder();
/** Reused between calls (start-up checks chunk after chunk); grows to the largest chunk seen. */
let scratch = new Uint8Array(1 << 16);

/**
 * The UTF-8 bytes of `text` as 32-bit words (the last one zero-padded), in a scratch buffer valid until
 * the next call. Words are read in the platform's byte order: a checksum is checked where it was written.
 */
function utf8Words(text: string): { view: Int32Array; count: number; bytes: number } {
  const most = 3 * text.length + 4;
  if (scratch.length < most) scratch = new Uint8Array(most + (most >> 1) + 3 & ~3);
  const { written } = encoder.encodeInto(text, scratch);
  scratch.fill(0, written, (written + 3) & ~3);
  return { view: new Int32Array(scratch.buffer, 0, scratch.length >> 2), count: (written + 3) >> 2, bytes: written };
}
