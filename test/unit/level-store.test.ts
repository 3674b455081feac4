/**
 * The headless peer's LevelDB store (src/node/level-store.ts) on a real LevelDB in a temporary directory:
 * a batch round-trips through a close and reopen; load(key) sees exactly its key (no prefix confusion);
 * a batch that cannot be encoded writes nothing; damaged rows (flipped bytes, a row under another key's
 * name) are left out and counted on every read path; the directory is locked while open.
 */
import { ClassicLevel } from 'classic-level';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as levelStore from '../../src/node/level-store.js';
import type { StoreRecord } from '../../src/core/node-io.js';
import type { Version } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'level-store-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

async function openAt(location: string): Promise<levelStore.LevelStore> {
  const store = await levelStore.open({ location });
  let closed = false;
  cleanups.push(async () => { if (!closed) await store.close(); });
  const close = store.close;
  return { ...store, close: async () => { closed = true; await close(); } };
}

function v(text: string, actor = 'a@1', counter = 1): Version {
  return version.make({ dot: { actor, counter }, past: [], value: version.stringValue(text), timestamp: 0 });
}

/** Rewrites one raw row in a closed store's directory. */
async function rawPut(location: string, key: string, mutate: (bytes: Uint8Array) => Uint8Array, from = key): Promise<void> {
  const db = new ClassicLevel<string, Uint8Array>(location, { keyEncoding: 'utf8', valueEncoding: 'view' });
  await db.open();
  const bytes = await db.get(from);
  if (bytes === undefined) throw new Error(`no row ${from}`);
  await db.put(key, mutate(Uint8Array.from(bytes)));
  await db.close();
}

const config = { n: 3, r: 2, w: 2, partitions: 256 };
const member = { id: 'a', host: 'peer-h', capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 3, status: 'alive' as const, lastHeardTick: 7, zone: 'peer' as const };

describe('level-store', () => {
  it('writes a batch and reads it back after a reopen (versions, hints, epoch, membership)', async () => {
    const dir = await tempDir();
    const store = await openAt(dir);
    const records: StoreRecord[] = [
      { kind: 'epoch', epoch: 2 },
      { kind: 'put-version', key: 'k', version: v('one') },
      { kind: 'put-version', key: 'k', version: v('two', 'b@1') },
      { kind: 'put-hint', owner: 'c', key: 'k2', version: v('hinted') },
      { kind: 'membership', members: [member], config },
    ];
    await store.apply(records);
    await store.close();
    const reopened = await openAt(dir);
    const { state, corrupt } = await reopened.loadAll();
    expect(corrupt).toBe(0);
    expect(state.epoch).toBe(2);
    expect(state.versions.map((x) => x.version.digest).sort()).toEqual([v('one').digest, v('two', 'b@1').digest].sort());
    expect(state.versions.every((x) => x.key === 'k' && 'value' in x.version && version.verify(x.version))).toBe(true);
    expect(state.hints.map((h) => [h.owner, h.key, h.version.digest])).toEqual([['c', 'k2', v('hinted').digest]]);
    expect(state.members).toEqual([member]);
    expect(state.config).toEqual(config);
    expect((await reopened.loadHints('c', 'k2')).versions.map((x) => x.digest)).toEqual([v('hinted').digest]);
    expect((await reopened.loadHints('c', 'k')).versions).toEqual([]);
  });

  it('an empty directory loads as an empty state with no epoch', async () => {
    const store = await openAt(await tempDir());
    expect(await store.loadAll()).toEqual({ state: { versions: [], hints: [] }, corrupt: 0 });
  });

  it('load(key) returns exactly that key\'s versions, also for keys that are prefixes of others; drops remove them', async () => {
    const store = await openAt(await tempDir());
    const one = v('one');
    await store.apply([
      { kind: 'put-version', key: 'a', version: one },
      { kind: 'put-version', key: 'a"b', version: v('quote') },
      { kind: 'put-version', key: 'ab', version: v('longer') },
      { kind: 'put-version', key: 'a\u0000', version: v('nul') },
    ]);
    expect((await store.load('a')).versions.map((x) => x.digest)).toEqual([one.digest]);
    expect((await store.load('ab')).versions).toHaveLength(1);
    expect((await store.load('missing')).versions).toEqual([]);
    await store.apply([{ kind: 'drop-version', key: 'a', digest: one.digest }]);
    expect((await store.load('a')).versions).toEqual([]);
    expect((await store.load('a"b')).versions).toHaveLength(1);
  });

  it('a batch with a record that cannot be encoded writes nothing and rejects with a clear error', async () => {
    const store = await openAt(await tempDir());
    const tooLongKey = 'k'.repeat(600);
    await expect(store.apply([
      { kind: 'put-version', key: 'fine', version: v('one') },
      { kind: 'put-version', key: tooLongKey, version: v('two') },
    ])).rejects.toThrow();
    expect((await store.load('fine')).versions).toEqual([]);
    expect((await store.loadAll()).state.versions).toEqual([]);
  });

  it.each([
    { damage: 'a flipped byte in the value', mutate: (b: Uint8Array) => { b[b.length - 3] = (b[b.length - 3] ?? 0) ^ 0xff; return b; }, misfile: false },
    { damage: 'a truncated row', mutate: (b: Uint8Array) => b.subarray(0, b.length - 5), misfile: false },
    { damage: 'an intact row filed under another digest', mutate: (b: Uint8Array) => b, misfile: true },
  ])('$damage is left out and counted by load and loadAll', async ({ mutate, misfile }) => {
    const dir = await tempDir();
    const store = await openAt(dir);
    const good = v('good');
    const bad = v('bad', 'b@1');
    await store.apply([{ kind: 'put-version', key: 'k', version: good }, { kind: 'put-version', key: 'k', version: bad }]);
    await store.close();
    const badRow = levelStore.rowKeys.version('k', bad.digest);
    await rawPut(dir, misfile ? levelStore.rowKeys.version('k', 'f'.repeat(32)) : badRow, mutate, badRow);
    const reopened = await openAt(dir);
    const all = await reopened.loadAll();
    expect(all.corrupt).toBe(1);
    expect(all.state.versions.map((x) => x.version.digest)).toEqual([good.digest, ...(misfile ? [bad.digest] : [])]);
    const loaded = await reopened.load('k');
    expect(loaded.corrupt).toBe(1);
    expect(loaded.versions.map((x) => x.digest)).toContain(good.digest);
    expect(reopened.stats().corrupt).toBe(2);
  });

  it('a damaged hint is left out and counted', async () => {
    const dir = await tempDir();
    const store = await openAt(dir);
    await store.apply([{ kind: 'put-hint', owner: 'o', key: 'k', version: v('h') }]);
    await store.close();
    const row = levelStore.rowKeys.hint('o', 'k', v('h').digest);
    // The value's one byte, 'h' (0x68, found nowhere else in the row: hex digests, 'o', 'k', 'a@1').
    await rawPut(dir, row, (b) => { b[b.lastIndexOf(0x68)] = 0x69; return b; });
    const reopened = await openAt(dir);
    expect((await reopened.loadHints('o', 'k'))).toEqual({ versions: [], corrupt: 1 });
    expect((await reopened.loadAll()).corrupt).toBe(1);
  });

  it('serves repeated loads from its cache, and a committed write keeps it current', async () => {
    const store = await openAt(await tempDir());
    await store.apply([{ kind: 'put-version', key: 'k', version: v('one') }]);
    await store.load('k');
    await store.load('k');
    expect(store.stats().cacheHits).toBe(1);
    await store.apply([{ kind: 'put-version', key: 'k', version: v('two', 'b@1') }]);
    expect((await store.load('k')).versions).toHaveLength(2);
    expect(store.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 1 });
  });

  it('locks its directory: a second open fails with a message naming it', async () => {
    const dir = await tempDir();
    await openAt(dir);
    await expect(levelStore.open({ location: dir })).rejects.toThrow(dir);
  });
});
