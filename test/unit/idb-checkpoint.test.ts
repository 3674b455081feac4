// The IndexedDB store's checkpoint (schema 3, on fake-indexeddb): once the background compaction has
// covered the key space, start-up hands every key back as an index entry (nothing to hash), and the index
// built from them is the one a full restore of the version rows builds, also after later writes, a
// damaged chunk, or an upgrade from schema 2. Integrity is still checked: a damaged value is found and
// counted when it is read, never served.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as idbStore from '../../src/browser/idb-store.js';
import * as checkpoint from '../../src/browser/idb-checkpoint.js';
import type { ChunkRow, VersionRow } from '../../src/browser/idb-rows.js';
import type { StoredState, StoreRecord } from '../../src/core/node-io.js';
import * as storeIndex from '../../src/core/store-index.js';
import * as indexRestore from '../../src/core/store-index-restore.js';
import type { Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

let nextNode = 0;
const opened: idbStore.Store[] = [];
afterEach(() => { for (const store of opened.splice(0)) store.close(); });

/** Tiny chunks and an eager compaction, so a few dozen keys make several chunks. */
const small = { chunkKeys: 8, compactRowsMin: 1 } as const;

async function openStore(nodeId: string, options: Partial<idbStore.OpenOptions> = small): Promise<idbStore.Store> {
  const store = await idbStore.open({ nodeId, ...options });
  opened.push(store);
  return store;
}

function v(text: string, actor = 'a@1', counter = 1, past: Version['past'] = [], op?: string): Version {
  return version.make({ dot: { actor, counter }, past, value: version.stringValue(text), timestamp: counter, ...(op === undefined ? {} : { op }) });
}

/** Waits until the store's background compaction has covered every row (checkpointLagRows 0). */
async function caughtUp(store: idbStore.Store): Promise<void> {
  await vi.waitFor(() => expect(store.stats().checkpointLagRows).toBe(0), { timeout: 5000, interval: 5 });
}

/** The index start-up builds from a loaded state, as node-start does. */
function indexOf(state: StoredState, partitions = 16): storeIndex.Index {
  const index = storeIndex.create(partitions);
  if (state.entries !== undefined) indexRestore.restoreEntries(index, state.entries);
  indexRestore.restoreAll(index, state.versions);
  return index;
}

/** The index a full restore of every version row builds (the start-up without a checkpoint). */
async function fullIndexOf(nodeId: string, partitions = 16): Promise<storeIndex.Index> {
  const raw = await openDB(idbStore.databaseName(nodeId));
  const rows = await raw.getAll('versions') as VersionRow[];
  raw.close();
  const index = storeIndex.create(partitions);
  indexRestore.restoreAll(index, rows.map((r) => ({ key: r.key, version: version.meta(r.version) })));
  return index;
}

function view(index: storeIndex.Index): unknown {
  const roots = [...index.trees.keys()].sort((a, b) => a - b).map((p) => [p, storeIndex.root(index, p), storeIndex.bucketHashes(index, p)]);
  return { versions: [...index.versions].sort(), counts: storeIndex.counts(index), partitionOfKey: [...index.partitionOfKey].sort(), roots };
}

const keys = Array.from({ length: 40 }, (_, i) => `key-${String(i).padStart(2, '0')}`);

async function filled(nodeId: string): Promise<idbStore.Store> {
  const store = await openStore(nodeId);
  await store.loadAll();
  const records: StoreRecord[] = keys.flatMap((key, i) => [
    { kind: 'put-version' as const, key, version: v(`one ${i}`) },
    ...(i % 5 === 0 ? [{ kind: 'put-version' as const, key, version: v(`two ${i}`, 'b@1') }] : []),
  ]);
  await store.apply(records);
  await caughtUp(store);
  return store;
}

async function reopen(store: idbStore.Store, nodeId: string, options: Partial<idbStore.OpenOptions> = small): Promise<{ store: idbStore.Store; state: StoredState; corrupt: number }> {
  store.close();
  const next = await openStore(nodeId, options);
  const { state, corrupt } = await next.loadAll();
  return { store: next, state, corrupt };
}

describe('idb-store checkpoint', () => {
  it('start-up after compaction reads every key as an entry, and builds the full restore\'s index', async () => {
    const nodeId = `cp${nextNode++}`;
    const { state, corrupt } = await reopen(await filled(nodeId), nodeId);
    expect(corrupt).toBe(0);
    expect(state.versions).toEqual([]);
    expect(state.entries?.map((e) => e.key).sort()).toEqual(keys);
    for (const q of [1, 16, 256]) expect(view(indexOf(state, q))).toEqual(view(await fullIndexOf(nodeId, q)));
    const raw = await openDB(idbStore.databaseName(nodeId));
    expect(await raw.count('chunks')).toBeGreaterThan(1);
    expect(await raw.count('journal')).toBe(0);
    raw.close();
  });

  it('keys written or dropped after the checkpoint come from their rows until compacted again', async () => {
    const nodeId = `cp${nextNode++}`;
    const store = await filled(nodeId);
    store.close();
    const lazy = await openStore(nodeId, { chunkKeys: 8, compactRowsMin: 1000 }); // no compaction now
    await lazy.loadAll();
    const later = v('later', 'a@1', 2, [{ actor: 'a@1', counter: 1 }]);
    await lazy.apply([
      { kind: 'put-version', key: 'key-03', version: later },
      { kind: 'drop-version', key: 'key-03', digest: v('one 3').digest },
      { kind: 'drop-version', key: 'key-07', digest: v('one 7').digest },
      { kind: 'put-version', key: 'key-07b', version: v('new key') },
      { kind: 'put-version', key: 'zzz', version: v('after every chunk') },
    ]);
    const { state } = await reopen(lazy, nodeId, { chunkKeys: 8, compactRowsMin: 1000 });
    expect(state.versions.map((r) => r.key).sort()).toEqual(['key-03', 'key-07b', 'zzz']);
    expect(state.entries?.some((e) => e.key === 'key-03' || e.key === 'key-07')).toBe(false);
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
    const compacted = await reopen(lazy, nodeId);
    await caughtUp(compacted.store);
    const again = await reopen(compacted.store, nodeId);
    expect(again.state.versions).toEqual([]);
    expect(view(indexOf(again.state))).toEqual(view(await fullIndexOf(nodeId)));
  });

  it('a damaged chunk is not used: its range is read from the version rows, and said', async () => {
    const nodeId = `cp${nextNode++}`;
    const store = await filled(nodeId);
    store.close();
    const raw = await openDB(idbStore.databaseName(nodeId));
    const [first] = await raw.getAll('chunks') as { lo: string; body: string }[];
    const body = first?.body ?? '';
    await raw.put('chunks', { ...first, body: `${body.slice(0, 40)}${body[40] === '0' ? '1' : '0'}${body.slice(41)}` });
    raw.close();
    const { store: next, state, corrupt } = await reopen(store, nodeId, { chunkKeys: 8, compactRowsMin: 1000 });
    expect(corrupt).toBe(0);
    expect(state.versions.length).toBeGreaterThan(0);
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
    expect(next.stats().lastError).toMatch(/checkpoint chunks were damaged/);
  });

  it('overlapping chunks are both left unused (neither can be trusted), their ranges read from the rows', async () => {
    const nodeId = `cp${nextNode++}`;
    const store = await filled(nodeId);
    store.close();
    const raw = await openDB(idbStore.databaseName(nodeId));
    const [first, second] = await raw.getAll('chunks') as ChunkRow[];
    if (first === undefined || second === undefined) throw new Error('expected two chunks');
    // The first chunk, as if written stale over the second's range too: well formed, checksum right.
    await raw.put('chunks', checkpoint.encode(first.lo, second.hi, checkpoint.decode(first) ?? []));
    raw.close();
    const { store: next, state } = await reopen(store, nodeId, { chunkKeys: 8, compactRowsMin: 1000 });
    expect(state.versions.length).toBeGreaterThan(first.keys + second.keys - 1);
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
    expect(next.stats().lastError).toMatch(/damaged or overlapping/);
  });

  it('a damaged value in a checkpointed key is found and counted when read, never served', async () => {
    const nodeId = `cp${nextNode++}`;
    const store = await filled(nodeId);
    store.close();
    const raw = await openDB(idbStore.databaseName(nodeId));
    const good = v('one 9');
    await raw.put('versions', { key: 'key-09', digest: good.digest, version: { ...good, value: version.stringValue('rot') } });
    raw.close();
    const { store: next, state } = await reopen(store, nodeId);
    expect(state.entries?.some((e) => e.key === 'key-09')).toBe(true);
    expect(await next.load('key-09')).toEqual({ versions: [], corrupt: 1 });
    expect(next.stats().corrupt).toBe(1);
  });

  it('a version with an op id (a forwarded write) is restored, not counted as damaged', async () => {
    const nodeId = `cp${nextNode++}`;
    const store = await openStore(nodeId, { compactRowsMin: 1000 });
    await store.loadAll();
    const forwarded = v('fwd', 'a@1', 1, [], 'n2@5/1');
    await store.apply([{ kind: 'put-version', key: 'k', version: forwarded }]);
    const { state, corrupt } = await reopen(store, nodeId, { compactRowsMin: 1000 });
    expect(corrupt).toBe(0);
    expect(state.versions).toEqual([{ key: 'k', version: version.meta(forwarded) }]);
  });
});

/** A database as schema 2 (chunks false) or 3 (chunks true) left it: every version also has a `metas` row. */
async function writeOldSchema(nodeId: string, withChunks: boolean, rows: readonly { key: string; version: Version }[]) {
  const db = await openDB(idbStore.databaseName(nodeId), withChunks ? 3 : 2, {
    upgrade(database) {
      database.createObjectStore('versions', { keyPath: ['key', 'digest'] });
      database.createObjectStore('hints', { keyPath: ['owner', 'key', 'digest'] });
      database.createObjectStore('meta');
      database.createObjectStore('metas', { keyPath: ['key', 'digest'] });
      if (withChunks) {
        database.createObjectStore('chunks', { keyPath: 'lo' });
        database.createObjectStore('journal');
      }
    },
  });
  for (const { key, version: x } of rows) {
    await db.put('versions', { key, digest: x.digest, version: x });
    await db.put('metas', { key, digest: x.digest, meta: version.meta(x) });
  }
  await db.put('meta', 9, 'epoch');
  return db;
}

describe('idb-store schema 2 -> 4', () => {
  it('a schema 2 database loads in full, then from the checkpoint compaction builds; its metas are gone', async () => {
    const nodeId = `s2${nextNode++}`;
    (await writeOldSchema(nodeId, false, keys.map((key, i) => ({ key, version: v(`old ${i}`) })))).close();
    const store = await openStore(nodeId);
    const first = await store.loadAll();
    expect(first.state.epoch).toBe(9);
    expect(first.state.versions.map((r) => r.key)).toEqual(keys);
    await caughtUp(store);
    const { store: next, state } = await reopen(store, nodeId);
    expect(state.versions).toEqual([]);
    expect(view(indexOf(state))).toEqual(view(indexOf(first.state)));
    next.close();
    const raw = await openDB(idbStore.databaseName(nodeId));
    expect([raw.version, raw.objectStoreNames.contains('metas')]).toEqual([idbStore.schemaVersion, false]);
    raw.close();
  });
});

describe('idb-store schema 3 -> 4', () => {
  it('keeps a schema 3 checkpoint and journal: start-up reads the chunk, and the journaled key from its version rows', async () => {
    const nodeId = `s3${nextNode++}`;
    const rows = keys.map((key, i) => ({ key, version: v(`old ${i}`) }));
    const db = await writeOldSchema(nodeId, true, rows);
    // The checkpoint as schema 3 wrote it, then one key changed after it (its rows and its journal entry).
    await db.put('chunks', checkpoint.encode('', null, indexRestore.entriesOf(rows.map((r) => ({ key: r.key, version: version.meta(r.version) })))));
    const later = v('later', 'b@1', 1);
    await db.put('versions', { key: 'key-05', digest: later.digest, version: later });
    await db.put('metas', { key: 'key-05', digest: later.digest, meta: version.meta(later) });
    await db.put('journal', true, 'key-05');
    db.close();
    const store = await openStore(nodeId, { chunkKeys: 8, compactRowsMin: 1000 });
    const { state, corrupt } = await store.loadAll();
    expect(corrupt).toBe(0);
    expect(state.epoch).toBe(9);
    expect(state.entries?.map((e) => e.key)).toEqual(keys.filter((k) => k !== 'key-05'));
    expect(state.versions.map((r) => [r.key, r.version.digest]).sort()).toEqual([['key-05', v('old 5').digest], ['key-05', later.digest]].sort());
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
    const raw = await openDB(idbStore.databaseName(nodeId));
    expect([raw.version, raw.objectStoreNames.contains('metas'), await raw.count('chunks'), await raw.count('journal')]).toEqual([idbStore.schemaVersion, false, 1, 1]);
    raw.close();
  });
});

describe('idb-store journal: written only where a chunk covers the key', () => {
  const lazy = { chunkKeys: 8, compactRowsMin: 1_000_000 } as const;

  async function journalKeys(nodeId: string): Promise<string[]> {
    const raw = await openDB(idbStore.databaseName(nodeId));
    const out = await raw.getAllKeys('journal') as string[];
    raw.close();
    return out;
  }

  it('a loaded store with no chunk journals nothing; a restart reads those keys from their rows', async () => {
    const nodeId = `j${nextNode++}`;
    const store = await openStore(nodeId, lazy);
    await store.loadAll();
    const one = v('one');
    await store.apply([{ kind: 'put-version', key: 'a', version: one }, { kind: 'put-version', key: 'b', version: v('two') }]);
    await store.apply([{ kind: 'drop-version', key: 'a', digest: one.digest }]);
    expect(await journalKeys(nodeId)).toEqual([]);
    const { state } = await reopen(store, nodeId, lazy);
    expect(state.versions).toEqual([{ key: 'b', version: version.meta(v('two')) }]);
  });

  it('a key a chunk covers is journaled', async () => {
    const nodeId = `j${nextNode++}`;
    const { store } = await reopen(await filled(nodeId), nodeId, lazy);
    await store.apply([{ kind: 'put-version', key: 'key-03', version: v('later', 'c@1') }]);
    expect(await journalKeys(nodeId)).toEqual(['key-03']);
    const { state } = await reopen(store, nodeId, lazy);
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
  });

  it('after a start-up that found a damaged chunk, every write journals', async () => {
    const nodeId = `j${nextNode++}`;
    const store = await filled(nodeId);
    store.close();
    const raw = await openDB(idbStore.databaseName(nodeId));
    const [first] = await raw.getAll('chunks') as ChunkRow[];
    if (first === undefined) throw new Error('expected a chunk');
    await raw.put('chunks', { ...first, sum: first.sum + 1 });
    raw.close();
    const { store: next } = await reopen(store, nodeId, lazy);
    await next.apply([{ kind: 'put-version', key: first.lo, version: v('in the damaged range', 'c@1') }]);
    expect(await journalKeys(nodeId)).toContain(first.lo);
  });

  it('writes and reloads racing the background compaction: every restart builds the index a full restore builds', async () => {
    const nodeId = `j${nextNode++}`;
    let seed = 12345;
    const random = (n: number) => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const held = new Map<string, Version[]>();
    const eager = { chunkKeys: 4, compactRowsMin: 3 } as const;
    let store = await openStore(nodeId, eager);
    await store.loadAll();
    let counter = 0;
    for (let round = 1; round <= 60; round++) {
      const records: StoreRecord[] = [];
      for (let i = 0, n = 1 + random(4); i < n; i++) {
        const key = `k${String(random(50)).padStart(2, '0')}`;
        const mine = held.get(key) ?? [];
        const dropped = mine.length > 0 && random(3) === 0 ? mine[random(mine.length)] : undefined;
        if (dropped !== undefined) {
          records.push({ kind: 'drop-version', key, digest: dropped.digest });
          held.set(key, mine.filter((x) => x !== dropped));
        } else {
          const x = v(`value ${round}.${i}`, `w${random(3)}@1`, ++counter);
          records.push({ kind: 'put-version', key, version: x });
          held.set(key, [...mine, x]);
        }
      }
      await store.apply(records); // not waiting for the compaction this may start
      if (round % 7 === 0) await store.loadAll(); // as a rebuild does, the compaction maybe still running
      if (round % 15 === 0) {
        const { store: check, state } = await reopen(store, nodeId, lazy);
        expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
        ({ store } = await reopen(check, nodeId, eager));
      }
    }
    ({ store } = await reopen(store, nodeId)); // compaction until nothing is left to hash
    await caughtUp(store);
    const { state } = await reopen(store, nodeId, lazy);
    expect(state.versions).toEqual([]);
    expect(view(indexOf(state))).toEqual(view(await fullIndexOf(nodeId)));
  });
});
