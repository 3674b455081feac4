/**
 * The node's durable storage: one IndexedDB database per room and node id (databaseName), because the tabs
 * of one browser share the origin's storage, and `n1` of two rooms are two nodes. Built on `idb`, one small step from the platform.
 *
 * Contract:
 * - `apply(records)` writes one step's records in ONE readwrite transaction and resolves only once it has
 *   committed; it rejects (with a clear Error) if the transaction aborts, e.g. on QuotaExceededError, and
 *   then none of the records is written.
 * - every read checks each version's integrity (version.verify); a version that fails is left out and
 *   counted, as if this replica did not hold it: anti-entropy and read repair bring it back.
 * - `load(key)` goes through the value cache (runtime/value-cache.ts): verified versions, bounded by bytes.
 * - `loadAll()` (start-up; the read itself is idb-startup.ts), once the checkpoint has caught up, reads no
 *   values and hashes nothing per key: a checkpoint (idb-checkpoint.ts: chunks of index entries over key
 *   ranges, each with a checksum) is kept up to date in the background (idb-compaction.ts), and every key
 *   changed since its chunk was written is listed in `journal` (same transaction as the change). Start-up
 *   reads the chunks, and reads from `versions` only the keys the journal lists and the ranges no intact
 *   chunk covers; those rows' clocks are checked against their digests (and hashed by
 *   store-index-restore.restoreAll), their values dropped unhashed.
 *   The value hash is checked when the value is read, as always (a damaged value is found by `load`).
 * - a put version is its `versions` row and its key in `journal`, a dropped one a delete and a journal
 *   row, always in one transaction (schema 4; schema 2 and 3 also kept a `metas` row per version, and a
 *   write transaction's time grows per row: test/bench/idb-tx.ts). The journal row is left out for a key
 *   no checkpoint chunk covers while no compaction step is under way (`journals`): start-up reads such a
 *   key's rows anyway. A store smaller than the compaction threshold has no chunk, so there each version
 *   is one row.
 */
import { deleteDB, openDB, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { NodeId } from '../core/types.js';
import type { StoreRecord, StoredState } from '../core/node-io.js';
import * as valueCache from '../runtime/value-cache.js';
import type { Loaded, Store } from '../runtime/store.js';
import * as compaction from './idb-compaction.js';
import * as cover from './idb-cover.js';
import { describeError, intact, schemaVersion, upgrade, type HintRow, type Schema, type VersionRow } from './idb-rows.js';
import * as startup from './idb-startup.js';

export type { Loaded, Store, StoreStats } from '../runtime/store.js';
export { describeError, isVersionShape, schemaVersion } from './idb-rows.js';

export const defaultCacheBytesMax = 8 * 1024 * 1024;
/**
 * Version rows per getAll at start-up: a million rows in one getAll would be one huge result to clone
 * and hold at once; batches bound that, and in one readonly transaction they still read one snapshot.
 */
export const loadBatchRows = 20_000;

const writeStores = ['versions', 'hints', 'meta', 'journal'] as const;

/**
 * `tabdynamo-<room>.<nodeId>` ('.' is in no id, so room "a-b" with node "c" and room "a" with node "b-c" never
 * share a name). The default room keeps the older name `tabdynamo-<nodeId>`, so databases written before
 * rooms were part of the name stay readable there; those of other rooms are abandoned (they were shared
 * between rooms, which was the bug).
 */
export function databaseName(nodeId: NodeId, room: string = defaultRoom): string {
  return room === defaultRoom ? `tabdynamo-${nodeId}` : `tabdynamo-${room}.${nodeId}`;
}

const defaultRoom = 'default';

export interface OpenOptions {
  readonly nodeId: NodeId;
  /** The signaling room (part of the database name); "default" when omitted. */
  readonly room?: string;
  readonly cacheBytesMax?: number;
  /** Version rows per getAll at start-up; loadBatchRows when omitted (tests make it small). */
  readonly loadBatchRows?: number;
  /** Keys per checkpoint chunk (idb-compaction.chunkKeysDefault when omitted; tests make it small). */
  readonly chunkKeys?: number;
  /** Dirty rows at which the background compaction starts (idb-compaction.compactRowsMinDefault). */
  readonly compactRowsMin?: number;
  /** Asks the browser to keep this origin's storage under pressure (navigator.storage.persist), once. */
  readonly requestPersistence?: boolean;
}

export async function open(options: OpenOptions): Promise<Store> {
  let db: IDBPDatabase<Schema>;
  let closedBecause: string | undefined;
  try {
    db = await openDB<Schema>(databaseName(options.nodeId, options.room), schemaVersion, {
      upgrade: (database, oldVersion) => upgrade(database, oldVersion),
      // Another connection (a wipe, or a newer schema in another tab) needs the database: let it go, and
      // say so in every later storage error.
      blocking() {
        closedBecause = 'another tab deleted or upgraded this database';
        db.close();
      },
      terminated() { closedBecause = 'the browser closed the database connection'; },
    });
  } catch (error) {
    throw describeError(error, `opening ${databaseName(options.nodeId, options.room)}`);
  }
  return createStore(db, options, () => closedBecause);
}

function createStore(db: IDBPDatabase<Schema>, options: OpenOptions, closedBecause: () => string | undefined): Store {
  const cache = valueCache.create(options.cacheBytesMax ?? defaultCacheBytesMax);
  const counters = { transactions: 0, recordsWritten: 0, reads: 0, corrupt: 0, errors: 0 };
  let lastError: string | undefined;
  let persisted: boolean | undefined;
  const chunkKeys = options.chunkKeys ?? compaction.chunkKeysDefault;
  const compactRowsMin = options.compactRowsMin ?? compaction.compactRowsMinDefault;
  /** The checkpoint's cover (idb-cover.ts), known from the first loadAll on. */
  let segments: cover.Cover | undefined;
  let compacting = false;
  let closed = false;
  /** Compaction steps begun so far (each creates its transaction in the same run as this count). */
  let stepsStarted = 0;
  /**
   * The last loadAll's cover may not match the stored chunks (a damaged or overlapping chunk row, or a
   * compaction step begun after its snapshot): every write then journals its key (journals).
   */
  let coverUntrusted = false;

  if (options.requestPersistence && typeof navigator !== 'undefined' && navigator.storage?.persist) {
    navigator.storage.persist().then(
      (granted) => { persisted = granted; },
      (error: unknown) => { lastError = `navigator.storage.persist() failed: ${String(error)}`; },
    );
  }

  function fail(error: unknown, doing: string): Error {
    const why = closedBecause();
    const described = why === undefined ? describeError(error, doing) : new Error(`storage closed: ${why} (${databaseName(options.nodeId, options.room)}), while ${doing}`);
    counters.errors++;
    lastError = described.message;
    return described;
  }

  /**
   * Whether a write of `key` needs its journal entry. Not when the key lies in a gap no chunk covers and
   * no compaction step is under way: start-up reads a gap's rows anyway, and a step that will cover the
   * key with a chunk runs in a transaction created after this write's, so it reads this write's rows
   * (readwrite transactions over shared stores commit in the order they were created; `compacting` stays
   * set until a step's transaction is done). Before the first loadAll every write journals, and so it does
   * after a loadAll that found a damaged or overlapping chunk row (still stored, it could be trusted again
   * once the rows it overlaps are gone), or during which a compaction step began (a rebuild's loadAll, with
   * the previous cover's compaction still running: its snapshot may lack that step's chunk).
   */
  function journals(key: string): boolean {
    if (segments === undefined || compacting || coverUntrusted) return true;
    return segments[cover.find(segments, key)]?.built !== false;
  }

  async function apply(records: readonly StoreRecord[]): Promise<void> {
    if (records.length === 0) return;
    let tx: WriteTx;
    try {
      tx = db.transaction([...writeStores], 'readwrite');
    } catch (error) {
      throw fail(error, `writing ${records.length} records`);
    }
    const requests: Promise<unknown>[] = [];
    try {
      for (const record of records) requests.push(write(tx, record, journals));
    } catch (error) {
      // A request refused at once (bad key, uncloneable value): nothing of the step may be written.
      tx.abort();
      await Promise.allSettled([...requests, tx.done]);
      throw fail(error, `writing ${records.length} records`);
    }
    const results = await Promise.allSettled([...requests, tx.done]);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw fail(tx.error ?? rejected.reason, `writing ${records.length} records`);
    counters.transactions++;
    counters.recordsWritten += records.length;
    cache.committed(records);
    if (segments !== undefined) {
      for (const record of records) if (record.kind === 'put-version' || record.kind === 'drop-version') cover.noteChanged(segments, record.key);
      compactSoon();
    }
  }

  /**
   * Starts the background compaction (idb-compaction.ts) once start-up would hash compactRowsMin rows,
   * and runs it, one segment per transaction, until fewer than half of that remain. A failure stops it and
   * is reported like any storage error; the checkpoint stays exact (only slower to start from).
   */
  function compactSoon(): void {
    const current = segments;
    if (compacting || closed || current === undefined || cover.totalDirty(current) < compactRowsMin) return;
    compacting = true;
    void (async () => {
      try {
        // A later loadAll replaces the cover: this loop then stops (the new cover starts its own).
        while (!closed && segments === current && cover.totalDirty(current) > compactRowsMin / 2) {
          stepsStarted++;
          const done = await compaction.step(db, current, chunkKeys);
          if (done === undefined) break;
          counters.corrupt += done.corrupt;
          if (done.damagedChunk) lastError = 'a checkpoint chunk was damaged: its range is rebuilt from the version rows';
        }
      } catch (error) {
        if (!closed) fail(error, 'writing the checkpoint');
      } finally {
        compacting = false;
      }
    })();
  }

  async function load(key: string): Promise<Loaded> {
    return cache.load(key, () => readVersions(key));
  }

  async function readVersions(key: string): Promise<Loaded> {
    let rows: VersionRow[];
    try {
      rows = await db.getAll('versions', IDBKeyRange.bound([key], [key, []]));
    } catch (error) {
      throw fail(error, `reading key "${key}"`);
    }
    counters.reads++;
    const versions = rows.filter(intact).map((row) => row.version);
    const corrupt = rows.length - versions.length;
    counters.corrupt += corrupt;
    return { versions, corrupt };
  }

  async function loadHints(owner: NodeId, key: string): Promise<Loaded> {
    let rows: HintRow[];
    try {
      rows = await db.getAll('hints', IDBKeyRange.bound([owner, key], [owner, key, []]));
    } catch (error) {
      throw fail(error, `reading hints of "${key}" for ${owner}`);
    }
    counters.reads++;
    const versions = rows.filter(intact).map((row) => row.version);
    counters.corrupt += rows.length - versions.length;
    return { versions, corrupt: rows.length - versions.length };
  }

  async function loadAll(): Promise<{ state: StoredState; corrupt: number }> {
    try {
      const stepsAtSnapshot = stepsStarted; // readStoredState creates its transaction before its first await
      const read = await startup.readStoredState(db, options.loadBatchRows ?? loadBatchRows);
      counters.reads++;
      counters.corrupt += read.corrupt;
      if (read.skippedChunks > 0) lastError = `${read.skippedChunks} checkpoint chunks were damaged or overlapping: their ranges were read from the version rows`;
      segments = read.segments;
      coverUntrusted = read.skippedChunks > 0 || stepsStarted !== stepsAtSnapshot;
      compactSoon();
      return { state: read.state, corrupt: read.corrupt };
    } catch (error) {
      throw fail(error, 'reading the stored state');
    }
  }

  return {
    apply, load, loadHints, loadAll,
    stats: () => ({ ...counters, ...cache.stats(), lastError, persisted, ...(segments ? { checkpointLagRows: cover.totalDirty(segments) } : {}) }),
    close: () => {
      closed = true;
      db.close();
    },
  };
}

type WriteTx = IDBPTransaction<Schema, (typeof writeStores[number])[], 'readwrite'>;

/**
 * The requests of one record; a version's rows (its row and, where `journals` says so, its journal entry)
 * always go together.
 */
function write(tx: WriteTx, record: StoreRecord, journals: (key: string) => boolean): Promise<unknown> {
  switch (record.kind) {
    case 'put-version': {
      const row = tx.objectStore('versions').put({ key: record.key, digest: record.version.digest, version: record.version });
      return journals(record.key) ? Promise.all([row, tx.objectStore('journal').put(true, record.key)]) : row;
    }
    case 'drop-version': {
      const row = tx.objectStore('versions').delete([record.key, record.digest]);
      return journals(record.key) ? Promise.all([row, tx.objectStore('journal').put(true, record.key)]) : row;
    }
    case 'put-hint':
      return tx.objectStore('hints').put({ owner: record.owner, key: record.key, digest: record.version.digest, version: record.version });
    case 'drop-hint':
      return tx.objectStore('hints').delete([record.owner, record.key, record.digest]);
    case 'epoch':
      return tx.objectStore('meta').put(record.epoch, 'epoch');
    case 'membership':
      return tx.objectStore('meta').put({ members: record.members, config: record.config }, 'membership');
    default: {
      const never: never = record;
      throw new Error(`idb-store: unknown record ${JSON.stringify(never)}`);
    }
  }
}

/** Deletes a node's whole database (tests, and "forget this node"). Other connections are asked to close. */
export async function wipe(nodeId: NodeId, room?: string): Promise<void> {
  try {
    await deleteDB(databaseName(nodeId, room));
  } catch (error) {
    throw describeError(error, `deleting ${databaseName(nodeId, room)}`);
  }
}
