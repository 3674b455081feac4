/**
 * The ring a class can read, against the REAL app: the teacher re-cuts the room to 16 partitions from the
 * Settings view (every acknowledged write still reads back), the ring draws 16 numbered slices and the located
 * key's preference list as an arc, and the replica table shows what each replica holds and why two versions
 * are concurrent. Also: a capacity chosen in one tab stays in that tab. Screenshots at 1280x720 under
 * test-results/ui-real/.
 */
import { expect, test } from '@playwright/test';
import { consolePut, locate, openCluster, outcome, reactTimeoutMs, shot, view, type UiTab, useApp } from './ui-real-helpers.js';

const app = useApp();

test('16 partitions from Settings: data stays readable, the ring is numbered, the key\'s replicas drawn and tabled', async ({ browser }) => {
  const tabs = await openCluster(browser, app.url(), 'ui-ring', app.contexts);
  const [n1, n2, n3] = tabs as [UiTab, UiTab, UiTab, UiTab];
  const keys = Array.from({ length: 20 }, (_, i) => `q:${i}`);
  for (const key of keys) await n2.page.evaluate(async (k) => { await window.kv.put(k, `v-${k}`); }, key);

  await view(n1, 'Settings');
  await n1.page.getByLabel('partitions').selectOption('16');
  await n1.page.getByRole('button', { name: 'Apply partitions' }).click();
  await expect(n1.page.getByTestId('settings-message')).toHaveText(/^Applied 16 partitions/, { timeout: reactTimeoutMs });
  for (const tab of tabs) await expect.poll(() => tab.page.evaluate(() => window.kv.config().partitions), { message: `${tab.id} adopts Q = 16` }).toBe(16);
  await shot(n1, 'ring-1-settings-16-partitions');
  // Judged by what a client sees: every write acknowledged before the change reads back after it.
  for (const key of keys) expect(await n3.page.evaluate(async (k) => (await window.kv.get(k, { r: 3 })).values.map(String), key)).toEqual([`v-${key}`]);

  await consolePut(n1, 'demo', 'hello class');
  await expect(outcome(n1)).toHaveText('Stored demo.', { timeout: reactTimeoutMs });
  await locate(n1, 'demo');
  await expect(n1.page.getByRole('heading', { name: 'Ring: 16 partitions, N = 3' })).toBeVisible();
  await expect(n1.page.locator('ring-view svg > path')).toHaveCount(16 + await n1.page.evaluate(() => {
    const s = window.kv.snapshot() as { runtime?: { node: { owners: string[] } } };
    return (s.runtime?.node.owners ?? []).filter((o) => o === 'n1').length; // this tab's white band
  }));
  await expect(n1.page.getByTestId('preference-arc')).toBeVisible();
  await expect(n1.page.getByTestId('preference-arc').locator('circle')).toHaveCount(3);
  const table = n1.page.getByTestId('replica-table');
  await expect(table.locator('tbody tr').filter({ hasText: /replica \d/ })).toHaveCount(3, { timeout: reactTimeoutMs });
  // Each replica holds the value; a hinted holder may hold it too (a store that was slow to be acknowledged
  // leaves a hint on a fallback, the writing tab included): the table lists it as such, which is the truth.
  await expect(table.locator('tbody tr').filter({ hasText: /replica \d/ }).filter({ hasText: 'hello class' })).toHaveCount(3);
  await shot(n1, 'ring-2-located-arc-and-replica-table');

  // Two concurrent writes (a split, one write on each side): the table says why both stay.
  await n1.page.evaluate(() => window.kv.partition([['n1', 'n2']]));
  await n1.page.evaluate(() => window.kv.put('cart', 'milk'));
  await n3.page.evaluate(() => window.kv.put('cart', 'eggs'));
  await n1.page.evaluate(() => window.kv.heal());
  // Wait until the healed ring serves both versions (hints handed back, read repair) before looking at the
  // table: on a loaded machine failure detection and handoff take a while after the heal.
  await expect.poll(() => n1.page.evaluate(async () => (await window.kv.get('cart')).values.length), {
    timeout: 4 * reactTimeoutMs, intervals: [1_000], message: 'both sides\' writes are siblings after the heal',
  }).toBe(2);
  await locate(n1, 'cart');
  await expect(n1.page.getByTestId('why').first()).toHaveText(/^neither has seen the other's write: n\d's \d+(st|nd|rd|th) write vs n\d's \d+(st|nd|rd|th) write$/, { timeout: reactTimeoutMs });
  await shot(n1, 'ring-3-concurrent-versions-explained');
});

test('a capacity set in one tab stays in that tab (n1 and n2 share a browser)', async ({ browser }) => {
  const tabs = await openCluster(browser, app.url(), 'ui-capacity', app.contexts);
  const [n1, n2] = tabs as [UiTab, UiTab, UiTab, UiTab];
  await n2.page.evaluate(() => window.kv.setCapacity(2));
  await n1.page.reload();
  await n1.page.waitForFunction(() => typeof (window as { kv?: { ready?: unknown } }).kv?.ready === 'function');
  await n1.page.evaluate(() => window.kv.ready());
  const capacity = (tab: UiTab) => tab.page.evaluate(() => (window.kv.snapshot() as { identity: { capacity: number } }).identity.capacity);
  expect(await capacity(n1)).toBe(1);
  await n2.page.reload();
  await n2.page.waitForFunction(() => typeof (window as { kv?: { ready?: unknown } }).kv?.ready === 'function');
  await n2.page.evaluate(() => window.kv.ready());
  expect(await capacity(n2)).toBe(2);
});
