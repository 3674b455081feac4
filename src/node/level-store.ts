/**
 * The headless peer's durable storage: LevelDB through classic-level (as Riak's eLevelDB backend), one
 * database per data directory. It implements the runtime's Store with the IndexedDB store's contract
 * (src/browser/idb-store.ts):
 * - `apply(records)` writes one batch of records atomically with ONE `db.batch()` and `sync: true` (the
 *   write reaches the disk before the promise resolves, so an acknowledgement never runs ahead of it); if
 *   it fails, none of the records is written.
 * - every read checks each version's integrity (version.verify) and that the row is filed under its own
 *   key and digest; a damaged row is left out and counted, as if this replica did not hold it.
 * - `load(key)` goes through an LRU cache of verified values bounded by bytes (runtime/value-cache.ts).
 *
 * Layout (utf8 keys; JSON strings are self-delimiting, so no key's prefix is another key's):
 *   v<JSON key><digest>            -> codec(rowSchema) { key, version }
 *   h<JSON owner><JSON key><digest> -> codec(hintSchema) { owner, key, version }
 *   m:epoch, m:membership           -> JSON
 */
import { ClassicLevel } from 'classic-level';
import * as codec from '../core/codec.js';
import { limits } from '../core/limits.js';
import { versionSchema } from '../core/messages.js';
import type { MemberView, StoreRecord, StoredState } from '../core/node-io.js';
import * as s from '../core/schema.js';
import type { ClusterConfig, NodeId, Version } from '../core/types.js';
import * as version from '../core/version.js';
import * as valueCache from '../runtime/value-cache.js';
import type { Loaded, Store } from '../runtime/store.js';

export const defaultCacheBytesMax = 32 * 1024 * 1024;

const rowSchema = s.object({ key: s.string({ maxBytes: limits.keyBytesMax }), version: versionSchema });
const hintSchema = s.object({ owner: s.string({ maxBytes: limits.idBytesMax }), key: s.string({ maxBytes: limits.keyBytesMax }), version: versionSchema });
// Rows written before versions had an op id end without its presence byte: read them with the old shape.
const { op: _op, ...legacyVersionShape } = versionSchema.shape;
const legacyVersionSchema = s.object(legacyVersionShape);
const legacyRowSchema = s.object({ key: rowSchema.shape.key, version: legacyVersionSchema });
const legacyHintSchema = s.object({ owner: hintSchema.shape.owner, key: hintSchema.shape.key, version: legacyVersionSchema });

export const rowKeys = {
  versionsOf: (key: string) => `v${JSON.stringify(key)}`,
  version: (key: string, digest: string) => `v${JSON.stringify(key)}${digest}`,
  hintsOf: (owner: NodeId, key: string) => `h${JSON.stringify(owner)}${JSON.stringify(key)}`,
  hint: (owner: NodeId, key: string, digest: string) => `h${JSON.stringify(owner)}${JSON.stringify(key)}${digest}`,
  epoch: 'm:epoch',
  membership: 'm:membership',
} as const;

/** Every row key that starts with `prefix` (JSON strings and hex digests never hold U+FFFF). */
const range = (prefix: string) => ({ gte: prefix, lt: `${prefix}\uffff` });

type Db = ClassicLevel<string, Uint8Array>;
type BatchOp = { type: 'put'; key: string; value: Uint8Array } | { type: 'del'; key: string };

export interface LevelStore extends Store {
  /** Closes the database; resolves once LevelDB has closed (its lock is released). */
  close(): Promise<void>;
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes a version row; undefined when damaged: undecodable, filed under another key, or failing its hash. */
function versionRow(rowKey: string, bytes: Uint8Array): { key: string; version: Version } | undefined {
  const current = codec.decode(rowSchema, bytes);
  const decoded = current.ok ? current : codec.decode(legacyRowSchema, bytes);
  if (!decoded.ok) return undefined;
  const { key, version: v } = decoded.value;
  return rowKey === rowKeys.version(key, v.digest) && version.verify(v) ? { key, version: v } : undefined;
}

function hintRow(rowKey: string, bytes: Uint8Array): { owner: NodeId; key: string; version: Version } | undefined {
  const current = codec.decode(hintSchema, bytes);
  const decoded = current.ok ? current : codec.decode(legacyHintSchema, bytes);
  if (!decoded.ok) return undefined;
  const { owner, key, version: v } = decoded.value;
  return rowKey === rowKeys.hint(owner, key, v.digest) && version.verify(v) ? { owner, key, version: v } : undefined;
}

function toOp(record: StoreRecord): BatchOp {
  switch (record.kind) {
    case 'put-version':
      return { type: 'put', key: rowKeys.version(record.key, record.version.digest), value: codec.encode(rowSchema, { key: record.key, version: record.version }) };
    case 'drop-version':
      return { type: 'del', key: rowKeys.version(record.key, record.digest) };
    case 'put-hint':
      return { type: 'put', key: rowKeys.hint(record.owner, record.key, record.version.digest), value: codec.encode(hintSchema, { owner: record.owner, key: record.key, version: record.version }) };
    case 'drop-hint':
      return { type: 'del', key: rowKeys.hint(record.owner, record.key, record.digest) };
    case 'epoch':
      return { type: 'put', key: rowKeys.epoch, value: utf8.encode(JSON.stringify(record.epoch)) };
    case 'membership':
      return { type: 'put', key: rowKeys.membership, value: utf8.encode(JSON.stringify({ members: record.members, config: record.config })) };
    default: {
      const never: never = record;
      throw new Error(`level-store: unknown record ${JSON.stringify(never)}`);
    }
  }
}

function describeError(error: unknown, doing: string, location: string): Error {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`storage error (${code}) while ${doing} in ${location}: ${message}`);
}

export interface OpenOptions {
  /** The LevelDB directory (created if missing). LevelDB locks it: a second process cannot open it. */
  readonly location: string;
  readonly cacheBytesMax?: number;
}

export async function open(options: OpenOptions): Promise<LevelStore> {
  const db: Db = new ClassicLevel<string, Uint8Array>(options.location, { keyEncoding: 'utf8', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    throw describeError(error, `opening the database${cause}`, options.location);
  }
  return createStore(db, options);
}

function createStore(db: Db, options: OpenOptions): LevelStore {
  const cache = valueCache.create(options.cacheBytesMax ?? defaultCacheBytesMax);
  const counters = { transactions: 0, recordsWritten: 0, reads: 0, corrupt: 0, errors: 0 };
  let lastError: string | undefined;

  function fail(error: unknown, doing: string): Error {
    const described = describeError(error, doing, options.location);
    counters.errors++;
    lastError = described.message;
    return described;
  }

  async function apply(records: readonly StoreRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await db.batch(records.map(toOp), { sync: true });
    } catch (error) {
      throw fail(error, `writing ${records.length} records`);
    }
    counters.transactions++;
    counters.recordsWritten += records.length;
    cache.committed(records);
  }

  async function entries(prefix: string, doing: string): Promise<[string, Uint8Array][]> {
    try {
      return await db.iterator(range(prefix)).all();
    } catch (error) {
      throw fail(error, doing);
    }
  }

  async function load(key: string): Promise<Loaded> {
    return cache.load(key, () => readVersions(key));
  }

  async function readVersions(key: string): Promise<Loaded> {
    const rows = await entries(rowKeys.versionsOf(key), `reading key "${key}"`);
    counters.reads++;
    const versions = rows.flatMap(([k, bytes]) => versionRow(k, bytes)?.version ?? []);
    const corrupt = rows.length - versions.length;
    counters.corrupt += corrupt;
    return { versions, corrupt };
  }

  async function loadHints(owner: NodeId, key: string): Promise<Loaded> {
    const rows = await entries(rowKeys.hintsOf(owner, key), `reading hints of "${key}" for ${owner}`);
    counters.reads++;
    const versions = rows.flatMap(([k, bytes]) => hintRow(k, bytes)?.version ?? []);
    counters.corrupt += rows.length - versions.length;
    return { versions, corrupt: rows.length - versions.length };
  }

  async function meta<T>(rowKey: string, valid: (x: unknown) => x is T): Promise<T | undefined> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await db.get(rowKey);
    } catch (error) {
      throw fail(error, `reading ${rowKey}`);
    }
    if (bytes === undefined) return undefined;
    try {
      const parsed: unknown = JSON.parse(fromUtf8.decode(bytes));
      if (valid(parsed)) return parsed;
    } catch (error) {
      throw fail(error, `parsing ${rowKey}`);
    }
    throw fail(new Error('unexpected shape'), `parsing ${rowKey}`);
  }

  async function loadAll(): Promise<{ state: StoredState; corrupt: number }> {
    const versionRows = await entries('v', 'reading the stored versions');
    const hintRows = await entries('h', 'reading the stored hints');
    const epoch = await meta(rowKeys.epoch, (x): x is number => typeof x === 'number' && Number.isSafeInteger(x));
    const membership = await meta(rowKeys.membership, (x): x is { members: MemberView[]; config: ClusterConfig } =>
      typeof x === 'object' && x !== null && Array.isArray((x as { members?: unknown }).members) && typeof (x as { config?: unknown }).config === 'object');
    counters.reads++;
    const versions = versionRows.flatMap(([k, bytes]) => versionRow(k, bytes) ?? []);
    const hints = hintRows.flatMap(([k, bytes]) => hintRow(k, bytes) ?? []);
    const corrupt = versionRows.length - versions.length + hintRows.length - hints.length;
    counters.corrupt += corrupt;
    const state: StoredState = {
      ...(epoch !== undefined ? { epoch } : {}),
      versions, hints,
      ...(membership ? { members: membership.members, config: membership.config } : {}),
    };
    return { state, corrupt };
  }

  return {
    apply, load, loadHints, loadAll,
    stats: () => ({ ...counters, ...cache.stats(), lastError }),
    close: () => db.close(),
  };
}
