/**
 * The rows of the IndexedDB store (idb-store.ts), its schema version and migrations, the rows' checks, and
 * its error texts. A row read back may hold anything (a damaged disk, another version of the app), so every
 * check starts with the shape.
 */
import type { DBSchema, IDBPDatabase } from 'idb';
import type { MemberView } from '../core/node-io.js';
import * as version from '../core/version.js';
import type { ClusterConfig, NodeId, Version, VersionMeta } from '../core/types.js';

/** One version a node holds as a replica, value included: read on demand (load), verified then. */
export interface VersionRow { readonly key: string; readonly digest: string; readonly version: Version }
/**
 * Schema 2 and 3 kept the same version without its value bytes (version.meta) in a `metas` store beside
 * every VersionRow, so start-up read no values; schema 4 dropped it (a third row per version cost more in
 * every write transaction than it saved at a start-up, which reads the checkpoint). Kept as a type for the
 * migration and the benchmarks.
 */
export interface MetaRow { readonly key: string; readonly digest: string; readonly meta: VersionMeta }
export interface HintRow { readonly owner: NodeId; readonly key: string; readonly digest: string; readonly version: Version }
export interface MembershipRow { readonly members: readonly MemberView[]; readonly config: ClusterConfig }
/**
 * A checkpoint chunk (idb-checkpoint.ts): the index entries of every key in [lo, hi) (hi null: no upper
 * bound), as the version rows of that range were when it was written (their metadata, no values).
 */
export interface ChunkRow {
  readonly lo: string;
  readonly hi: string | null;
  /** Keys in the body. */
  readonly keys: number;
  /** idb-checkpoint.checksum(lo, hi, body). */
  readonly sum: number;
  readonly body: string;
}

/**
 * The object stores (schema 4). `journal` holds (out of line) every key whose versions changed since the
 * chunk covering it was written: written in the same transaction as the change, cleared in the one that
 * rewrites the chunk.
 */
export interface Schema extends DBSchema {
  versions: { key: [string, string]; value: VersionRow };
  hints: { key: [string, string, string]; value: HintRow };
  meta: { key: string; value: number | MembershipRow };
  chunks: { key: string; value: ChunkRow };
  journal: { key: string; value: true };
}

/**
 * Bumped whenever the object stores change; `upgrade` migrates from every older version.
 * 1: versions, hints, meta. 2: + metas (a metadata row per version). 3: + chunks and journal (empty on
 * upgrade: the whole key space is one gap, read from the rows until compaction has covered it). 4: - metas
 * (start-up reads the version rows where it read metas; the checkpoint and journal of schema 3 stay valid).
 */
export const schemaVersion = 4;

/** Creates or migrates the object stores, inside the open's upgrade transaction. */
export function upgrade(database: IDBPDatabase<Schema>, oldVersion: number): void {
  if (oldVersion < 1) {
    database.createObjectStore('versions', { keyPath: ['key', 'digest'] });
    database.createObjectStore('hints', { keyPath: ['owner', 'key', 'digest'] });
    database.createObjectStore('meta');
  }
  if (oldVersion < 3) {
    database.createObjectStore('chunks', { keyPath: 'lo' });
    database.createObjectStore('journal');
  }
  // Schema 2 and 3's metadata rows: every one is the version row's own metadata, and a schema 3
  // checkpoint and journal describe the version rows as well, so they stay and the metas go (all in
  // the upgrade's transaction: an interrupted upgrade leaves the old schema, run again next open).
  const names = database.objectStoreNames as DOMStringList;
  if (oldVersion >= 2 && names.contains('metas')) (database as unknown as IDBDatabase).deleteObjectStore('metas');
}

/** Turns a storage failure into an Error whose message says what happened. */
export function describeError(error: unknown, doing: string): Error {
  const name = error instanceof Error || isDomExceptionLike(error) ? error.name : 'Error';
  const message = error instanceof Error || isDomExceptionLike(error) ? error.message : String(error);
  if (name === 'QuotaExceededError') return new Error(`storage full: QuotaExceededError while ${doing}: ${message}`);
  if (name === 'AbortError') return new Error(`storage transaction aborted while ${doing}: ${message || 'no reason given'}`);
  return new Error(`storage error (${name}) while ${doing}: ${message}`);
}

function isDomExceptionLike(x: unknown): x is { name: string; message: string } {
  return typeof x === 'object' && x !== null && typeof (x as { name?: unknown }).name === 'string'
    && typeof (x as { message?: unknown }).message === 'string';
}

const isEntry = (e: unknown): boolean => typeof e === 'object' && e !== null
  && typeof (e as { actor?: unknown }).actor === 'string' && typeof (e as { counter?: unknown }).counter === 'number';

/** The fields of a version besides its value: dot, past, value hash, digest, timestamp. */
function isClockShape(x: unknown): x is Omit<Version, 'value'> {
  if (typeof x !== 'object' || x === null) return false;
  const v = x as Partial<Version>;
  return isEntry(v.dot) && Array.isArray(v.past) && typeof v.valueHash === 'string' && typeof v.digest === 'string'
    && typeof v.timestamp === 'number' && v.past.every(isEntry);
}

/** Shape check before the integrity check: a damaged row may hold anything. */
export function isVersionShape(x: unknown): x is Version {
  if (!isClockShape(x)) return false;
  const { value } = x as Partial<Version>;
  return typeof value === 'object' && value !== null && typeof value.kind === 'string' && value.bytes instanceof Uint8Array;
}

/** True when the row's version is well formed, intact, and filed under its own digest. */
export function intact(row: { digest: string; version: unknown }): boolean {
  return isVersionShape(row.version) && row.version.digest === row.digest && version.verify(row.version);
}

/**
 * Start-up's check of a version row it reads to rebuild the index (a journaled key, or a range no checkpoint
 * chunk covers): well formed, filed under its own digest, and that digest is the hash of its dot, past,
 * value hash and op id (a damaged clock would mislead reconciliation). The value hash itself is checked
 * only when the key is read (intact): start-up hashes no values.
 */
export function intactClock(row: { digest: string; version: unknown }): row is VersionRow {
  const v = row.version;
  return isVersionShape(v) && v.digest === row.digest && version.digestOf(v.dot, v.past, v.valueHash, v.op) === row.digest;
}

/** The metadata row of a version row (the benchmarks' schema-3 shapes). */
export function metaRow(key: string, v: Version): MetaRow {
  return { key, digest: v.digest, meta: version.meta(v) };
}
