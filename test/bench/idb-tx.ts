/**
 * Where a write transaction's time goes (issue 13): `npx tsx test/bench/idb-tx.ts [--rounds 3] [--samples 100]
 * [--tabs 1,3] [--persistent] [--only name,name]`. Real Chromium (test/chromium.ts options), one page per
 * browser context (as B1's tabs), each running the page half (idb-tx-page/main.ts): one transaction at a
 * time, timed from db.transaction() to `complete`. Every case runs in 1 tab and in 3 tabs at once (the N = 3
 * copies of a put), cases taken in turns within each round so drift hits all alike; the table gives medians
 * (p50) and p90 over all samples of all rounds and tabs. `--persistent` runs in one persistent profile on disk
 * (a user's browser) instead of Playwright's in-memory contexts (the benchmarks'). Prints figures, asserts nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.js';
import * as h from './harness.js';
import { buildIdbTxPage } from './idb-tx-page/build.js';
import type { Durability, RunArgs, RunResult, ShapeCase } from './idb-tx-page/main.js';
import { startYjsServer } from './yjs-page/server.js';

interface Case { readonly name: string; readonly c: RunArgs['c']; readonly batch: number; readonly durability: Durability }

const ourScope = ['versions', 'metas', 'hints', 'meta', 'journal'];
const shape = (scope: readonly string[], rows: ShapeCase['rows']): ShapeCase => ({ kind: 'shape', scope, rows });
const b = (store: string): ShapeCase['rows'][number] => ({ store, row: 'bytes' });

/** The cases: raw baselines, our rows one change at a time, and the real store. */
function cases(): Case[] {
  const out: Case[] = [];
  for (const durability of ['default', 'relaxed', 'strict'] as const) {
    out.push({ name: `raw 1 record (100 B), 1 store [${durability}]`, c: shape(['kv1'], [b('kv1')]), batch: 1, durability });
    out.push({ name: `idb-store apply, 1 put-version [${durability}]`, c: { kind: 'ours' }, batch: 1, durability });
  }
  const d = 'default' as const;
  out.push(
    { name: 'raw 1 record in 3 stores', c: shape(['kv1', 'kv2', 'kv3'], [b('kv1'), b('kv2'), b('kv3')]), batch: 1, durability: d },
    { name: 'raw 1 record, scope of 5 stores', c: shape(ourScope, [b('journal')]), batch: 1, durability: d },
    { name: 'VersionRow only (versions)', c: shape(['versions'], [{ store: 'versions', row: 'version' }]), batch: 1, durability: d },
    { name: 'VersionRow + journal meta (2 rows, 2 stores)', c: shape(['versions', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'journal', row: 'meta' }]), batch: 1, durability: d },
    { name: 'VersionRow + journal true (2 rows, 2 stores)', c: shape(['versions', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'journal', row: 'true' }]), batch: 1, durability: d },
    { name: 'our 3 rows, scope of 3 stores', c: shape(['versions', 'metas', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'metas', row: 'meta' }, { store: 'journal', row: 'true' }]), batch: 1, durability: d },
    { name: 'our 3 rows, scope of 5 stores (= write())', c: shape(ourScope, [{ store: 'versions', row: 'version' }, { store: 'metas', row: 'meta' }, { store: 'journal', row: 'true' }]), batch: 1, durability: d },
    { name: 'B3-like: 8 versions, VersionRow only', c: shape(['versions'], [{ store: 'versions', row: 'version' }]), batch: 8, durability: d },
    { name: 'B3-like: 8 versions, VersionRow + journal meta', c: shape(['versions', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'journal', row: 'meta' }]), batch: 8, durability: d },
    { name: 'B3-like: 8 versions, VersionRow + journal true', c: shape(['versions', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'journal', row: 'true' }]), batch: 8, durability: d },
    { name: 'B3-like: 8 versions, our 3 rows, scope of 3', c: shape(['versions', 'metas', 'journal'], [{ store: 'versions', row: 'version' }, { store: 'metas', row: 'meta' }, { store: 'journal', row: 'true' }]), batch: 8, durability: d },
    { name: 'B3-like: 8 versions, our 3 rows, scope of 5', c: shape(ourScope, [{ store: 'versions', row: 'version' }, { store: 'metas', row: 'meta' }, { store: 'journal', row: 'true' }]), batch: 8, durability: d },
    { name: 'B3-like: idb-store apply, 8 put-versions', c: { kind: 'ours' }, batch: 8, durability: d },
  );
  return out;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

async function main(): Promise<void> {
  const rounds = Number(arg('rounds') ?? 3);
  const samples = Number(arg('samples') ?? 100);
  const tabCounts = (arg('tabs') ?? '1,3').split(',').map(Number);
  const persistent = process.argv.includes('--persistent');
  const only = arg('only')?.split(',');
  const all = cases().filter((c) => !only || only.some((o) => c.name.includes(o)));
  const dir = await buildIdbTxPage();
  const server = await startYjsServer(dir);
  let browser: Browser | undefined;
  let profileDir: string | undefined;
  const contexts: BrowserContext[] = [];
  try {
    const pages: Page[] = [];
    const maxTabs = Math.max(...tabCounts);
    if (persistent) {
      profileDir = mkdtempSync(path.join(os.tmpdir(), 'tabdynamo-idbtx-profile-'));
      const context = await chromium.launchPersistentContext(profileDir, chromiumLaunchOptions());
      contexts.push(context);
      for (let i = 0; i < maxTabs; i++) pages.push(await context.newPage());
    } else {
      browser = await chromium.launch(chromiumLaunchOptions());
      for (let i = 0; i < maxTabs; i++) {
        const context = await browser.newContext();
        contexts.push(context);
        pages.push(await context.newPage());
      }
    }
    for (const page of pages) {
      page.on('pageerror', (error) => { console.error(`page error: ${error.message}`); });
      await page.goto(server.url);
      await page.waitForFunction(() => typeof (window as unknown as { idbTx?: unknown }).idbTx === 'object');
    }
    const results = new Map<string, { total: number[]; issue: number[] }>();
    const started = performance.now();
    for (let r = 0; r < rounds; r++) {
      for (const c of all) {
        for (const tabs of tabCounts) {
          const args: RunArgs = { c: c.c, batch: c.batch, samples, warmup: 20, durability: c.durability, valueBytes: 100 };
          const got = await Promise.all(pages.slice(0, tabs).map((p) => p.evaluate((a) => (window as unknown as { idbTx: { run(a: RunArgs): Promise<RunResult> } }).idbTx.run(a), args)));
          const key = `${c.name}|${tabs}`;
          const into = results.get(key) ?? { total: [], issue: [] };
          for (const g of got) { into.total.push(...g.totalMs); into.issue.push(...g.issueMs); }
          results.set(key, into);
        }
      }
      console.error(`round ${r + 1}/${rounds} done after ${((performance.now() - started) / 1000).toFixed(0)} s, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    }
    const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
    console.log(`\nIndexedDB write transactions, ${persistent ? 'persistent profile on disk' : 'in-memory contexts (as the benchmarks)'}, ${new Date().toISOString()}, load average ${load}, ${rounds} rounds x ${samples} samples per tab; ms from db.transaction() to complete (issue = the synchronous put() calls)\n`);
    const head = tabCounts.map((t) => `${t} tab${t > 1 ? 's at once' : ''}: p50 / p90`);
    console.log(`| case | ${head.join(' | ')} | issue p50 (1 tab) |`);
    console.log(`| --- | ${head.map(() => '---').join(' | ')} | --- |`);
    for (const c of all) {
      const cells = tabCounts.map((t) => {
        const s = results.get(`${c.name}|${t}`);
        if (!s || s.total.length === 0) return '-';
        const p = h.percentiles(s.total);
        return `${p.p50.toFixed(2)} / ${percentile(s.total, 0.9).toFixed(2)}`;
      });
      const issue = results.get(`${c.name}|${tabCounts[0]}`)?.issue ?? [];
      console.log(`| ${c.name} | ${cells.join(' | ')} | ${issue.length ? percentile(issue, 0.5).toFixed(3) : '-'} |`);
    }
  } finally {
    for (const context of contexts) await context.close();
    await browser?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
}

function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, z) => a - z);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
