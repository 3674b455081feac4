// Amnesia: a tab whose IndexedDB was wiped comes back under the same node id. Anti-entropy (Merkle trees)
// restores its partitions from the other replicas, and nothing acknowledged is lost.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, openTab, openTabs, put, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

type Snap = { runtime: { node: { keys: number; epoch: number } } };
const keysOf = (tab: Tab) => tab.page.evaluate(() => (window.kv.snapshot() as Snap).runtime.node.keys);

test('a wiped tab reopened under the same id is restored by anti-entropy; no acknowledged write is lost', async ({ browser }) => {
  // Anti-entropy compares every shared partition's root once per round, so a restore takes seconds; the
  // generous limits only keep a slow shared machine from failing the test.
  test.setTimeout(300_000);
  tabs = await openTabs(browser, server.url, 'wipe', 5, true);
  await waitForRing(tabs, ['n1', 'n2', 'n3', 'n4', 'n5']);
  const [n1, n2] = tabs as [Tab, Tab, Tab, Tab, Tab];
  const acknowledged = 80;
  for (let i = 0; i < acknowledged; i++) await put(tabs[i % 5]!, `key-${i}`, `value-${i}`);
  const keysBefore = await keysOf(n2);
  const epochBefore = await n2.page.evaluate(() => (window.kv.snapshot() as Snap).runtime.node.epoch);
  expect(keysBefore).toBeGreaterThan(0);

  await n2.page.close();
  const deleted = await n1.page.evaluate(() => new Promise<string>((resolve) => {
    const request = indexedDB.deleteDatabase('tabdynamo-wipe.n2');
    request.onsuccess = () => resolve('deleted');
    request.onerror = () => resolve(`error: ${String(request.error)}`);
    request.onblocked = () => resolve('blocked');
  }));
  expect(deleted).toBe('deleted');

  const back = await openTab(n1.context, server.url, 'n2', 'wipe');
  tabs = [tabs[0]!, back, ...tabs.slice(2)];
  expect(await back.page.evaluate(() => (window.kv.snapshot() as Snap).runtime.node.epoch), 'a wiped node takes a new epoch').not.toBe(epochBefore);
  await waitForRing(tabs, ['n1', 'n2', 'n3', 'n4', 'n5']);
  const restoreStartMs = Date.now();
  await expect.poll(() => keysOf(back), { timeout: 240_000, intervals: [1000], message: 'anti-entropy restores n2' }).toBeGreaterThanOrEqual(keysBefore);
  console.log(`wipe.spec: anti-entropy restored ${keysBefore} keys on n2 in ${Math.round((Date.now() - restoreStartMs) / 1000)} s`);

  for (const tab of tabs) {
    const values = await tab.page.evaluate(async (count) => {
      const out: string[] = [];
      for (let i = 0; i < count; i++) out.push((await window.kv.get(`key-${i}`)).values.map(String).join('|'));
      return out;
    }, acknowledged);
    expect(values, `every acknowledged write reads back on ${tab.id}`).toEqual(Array.from({ length: acknowledged }, (_, i) => `value-${i}`));
  }
});

test('kv.wipe() deletes only this tab\'s storage and restarts it under the same id; anti-entropy restores it', async ({ browser }) => {
  tabs = await openTabs(browser, server.url, 'wipe-api', 4, true);
  await waitForRing(tabs, ['n1', 'n2', 'n3', 'n4']);
  const n2 = tabs[1]!;
  const acknowledged = 40;
  for (let i = 0; i < acknowledged; i++) await put(tabs[i % 4]!, `key-${i}`, `value-${i}`);
  const keysBefore = await keysOf(n2);
  const epochBefore = await n2.page.evaluate(() => (window.kv.snapshot() as Snap).runtime.node.epoch);
  expect(keysBefore).toBeGreaterThan(0);

  const reloaded = n2.page.waitForEvent('load');
  await n2.page.evaluate(() => { void window.kv.wipe(); });
  await reloaded;
  await n2.page.waitForFunction(() => typeof window.kv?.ready === 'function');
  await n2.page.evaluate(() => window.kv.ready());
  expect(await n2.page.evaluate(() => window.kv.nodeId), 'same node id after the wipe').toBe('n2');
  expect(await n2.page.evaluate(() => (window.kv.snapshot() as Snap).runtime.node.epoch), 'a new epoch').not.toBe(epochBefore);
  await expect.poll(() => keysOf(n2), { timeout: 120_000, intervals: [500], message: 'anti-entropy restores n2' }).toBeGreaterThanOrEqual(keysBefore);
  const values = await n2.page.evaluate(async (count) => {
    const out: string[] = [];
    for (let i = 0; i < count; i++) out.push((await window.kv.get(`key-${i}`)).values.map(String).join('|'));
    return out;
  }, acknowledged);
  expect(values).toEqual(Array.from({ length: acknowledged }, (_, i) => `value-${i}`));
});
