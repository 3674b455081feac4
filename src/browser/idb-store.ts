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
 * - `loadAll()` (start-up) reads no values: every version has a metadata row (idb-rows.ts MetaRow) in
 *   `metas`, put and deleted in the same transaction as its `versions` row, and start-up reads those in
 *   key-range batches of loadBatchRows. A metadata row's clock is checked against its digest; the value
 *   hash is checked when the value is read, as always (a damaged value is found by `load`, not by start-up).
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction } from 'idb';
import type { ClusterConfig, NodeId, VersionMeta } from '../core/types.js';
import type { MemberView, StoreRecord, StoredState } from '../core/node-io.js';
import * as valueCache from '../runtime/value-cache.js';
import type { Loaded, Store } from '../runtime/store.js';
import { describeError, intact, intactMeta, isVersionShape, metaRow, type HintRow, type MetaRow, type VersionRow } from './idb-rows.js';

export type { Loaded, Store, StoreStats } from '../runtime/store.js';
export { describeError, isVersionShape } from './idb-rows.js';

/**
 * Bumped whenever the object stores change; `upgrade` migrates from every older version.
 * 1: versions, hints, meta. 2: + metas (built from the versions rows on upgrade).
 */
export const schemaVersion = 2;
export const defaultCacheBytesMax = 8 * 1024 * 1024;
/**
 * Metadata rows per getAll at start-up: a million rows in one getAll would be one huge result to clone
 * and hold at once; batches bound that, and in one readonly transaction they still read one snapshot.
 */
export const loadBatchRows = 20_000;

interface MembershipRow { readonly members: readonly MemberView[]; readonly config: ClusterConfig }

interface Schema extends DBSchema {
  versions: { key: [string, string]; value: VersionRow };
  metas: { key: [string, string]; value: MetaRow };
  hints: { key: [string, string, string]; value: HintRow };
  meta: { key: string; value: number | MembershipRow };
}

type UpgradeTx = IDBPTransaction<Schema, ('versions' | 'metas' | 'hints' | 'meta')[], 'versionchange'>;

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

/**
 * Schema 1 -> 2: one metadata row per version row, inside the upgrade's transaction (all or nothing: an
 * interrupted upgrade leaves schema 1, and the next open runs it again). A row of the wrong shape or filed
 * under another digest gets none: start-up then does not index it, as if this replica did not hold it
 * (the corrupt count it would have added at start is lost; `load` still counts such rows). A row whose
 * value is damaged gets one: `load` finds the damage, as it would have before.
 */
async function buildMetas(tx: UpgradeTx): Promise<void> {
  const metas = tx.objectStore('metas');
  for (let cursor = await tx.objectStore('versions').openCursor(); cursor; cursor = await cursor.continue()) {
    const row: unknown = cursor.value;
    const { key, digest, version: v } = row as Partial<VersionRow>;
    if (typeof key === 'string' && isVersionShape(v) && v.digest === digest) void metas.put(metaRow(key, v));
  }
}

export interface OpenOptions {
  readonly nodeId: NodeId;
  /** The signaling room (part of the database name); "default" when omitted. */
  readonly room?: string;
  readonly cacheBytesMax?: number;
  /** Metadata rows per getAll at start-up; loadBatchRows when omitted (tests make it small). */
  readonly loadBatchRows?: number;
  /** Asks the browser to keep this origin's storage under pressure (navigator.storage.persist), once. */
  readonly requestPersistence?: boolean;
}

export async function open(options: OpenOptions): Promise<Store> {
  let db: IDBPDatabase<Schema>;
  let closedBecause: string | undefined;
  try {
    db = await openDB<Schema>(databaseName(options.nodeId, options.room), schemaVersion, {
      async upgrade(database, oldVersion, _newVersion, tx) {
        if (oldVersion < 1) {
          database.createObjectStore('versions', { keyPath: ['key', 'digest'] });
          database.createObjectStore('hints', { keyPath: ['owner', 'key', 'digest'] });
          database.createObjectStore('meta');
        }
        if (oldVersion < 2) {
          database.createObjectStore('metas', { keyPath: ['key', 'digest'] });
          if (oldVersion >= 1) await buildMetas(tx);
        }
      },
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

  async function apply(records: readonly StoreRecord[]): Promise<void> {
    if (records.length === 0) return;
    let tx: WriteTx;
    try {
      tx = db.transaction(['versions', 'metas', 'hints', 'meta'], 'readwrite');
    } catch (error) {
      throw fail(error, `writing ${records.length} records`);
    }
    const requests: Promise<unknown>[] = [];
    try {
      for (const record of records) requests.push(write(tx, record));
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

  /** Every metadata row, in key order, in batches of loadBatchRows within the caller's transaction. */
  async function allMetas(tx: ReadTx): Promise<MetaRow[]> {
    const store = tx.objectStore('metas');
    const rows: MetaRow[] = [];
    const batchRows = options.loadBatchRows ?? loadBatchRows;
    for (let after: [string, string] | undefined; ;) {
      const batch = await store.getAll(after === undefined ? null : IDBKeyRange.lowerBound(after, true), batchRows);
      for (const row of batch) rows.push(row);
      const last = batch[batch.length - 1];
      if (batch.length < batchRows || last === undefined) return rows;
      after = [last.key, last.digest];
    }
  }

  async function loadAll(): Promise<{ state: StoredState; corrupt: number }> {
    // A performance entry, so a benchmark (B6) can split start-up into page load, this read, and the rest.
    const startedMs = typeof performance === 'undefined' ? undefined : performance.now();
    try {
      const tx = db.transaction(['metas', 'hints', 'meta'], 'readonly');
      const [metaRows, hintRows, epoch, membership] = await Promise.all([
        allMetas(tx), tx.objectStore('hints').getAll(),
        tx.objectStore('meta').get('epoch'), tx.objectStore('meta').get('membership'), tx.done,
      ]);
      counters.reads++;
      const versions: { key: string; version: VersionMeta }[] = [];
      for (const row of metaRows) if (intactMeta(row)) versions.push({ key: row.key, version: row.meta });
      const hints = hintRows.filter(intact).map(({ owner, key, version: v }) => ({ owner, key, version: v }));
      const corrupt = metaRows.length - versions.length + hintRows.length - hints.length;
      counters.corrupt += corrupt;
      if (startedMs !== undefined) performance.measure('tabdynamo:loadAll', { start: startedMs, detail: { rows: metaRows.length } });
      const row = typeof membership === 'object' ? membership : undefined;
      const state: StoredState = {
        ...(typeof epoch === 'number' ? { epoch } : {}),
        versions, hints,
        ...(row ? { members: row.members, config: row.config } : {}),
      };
      return { state, corrupt };
    } catch (error) {
      throw fail(error, 'reading the stored state');
    }
  }

  return {
    apply, load, loadHints, loadAll,
    stats: () => ({ ...counters, ...cache.stats(), lastError, persisted }),
    close: () => db.close(),
  };
}

type WriteTx = IDBPTransaction<Schema, ('versions' | 'metas' | 'hints' | 'meta')[], 'readwrite'>;
type ReadTx = IDBPTransaction<Schema, ('metas' | 'hints' | 'meta')[], 'readonly'>;

/** The requests of one record; a version's two rows (value and metadata) always go together. */
function write(tx: WriteTx, record: StoreRecord): Promise<unknown> {
  switch (record.kind) {
    case 'put-version':
      return Promise.all([
        tx.objectStore('versions').put({ key: record.key, digest: record.version.digest, version: record.version }),
        tx.objectStore('metas').put(metaRow(record.key, record.version)),
      ]);
    case 'drop-version':
      return Promise.all([tx.objectStore('versions').delete([record.key, record.digest]), tx.objectStore('metas').delete([record.key, record.digest])]);
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
