// Two live tabs must never be one node: a duplicated tab (its sessionStorage copied, id included) takes a
// fresh id, and a ?node= that another tab of the browser already runs is refused with a clear message;
// the same id in another room is another node and starts.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, openTab, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

test('a duplicated tab gets its own node id; a ?node= already running is refused', async ({ browser }) => {
  const context = await browser.newContext();
  const first = await openTab(context, server.url, 'dup1', 'ids');
  tabs.push(first);

  // What "Duplicate tab" does: the new tab starts with a copy of the first one's sessionStorage.
  const copy = await context.newPage();
  await copy.addInitScript(() => { if (!sessionStorage.getItem('tabdynamo.nodeId')) sessionStorage.setItem('tabdynamo.nodeId', 'dup1'); });
  await copy.goto(`${server.url}/?room=ids`);
  await copy.waitForFunction(() => typeof window.kv?.ready === 'function');
  await copy.evaluate(() => window.kv.ready());
  const copyId = await copy.evaluate(() => window.kv.nodeId);
  expect(copyId).not.toBe('dup1');
  expect(copyId).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  tabs.push({ id: copyId, page: copy, context });
  await waitForRing(tabs, ['dup1', copyId]);

  const clash = await context.newPage();
  await clash.goto(`${server.url}/?node=dup1&room=ids`);
  await expect(clash.locator('#status')).toHaveText('cannot start: node dup1 is already running in another tab of this browser; close it or pick another ?node=');
  expect(await clash.evaluate(() => typeof window.kv)).toBe('undefined');

  // The same id in another room is another node (its own database): it starts beside the first.
  const otherRoom = await context.newPage();
  await otherRoom.goto(`${server.url}/?node=dup1&room=ids-other`);
  await otherRoom.waitForFunction(() => typeof window.kv?.ready === 'function');
  await otherRoom.evaluate(() => window.kv.ready());
  expect(await otherRoom.evaluate(() => window.kv.nodeId)).toBe('dup1');
  tabs.push({ id: 'dup1', page: otherRoom, context });
});
