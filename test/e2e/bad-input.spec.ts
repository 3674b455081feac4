// Bad input gets clear errors and crashes nothing: oversize keys and values are refused before they reach
// the node, naming the limit; a malformed signaling message closes only the offending socket, with a reason.
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, failure, getValues, openTabs, put, startApp, stats, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

test('oversize keys and values, bad options and a malformed signaling message get clear errors', async ({ browser }) => {
  tabs = await openTabs(browser, server.url, 'bad', 3, false);
  await waitForRing(tabs, ['n1', 'n2', 'n3']);
  const tab = tabs[0]!;
  const cases: [string, string][] = [
    ["window.kv.put('k'.repeat(513), 'v')", 'key too large: 513 bytes exceeds keyBytesMax (512 bytes)'],
    ["window.kv.get('k'.repeat(600))", 'key too large: 600 bytes exceeds keyBytesMax (512 bytes)'],
    ["window.kv.put('k', 'v'.repeat(65537))", 'value too large: 65537 bytes exceeds valueBytesMax (65536 bytes)'],
    ["window.kv.put('k', new Uint8Array(70000))", 'value too large: 70000 bytes exceeds valueBytesMax (65536 bytes)'],
    ["window.kv.put('k', 42)", 'value must be a string or a Uint8Array, got number'],
    ["window.kv.put('k', 'v', { context: 'garbage' })", 'invalid context: unknown context format'],
    ["window.kv.get('k', { r: 0 })", 'r must be an integer from 1 to 512, got 0'],
    ["window.kv.partition([['not an id']])", 'invalid fault rules'],
  ];
  for (const [script, message] of cases) expect(await failure(tab, script), script).toContain(message);

  // A raw socket speaking nonsense to the signaling server is closed with a reason; the tabs carry on.
  const closed = await tab.page.evaluate(async (url) => new Promise<{ code: number; reason: string }>((resolve) => {
    const socket = new WebSocket(url);
    socket.onopen = () => socket.send('{"this is": not json');
    socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
  }), server.signalUrl + '?room=bad');
  expect(closed.code).toBe(4400);
  expect(closed.reason.length).toBeGreaterThan(0);

  await put(tab, 'still', 'works');
  expect(await getValues(tabs[2]!, 'still')).toEqual(['works']);
  for (const t of tabs) {
    const s = await stats(t);
    expect(s.storageErrors).toBe(0);
    expect(await t.page.evaluate(() => (window.kv.snapshot() as { network: { signaling: string } }).network.signaling)).toBe('open');
  }
});
