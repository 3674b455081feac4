/**
 * The benchmark harness: Chromium launched with the project's flags (test/chromium.ts), the app built (into
 * a directory of its own) and served by the real signaling server on 127.0.0.1, tabs opened under chosen node ids, a byte counter on
 * every data channel, percentiles, and the markdown table + JSON the run prints and writes.
 *
 * Benchmarks print figures; nothing here passes or fails on speed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.js';
import { startServer, type RunningServer } from '../../signaling/server.js';
import type { Kv } from '../../src/runtime/page-api.js';
import { openTab, teacherToken, type Tab } from '../e2e/helpers.js';

export const rootDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

declare global {
  interface Window {
    kv: Kv;
    /** Installed by wireCounterScript in every bench page: data-channel payload bytes this page sent. */
    __benchWire: { bytesSent: number; messagesSent: number };
  }
}

/** One line of the table: a figure of ours beside its baseline, measured in the same run. */
export interface Row {
  readonly id: string;
  readonly what: string;
  /** Our figure, already formatted with its unit (e.g. "p50 1.2 ms / p99 4.0 ms"). */
  readonly ours: string;
  readonly baseline: string;
  /** ours / baseline for the headline number, or undefined when no single ratio makes sense. */
  readonly ratio: number | undefined;
  readonly goal: string;
  /** 'met' | 'missed' | 'n/a', judged from the numbers; printed, never asserted. */
  readonly verdict: 'met' | 'missed' | 'n/a';
  /** Raw numbers behind the row, for the JSON file. */
  readonly data: Record<string, unknown>;
}

export interface BenchOptions {
  readonly quick: boolean;
  /** B6 also at 1,000,000 keys (`--million`): left out of the default run to keep it under 10 minutes. */
  readonly million?: boolean;
  readonly log: (line: string) => void;
}

export interface Bench {
  readonly id: string;
  run(env: BenchEnv): Promise<Row[]>;
}

export interface BenchEnv {
  readonly browser: Browser;
  readonly options: BenchOptions;
  /** Notes a bench wants printed below the table (how something was counted, where time went). */
  note(text: string): void;
}

// ---- Chromium, the app and tabs ----

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch(chromiumLaunchOptions());
}

/**
 * The bench serves its own build of the app, not dist/ (which the e2e suite may be using at the same
 * time): built unminified, so CPU profiles name our functions (minification barely changes speed).
 */
export const benchAppDir = path.join(os.tmpdir(), 'tabdynamo-bench-app');

/** Builds the app into benchAppDir (unless BENCH_SKIP_BUILD=1 and a build exists), so we measure current code. */
export function buildApp(log: (line: string) => void): void {
  if (process.env.BENCH_SKIP_BUILD && existsSync(path.join(benchAppDir, 'index.html'))) return;
  log(`building the app (vite build, unminified) into ${benchAppDir}...`);
  const vite = path.join(rootDir, 'node_modules', 'vite', 'bin', 'vite.js');
  const args = [vite, 'build', '--logLevel', 'warn', '--minify', 'false', '--outDir', benchAppDir, '--emptyOutDir'];
  const built = spawnSync(process.execPath, args, { cwd: rootDir, stdio: 'inherit' });
  if (built.status !== 0) throw new Error(`vite build failed (${built.error?.message ?? `exit ${built.status}`})`);
}

export async function startApp(): Promise<RunningServer> {
  // The tabs open the teacher link (e2e/helpers' openTab) so benchmarks may set fault rules.
  return startServer({ port: 0, host: '127.0.0.1', staticDir: benchAppDir, teacherToken, rate: { burst: 4000, perSecond: 2000 } });
}

/**
 * Wraps RTCDataChannel.prototype.send to count payload bytes. The same wrapper is installed in the app's
 * pages and in the Yjs pages, so both systems are counted the same way (SCTP/DTLS overhead excluded).
 */
export const wireCounterScript = `(() => {
  // tsx compiles this harness with keepNames, so functions passed to page.evaluate call __name().
  if (!('__name' in globalThis)) globalThis.__name = (f) => f;
  const wire = { bytesSent: 0, messagesSent: 0 };
  Object.defineProperty(window, '__benchWire', { value: wire });
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    let n = 0;
    if (typeof data === 'string') n = new TextEncoder().encode(data).length;
    else if (data instanceof Blob) n = data.size;
    else if (data && typeof data.byteLength === 'number') n = data.byteLength;
    wire.bytesSent += n;
    wire.messagesSent += 1;
    return send.call(this, data);
  };
})();`;

/**
 * Records every WebSocket address and every RTCPeerConnection's ICE servers a page asks for, so a bench
 * can prove it stayed on loopback (see loopbackProblems). Installed with the wire counter.
 */
export const networkLogScript = `(() => {
  const log = { sockets: [], iceServers: [] };
  Object.defineProperty(window, '__benchNet', { value: log });
  const WS = window.WebSocket;
  window.WebSocket = new Proxy(WS, { construct(target, args) { log.sockets.push(String(args[0])); return Reflect.construct(target, args); } });
  const PC = window.RTCPeerConnection;
  window.RTCPeerConnection = new Proxy(PC, { construct(target, args) {
    const servers = (args[0] && args[0].iceServers) || [];
    for (const s of servers) log.iceServers.push(JSON.stringify(s.urls));
    return Reflect.construct(target, args);
  } });
})();`;

/** Non-loopback HTTP requests are aborted and remembered here (per run), for loopbackProblems. */
const blockedRequests: string[] = [];

export async function newContext(browser: Browser, initScripts: readonly string[] = []): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript({ content: wireCounterScript });
  await context.addInitScript({ content: networkLogScript });
  for (const content of initScripts) await context.addInitScript({ content });
  await context.route((url) => url.hostname !== '127.0.0.1', (route) => {
    blockedRequests.push(route.request().url());
    return route.abort('blockedbyclient');
  });
  return context;
}

/** Anything that tried to leave loopback: non-loopback sockets, ICE servers, aborted HTTP requests. */
export async function loopbackProblems(pages: readonly Page[]): Promise<string[]> {
  const problems = blockedRequests.map((u) => `blocked HTTP request to ${u}`);
  for (const page of pages) {
    const net = await page.evaluate(() => (window as unknown as { __benchNet: { sockets: string[]; iceServers: string[] } }).__benchNet);
    problems.push(...net.sockets.filter((u) => !/^wss?:\/\/127\.0\.0\.1[:/]/.test(u)).map((u) => `WebSocket to ${u}`));
    problems.push(...net.iceServers.map((s) => `ICE server ${s}`));
  }
  return problems;
}

// Tabs open exactly as in the end-to-end specs (and fail with the tab's own words when it cannot start).
export { openTab, type Tab };

/** `count` tabs <prefix>1..<prefix>count, each in its own browser context (separate hosts: no shared IndexedDB). */
export async function openTabs(browser: Browser, baseUrl: string, room: string, count: number, prefix = 'n', initScripts: readonly string[] = []): Promise<Tab[]> {
  const tabs: Tab[] = [];
  for (let i = 1; i <= count; i++) tabs.push(await openTab(await newContext(browser, initScripts), baseUrl, `${prefix}${i}`, room));
  return tabs;
}

/** Waits until every tab sees every id alive; returns the ms it took. */
export async function waitForRing(tabs: readonly Tab[], timeoutMs = 60_000): Promise<number> {
  const want = tabs.map((t) => t.id).sort().join(',');
  const started = performance.now();
  for (const tab of tabs) {
    await waitUntil(async () => (await aliveIds(tab.page)).join(',') === want, timeoutMs - (performance.now() - started), `${tab.id} sees the ring ${want}`);
  }
  return performance.now() - started;
}

export async function aliveIds(page: Page): Promise<string[]> {
  return page.evaluate(() => window.kv.members().filter((m) => m.status === 'alive').map((m) => m.id).sort());
}

export async function closeTabs(tabs: readonly Tab[]): Promise<void> {
  for (const context of new Set(tabs.map((t) => t.context))) await context.close();
}

export async function wireBytes(pages: readonly Page[]): Promise<{ bytes: number; messages: number }> {
  let bytes = 0;
  let messages = 0;
  for (const page of pages) {
    const w = await page.evaluate(() => ({ ...window.__benchWire }));
    bytes += w.bytesSent;
    messages += w.messagesSent;
  }
  return { bytes, messages };
}

/** Polls `condition` every 50 ms; throws after `timeoutMs` naming what it waited for. */
export async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number, what: string, everyMs = 50): Promise<void> {
  const deadline = performance.now() + Math.max(0, timeoutMs);
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs)} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---- numbers ----

export interface Percentiles { readonly p50: number; readonly p99: number; readonly p999: number; readonly count: number }

/** Nearest-rank percentiles of `samples` (unsorted is fine). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), count: sorted.length };
}

export function ms(x: number): string {
  return x >= 100 ? `${x.toFixed(0)} ms` : x >= 10 ? `${x.toFixed(1)} ms` : `${x.toFixed(2)} ms`;
}

export function kib(bytes: number): string {
  return bytes >= 10 * 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

export function perSecond(x: number): string {
  return `${x >= 100 ? x.toFixed(0) : x.toFixed(1)}/s`;
}

// ---- output ----

export interface Machine {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly chromium: string;
}

export function machine(browser: Browser): Machine {
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    chromium: browser.version(),
  };
}

export function describeMachine(m: Machine): string {
  return `${m.date.slice(0, 16).replace('T', ' ')} UTC, ${m.cpu} (${m.cores} cores), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}, Chromium ${m.chromium}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(rows: readonly Row[]): string {
  const lines = ['| id | what | ours | baseline (same run) | ratio | goal | |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    const ratio = r.ratio === undefined || !Number.isFinite(r.ratio) ? '-' : `${r.ratio.toFixed(2)}x`;
    lines.push(`| ${[r.id, r.what, r.ours, r.baseline, ratio, r.goal, r.verdict].map(cell).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Writes bench-results/<stamp>.json and latest.json; returns the path written. */
export function writeJson(m: Machine, rows: readonly Row[], notes: readonly string[]): string {
  const dir = path.join(rootDir, 'bench-results');
  mkdirSync(dir, { recursive: true });
  const body = JSON.stringify({ machine: m, rows, notes }, null, 2);
  const file = path.join(dir, `${m.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, body);
  writeFileSync(path.join(dir, 'latest.json'), body);
  return file;
}

/** The markdown the README shows: date and machine, the table, the notes. */
export function resultsMarkdown(m: Machine, rows: readonly Row[], notes: readonly string[], command: string): string {
  return [
    '# Benchmark results (latest run)', '',
    `Produced by \`${command}\` on ${describeMachine(m)}.`,
    'Figures are printed, never asserted; noise on this shared 2-core machine is about +-30 %.', '',
    markdownTable(rows), '',
    ...(notes.length ? ['## Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
  ].join('\n');
}
