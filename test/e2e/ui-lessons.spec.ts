/**
 * The classroom UI, driven as a person would (clicks and typing, never the backend directly), through two
 * lessons: partition -> siblings -> reconciliation, and sloppy quorum + hinted handoff. Each step asserts
 * what a person would see and saves a screenshot under test-results/ui/.
 *
 * The app runs over four REAL nodes in one page (test/e2e/ui-fixture: the real core in the real runtime
 * loop, in-memory storage and network, the room's fault rules), adapted by the app's own runtime-backend;
 * "switching tab" points the one <dynamo-app> at another node (window.fixture.show). Real time: every wait
 * is a condition (failure detection, handoff and repair are eventual), never a fixed sleep.
 */
import { mkdirSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../signaling/server.js';
import { buildUiFixture } from './ui-fixture/build.js';

let server: RunningServer;

test.beforeAll(async () => {
  server = await startServer({ port: 0, staticDir: await buildUiFixture('ui-fixture-lessons') });
  mkdirSync('test-results/ui', { recursive: true });
});
test.afterAll(async () => {
  await server.close();
});

interface FixtureWindow { fixture?: { show(id: string): void; settled(): boolean } }

/** Opens the fixture at projector size and waits until the ring has formed on every node. */
async function open(page: Page): Promise<void> {
  page.on('pageerror', (error) => { console.error(`page error: ${error.message}`); });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => (window as FixtureWindow).fixture?.settled() === true);
  await expect(page.getByTestId('self-id')).toHaveText('n1');
  await view(page, 'Members');
  await expect(page.getByTestId('members').locator('.pill.alive')).toHaveCount(4);
}

/** Looks at the cluster from another node, as if the person moved to that tab. */
async function tab(page: Page, id: string): Promise<void> {
  await page.evaluate((node) => (window as FixtureWindow).fixture!.show(node), id);
  await expect(page.getByTestId('self-id')).toHaveText(id);
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `test-results/ui/${name}.png` });
}

const view = (page: Page, name: string) => page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
const step = (page: Page, button: string) => page.getByRole('button', { name: button, exact: true }).click();
const healthy = 'Network healthy: every node can reach every other.';

test('partition -> siblings -> reconciliation, from the lesson panel and the key console', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: /Partition → siblings/ }).click();
  await expect(page.getByTestId('lesson-step')).toHaveCount(7);
  // The first step's control lives in the Partitions view: its navigation button pulses until shown.
  const nav = page.getByRole('navigation', { name: 'Views' });
  await expect(nav.getByRole('button', { name: 'Partitions', exact: true })).toHaveClass(/lesson-target/);
  await expect(nav.locator('.lesson-target')).toHaveCount(1);

  await step(page, 'Split in two');
  const banner = page.getByTestId('fault-banner');
  await expect(banner).toHaveText('⚠ partitioned: {n1, n2} | {n3, n4}');
  await shot(page, 'siblings-1-split');

  await step(page, 'Put cart = milk');
  await expect(page.getByTestId('outcome')).toHaveText('Stored cart.');
  await shot(page, 'siblings-2-milk');

  await tab(page, 'n3');
  await expect(banner).toHaveText('⚠ partitioned: {n1, n2} | {n3, n4}'); // the same banner on every tab
  await step(page, 'Put cart = eggs');
  await expect(page.getByTestId('outcome')).toHaveText('Stored cart.');

  // The Heal step points at the Partitions view's "Heal everything": the view's button pulses, and once
  // shown, the control itself (and no longer the navigation button).
  await expect(nav.getByRole('button', { name: 'Partitions', exact: true })).toHaveClass(/lesson-target/);
  await view(page, 'Partitions');
  await expect(page.getByRole('button', { name: 'Heal everything' })).toHaveClass(/lesson-target/);
  await expect(nav.locator('.lesson-target')).toHaveCount(0);
  await shot(page, 'siblings-3a-heal-highlighted');
  await step(page, 'Heal');
  await expect(banner).toHaveText(healthy);

  // Both versions reach a read once the replicas have exchanged them (read repair, anti-entropy): read
  // again, as a person would, until the console shows both.
  const siblings = page.getByTestId('sibling');
  await expect.poll(async () => {
    await step(page, 'Get cart');
    await expect(page.getByTestId('outcome')).toHaveText(/^Read cart/);
    return siblings.count();
  }, { intervals: [500], message: 'a read returns both siblings' }).toBe(2);
  expect((await page.getByTestId('sibling-value').allTextContents()).map((v) => v.trim()).sort()).toEqual(['eggs', 'milk']);
  await expect(page.getByText('cart: 2 siblings (concurrent writes)')).toBeVisible();
  // Each sibling's clock names its writer (a node id, the epoch hidden), and the two clocks differ.
  const clocks = (await page.getByTestId('sibling-clock').allTextContents()).map((c) => c.trim());
  for (const c of clocks) expect(c).toMatch(/^n\d:\d+( · n\d:\d+)*$/);
  expect(clocks[0]).not.toBe(clocks[1]);
  await shot(page, 'siblings-3-two-siblings');

  // The next step asks to reconcile in the key console: its merge panel is highlighted there.
  await expect(page.locator('key-console .merge')).toHaveClass(/lesson-target/);
  // Reconcile by hand: edit the merged value and write it back with the context.
  const merged = page.getByLabel(/Merged value/);
  expect((await merged.inputValue()).split('\n').sort()).toEqual(['eggs', 'milk']);
  await merged.fill('milk, eggs');
  await page.getByRole('button', { name: 'Write merged value' }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Reconciled cart: now one version.');
  await expect(siblings).toHaveCount(1);
  await shot(page, 'siblings-4-reconciled');
  // The last step reads the cart again, and the lesson's verdict says what the class should see.
  await step(page, 'Read cart again');
  await expect(page.getByTestId('lesson-verdict')).toHaveText('✓ Lesson done: The read returned one value: "milk, eggs".');
  await shot(page, 'siblings-4a-lesson-verdict');

  // Another tab reads one value: the siblings collapsed, and the merged clock covers both writers.
  await tab(page, 'n2');
  await view(page, 'Key console');
  await page.getByLabel('Key', { exact: true }).fill('cart');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Read cart: one version.');
  await expect(page.getByTestId('sibling-value')).toHaveText('milk, eggs');
  const mergedClock = (await page.getByTestId('sibling-clock').textContent())?.trim() ?? '';
  for (const c of clocks) for (const entry of c.split(' · ')) expect(mergedClock).toContain(`${entry.split(':')[0]!}:`);
  await shot(page, 'siblings-5-other-tab');
});

test('keep one sibling: the kept value wins everywhere', async ({ page }) => {
  await open(page);
  // Two concurrent writes through the partition controls and the key console only.
  await view(page, 'Partitions');
  for (const id of ['n3', 'n4']) await page.getByRole('group', { name: `group of ${id}` }).getByRole('button', { name: 'B' }).click();
  await page.getByRole('button', { name: 'Split', exact: true }).click();
  await expect(page.getByTestId('fault-banner')).toHaveText('⚠ partitioned: {n1, n2} | {n3, n4}');
  for (const [id, value] of [['n1', 'tea'], ['n4', 'coffee']] as const) {
    await tab(page, id);
    await view(page, 'Key console');
    await page.getByLabel('Key', { exact: true }).fill('drink');
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Put', exact: true }).click();
    await expect(page.getByTestId('outcome')).toHaveText('Stored drink.');
  }
  await view(page, 'Partitions');
  await page.getByRole('button', { name: 'Heal everything' }).click();
  await expect(page.getByTestId('fault-banner')).toHaveText(healthy);
  await view(page, 'Key console');
  await expect.poll(async () => {
    await page.getByRole('button', { name: 'Get', exact: true }).click();
    await expect(page.getByTestId('outcome')).toHaveText(/^Read drink/);
    return page.getByTestId('sibling').count();
  }, { intervals: [500], message: 'a read returns both siblings' }).toBe(2);
  await page.getByTestId('sibling').filter({ hasText: 'coffee' }).getByRole('button', { name: 'Keep this one' }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Reconciled drink: now one version.');
  await expect(page.getByTestId('sibling-value')).toHaveText('coffee');
  // The other side reads the kept value too.
  await tab(page, 'n1');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Read drink: one version.');
  await expect(page.getByTestId('sibling-value')).toHaveText('coffee');
  // The context shows as a short fingerprint, the whole text in its tooltip.
  await expect(page.getByTestId('context')).toHaveText(/^context [0-9a-f]{4}…$/);
  expect(await page.getByTestId('context').getAttribute('title')).toMatch(/^The opaque context this get returned: .{8,}/);
  await shot(page, 'keep-one');
  // A put of another key clears the last read's card: it spoke of "drink" only.
  await page.getByLabel('Key', { exact: true }).fill('other');
  await page.getByLabel('Value', { exact: true }).fill('x');
  await page.getByRole('button', { name: 'Put', exact: true }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Stored other.');
  await expect(page.getByTestId('sibling')).toHaveCount(0);
  await expect(page.getByTestId('context')).toHaveCount(0);
});

test('sloppy quorum and hinted handoff, from the lesson panel', async ({ page }) => {
  await open(page);
  await page.getByRole('button', { name: /Sloppy quorum and hinted handoff/ }).click();

  await step(page, 'Locate "lesson:handoff"');
  const prefs = page.getByTestId('preference-list');
  await expect(prefs.locator('.chip')).toHaveCount(3);
  await expect(page.getByTestId('fallbacks')).toHaveText('none');
  const replicas = (await prefs.locator('.chip').allTextContents()).map((t) => t.replace(/^\d+\.\s*/, '').trim());
  await shot(page, 'handoff-1-locate');

  await step(page, 'Isolate a replica');
  const banner = page.getByTestId('fault-banner');
  await expect(banner).toHaveText(/^⚠ isolated: n\d$/);
  const isolated = (await banner.textContent())!.match(/isolated: (n\d)/)![1]!;
  expect(replicas).toContain(isolated);
  expect(isolated).not.toBe('n1');
  const standIn = ['n1', 'n2', 'n3', 'n4'].find((id) => !replicas.includes(id))!;
  await shot(page, 'handoff-2-isolated');

  // The step says: wait until the members view shows the replica suspect, then write.
  await view(page, 'Members');
  const row = page.getByTestId('members').getByRole('row').filter({ has: page.getByTitle(isolated, { exact: true }) });
  await expect(row.locator('.pill')).toHaveText(/^(suspect|dead)$/);
  await step(page, 'Put "lesson:handoff"');
  await expect(page.getByTestId('outcome')).toHaveText('Stored lesson:handoff.');

  await step(page, 'Show on the ring');
  const fallbacks = page.getByTestId('fallbacks');
  await expect(fallbacks.locator('.chip')).toHaveText([standIn]);
  await expect(page.getByTestId('holders')).not.toContainText(isolated);
  await shot(page, 'handoff-3-fallback-on-ring');

  // In the fallback's tab, the hint queue names the missing replica and the timeline says it kept a hint.
  await tab(page, standIn);
  await view(page, 'Activity');
  const hints = page.getByTestId('hints');
  await expect(hints.getByRole('row').filter({ hasText: isolated })).toHaveCount(1);
  await expect(page.getByTestId('timeline')).toContainText(`keep hint for ${isolated}: lesson:handoff`);
  await shot(page, 'handoff-4-hint-queue');

  await step(page, 'Heal');
  await expect(banner).toHaveText(healthy);
  // Locate at once, as an eager class would: the replica may still be suspect here for a moment, so the
  // press may find the fallback still standing in. The verdict follows the ring view's refresh from then
  // on (no second press), whichever way the press went.
  await step(page, 'Locate again');
  await view(page, 'Activity');
  await expect(hints).toContainText('No hints held');
  await expect(page.getByTestId('timeline')).toContainText(`hand lesson:handoff (1 version(s)) back to ${isolated}`);
  await shot(page, 'handoff-5-handed-back');

  await view(page, 'Ring');
  await expect(page.getByTestId('fallbacks')).toHaveText('none');
  await expect(page.getByTestId('holders')).toContainText(isolated);
  await expect(page.getByTestId('lesson-verdict')).toHaveText('✓ Lesson done: No fallback in use: every copy is back on the preference list.');
  await shot(page, 'handoff-6-back-home');
});

test('every lesson fits a 1280x720 projector without scrolling', async ({ page }) => {
  await open(page);
  const aside = page.getByRole('complementary', { name: 'Lessons' });
  const titles = await aside.getByRole('button').allTextContents();
  expect(titles.length).toBeGreaterThanOrEqual(5);
  for (const [i, title] of titles.entries()) {
    await aside.getByRole('button').nth(i).click();
    await expect(aside.getByRole('button', { name: '← All lessons' })).toBeVisible();
    await shot(page, `lesson-fits-${i + 1}`);
    // Nothing is cut off: the panel's content is no taller than the panel, and the last step is on screen.
    const { scroll, client } = await aside.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
    expect(scroll, `lesson "${title.trim()}" fits without scrolling`).toBeLessThanOrEqual(client);
    await expect(aside.getByTestId('lesson-step').last()).toBeInViewport({ ratio: 1 });
    await aside.getByRole('button', { name: '← All lessons' }).click();
  }
});
