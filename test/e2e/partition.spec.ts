// Partition {n1,n2} | {n3,n4,n5}, a concurrent put to one key on each side, heal: a get returns both
// siblings; a put with that get's context leaves one value on every tab.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, convergeTimeoutMs, getValues, getWithContext, openTabs, put, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

test('concurrent writes on both sides of a partition become siblings, and a reconciling put resolves them', async ({ browser }) => {
  tabs = await openTabs(browser, server.url, 'split', 5, false);
  const ids = tabs.map((t) => t.id);
  await waitForRing(tabs, ids);
  const [n1, , n3] = tabs as [Tab, Tab, Tab, Tab, Tab];
  await put(n1, 'cart', 'initial');

  await n1.page.evaluate(() => window.kv.partition([['n1', 'n2'], ['n3', 'n4', 'n5']]));
  // The rules reached every tab (the server echoed them to all).
  for (const tab of tabs) {
    await expect.poll(() => tab.page.evaluate(() => window.kv.faults().groups.length)).toBe(2);
  }
  // Each side writes with the context of the value both saw: the two writes are concurrent.
  const { context } = await getWithContext(n3, 'cart');
  await n1.page.evaluate((c) => window.kv.put('cart', 'left side', { context: c }), context);
  await n3.page.evaluate((c) => window.kv.put('cart', 'right side', { context: c }), context);

  await n1.page.evaluate(() => window.kv.heal());
  for (const tab of tabs) {
    await expect.poll(() => tab.page.evaluate(() => window.kv.faults().groups.length)).toBe(0);
  }
  // Read repair and anti-entropy spread both versions; a get from any tab sees both siblings.
  for (const tab of tabs) {
    await expect.poll(() => getValues(tab, 'cart'), { timeout: convergeTimeoutMs, message: `siblings on ${tab.id}` })
      .toEqual(['left side', 'right side']);
  }
  const siblings = await getWithContext(tabs[4]!, 'cart');
  await put(tabs[4]!, 'cart', 'merged', siblings.context);
  for (const tab of tabs) {
    await expect.poll(() => getValues(tab, 'cart'), { timeout: convergeTimeoutMs, message: `merged on ${tab.id}` }).toEqual(['merged']);
  }
});
