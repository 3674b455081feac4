// The signaling server restarts mid-run: the ring keeps serving over the data channels it already has,
// and every tab reconnects to the new server (same port) by itself.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { aliveMembers, closeAll, convergeTimeoutMs, getValues, openTab, openTabs, put, startApp, waitForRing, type Tab } from './helpers.js';

let server: RunningServer | undefined;
let tabs: Tab[] = [];

test.afterEach(async () => {
  await closeAll(tabs);
  tabs = [];
  await server?.close();
  server = undefined;
});

const signalingOf = (tab: Tab) => tab.page.evaluate(() => (window.kv.snapshot() as { network: { signaling: string } }).network.signaling);

test('the ring keeps serving while the signaling server is down, and tabs reconnect when it is back', async ({ browser }) => {
  server = await startApp();
  const port = server.port;
  tabs = await openTabs(browser, server.url, 'restart', 4, false);
  const ids = tabs.map((t) => t.id);
  await waitForRing(tabs, ids);
  // Writes from every tab open the data channels the outage must not need to open.
  for (const [i, tab] of tabs.entries()) await put(tab, `before-${i}`, `b${i}`);

  await server.close();
  server = undefined;
  for (const tab of tabs) await expect.poll(() => signalingOf(tab), { message: `${tab.id} notices the outage` }).not.toBe('open');

  for (const [i, tab] of tabs.entries()) await put(tab, `during-${i}`, `d${i}`);
  for (const tab of tabs) {
    for (let i = 0; i < tabs.length; i++) expect(await getValues(tab, `during-${i}`)).toEqual([`d${i}`]);
  }

  server = await startApp(port);
  for (const tab of tabs) {
    await expect.poll(() => signalingOf(tab), { timeout: convergeTimeoutMs, message: `${tab.id} reconnects` }).toBe('open');
    await expect.poll(() => tab.page.evaluate(() => (window.kv.snapshot() as { network: { presence: string[] } }).network.presence.length))
      .toBe(tabs.length);
  }
  // Fault rules travel through the new server again.
  await tabs[0]!.page.evaluate(() => window.kv.isolate('n4'));
  await expect.poll(() => tabs[3]!.page.evaluate(() => window.kv.faults().isolated)).toEqual(['n4']);
  await tabs[0]!.page.evaluate(() => window.kv.heal());
  await waitForRing(tabs, ids);
  for (const [i, tab] of tabs.entries()) expect(await getValues(tab, `before-${(i + 1) % tabs.length}`)).toEqual([`b${(i + 1) % tabs.length}`]);
});

test('an active isolation survives a signaling restart: the teacher tab re-asserts the room\'s rules', async ({ browser }) => {
  server = await startApp();
  const port = server.port;
  // One teacher tab (n1); the others are opened from the class link, so only n1 can set the rules again.
  tabs = [await openTab(await browser.newContext(), server.url, 'n1', 'keep')];
  for (const id of ['n2', 'n3', 'n4']) tabs.push(await openTab(await browser.newContext(), server.url, id, 'keep', 'class'));
  const ids = tabs.map((t) => t.id);
  await waitForRing(tabs, ids);
  await tabs[0]!.page.evaluate(() => window.kv.isolate('n4'));
  for (const tab of tabs) await expect.poll(() => tab.page.evaluate(() => window.kv.faults().isolated)).toEqual(['n4']);

  await server.close();
  server = undefined;
  for (const tab of tabs) await expect.poll(() => signalingOf(tab), { message: `${tab.id} notices the outage` }).not.toBe('open');
  server = await startApp(port);
  for (const tab of tabs) {
    await expect.poll(() => signalingOf(tab), { timeout: convergeTimeoutMs, message: `${tab.id} reconnects` }).toBe('open');
    // The new server greets with no faults; the isolation comes back (from n1) and stays.
    await expect.poll(() => tab.page.evaluate(() => window.kv.faults().isolated), { message: `${tab.id} has the isolation again` }).toEqual(['n4']);
  }
  // Still in force: n4 hears no one, so the others see it as not alive after the restart.
  await expect.poll(() => aliveMembers(tabs[1]!), { timeout: convergeTimeoutMs }).toEqual(['n1', 'n2', 'n3']);
  await tabs[0]!.page.evaluate(() => window.kv.heal());
  for (const tab of tabs) await expect.poll(() => tab.page.evaluate(() => window.kv.faults().isolated)).toEqual([]);
  await waitForRing(tabs, ids);
});
