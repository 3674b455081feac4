/**
 * Keeps the idb-store's checkpoint (idb-checkpoint.ts) close to its `versions` rows, in the background: each
 * step rewrites ONE segment of the cover (idb-cover.ts) in ONE readwrite transaction that reads what it
 * needs, computes the entries (store-index-restore.entriesOf: the hashing start-up then skips) and writes them:
 *   - a gap: its first chunkKeys rows become a chunk, the rest stays a gap;
 *   - a chunk with journaled keys: those keys' rows replace their entries (a chunk grown past twice
 *     chunkKeys is split), and its journal entries go.
 * Reading, writing and clearing the journal in one transaction is what keeps a chunk exact: a write to
 * the range commits either before (the step sees it) or after (its journal entry outlives the step).
 * A step holds the store's writes back while it hashes, so it is bounded by chunkKeys rows.
 */
import type { IDBPDatabase, IDBPObjectStore } from 'idb';
import type { IndexEntry } from '../core/node-io.js';
import * as indexRestore from '../core/store-index-restore.js';
import * as checkpoint from './idb-checkpoint.js';
import * as cover from './idb-cover.js';
import * as version from '../core/version.js';
import type { VersionMeta } from '../core/types.js';
import { intactClock, type Schema } from './idb-rows.js';

/** Keys per chunk: about half a megabyte of JSON, and a step's hashing stays within tens of milliseconds. */
export const chunkKeysDefault = 4096;
/** Dirty rows (idb-cover) at which compaction starts; it stops below half of it. */
export const compactRowsMinDefault = 2048;

/** A range of string keys (chunks, journal) [lo, hi). */
export function keyRange(lo: string, hi: string | null): IDBKeyRange {
  return hi === null ? IDBKeyRange.lowerBound(lo) : IDBKeyRange.bound(lo, hi, false, true);
}

/** The version rows ([key, digest]) of the keys in [lo, hi). */
export function rowRange(lo: string, hi: string | null): IDBKeyRange {
  return hi === null ? IDBKeyRange.lowerBound([lo]) : IDBKeyRange.bound([lo], [hi], false, true);
}

/** The rows of one key. */
export function keyRows(key: string): IDBKeyRange {
  return IDBKeyRange.bound([key], [key, []]);
}

/**
 * The metadata of the rows whose clock is intact (idb-rows.intactClock), as restore input, and how many
 * were not; the values are left behind (start-up keeps none).
 */
export function checked(rows: readonly { key: string; digest: string; version: unknown }[]): { rows: { key: string; version: VersionMeta }[]; corrupt: number } {
  const out: { key: string; version: VersionMeta }[] = [];
  for (const row of rows) if (intactClock(row)) out.push({ key: row.key, version: version.meta(row.version) });
  return { rows: out, corrupt: rows.length - out.length };
}

/**
 * Deletes every chunk row overlapping [lo, hi) before a step writes that range: the rows starting in it,
 * and the one starting before it if it reaches into it (its own range then becomes a gap). Two rows must
 * never overlap: start-up could trust neither (usableChunks), and only this keeps that so whatever the
 * store's picture of the cover (idb-cover) believed.
 */
async function dropOverlapping(chunks: IDBPObjectStore<Schema, ('chunks' | 'journal' | 'versions')[], 'chunks', 'readwrite'>, lo: string, hi: string | null): Promise<void> {
  const before = await chunks.openCursor(IDBKeyRange.upperBound(lo, true), 'prev');
  if (before !== null && (before.value.hi === null || before.value.hi > lo)) void before.delete();
  void chunks.delete(keyRange(lo, hi));
}

/** What one step did: version rows with a damaged clock it left out of the checkpoint (the index keeps them out too). */
export interface StepResult { readonly corrupt: number; readonly damagedChunk: boolean }

/** Rewrites the segment with the most dirty rows; undefined when no segment has any. */
export async function step(db: IDBPDatabase<Schema>, segments: cover.Cover, chunkKeys: number): Promise<StepResult | undefined> {
  const segment = cover.worst(segments);
  if (segment === undefined) return undefined;
  return segment.built ? rebuildChunk(db, segments, segment, chunkKeys) : buildGap(db, segments, segment, chunkKeys);
}

async function buildGap(db: IDBPDatabase<Schema>, segments: cover.Cover, gap: cover.Segment, chunkKeys: number): Promise<StepResult> {
  const tx = db.transaction(['chunks', 'journal', 'versions'], 'readwrite');
  const rowsStore = tx.objectStore('versions');
  let rows = await rowsStore.getAll(rowRange(gap.lo, gap.hi), chunkKeys);
  let cut = gap.hi;
  const last = rows[rows.length - 1];
  if (rows.length === chunkKeys && last !== undefined) {
    // The last key's rows may go on past the batch: the chunk ends before it (or, were the batch all one
    // key, just after it).
    const before = rows.filter((r) => r.key < last.key);
    if (before.length > 0) {
      rows = before;
      cut = last.key;
    } else {
      rows = await rowsStore.getAll(keyRows(last.key));
      cut = `${last.key}\u0000`;
    }
  }
  const { rows: good, corrupt } = checked(rows);
  const chunk = checkpoint.encode(gap.lo, cut, indexRestore.entriesOf(good));
  const chunks = tx.objectStore('chunks');
  await dropOverlapping(tx.objectStore('chunks'), gap.lo, cut);
  void chunks.put(chunk);
  void tx.objectStore('journal').delete(keyRange(gap.lo, cut));
  await tx.done;
  const rest: cover.Segment[] = cut === gap.hi ? [] : [{ lo: cut as string, hi: gap.hi, built: false, dirty: Math.max(1, gap.dirty - rows.length) }];
  cover.replace(segments, gap.lo, [{ lo: gap.lo, hi: cut, built: true, dirty: 0 }, ...rest]);
  return { corrupt, damagedChunk: false };
}

async function rebuildChunk(db: IDBPDatabase<Schema>, segments: cover.Cover, segment: cover.Segment, chunkKeys: number): Promise<StepResult> {
  const tx = db.transaction(['chunks', 'journal', 'versions'], 'readwrite');
  const chunks = tx.objectStore('chunks');
  const [row, journaled] = await Promise.all([chunks.get(segment.lo), tx.objectStore('journal').getAllKeys(keyRange(segment.lo, segment.hi))]);
  const entries = row !== undefined && checkpoint.intact(row) && row.hi === segment.hi ? checkpoint.decode(row) : undefined;
  if (entries === undefined) {
    // Gone or damaged since start-up read it: the range becomes a gap, rebuilt from its rows next.
    void chunks.delete(segment.lo);
    await tx.done;
    cover.replace(segments, segment.lo, [{ lo: segment.lo, hi: segment.hi, built: false, dirty: Math.max(1, segment.dirty) }]);
    return { corrupt: 0, damagedChunk: true };
  }
  const rowsStore = tx.objectStore('versions');
  const changedRows = (await Promise.all(journaled.map((key) => rowsStore.getAll(keyRows(key))))).flat();
  await dropOverlapping(chunks, segment.lo, segment.hi);
  const { rows: good, corrupt } = checked(changedRows);
  const changed = new Set(journaled);
  const all = [...entries.filter((e) => !changed.has(e.key)), ...indexRestore.entriesOf(good)].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const pieces = all.length > 2 * chunkKeys ? Math.ceil(all.length / chunkKeys) : 1;
  const parts: cover.Segment[] = [];
  for (let i = 0; i < pieces; i++) {
    const part = all.slice(i * chunkKeys, i === pieces - 1 ? all.length : (i + 1) * chunkKeys);
    const lo = i === 0 ? segment.lo : (part[0] as IndexEntry).key;
    const hi = i === pieces - 1 ? segment.hi : (all[(i + 1) * chunkKeys] as IndexEntry).key;
    void chunks.put(checkpoint.encode(lo, hi, part));
    parts.push({ lo, hi, built: true, dirty: 0 });
  }
  void tx.objectStore('journal').delete(keyRange(segment.lo, segment.hi));
  await tx.done;
  cover.replace(segments, segment.lo, parts);
  return { corrupt, damagedChunk: false };
}
