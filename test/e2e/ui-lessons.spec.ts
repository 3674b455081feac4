/**
 * The classroom UI, driven as a person would (clicks and typing, never the backend directly), through two
 * lessons: partition -> siblings -> reconciliation, and sloppy quorum + hinted handoff. Each step asserts
 * what a person would see and saves a screenshot under test-results/ui/.
 *
 * The app runs over the in-memory fake cluster (test/e2e/ui-fixture): four nodes in one page, and
 * "switching tab" points the one <dynamo-app> at another node's view (window.fixture.show).
 */
import { expect, test, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../signaling/server.js';
import { buildUiFixture } from './ui-fixture/build.js';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ port: 0, staticDir: await buildUiFixture('ui-fixture-lessons') });
});
test.afterAll(async () => {
  await server.close();
});

async function open(page: Page): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.url}/index.html`);
  await expect(page.getByTestId('self-id')).toHaveText('tab-amber');
}

/** Looks at the cluster from another node, as if the person moved to that tab. */
async function tab(page: Page, id: string): Promise<void> {
  await page.evaluate((node) => (window as unknown as { fixture: { show(id: string): void } }).fixture.show(node), id);
  await expect(page.getByTestId('self-id')).toHaveText(id);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/ui/${name}.png` });
}

const view = (page: Page, name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
const step = (page: Page, button: string) => page.getByRole('button', { name: button, exact: true }).click();

test('partition -> siblings -> reconciliation, from the lesson panel and the key console', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: /Partition → siblings/ }).click();
  await expect(page.getByTestId('lesson-step')).toHaveCount(6);

  await step(page, 'Split in two');
  const banner = page.getByTestId('fault-banner');
  await expect(banner).toHaveText(/partitioned: \{tab-amber, tab-basil\} \| \{tab-cedar, tab-dune\}/);
  await shot(page, 'siblings-1-split');

  await step(page, 'Put cart = milk');
  await expect(page.getByTestId('outcome')).toHaveText('Stored cart.');
  await shot(page, 'siblings-2-milk');

  await tab(page, 'tab-cedar');
  await expect(banner).toHaveText(/partitioned/); // the same banner on every tab
  await step(page, 'Put cart = eggs');
  await expect(page.getByTestId('outcome')).toHaveText('Stored cart.');

  await step(page, 'Heal');
  await expect(banner).toHaveText('Network healthy: every node can reach every other.');

  await step(page, 'Get cart');
  const siblings = page.getByTestId('sibling');
  await expect(siblings).toHaveCount(2);
  await expect(page.getByTestId('sibling-value')).toHaveText(['milk', 'eggs']);
  await expect(page.getByText('cart: 2 siblings (concurrent writes)')).toBeVisible();
  // Each sibling names the writer in its clock, and the replicas that returned it.
  await expect(page.getByTestId('sibling-clock').nth(0)).toHaveText(/tab-amber:1/);
  await expect(page.getByTestId('sibling-clock').nth(1)).toHaveText(/tab-cedar:1/);
  await shot(page, 'siblings-3-two-siblings');

  // Reconcile by hand: edit the merged value and write it back with the context.
  const merged = page.getByLabel(/Merged value/);
  await expect(merged).toHaveValue('milk\neggs');
  await merged.fill('milk, eggs');
  await page.getByRole('button', { name: 'Write merged value' }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Reconciled cart: now one version.');
  await expect(siblings).toHaveCount(1);
  await shot(page, 'siblings-4-reconciled');

  // Another tab reads one value: the siblings collapsed.
  await tab(page, 'tab-basil');
  await view(page, 'Key console');
  await page.getByLabel('Key', { exact: true }).fill('cart');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(siblings).toHaveCount(1);
  await expect(page.getByTestId('sibling-value')).toHaveText('milk, eggs');
  await expect(page.getByTestId('sibling-clock')).toHaveText(/tab-amber:1 · tab-cedar:2/);
  await shot(page, 'siblings-5-other-tab');
});

test('keep one sibling: the kept value wins everywhere', async ({ page }) => {
  await open(page);
  // Two concurrent writes through the partition controls and the key console only.
  await view(page, 'Partitions');
  for (const id of ['tab-cedar', 'tab-dune']) await page.getByRole('group', { name: `group of ${id}` }).getByRole('button', { name: 'B' }).click();
  await page.getByRole('button', { name: 'Split', exact: true }).click();
  await expect(page.getByTestId('fault-banner')).toHaveText(/partitioned: \{tab-amber, tab-basil\} \| \{tab-cedar, tab-dune\}/);
  for (const [id, value] of [['tab-amber', 'tea'], ['tab-dune', 'coffee']] as const) {
    await tab(page, id);
    await view(page, 'Key console');
    await page.getByLabel('Key', { exact: true }).fill('drink');
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Put', exact: true }).click();
    await expect(page.getByTestId('outcome')).toHaveText('Stored drink.');
  }
  await view(page, 'Partitions');
  await page.getByRole('button', { name: 'Heal everything' }).click();
  await view(page, 'Key console');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(page.getByTestId('sibling')).toHaveCount(2);
  await page.getByTestId('sibling').filter({ hasText: 'coffee' }).getByRole('button', { name: 'Keep this one' }).click();
  await expect(page.getByTestId('sibling')).toHaveCount(1);
  await expect(page.getByTestId('sibling-value')).toHaveText('coffee');
  await shot(page, 'keep-one');
});

test('sloppy quorum and hinted handoff, from the lesson panel', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: /Sloppy quorum and hinted handoff/ }).click();

  await step(page, 'Locate "lesson:handoff"');
  const prefs = page.getByTestId('preference-list');
  await expect(prefs.locator('.chip')).toHaveCount(3);
  await expect(page.getByTestId('fallbacks')).toHaveText('none');
  await shot(page, 'handoff-1-locate');

  await step(page, 'Isolate a replica');
  const banner = page.getByTestId('fault-banner');
  await expect(banner).toHaveText(/isolated: tab-\w+/);
  const isolated = (await banner.textContent())!.match(/isolated: (tab-\w+)/)![1]!;
  await shot(page, 'handoff-2-isolated');

  await step(page, 'Put "lesson:handoff"');
  await expect(page.getByTestId('outcome')).toHaveText('Stored lesson:handoff.');

  await step(page, 'Show on the ring');
  const fallbacks = page.getByTestId('fallbacks');
  await expect(fallbacks.locator('.chip')).toHaveCount(1);
  const fallback = (await fallbacks.textContent())!.match(/tab-\w+/)![0];
  expect(fallback).not.toBe(isolated);
  await expect(page.getByTestId('holders')).not.toContainText(isolated);
  await shot(page, 'handoff-3-fallback-on-ring');

  // In the fallback's tab, the hint queue names the missing replica.
  await tab(page, fallback);
  await view(page, 'Activity');
  const hints = page.getByTestId('hints');
  await expect(hints.getByRole('row').filter({ hasText: isolated })).toHaveCount(1);
  await expect(page.getByTestId('timeline')).toContainText(`holding lesson:handoff for ${isolated}`);
  await shot(page, 'handoff-4-hint-queue');

  await step(page, 'Heal');
  await expect(banner).toHaveText('Network healthy: every node can reach every other.');
  await view(page, 'Activity');
  await expect(hints).toContainText('No hints held');
  await expect(page.getByTestId('timeline')).toContainText(`handed lesson:handoff back to ${isolated}`);
  await shot(page, 'handoff-5-handed-back');

  await step(page, 'Locate again');
  await expect(page.getByTestId('fallbacks')).toHaveText('none');
  await expect(page.getByTestId('holders')).toContainText(isolated);
  await shot(page, 'handoff-6-back-home');
});
