/**
 * The chaos run's cluster: the real app and signaling server (started here, on a free port, and restarted
 * on the SAME port by the nemesis) and real tabs spread over several browser contexts, `tabsPerContext` tabs
 * per context: tabs of one context share a host id (localStorage) and IndexedDB, as one user's browser does.
 * Opening a tab and starting the server reuse test/e2e/helpers.ts, so the run drives the app exactly as the
 * end-to-end specs do. A tab that is closed, reloading or wiping is not usable: clients wait for it.
 */
import type { Browser, BrowserContext } from '@playwright/test';
import type { RunningServer } from '../../signaling/server.js';
import { openTab, startApp, type Tab } from '../e2e/helpers.js';
import { pollUntil } from './wait.js';

export const tabsPerContext = 2;

/** Upper bound for a tab to come back (open, ready) or reconnect: only a hang crosses it. */
const tabBackBoundMs = 120_000;

export interface ChaosCluster {
  readonly room: string;
  readonly ids: readonly string[];
  /** The tab of `id` when it is open and ready, else undefined. */
  usable(id: string): Tab | undefined;
  /** Any usable tab (for room-wide commands), preferring `id`; undefined when none is. */
  anyUsable(prefer?: string): Tab | undefined;
  /** Closes the tab of `id` (its context, and so its IndexedDB, stays). */
  closeTab(id: string): Promise<void>;
  /** Opens `id` again in its own context with the same `?node=`. */
  reopenTab(id: string): Promise<void>;
  /** kv.wipe() in the tab of `id`, then waits for the reloaded page to be ready. */
  wipeTab(id: string): Promise<void>;
  stopServer(): Promise<void>;
  /** Starts the server on the port it had, and waits until every open tab's signaling socket is open again. */
  restartServer(): Promise<void>;
  /** Closes every context and the server. */
  shutdown(): Promise<void>;
}

const signalingOf = (tab: Tab) => tab.page.evaluate(() => (window.kv.snapshot() as { network: { signaling: string } }).network.signaling);

export async function start(browser: Browser, tabCount: number, room: string): Promise<ChaosCluster> {
  let server: RunningServer | undefined = await startApp();
  const port = server.port;
  const url = server.url;
  const ids = Array.from({ length: tabCount }, (_, i) => `n${i + 1}`);
  const contextOf = new Map<string, BrowserContext>();
  const tabs = new Map<string, Tab | undefined>();
  const contexts: BrowserContext[] = [];
  for (const [i, id] of ids.entries()) {
    if (i % tabsPerContext === 0) contexts.push(await browser.newContext());
    const context = contexts[contexts.length - 1]!;
    contextOf.set(id, context);
    tabs.set(id, await openTab(context, url, id, room));
  }

  const tabOf = (id: string): Tab => {
    const tab = tabs.get(id);
    if (!tab) throw new Error(`chaos cluster: ${id} is not open`);
    return tab;
  };

  return {
    room,
    ids,
    usable: (id) => tabs.get(id),
    anyUsable(prefer) {
      const preferred = prefer === undefined ? undefined : tabs.get(prefer);
      return preferred ?? ids.map((id) => tabs.get(id)).find((t) => t !== undefined);
    },
    async closeTab(id) {
      const tab = tabOf(id);
      tabs.set(id, undefined);
      await tab.page.close();
    },
    async reopenTab(id) {
      tabs.set(id, await openTab(contextOf.get(id)!, url, id, room));
    },
    async wipeTab(id) {
      const tab = tabOf(id);
      tabs.set(id, undefined);
      const reloaded = tab.page.waitForEvent('load', { timeout: tabBackBoundMs });
      await tab.page.evaluate(() => { void window.kv.wipe(); });
      await reloaded;
      await tab.page.waitForFunction(() => typeof window.kv?.ready === 'function', undefined, { timeout: tabBackBoundMs });
      await tab.page.evaluate(() => window.kv.ready());
      tabs.set(id, tab);
    },
    async stopServer() {
      await server?.close();
      server = undefined;
    },
    async restartServer() {
      server = await startApp(port);
      for (const id of ids) {
        const tab = tabs.get(id);
        if (tab) await pollUntil(`${id} reconnects to the signaling server`, tabBackBoundMs, async () => (await signalingOf(tab)) === 'open');
      }
    },
    async shutdown() {
      for (const context of contexts) await context.close().catch((e: unknown) => console.error(`chaos: closing a context: ${String(e)}`));
      await server?.close();
      server = undefined;
    },
  };
}
