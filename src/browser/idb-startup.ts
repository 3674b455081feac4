/**
 * Start-up's read of a node's database (idb-store.loadAll), in one readonly transaction, so one snapshot:
 * the checkpoint's chunks (idb-checkpoint.ts: index entries that need no hashing), the keys the journal
 * lists as changed since their chunk, the version rows of those keys and of every range no intact chunk
 * covers (their clocks checked against their digests, their values dropped unhashed), the hints and the
 * meta rows. No value is hashed here: a value is verified when it is read (idb-store.load).
 */
import type { IDBPDatabase, IDBPTransaction } from 'idb';
import type { IndexEntry, StoredState } from '../core/node-io.js';
import type { VersionMeta } from '../core/types.js';
import * as checkpoint from './idb-checkpoint.js';
import * as compaction from './idb-compaction.js';
import * as cover from './idb-cover.js';
import { intact, type Schema } from './idb-rows.js';

const readStores = ['chunks', 'journal', 'versions', 'hints', 'meta'] as const;
type ReadTx = IDBPTransaction<Schema, (typeof readStores[number])[], 'readonly'>;

export interface StartupRead {
  readonly state: StoredState;
  /** Version and hint rows left out because they were not intact. */
  readonly corrupt: number;
  /** The checkpoint's cover as read: each chunk with its count of journaled keys, each gap with its rows. */
  readonly segments: cover.Cover;
  /** Chunk rows that were damaged or overlapping: their ranges were read from the version rows instead. */
  readonly skippedChunks: number;
}

/**
 * Reads what start-up needs. The transaction is created before the first await (idb-store counts on it
 * to tell whether a compaction step began after this snapshot). Leaves a performance measure
 * `tabdynamo:loadAll`, so a benchmark (B6) can split start-up into page load, this read, and the rest.
 */
export async function readStoredState(db: IDBPDatabase<Schema>, batchRows: number): Promise<StartupRead> {
  const startedMs = typeof performance === 'undefined' ? undefined : performance.now();
  const tx = db.transaction([...readStores], 'readonly');
  const [chunkRows, journaled, hintRows, epoch, membership] = await Promise.all([
    tx.objectStore('chunks').getAll(), tx.objectStore('journal').getAllKeys(), tx.objectStore('hints').getAll(),
    tx.objectStore('meta').get('epoch'), tx.objectStore('meta').get('membership'),
  ]);
  // Decoded inside the transaction (no await in between), so the gaps below are read from the same snapshot.
  const readMs = now();
  const { chunks, skipped } = checkpoint.usable(chunkRows);
  const decodedMs = now();
  const gaps = cover.gaps(chunks);
  const covered = journaled.filter((key) => checkpoint.covers(chunks, key));
  const versions = tx.objectStore('versions');
  const [gapRows, changedRows] = await Promise.all([
    Promise.all(gaps.map((g) => rowsIn(tx, g.lo, g.hi, batchRows))),
    Promise.all(covered.map((key) => versions.getAll(compaction.keyRows(key)))),
  ]);
  await tx.done;
  const changed = new Set(covered);
  const entries: IndexEntry[] = [];
  for (const c of chunks) for (const e of c.entries) if (!changed.has(e.key)) entries.push(e);
  const dirty = chunks.map(() => 0);
  for (const key of covered) {
    const i = cover.find(chunks, key);
    dirty[i] = (dirty[i] ?? 0) + 1;
  }
  const changedChecked = compaction.checked(changedRows.flat());
  const fromRows = { rows: [...gapRows.flatMap((g) => g.rows), ...changedChecked.rows], corrupt: changedChecked.corrupt + gapRows.reduce((n, g) => n + g.corrupt, 0) };
  const hints = hintRows.filter(intact).map(({ owner, key, version: v }) => ({ owner, key, version: v }));
  const gapSizes = new Map(gaps.map((g, i) => [g.lo, (gapRows[i]?.rows.length ?? 0) + (gapRows[i]?.corrupt ?? 0)]));
  const segments = cover.fromRanges(chunks.map((c, i) => ({ lo: c.lo, hi: c.hi, dirty: dirty[i] ?? 0 })), (lo) => gapSizes.get(lo) ?? 0);
  if (startedMs !== undefined) {
    const phasesMs = { chunksRead: readMs - startedMs, chunksDecoded: decodedMs - readMs, rest: now() - decodedMs };
    performance.measure('tabdynamo:loadAll', { start: startedMs, detail: { entries: entries.length, rows: fromRows.rows.length, phasesMs } });
  }
  const row = typeof membership === 'object' ? membership : undefined;
  const state: StoredState = {
    ...(typeof epoch === 'number' ? { epoch } : {}),
    ...(entries.length > 0 ? { entries } : {}), versions: fromRows.rows, hints,
    ...(row ? { members: row.members, config: row.config } : {}),
  };
  return { state, corrupt: fromRows.corrupt + hintRows.length - hints.length, segments, skippedChunks: skipped };
}

/**
 * The metadata of the intact version rows (compaction.checked) of the keys in [lo, hi), in key order,
 * read in batches of `batchRows` within the caller's transaction (each batch's values dropped before
 * the next is read), and how many rows were not intact.
 */
async function rowsIn(tx: ReadTx, lo: string, hi: string | null, batchRows: number): Promise<{ rows: { key: string; version: VersionMeta }[]; corrupt: number }> {
  const store = tx.objectStore('versions');
  const out: { rows: { key: string; version: VersionMeta }[]; corrupt: number } = { rows: [], corrupt: 0 };
  for (let range = compaction.rowRange(lo, hi); ;) {
    const batch = await store.getAll(range, batchRows);
    const good = compaction.checked(batch);
    for (const row of good.rows) out.rows.push(row);
    out.corrupt += good.corrupt;
    const last = batch[batch.length - 1];
    if (batch.length < batchRows || last === undefined) return out;
    range = hi === null ? IDBKeyRange.lowerBound([last.key, last.digest], true) : IDBKeyRange.bound([last.key, last.digest], [hi], true, true);
  }
}

const now = (): number => (typeof performance === 'undefined' ? 0 : performance.now());
