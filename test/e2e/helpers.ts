/**
 * Shared steps of the app-level end-to-end specs: a real server per spec (serving dist/ and the signaling
 * WebSocket on 127.0.0.1), tabs that open the app under a chosen node id, and window.kv calls.
 * Waits are conditions (expect.poll / waitForFunction), never fixed sleeps.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startServer, type RunningServer } from '../../signaling/server.js';
import type { Kv } from '../../src/runtime/page-api.js';

/** The built app; E2E_DIST_DIR points elsewhere (e.g. a private build while others rebuild dist/). */
export const distDir = process.env.E2E_DIST_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');

/** Generous bound for convergence on a 2-core machine shared by the whole test run. */
export const convergeTimeoutMs = 30_000;

/**
 * The teacher token every spec's server is started with (as `TEACHER_TOKEN=... npm start` would), so tabs
 * opened with the teacher link may call kv.partition and friends.
 */
export const teacherToken = 'e2e-teacher-token';

export async function startApp(port = 0): Promise<RunningServer> {
  return startServer({ port, host: '127.0.0.1', staticDir: distDir, teacherToken });
}

/** The app's address for node `id` in `room`: the teacher link (default) or the class link. */
export function appUrl(baseUrl: string, id: string, room: string, link: 'teacher' | 'class' = 'teacher'): string {
  return `${baseUrl}/?node=${id}&room=${room}${link === 'teacher' ? `#teacher=${teacherToken}` : ''}`;
}

declare global {
  interface Window { kv: Kv }
}

export interface Tab {
  readonly id: string;
  readonly page: Page;
  readonly context: BrowserContext;
}

/**
 * Opens the app as node `id` in `context` and waits until kv.ready() (storage loaded, ring joined). Through
 * the teacher link unless `link` is 'class' (a student's tab, which may not change the room).
 */
export async function openTab(context: BrowserContext, baseUrl: string, id: string, room: string, link: 'teacher' | 'class' = 'teacher'): Promise<Tab> {
  const page = await context.newPage();
  page.on('pageerror', (error) => { console.error(`[${id}] page error: ${error.message}`); });
  await page.goto(appUrl(baseUrl, id, room, link));
  // A tab that cannot start says so in its status line (and installs no window.kv): fail with that text.
  await page.waitForFunction(() => typeof window.kv?.ready === 'function'
    || document.getElementById('status')?.textContent?.startsWith('cannot start'));
  const refused = await page.evaluate(() => (typeof window.kv === 'undefined' ? document.getElementById('status')?.textContent : undefined));
  if (refused) throw new Error(`tab ${id}: ${refused}`);
  await page.evaluate(() => window.kv.ready());
  return { id, page, context };
}

/** `count` tabs n1..n<count>; `shareContext` puts them all in one browser context (one user's browser). */
export async function openTabs(browser: Browser, baseUrl: string, room: string, count: number, shareContext: boolean): Promise<Tab[]> {
  const shared = shareContext ? await browser.newContext() : undefined;
  const tabs: Tab[] = [];
  for (let i = 1; i <= count; i++) tabs.push(await openTab(shared ?? (await browser.newContext()), baseUrl, `n${i}`, room));
  return tabs;
}

/** Waits until every tab sees exactly `ids` as alive members. */
export async function waitForRing(tabs: readonly Tab[], ids: readonly string[]): Promise<void> {
  const want = [...ids].sort();
  for (const tab of tabs) {
    await expect.poll(async () => (await aliveMembers(tab)).join(','), { timeout: convergeTimeoutMs, message: `${tab.id} sees the ring` })
      .toBe(want.join(','));
  }
}

export async function aliveMembers(tab: Tab): Promise<string[]> {
  return tab.page.evaluate(() => window.kv.members().filter((m) => m.status === 'alive').map((m) => m.id).sort());
}

export async function put(tab: Tab, key: string, value: string, context?: string): Promise<string> {
  return tab.page.evaluate(async ([k, v, c]) => (await window.kv.put(k, v, c === null ? {} : { context: c })).context, [key, value, context ?? null] as const);
}

/** The string values a get returns, sorted (siblings have no order). */
export async function getValues(tab: Tab, key: string): Promise<string[]> {
  return tab.page.evaluate(async (k) => (await window.kv.get(k)).values.map(String).sort(), key);
}

export async function getWithContext(tab: Tab, key: string): Promise<{ values: string[]; context: string }> {
  return tab.page.evaluate(async (k) => {
    const got = await window.kv.get(k);
    return { values: got.values.map(String).sort(), context: got.context };
  }, key);
}

export async function stats(tab: Tab): Promise<Record<string, unknown>> {
  return tab.page.evaluate(() => ({ ...window.kv.stats() }));
}

/** Error message of a kv call that must fail, or 'resolved' when it did not fail. */
export async function failure(tab: Tab, script: string): Promise<string> {
  return tab.page.evaluate(async (code) => {
    try {
      await (0, eval)(code);
      return 'resolved';
    } catch (error) {
      return error instanceof Error ? error.message : `non-Error: ${String(error)}`;
    }
  }, script);
}

export async function closeAll(tabs: readonly Tab[]): Promise<void> {
  const contexts = new Set(tabs.map((t) => t.context));
  for (const context of contexts) await context.close();
}
