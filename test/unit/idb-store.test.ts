// fake-indexeddb is an in-memory implementation of IndexedDB for Node: the store runs unchanged on it.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import * as idbStore from '../../src/browser/idb-store.js';
import * as lru from '../../src/runtime/lru.js';
import * as version from '../../src/core/version.js';
import type { StoreRecord } from '../../src/core/node-io.js';
import type { Version } from '../../src/core/types.js';

let nextNode = 0;
const opened: idbStore.Store[] = [];

async function freshStore(options: Partial<idbStore.OpenOptions> = {}): Promise<{ store: idbStore.Store; nodeId: string }> {
  const nodeId = `node${nextNode++}`;
  const store = await idbStore.open({ nodeId, ...options });
  opened.push(store);
  return { store, nodeId };
}

afterEach(() => { for (const store of opened.splice(0)) store.close(); });

function v(text: string, actor = 'a@1', counter = 1): Version {
  return version.make({ dot: { actor, counter }, past: [], value: version.stringValue(text), timestamp: 0 });
}

const config = { n: 3, r: 2, w: 2, partitions: 256 };
const member = { id: 'a', host: 'h', capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 3, status: 'alive' as const, lastHeardTick: 7 };

describe('idb-store', () => {
  it('writes a step and reads it back through loadAll (versions, hints, epoch, membership)', async () => {
    const { store, nodeId } = await freshStore();
    const records: StoreRecord[] = [
      { kind: 'epoch', epoch: 2 },
      { kind: 'put-version', key: 'k', version: v('one') },
      { kind: 'put-version', key: 'k', version: v('two', 'b@1') },
      { kind: 'put-hint', owner: 'c', key: 'k2', version: v('hinted') },
      { kind: 'membership', members: [member], config },
    ];
    await store.apply(records);
    store.close();
    const reopened = await idbStore.open({ nodeId });
    opened.push(reopened);
    const { state, corrupt } = await reopened.loadAll();
    expect(corrupt).toBe(0);
    expect(state.epoch).toBe(2);
    // Start-up reads metadata only: no value bytes, in key order.
    const expected = [v('one'), v('two', 'b@1')].sort((a, b) => (a.digest < b.digest ? -1 : 1));
    expect(state.versions).toEqual(expected.map((x) => ({ key: 'k', version: version.meta(x) })));
    expect(state.hints.map((h) => [h.owner, h.key])).toEqual([['c', 'k2']]);
    expect(state.members).toEqual([member]);
    expect(state.config).toEqual(config);
  });

  it('an empty database loads as an empty state with no epoch', async () => {
    const { store } = await freshStore();
    expect(await store.loadAll()).toEqual({ state: { versions: [], hints: [] }, corrupt: 0 });
  });

  it('load(key) returns exactly that key\'s versions; drop records remove them', async () => {
    const { store } = await freshStore();
    const one = v('one');
    await store.apply([
      { kind: 'put-version', key: 'k', version: one },
      { kind: 'put-version', key: 'k', version: v('two', 'b@1') },
      { kind: 'put-version', key: 'k2', version: v('other') },
      { kind: 'put-version', key: 'k\u0000', version: v('prefix-sibling') },
    ]);
    expect((await store.load('k')).versions).toHaveLength(2);
    expect((await store.load('missing')).versions).toEqual([]);
    await store.apply([{ kind: 'drop-version', key: 'k', digest: one.digest }]);
    const after = await store.load('k');
    expect(after.versions.map((x) => x.digest)).toEqual([v('two', 'b@1').digest]);
    await store.apply([{ kind: 'put-hint', owner: 'o', key: 'k', version: one }, { kind: 'drop-hint', owner: 'o', key: 'k', digest: one.digest }]);
    expect((await store.loadAll()).state.hints).toEqual([]);
  });

  it('loadHints(owner, key) returns the hinted versions kept for that owner only', async () => {
    const { store } = await freshStore();
    const one = v('one');
    await store.apply([
      { kind: 'put-hint', owner: 'o', key: 'k', version: one },
      { kind: 'put-hint', owner: 'p', key: 'k', version: v('two', 'b@1') },
      { kind: 'put-version', key: 'k', version: v('replica', 'c@1') },
    ]);
    expect(await store.loadHints('o', 'k')).toEqual({ versions: [one], corrupt: 0 });
    expect((await store.loadHints('o', 'other')).versions).toEqual([]);
  });

  it('serves repeated loads from the cache, and a committed write keeps the cached key current', async () => {
    const { store } = await freshStore();
    await store.apply([{ kind: 'put-version', key: 'k', version: v('one') }]);
    await store.load('k');
    await store.load('k');
    expect(store.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 1, cacheEntries: 1 });
    await store.apply([{ kind: 'put-version', key: 'k', version: v('two', 'b@1') }]);
    expect((await store.load('k')).versions.map((x) => x.dot.actor).sort()).toEqual(['a@1', 'b@1']);
    expect(store.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 1 });
  });

  /** A store holding two versions of 'k' ('good', and 'bad' by another actor), closed so a test can damage its rows. */
  async function twoVersionsClosed() {
    const { store, nodeId } = await freshStore();
    const good = v('good');
    const bad = v('bad', 'b@1');
    await store.apply([{ kind: 'put-version', key: 'k', version: good }, { kind: 'put-version', key: 'k', version: bad }]);
    store.close();
    return { nodeId, good, bad };
  }

  it('finds a value damaged on disk when the key is read, not at start-up (which hashes no values)', async () => {
    const { nodeId, good, bad } = await twoVersionsClosed();
    const raw = await openDB(idbStore.databaseName(nodeId));
    await raw.put('versions', { key: 'k', digest: bad.digest, version: { ...bad, value: version.stringValue('evil') } });
    await raw.put('versions', { key: 'k', digest: 'zz', version: { nonsense: true } });
    raw.close();
    const reopened = await idbStore.open({ nodeId });
    opened.push(reopened);
    const all = await reopened.loadAll();
    // Start-up reads the rows (no checkpoint yet): the row of the wrong shape is left out and counted then.
    expect(all.corrupt).toBe(1);
    expect(all.state.versions.map((x) => x.version.digest).sort()).toEqual([good.digest, bad.digest].sort());
    // The read leaves both damaged rows out and counts them: the core then forgets `bad` (forgetMissing).
    expect(await reopened.load('k')).toEqual({ versions: [good], corrupt: 2 });
    expect(reopened.stats().corrupt).toBe(3);
  });

  it('leaves out and counts at start-up a version row that is damaged or whose clock does not hash to its digest', async () => {
    const { nodeId, good, bad } = await twoVersionsClosed();
    const raw = await openDB(idbStore.databaseName(nodeId));
    await raw.put('versions', { key: 'k', digest: bad.digest, version: { ...bad, dot: { actor: 'b@1', counter: 9 } } });
    await raw.put('versions', { key: 'k2', digest: 'zz', version: { nonsense: true } });
    raw.close();
    const reopened = await idbStore.open({ nodeId });
    opened.push(reopened);
    const all = await reopened.loadAll();
    expect(all).toMatchObject({ corrupt: 2, state: { versions: [{ key: 'k', version: version.meta(good) }] } });
  });

  it('reads many version rows back whole across load batches, in key order', async () => {
    const { store } = await freshStore({ loadBatchRows: 4 });
    const count = 4 * 3 + 2;
    const one = v('same');
    const keys = Array.from({ length: count }, (_, i) => `k${String(i).padStart(6, '0')}`);
    await store.apply(keys.map((key) => ({ kind: 'put-version', key, version: one })));
    const { state } = await store.loadAll();
    expect(state.versions.map((x) => x.key)).toEqual(keys);
  });

  it('writes all of a step or none of it: a failing record rejects with a clear error', async () => {
    const { store } = await freshStore();
    const broken = { ...v('broken'), digest: undefined as unknown as string }; // not a valid IndexedDB key
    await expect(store.apply([
      { kind: 'put-version', key: 'k', version: v('fine') },
      { kind: 'put-version', key: 'k', version: broken },
    ])).rejects.toThrow(/^storage error \(DataError\) while writing 2 records/);
    expect((await store.load('k')).versions).toEqual([]);
    expect((await store.loadAll()).state.versions).toEqual([]);
    expect(store.stats()).toMatchObject({ errors: 1, transactions: 0 });
    expect(store.stats().lastError).toMatch(/DataError/);
  });

  it('lets go of the database when another tab deletes it, and says so in every later error', async () => {
    const { store, nodeId } = await freshStore();
    await store.apply([{ kind: 'epoch', epoch: 1 }]);
    await idbStore.wipe(nodeId);
    const expected = `storage closed: another tab deleted or upgraded this database (tabdynamo-${nodeId})`;
    await expect(store.apply([{ kind: 'epoch', epoch: 2 }])).rejects.toThrow(`${expected}, while writing 1 records`);
    await expect(store.load('k')).rejects.toThrow(`${expected}, while reading key "k"`);
    expect(store.stats()).toMatchObject({ errors: 2, lastError: expect.stringContaining(expected) });
  });

  it('wipe deletes the database', async () => {
    const { store, nodeId } = await freshStore();
    await store.apply([{ kind: 'epoch', epoch: 5 }]);
    store.close();
    await idbStore.wipe(nodeId);
    const reopened = await idbStore.open({ nodeId });
    opened.push(reopened);
    expect((await reopened.loadAll()).state.epoch).toBeUndefined();
  });
});

describe('idb-store.describeError', () => {
  it.each([
    [{ name: 'QuotaExceededError', message: 'quota hit' }, 'storage full: QuotaExceededError while writing: quota hit'],
    [{ name: 'AbortError', message: '' }, 'storage transaction aborted while writing: no reason given'],
    [new TypeError('boom'), 'storage error (TypeError) while writing: boom'],
    ['weird', 'storage error (Error) while writing: weird'],
  ])('%j -> %s', (error, message) => {
    expect(idbStore.describeError(error, 'writing').message).toBe(message);
  });
});

describe('lru', () => {
  it('evicts the least recently used entries past the byte bound and skips oversize entries', () => {
    const cache = lru.create<string, number>(10);
    cache.set('a', 1, 4);
    cache.set('b', 2, 4);
    cache.get('a'); // b is now the least recently used
    cache.set('c', 3, 4);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    expect(cache.bytes()).toBe(8);
    cache.set('huge', 4, 11);
    expect(cache.get('huge')).toBeUndefined();
    expect(cache.bytes()).toBe(8);
    cache.set('a', 5, 2);
    expect([cache.get('a'), cache.bytes(), cache.size()]).toEqual([5, 6, 2]);
  });
});
