// Storage errors surface, never silently. Another tab deletes a running node's IndexedDB database (the
// store lets go of its connection so the deletion can proceed): from then on the node's writes fail, every
// failure is counted in kv.stats().storageErrors with a message saying what happened, and the rest of the
// ring carries on. (Chromium here ignores DevTools quota overrides, so a real QuotaExceededError cannot
// be provoked; its message is covered by the store's unit tests.)
import { expect, test } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { closeAll, convergeTimeoutMs, getValues, openTabs, put, startApp, stats, waitForRing, type Tab } from './helpers.js';

let server: RunningServer;
let tabs: Tab[] = [];

test.beforeAll(async () => { server = await startApp(); });
test.afterAll(async () => { await server.close(); });
test.afterEach(async () => { await closeAll(tabs); tabs = []; });

test('a node whose storage is taken away reports clear storage errors; the ring carries on', async ({ browser }) => {
  tabs = await openTabs(browser, server.url, 'storage', 4, true);
  await waitForRing(tabs, ['n1', 'n2', 'n3', 'n4']);
  const [n1, n2, n3] = tabs as [Tab, Tab, Tab, Tab];
  const deleted = await n2.page.evaluate(() => new Promise<string>((resolve) => {
    const request = indexedDB.deleteDatabase('tabdynamo-storage.n1');
    request.onsuccess = () => resolve('deleted');
    request.onerror = () => resolve(`error: ${String(request.error)}`);
  }));
  expect(deleted).toBe('deleted');

  const outcomes = await n1.page.evaluate(async () => {
    const out: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        await window.kv.put(`after-delete-${i}`, `v${i}`);
        out.push('ok');
      } catch (error) {
        out.push((error as Error).message);
      }
    }
    return out;
  });
  console.log('storage-errors.spec: put outcomes', JSON.stringify(outcomes));
  await expect.poll(async () => Number((await stats(n1)).storageErrors), { timeout: convergeTimeoutMs }).toBeGreaterThan(0);
  // The last failure may be a write of a step or a read (a load for anti-entropy or a get): both say why.
  const last = await stats(n1);
  expect(String(last.lastStorageError), JSON.stringify(last))
    .toMatch(/^storage closed: another tab deleted or upgraded this database \(tabdynamo-storage\.n1\), while (writing \d+ records|reading .+)$/);
  for (const outcome of outcomes.filter((o) => o !== 'ok')) expect(outcome).toMatch(/storage|quorum/);

  await put(n2, 'elsewhere', 'fine');
  expect(await getValues(n3, 'elsewhere')).toEqual(['fine']);
});
