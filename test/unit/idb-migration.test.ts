// The IndexedDB store's migrations on fake-indexeddb: a database written at schema 1 opens at schema 4 and
// is served (schema 2 and 3 are in idb-checkpoint.test.ts), and a version's two rows (its row and its
// journal entry) are written and dropped together.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import * as idbStore from '../../src/browser/idb-store.js';
import * as version from '../../src/core/version.js';
import type { Version } from '../../src/core/types.js';

let nextNode = 0;
const opened: idbStore.Store[] = [];
afterEach(() => { for (const store of opened.splice(0)) store.close(); });

function v(text: string, actor = 'a@1', counter = 1): Version {
  return version.make({ dot: { actor, counter }, past: [], value: version.stringValue(text), timestamp: 0 });
}

/** A database as schema 1 wrote it: versions, hints and meta, no metas. */
async function writeSchema1(name: string, rows: readonly unknown[], epoch: number): Promise<void> {
  const db = await openDB(name, 1, {
    upgrade(database) {
      database.createObjectStore('versions', { keyPath: ['key', 'digest'] });
      database.createObjectStore('hints', { keyPath: ['owner', 'key', 'digest'] });
      database.createObjectStore('meta');
    },
  });
  for (const row of rows) await db.put('versions', row);
  await db.put('meta', epoch, 'epoch');
  db.close();
}

async function openStore(nodeId: string): Promise<idbStore.Store> {
  const store = await idbStore.open({ nodeId });
  opened.push(store);
  return store;
}

describe('idb-store schema 1 -> 4', () => {
  it('opens a schema 1 database and serves its data', async () => {
    const nodeId = `old${nextNode++}`;
    const a = v('one');
    const b = v('two', 'b@1');
    const damaged = v('damaged', 'c@1');
    await writeSchema1(idbStore.databaseName(nodeId), [
      { key: 'k', digest: a.digest, version: a },
      { key: 'k', digest: b.digest, version: b },
      { key: 'k2', digest: damaged.digest, version: { ...damaged, value: version.stringValue('evil') } },
      { key: 'k3', digest: 'zz', version: { nonsense: true } },
    ], 4);
    const store = await openStore(nodeId);
    const { state, corrupt } = await store.loadAll();
    expect(corrupt).toBe(1);
    expect(state.epoch).toBe(4);
    // The row of the wrong shape is not indexed (counted at start-up); the damaged value is, and is found at read.
    expect(state.versions.map((x) => [x.key, x.version.digest])).toEqual([
      ['k', [a.digest, b.digest].sort()[0]], ['k', [a.digest, b.digest].sort()[1]], ['k2', damaged.digest],
    ]);
    expect(state.versions.every((x) => !('value' in x.version))).toBe(true);
    expect((await store.load('k')).versions.map((x) => x.digest).sort()).toEqual([a.digest, b.digest].sort());
    expect(await store.load('k2')).toEqual({ versions: [], corrupt: 1 });
    const raw = await openDB(idbStore.databaseName(nodeId));
    expect(raw.version).toBe(idbStore.schemaVersion);
    expect(raw.objectStoreNames.contains('metas')).toBe(false);
    raw.close();
  });

  it('writes a later step after the migration', async () => {
    const nodeId = `old${nextNode++}`;
    await writeSchema1(idbStore.databaseName(nodeId), [], 1);
    const store = await openStore(nodeId);
    await store.apply([{ kind: 'put-version', key: 'k', version: v('new') }]);
    expect((await store.loadAll()).state.versions).toEqual([{ key: 'k', version: version.meta(v('new')) }]);
  });
});

describe('idb-store: a version\'s row and its journal entry go together', () => {
  it('a failing step drops neither row of a version it drops, and puts neither row of one it puts', async () => {
    const nodeId = `n${nextNode++}`;
    const store = await openStore(nodeId);
    const kept = v('kept');
    await store.apply([{ kind: 'put-version', key: 'k', version: kept }]);
    const broken = { ...v('broken'), digest: undefined as unknown as string }; // not a valid IndexedDB key
    await expect(store.apply([
      { kind: 'drop-version', key: 'k', digest: kept.digest },
      { kind: 'put-version', key: 'k2', version: v('fine') },
      { kind: 'put-version', key: 'k2', version: broken },
    ])).rejects.toThrow(/^storage error \(DataError\) while writing 3 records/);
    const raw = await openDB(idbStore.databaseName(nodeId));
    expect([await raw.count('versions'), await raw.getAllKeys('journal')]).toEqual([1, ['k']]);
    raw.close();
    expect((await store.loadAll()).state.versions).toEqual([{ key: 'k', version: version.meta(kept) }]);
    expect((await store.load('k')).versions).toEqual([kept]);
  });

  it('a drop removes the row and journals its key', async () => {
    const nodeId = `n${nextNode++}`;
    const store = await openStore(nodeId);
    const one = v('one');
    await store.apply([{ kind: 'put-version', key: 'k', version: one }]);
    const raw = await openDB(idbStore.databaseName(nodeId));
    await raw.clear('journal');
    await store.apply([{ kind: 'drop-version', key: 'k', digest: one.digest }]);
    expect([await raw.count('versions'), await raw.getAllKeys('journal')]).toEqual([0, ['k']]);
    raw.close();
  });
});
