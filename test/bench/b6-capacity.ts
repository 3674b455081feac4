/**
 * B6: one tab holding 10k, 100k and 1M keys (100 B values): JS heap, renderer process memory, start-up
 * time, and get p50 (R = 1: a lone tab is its own only replica).
 *
 * Bulk load (there is no bulk-load API): between sizes the tab is closed and rows are written straight
 * into its IndexedDB database (`tabdynamo-<room>.<id>`, object store `versions` {key, digest, version},
 * the layout of src/browser/idb-store.ts and idb-rows.ts, schema 4), 10,000 keys per transaction, from a
 * page of the same origin. The writer also clears the checkpoint (`chunks`, `journal`), which these rows
 * bypass: the tab then starts with no checkpoint (as one upgraded from schema 2 would), reading every
 * row and hashing its clock (the baseline, same run), builds its checkpoint in the background, and
 * is closed and reopened once that has caught up: that restart is the start-up measured. Every row holds
 * one version made by src/core/version.make (same clock and value for every key, so one digest), so the
 * integrity check passes. Loading 1M keys through kv.put would take far longer than the 15-minute budget
 * (see the measured put rate in the notes).
 */
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import * as version from '../../src/core/version.js';
import * as h from './harness.js';
import * as profile from './profile.js';

const valueBytes = 100;
const nodeId = 'b6n1';
const room = 'bench-b6';

async function bulkWrite(page: Page, from: number, to: number, row: { digest: string; version: unknown }): Promise<void> {
  await page.evaluate(async ([start, end, template, dbName]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open(dbName);
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error ?? new Error('open failed'));
    });
    const v = template.version as { value: { kind: string; bytes: number[] } };
    const version = { ...v, value: { kind: v.value.kind, bytes: new Uint8Array(v.value.bytes) } };
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['chunks', 'journal'], 'readwrite');
      tx.objectStore('chunks').clear();
      tx.objectStore('journal').clear();
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('clearing the checkpoint failed'));
    });
    for (let i = start; i < end; i += 10_000) {
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['versions'], 'readwrite', { durability: 'relaxed' });
        const store = tx.objectStore('versions');
        for (let j = i; j < Math.min(end, i + 10_000); j++) store.put({ key: `k${j}`, digest: template.digest, version });
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error ?? new Error('bulk write failed'));
      });
    }
    db.close();
  }, [from, to, row, `tabdynamo-${room}.${nodeId}`] as const);
}

/** Sum of the proportional set size (PSS) of Chromium's renderer processes, from /proc (Linux only). */
async function rendererPssBytes(page: Page): Promise<{ bytes: number; processes: number } | undefined> {
  const cdp = await page.context().browser()?.newBrowserCDPSession();
  if (!cdp) return undefined;
  try {
    const info = await cdp.send('SystemInfo.getProcessInfo') as { processInfo: { type: string; id: number }[] };
    let bytes = 0;
    let processes = 0;
    for (const p of info.processInfo.filter((x) => x.type === 'renderer')) {
      const rollup = readFileSync(`/proc/${p.id}/smaps_rollup`, 'utf8');
      const kb = /^Pss:\s+(\d+) kB/m.exec(rollup)?.[1];
      if (kb) { bytes += Number(kb) * 1024; processes++; }
    }
    return { bytes, processes };
  } catch (error) {
    console.error(`B6: cannot read renderer memory: ${(error as Error).message}`);
    return undefined;
  } finally {
    await cdp.detach();
  }
}

/** Where start-up went, from the page's clock: until the store's read, the read (idb-store's measure), after it. */
async function startPhases(page: Page): Promise<string> {
  const p = await page.evaluate(() => {
    const read = performance.getEntriesByName('tabdynamo:loadAll')[0] as PerformanceMeasure | undefined;
    const detail = read?.detail as { entries?: number; rows?: number; phasesMs?: Record<string, number> } | undefined;
    return read ? { before: read.startTime, read: read.duration, after: performance.now() - read.startTime - read.duration, entries: detail?.entries, rows: detail?.rows, phasesMs: detail?.phasesMs } : undefined;
  });
  const split = p?.phasesMs ? `: ${Object.entries(p.phasesMs).map(([k, v]) => `${k} ${h.ms(v)}`).join(', ')}` : '';
  return p ? `page and boot ${h.ms(p.before)}, storage read ${h.ms(p.read)} (${p.entries ?? '?'} keys from the checkpoint, ${p.rows ?? '?'} rows to hash${split}), then until ready ${h.ms(p.after)}` : 'no loadAll measure';
}

/** Waits until the tab's store says its checkpoint covers all but a few rows (idb-store's compaction stops there). */
async function checkpointCaughtUp(page: Page): Promise<number | undefined> {
  const lag = () => page.evaluate(() => (window.kv.snapshot() as { runtime?: { storage?: { checkpointLagRows?: number } } }).runtime?.storage?.checkpointLagRows);
  for (;;) {
    const rows = await lag();
    if (rows === undefined || rows <= 1024) return rows;
    await page.waitForTimeout(500);
  }
}

async function jsHeapBytes(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const usage = await cdp.send('Runtime.getHeapUsage') as { usedSize: number };
    return usage.usedSize;
  } finally {
    await cdp.detach();
  }
}

async function getSamples(page: Page, keys: number, count: number): Promise<number[]> {
  return page.evaluate(async ([n, c]) => {
    const out: number[] = [];
    for (let i = 0; i < c; i++) {
      const k = `k${Math.floor(Math.random() * n)}`;
      const t0 = performance.now();
      const got = await window.kv.get(k, { r: 1 });
      out.push(performance.now() - t0);
      if (got.values.length !== 1) throw new Error(`get ${k}: ${got.values.length} values`);
    }
    return out;
  }, [keys, count] as const);
}

async function putRate(page: Page, count: number): Promise<number> {
  return page.evaluate(async (n) => {
    const value = 'v'.repeat(100);
    let next = 0;
    const t0 = performance.now();
    const worker = async () => { while (next < n) { const i = next++; await window.kv.put(`rate-${i}`, value, { w: 1 }); } };
    await Promise.all(Array.from({ length: 32 }, worker));
    return (n / (performance.now() - t0)) * 1000;
  }, count);
}

export const bench: h.Bench = {
  id: 'B6',
  async run(env) {
    // 1M keys (several minutes: bulk write, a first start that hashes every row, the checkpoint, the restart) only with --million.
    // B6_SIZES=100000 (comma-separated key counts, ascending) replaces the sizes, for quicker iterations.
    const given = process.env.B6_SIZES?.split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const sizes = given !== undefined && given.length > 0 ? given
      : env.options.quick || env.options.million !== true ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
    if (env.options.million !== true) env.note('B6 ran 10k and 100k keys; the 1M-key size runs only with `npm run bench -- --million` (several more minutes).');
    const server = await h.startApp();
    const context = await h.newContext(env.browser);
    const row = version.make({ dot: { actor: 'bulk@1', counter: 1 }, past: [], value: version.stringValue('v'.repeat(valueBytes)), timestamp: 1 });
    const rowJson = { digest: row.digest, version: { ...row, value: { kind: row.value.kind, bytes: [...row.value.bytes] } } };
    const rows: h.Row[] = [];
    try {
      let tab = await h.openTab(context, server.url, nodeId, room);
      const rate = await putRate(tab.page, env.options.quick ? 500 : 2000);
      env.note(`a lone tab takes ${h.perSecond(rate)} through kv.put (W = 1, 32 in flight): 1M keys that way would take ${(1e6 / rate / 60).toFixed(0)} min, hence the bulk load through IndexedDB.`);
      let loaded = 0;
      const p50s: number[] = [];
      for (const size of sizes) {
        await tab.page.close();
        const writer = await context.newPage();
        await writer.goto(`${server.url}/favicon.svg`); // same origin, no app running
        const w0 = performance.now();
        await bulkWrite(writer, loaded, size, rowJson);
        const writeMs = performance.now() - w0;
        loaded = size;
        await writer.close();
        // First start: no checkpoint yet, every row read and hashed (the old start-up): the baseline.
        const f0 = performance.now();
        tab = await h.openTab(context, server.url, nodeId, room);
        const fullStartMs = performance.now() - f0;
        const fullPhases = await startPhases(tab.page);
        const c0 = performance.now();
        const lag = await checkpointCaughtUp(tab.page);
        const checkpointMs = performance.now() - c0;
        await tab.page.close();
        const s0 = performance.now();
        tab = await h.openTab(context, server.url, nodeId, room);
        const startMs = performance.now() - s0;
        const phases = await startPhases(tab.page);
        env.options.log(`B6 ${size}: first start (no checkpoint) ${h.ms(fullStartMs)} (${fullPhases}); checkpoint built in the background in ${h.ms(checkpointMs)} (${lag ?? '?'} rows left to hash)`);
        const heap = await jsHeapBytes(tab.page);
        const pss = await rendererPssBytes(tab.page);
        const held = await tab.page.evaluate(() => (window.kv.snapshot() as { runtime?: { node?: { keys?: number } } }).runtime?.node?.keys ?? 0);
        const get = h.percentiles(await getSamples(tab.page, size, env.options.quick ? 300 : 1000));
        p50s.push(get.p50);
        env.options.log(`B6 ${size}: bulk write ${h.ms(writeMs)}, start ${h.ms(startMs)} (${phases}), heap ${h.kib(heap)}, renderer PSS ${pss ? h.kib(pss.bytes) : '?'}, held ${held}, get p50 ${h.ms(get.p50)}`);
        const flat = get.p50 <= 2 * (p50s[0] ?? get.p50);
        if (size === sizes[sizes.length - 1]) {
          const cpu = await profile.cpuProfile(tab.page, async () => { await getSamples(tab.page, size, 200); });
          env.note(`${size.toLocaleString('en')} keys, CPU profile during 200 gets (a separate phase): main thread idle ${(cpu.idleShare * 100).toFixed(0)} %, GC ${(cpu.gcShare * 100).toFixed(0)} % of ${h.ms(cpu.totalMs)}; top self time: ${cpu.top.join('; ')}`);
        }
        rows.push({
          id: 'B6', what: `one tab holding ${size.toLocaleString('en')} keys x ${valueBytes} B (node holds ${held.toLocaleString('en')})`,
          ours: `JS heap ${h.kib(heap)}; renderer PSS ${pss ? `${h.kib(pss.bytes)} (${pss.processes} proc)` : 'n/a'}; start-up ${h.ms(startMs)} (first start before the checkpoint, same run: ${h.ms(fullStartMs)}); get p50 ${h.ms(get.p50)} / p99 ${h.ms(get.p99)}`,
          baseline: size === sizes[0] ? '- (first size is the reference for get p50)' : `get p50 at ${sizes[0]?.toLocaleString('en')} keys: ${h.ms(p50s[0] ?? NaN)}`,
          ratio: get.p50 / (p50s[0] ?? get.p50), goal: '1M keys fit; get p50 flat within 2x',
          verdict: held >= size && flat ? 'met' : 'missed', data: { size, held, heap, pss, startMs, fullStartMs, checkpointMs, writeMs, get },
        });
      }
    } finally {
      await context.close();
      await server.close();
    }
    return rows;
  },
};
