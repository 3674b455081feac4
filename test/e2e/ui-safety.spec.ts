/**
 * Values are text, never markup: keys and values that look like HTML are stored, read back as siblings,
 * shown on the timeline, and nothing they contain runs or becomes an element. And a tab that cannot reach
 * the signaling server says so and keeps serving. The app runs over four real nodes in the page
 * (test/e2e/ui-fixture).
 */
import { expect, test, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../signaling/server.js';
import { buildUiFixture } from './ui-fixture/build.js';

let server: RunningServer;

interface FixtureWindow {
  fixture?: { show(id: string): void; settled(): boolean; setSignaling(id: string, state: string, detail: string): void };
}

/** Opens the fixture (four real nodes in the page) and waits until the ring has formed on every node. */
async function open(page: Page): Promise<void> {
  page.on('pageerror', (error) => { console.error(`page error: ${error.message}`); });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => (window as FixtureWindow).fixture?.settled() === true);
  await expect(page.getByTestId('self-id')).toHaveText('n1');
}

test.beforeAll(async () => {
  server = await startServer({ port: 0, staticDir: await buildUiFixture('ui-fixture-safety') });
});
test.afterAll(async () => {
  await server.close();
});

const view = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();

async function tab(page: Page, id: string): Promise<void> {
  await page.evaluate((node) => (window as FixtureWindow).fixture!.show(node), id);
  await expect(page.getByTestId('self-id')).toHaveText(id);
}

/** How many elements match `selector` in the document and every open shadow root. */
function deepTagCount(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    let count = 0;
    const walk = (root: Document | ShadowRoot) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.matches(sel)) count += 1;
        if (el.shadowRoot) walk(el.shadowRoot);
      }
    };
    walk(document);
    return count;
  }, selector);
}

const imgPayload = '<img src=x onerror="window.__pwned = (window.__pwned || 0) + 1">';
const svgPayload = '<svg onload="window.__pwned = (window.__pwned || 0) + 10"><circle r=5></circle></svg>';

test('markup in keys and values is shown as text and never runs', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await open(page);

  // Two concurrent writes under a partition, so both payloads come back as siblings side by side.
  await view(page, 'Partitions');
  for (const id of ['n3', 'n4']) await page.getByRole('group', { name: `group of ${id}` }).getByRole('button', { name: 'B' }).click();
  await page.getByRole('button', { name: 'Split', exact: true }).click();
  for (const [id, value] of [['n1', imgPayload], ['n3', svgPayload]] as const) {
    await tab(page, id);
    await view(page, 'Key console');
    await page.getByLabel('Key', { exact: true }).fill(imgPayload);
    await page.getByLabel('Value', { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Put', exact: true }).click();
    await expect(page.getByTestId('outcome')).toHaveText(`Stored ${imgPayload}.`);
  }
  await view(page, 'Partitions');
  await page.getByRole('button', { name: 'Heal everything' }).click();
  await expect(page.getByTestId('fault-banner')).toHaveText('Network healthy: every node can reach every other.');
  await view(page, 'Key console');
  // Both versions reach a read once the replicas have exchanged them: read again until they do.
  await expect.poll(async () => {
    await page.getByRole('button', { name: 'Get', exact: true }).click();
    await expect(page.getByTestId('outcome')).toHaveText(/^Read /);
    return page.getByTestId('sibling').count();
  }, { intervals: [500], message: 'a read returns both siblings' }).toBe(2);
  expect((await page.getByTestId('sibling-value').allTextContents()).sort()).toEqual([imgPayload, svgPayload].sort());
  await expect(page.getByText(`${imgPayload}: 2 siblings (concurrent writes)`)).toBeVisible();

  // The ring's probe and the timeline show the key as text too.
  await view(page, 'Ring');
  await page.getByLabel('Key to locate').fill(imgPayload);
  await page.getByRole('button', { name: 'Locate' }).click();
  await expect(page.getByTestId('location')).toContainText(imgPayload);
  await view(page, 'Activity');
  await expect(page.getByTestId('timeline')).toContainText(imgPayload);
  await page.screenshot({ path: 'test-results/ui/safety-markup-as-text.png' });
  await view(page, 'Key console');
  await page.screenshot({ path: 'test-results/ui/safety-siblings-as-text.png' });

  // Give an onerror or onload every chance to fire, then check that nothing ran and no element was made.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 300)));
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(await deepTagCount(page, 'img')).toBe(0);
  expect(await deepTagCount(page, 'svg')).toBe(1); // only the ring's own drawing
  expect(await deepTagCount(page, 'svg[aria-label^="Hash ring"]')).toBe(1);
  expect(await deepTagCount(page, '[onload],[onerror]')).toBe(0);
});

test('a tab that cannot reach the signaling server says so and keeps serving', async ({ page }) => {
  await open(page);
  await expect(page.getByTestId('signaling')).toHaveText('signaling connected');
  await page.evaluate(() => (window as FixtureWindow).fixture!.setSignaling('n1', 'closed', 'WebSocket closed: connection refused'));
  await expect(page.getByTestId('signaling')).toHaveText(
    'signaling server unreachable: still serving over open connections (WebSocket closed: connection refused)');
  await view(page, 'Key console');
  await page.getByLabel('Key', { exact: true }).fill('still-here');
  await page.getByLabel('Value', { exact: true }).fill('yes');
  await page.getByRole('button', { name: 'Put', exact: true }).click();
  await expect(page.getByTestId('outcome')).toHaveText('Stored still-here.');
  await page.getByRole('button', { name: 'Get', exact: true }).click();
  await expect(page.getByTestId('sibling-value')).toHaveText('yes');
  // Without the server this tab cannot change the room's fault rules, and says so.
  await view(page, 'Partitions');
  await page.getByRole('button', { name: 'Heal everything' }).click();
  await expect(page.getByTestId('partition-message')).toHaveText('heal failed: cannot change fault rules: the signaling server is not connected');
  await page.screenshot({ path: 'test-results/ui/safety-signaling-down.png' });
});

test('the settings warn while R + W <= N, and the lesson panel is keyboard operable', async ({ page }) => {
  await open(page);
  await view(page, 'Settings');
  const warning = page.getByTestId('rw-warning');
  await expect(warning).toHaveText(/R \+ W = 4 > N = 3/);
  await page.getByLabel('R', { exact: true }).fill('1');
  await expect(warning).toHaveText(/If applied: R \+ W = 3 ≤ N = 3/);
  await page.getByRole('button', { name: 'Apply to the cluster' }).click();
  await expect(warning).toHaveText(/Warning: R \+ W = 3 ≤ N = 3/);
  await expect(page.getByTestId('nrw')).toHaveText('N=3 R=1 W=2');
  // Keyboard: focus the first lesson and open it with Enter; the focus ring is visible.
  const first = page.getByRole('button', { name: /Sloppy quorum and hinted handoff/ });
  await first.focus();
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Tab');
  await expect(first).toBeFocused();
  const outline = await first.evaluate((el) => getComputedStyle(el).outlineStyle);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('button', { name: '← All lessons' })).toBeVisible();
  await page.screenshot({ path: 'test-results/ui/safety-settings-warning.png' });
  expect(outline).not.toBe('none');
});

test('Remove asks first, naming what the core says would move; dismissed, nothing is removed', async ({ page }) => {
  await open(page);
  await view(page, 'Members');
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await page.getByTestId('remove-n3').click();
  await expect.poll(() => dialogs.length).toBe(1);
  const message = dialogs[0] as string;
  const found = /^Remove n3 from the ring\? n3 owns (\d+) of (\d+) partitions; they move to (.+)\. Its data is not deleted/.exec(message);
  expect(found, message).not.toBeNull();
  const [, owned, partitions, destinations] = found as unknown as [string, string, string, string];
  expect(Number(owned)).toBeGreaterThan(0);
  expect(Number(owned)).toBeLessThan(Number(partitions));
  // Every moved partition goes to another member, and the counts add up to what n3 owns.
  const moves = destinations.split(', ').map((d) => /^(n\d) \((\d+)\)$/.exec(d));
  expect(moves.every((m) => m !== null && m[1] !== 'n3'), destinations).toBe(true);
  expect(moves.reduce((sum, m) => sum + Number(m?.[2]), 0)).toBe(Number(owned));
  // Dismissed: no removal was asked for, and n3 is still listed as a member that can be removed.
  await expect(page.getByRole('status').filter({ hasText: 'remove n3' })).toHaveCount(0);
  await expect(page.getByTestId('remove-n3')).toBeVisible();
});
