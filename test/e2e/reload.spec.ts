// Reload: the tab keeps its node id (sessionStorage) and its data (IndexedDB).
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, getValues, openTabs, put, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

test('a reloaded tab keeps its node id and its data', async ({ browser }) => {
  tabs = await openTabs(browser, server.url, 'reload', 3, true);
  await waitForRing(tabs, ['n1', 'n2', 'n3']);
  for (let i = 0; i < 20; i++) await put(tabs[0]!, `k${i}`, `v${i}`);
  const target = tabs[1]!;
  // Three tabs and N = 3: every tab replicates every key. A put is acknowledged at W = 2, so the third copy
  // may still be on its way: wait until n2 holds all 20 before reloading, or a late copy would land between
  // this count and the reload and look like data fetched again.
  const keysOf = () => target.page.evaluate(() => (window.kv.snapshot() as { runtime: { node: { keys: number } } }).runtime.node.keys);
  await expect.poll(keysOf, { message: 'n2 holds every key before the reload' }).toBe(20);
  const keysBefore = await keysOf();

  // Reload WITHOUT ?node=: the id must come back from sessionStorage.
  await target.page.goto(server.url + '/?room=reload');
  await target.page.waitForFunction(() => typeof window.kv?.ready === 'function');
  await target.page.evaluate(() => window.kv.ready());
  expect(await target.page.evaluate(() => window.kv.nodeId)).toBe('n2');
  // Its replicas were loaded from IndexedDB at start (not fetched again from peers).
  expect(await target.page.evaluate(() => (window.kv.snapshot() as { runtime: { node: { keys: number } } }).runtime.node.keys)).toBe(keysBefore);
  await waitForRing(tabs, ['n1', 'n2', 'n3']);
  for (let i = 0; i < 20; i++) expect(await getValues(target, `k${i}`)).toEqual([`v${i}`]);
});
