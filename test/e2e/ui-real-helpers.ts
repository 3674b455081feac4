/**
 * Steps of the real-app UI specs: open the app as a person would (a tab per node, 1280x720, some tabs in
 * one browser context, others in their own = other hosts), then drive only the views: clicks and typing.
 * window.kv is used for one thing: waiting until a tab's node is ready.
 */
import { mkdirSync } from 'node:fs';
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { appUrl, startApp, teacherToken } from './helpers.js';

/** Where the step screenshots go, for review. */
export const shotDir = 'test-results/ui-real';

/** Generous bound for the cluster to react (failure detection, handoff, anti-entropy) on 2 shared cores. */
export const reactTimeoutMs = 30_000;

/**
 * One app server for the spec file (started before its tests, stopped after them) and the browser contexts a
 * test opens, closed after each test. Call once at the top of a spec.
 */
export function useApp(): { readonly url: () => string; readonly contexts: BrowserContext[] } {
  let server: RunningServer | undefined;
  const contexts: BrowserContext[] = [];
  test.beforeAll(async () => { server = await startApp(); });
  test.afterAll(async () => { await server?.close(); });
  // Every test of these specs drives four or more real tabs through many steps: on a busy two-core machine
  // that takes longer than the default bound (a hang detector, not a speed check), so each gets three times it.
  test.beforeEach(() => { test.slow(); });
  test.afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });
  return {
    url: () => {
      if (server === undefined) throw new Error('useApp: the server starts in beforeAll');
      return server.url;
    },
    contexts,
  };
}

export interface UiTab {
  readonly id: string;
  readonly page: Page;
}

/** Opens the app as node `id` in `context` (the teacher link), at projector size, and waits until its node is ready. */
export async function openUiTab(context: BrowserContext, baseUrl: string, id: string, room: string): Promise<UiTab> {
  const page = await context.newPage();
  page.on('pageerror', (error) => { console.error(`[${id}] page error: ${error.message}`); });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(appUrl(baseUrl, id, room));
  await page.waitForFunction(() => typeof (window as { kv?: { ready?: unknown } }).kv?.ready === 'function');
  await page.evaluate(() => (window as unknown as { kv: { ready(): Promise<void> } }).kv.ready());
  await expect(page.getByTestId('self-id')).toHaveText(id);
  return { id, page };
}

export async function shot(tab: UiTab, name: string): Promise<void> {
  mkdirSync(shotDir, { recursive: true });
  await tab.page.screenshot({ path: `${shotDir}/${name}.png` });
}

/** Switches the tab to one of the views in the left navigation. */
export async function view(tab: UiTab, name: 'Key console' | 'Ring' | 'Members' | 'Partitions' | 'Activity' | 'Settings'): Promise<void> {
  await tab.page.getByRole('navigation', { name: 'Views' }).getByRole('button', { name, exact: true }).click();
}

/** Waits until the members view of `tab` lists `count` alive members (the ring has formed, as the tab sees it). */
export async function waitForMembers(tab: UiTab, count: number): Promise<void> {
  await view(tab, 'Members');
  await expect(tab.page.getByTestId('members').locator('.pill.alive'), `${tab.id} sees ${count} alive members`)
    .toHaveCount(count, { timeout: reactTimeoutMs });
}

export const banner = (tab: UiTab): Locator => tab.page.getByTestId('fault-banner');
export const outcome = (tab: UiTab): Locator => tab.page.getByTestId('outcome');
export const healthyText = 'Network healthy: every node can reach every other.';

/** Types a key (and a value) into the key console and presses Put. */
export async function consolePut(tab: UiTab, key: string, value: string): Promise<void> {
  await view(tab, 'Key console');
  await tab.page.getByLabel('Key', { exact: true }).fill(key);
  await tab.page.getByLabel('Value', { exact: true }).fill(value);
  await tab.page.getByRole('button', { name: 'Put', exact: true }).click();
}

/** Types a key into the key console and presses Get. */
export async function consoleGet(tab: UiTab, key: string): Promise<void> {
  await view(tab, 'Key console');
  await tab.page.getByLabel('Key', { exact: true }).fill(key);
  await tab.page.getByRole('button', { name: 'Get', exact: true }).click();
}

/**
 * Presses Get until the console shows `count` versions, as a person re-reading while replicas converge
 * (read repair and anti-entropy are eventual); each read is awaited before the next.
 */
export async function getUntilVersions(tab: UiTab, key: string, count: number): Promise<void> {
  const cards = tab.page.getByTestId('sibling');
  await expect.poll(async () => {
    await consoleGet(tab, key);
    await expect(outcome(tab)).toHaveText(new RegExp(`(Read ${key}|${key} not found|get failed)`), { timeout: reactTimeoutMs });
    return cards.count();
  }, { timeout: 2 * reactTimeoutMs, intervals: [500], message: `${tab.id} reads ${count} version(s) of ${key}` }).toBe(count);
}

/** Waits until the members view of `tab` shows `id` as no longer alive (suspect or dead). */
export async function waitForSuspect(tab: UiTab, id: string): Promise<void> {
  await view(tab, 'Members');
  const row = tab.page.getByTestId('members').getByRole('row').filter({ has: tab.page.getByTitle(id, { exact: true }) });
  await expect(row.locator('.pill'), `${tab.id} sees ${id} suspect or dead`).toHaveText(/^(suspect|dead)$/, { timeout: reactTimeoutMs });
}

/** Locates `key` in the ring view. */
export async function locate(tab: UiTab, key: string): Promise<void> {
  await view(tab, 'Ring');
  await tab.page.getByLabel('Key to locate').fill(key);
  await tab.page.getByRole('button', { name: 'Locate', exact: true }).click();
}

/** The node ids shown as chips in a ring-view list (preference list, fallbacks, holders). */
export async function chipIds(list: Locator): Promise<string[]> {
  const texts = await list.locator('.chip').allTextContents();
  return texts.map((t) => t.replace(/^\d+\.\s*/, '').trim());
}

/**
 * Four tabs: n1 and n2 in one context (one browser = one host), n3 and n4 in contexts of their own; every
 * context opened is pushed onto `opened` so the spec closes them. Resolves once every tab sees 4 members.
 */
export async function openCluster(browser: Browser, baseUrl: string, room: string, opened: BrowserContext[]): Promise<UiTab[]> {
  const shared = await browser.newContext();
  opened.push(shared);
  const tabs: UiTab[] = [];
  for (const id of ['n1', 'n2', 'n3', 'n4']) {
    const context = id === 'n1' || id === 'n2' ? shared : await browser.newContext();
    if (!opened.includes(context)) opened.push(context);
    tabs.push(await openUiTab(context, baseUrl, id, room));
  }
  for (const tab of tabs) await waitForMembers(tab, 4);
  return tabs;
}

/** Where the projector's screenshots at each lesson step go, for review (one file per step, by lesson). */
export const projectorShotDir = 'test-results/projector-lessons';

/**
 * Opens the projector view (/?view=class, the teacher link) of `room` at 1280x720 in a browser context of
 * its own (the classroom's projector laptop; pushed onto `opened` so the spec closes it) and waits until it
 * draws every node of `ids`. It observes through the signaling server; it is not a node.
 */
export async function openProjector(browser: Browser, opened: BrowserContext[], baseUrl: string, room: string, ids: readonly string[]): Promise<Page> {
  const context = await browser.newContext();
  opened.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => { console.error(`[projector] page error: ${error.message}`); });
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${baseUrl}/?view=class&room=${room}#teacher=${teacherToken}`);
  await expect.poll(() => page.evaluate(() => (window as unknown as { projector?: { state(): { nodes: string[] } } }).projector?.state().nodes.sort() ?? []),
    // Three reaction bounds: the page loads, connects and then hears a status frame from every node (one a
    // second each); under a load of 50 on two cores the first try took more than one bound.
    { timeout: 3 * reactTimeoutMs, message: `the projector draws ${ids.join(', ')}` }).toEqual(expect.arrayContaining([...ids]));
  return page;
}

/** A screenshot of the projector view after a lesson step, named `<lesson>-<n>-<what>`. */
export async function projectorShot(page: Page, name: string): Promise<void> {
  mkdirSync(projectorShotDir, { recursive: true });
  await page.screenshot({ path: `${projectorShotDir}/${name}.png` });
}

/**
 * The lessons panel of `tab` shows all of the open lesson at 1280x720 with nothing to scroll: neither the
 * panel nor the page (the teacher's status bar included), and its last line is on screen.
 */
export async function expectLessonFits(tab: UiTab, when: string): Promise<void> {
  const aside = tab.page.getByRole('complementary', { name: 'Lessons' });
  const sizes = await aside.evaluate((el) => ({
    panel: el.scrollHeight - el.clientHeight, page: document.documentElement.scrollHeight - window.innerHeight,
  }));
  expect(sizes, `${tab.id}: the lesson fits without scrolling ${when}`).toEqual({ panel: 0, page: 0 });
  const lastLine = aside.getByTestId('lesson-verdict').or(aside.getByTestId('lesson-step').last()).last();
  await expect(lastLine, `${tab.id}: the lesson's last line is on screen ${when}`).toBeInViewport({ ratio: 1 });
}
