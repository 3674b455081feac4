/**
 * B2: sustained puts/s and gets/s with 5 tabs writing (then reading) at once, each tab keeping
 * `inFlight` requests outstanding for a fixed time, beside raw batched IndexedDB puts/s (and gets/s) in
 * one of those tabs (100 records per transaction, same value size). The put goal is >= 50 % of that raw
 * rate divided by N, since every put is written N times (issue 13).
 */
import type { Page } from '@playwright/test';
import * as h from './harness.js';
import * as profile from './profile.js';
import * as raw from './raw.js';

const valueBytes = 100;
const inFlight = 16;
/** N of the cluster the bench runs (the default config): every put is stored this many times. */
const replicas = 3;

/** In-page: `workers` loops issuing puts (or gets of the keys it put) until `durationMs` has passed. */
async function sustained(page: Page, op: 'put' | 'get', prefix: string, durationMs: number, workers: number, keysWritten: number): Promise<{ done: number; failed: number; firstError: string; ms: number }> {
  return page.evaluate(async ([o, p, d, c, written, size]) => {
    const value = 'v'.repeat(size);
    let next = 0;
    let done = 0;
    let failed = 0;
    let firstError = '';
    const t0 = performance.now();
    const worker = async () => {
      while (performance.now() - t0 < d) {
        const i = next++;
        try {
          if (o === 'put') await window.kv.put(`${p}-${i}`, value);
          else await window.kv.get(`${p}-${i % Math.max(1, written)}`);
          done++;
        } catch (error) {
          failed++;
          if (!firstError) firstError = error instanceof Error ? error.message : String(error);
        }
      }
    };
    await Promise.all(Array.from({ length: c }, worker));
    return { done, failed, firstError, ms: performance.now() - t0 };
  }, [op, prefix, durationMs, workers, keysWritten, valueBytes] as const);
}

export const bench: h.Bench = {
  id: 'B2',
  async run(env) {
    const durationMs = env.options.quick ? 3000 : 6000;
    const server = await h.startApp();
    const tabs = await h.openTabs(env.browser, server.url, 'bench-b2', 5, 'b2n');
    try {
      await h.waitForRing(tabs);
      const first = tabs[0];
      if (!first) throw new Error('B2 needs tabs');
      const base = await raw.idbBatchedRates(first.page, env.options.quick ? 10_000 : 20_000, 100, valueBytes);
      env.options.log(`B2 raw idb (100/tx): ${h.perSecond(base.putsPerSecond)} puts, ${h.perSecond(base.getsPerSecond)} gets`);
      const pages = tabs.map((t) => t.page);
      const txRates = await Promise.all(pages.map((p) => raw.idbOneRecordRate(p, 2000, valueBytes)));
      const txCeiling = txRates.reduce((a, b) => a + b, 0);
      env.options.log(`B2 raw one-record transactions, 5 tabs at once: ${h.perSecond(txCeiling)} in all`);
      const c0 = profile.sum(await Promise.all(pages.map(profile.counters)));
      const puts = await Promise.all(tabs.map((t) => sustained(t.page, 'put', `b2-${t.id}`, durationMs, inFlight, 0)));
      const c1 = profile.minus(profile.sum(await Promise.all(pages.map(profile.counters))), c0);
      const gets = await Promise.all(tabs.map((t, i) => sustained(t.page, 'get', `b2-${t.id}`, durationMs, inFlight, puts[i]?.done ?? 0)));
      const totalPuts = puts.reduce((sum, r) => sum + r.done, 0);
      const per = (x: number) => (x / Math.max(1, totalPuts)).toFixed(1);
      env.note(`raw ceiling: one-record readwrite transactions, one at a time in each of the 5 tabs at once: ${h.perSecond(txCeiling)} in all; ours commits ${(c1.transactions / (durationMs / 1000)).toFixed(0)} transactions/s for ${h.perSecond(totalPuts / (durationMs / 1000))} puts.`);
      env.note(`per put (all 5 tabs, measured phase): ${per(c1.steps)} runtime steps, ${per(c1.transactions)} IndexedDB write transactions, ${per(c1.reads)} IndexedDB reads, ${per(c1.messagesSent)} messages; ${c1.steps} steps in ${durationMs / 1000} s = ${(c1.steps / 5 / (durationMs / 1000)).toFixed(0)} steps/s per tab (src/runtime/runtime.ts commits steps in groups: one transaction per batch).`);
      // A second, profiled put phase on the first tab (profiling slows it, so it is not the measured one).
      const cpu = await profile.cpuProfile(first.page, async () => { await Promise.all(tabs.map((t) => sustained(t.page, 'put', `b2p-${t.id}`, 2000, inFlight, 0))); });
      env.note(`CPU profile of one tab during 2 s of puts from all 5 tabs: main thread idle ${(cpu.idleShare * 100).toFixed(0)} %, GC ${(cpu.gcShare * 100).toFixed(0)} %; top self time: ${cpu.top.join('; ')}`);
      const rate = (rs: typeof puts) => rs.reduce((s, r) => s + r.done, 0) / (Math.max(...rs.map((r) => r.ms)) / 1000);
      const failures = (rs: typeof puts) => rs.reduce((s, r) => s + r.failed, 0);
      const putRate = rate(puts);
      const getRate = rate(gets);
      const errors = [...puts, ...gets].map((r) => r.firstError).filter(Boolean);
      if (errors.length) env.note(`failed requests (${failures(puts)} puts, ${failures(gets)} gets); first error: ${errors[0]}`);
      env.options.log(`B2 ours: ${h.perSecond(putRate)} puts, ${h.perSecond(getRate)} gets (failed ${failures(puts)} / ${failures(gets)})`);
      const common = `5 tabs at once, ${inFlight} in flight per tab, ${durationMs / 1000} s, ${valueBytes} B values`;
      return [
        {
          // Every put is stored N times (issue 13): the fair ceiling is one tab's raw batched puts/s / N.
          id: 'B2', what: `sustained puts/s, N=${replicas} W=2, ${common}`, ours: `${h.perSecond(putRate)} (${failures(puts)} failed)`,
          baseline: `raw idb puts, 100 per tx, one tab: ${h.perSecond(base.putsPerSecond)} / N=${replicas} = ${h.perSecond(base.putsPerSecond / replicas)}`,
          ratio: putRate / (base.putsPerSecond / replicas),
          goal: '>= 50 % of (raw / N)', verdict: putRate >= 0.5 * (base.putsPerSecond / replicas) ? 'met' : 'missed', data: { puts, base, perPhase: c1, txCeiling },
        },
        {
          id: 'B2', what: `sustained gets/s, R=2, ${common}`, ours: `${h.perSecond(getRate)} (${failures(gets)} failed)`,
          baseline: `raw idb gets, 100 per readonly tx, one tab: ${h.perSecond(base.getsPerSecond)}`, ratio: getRate / base.getsPerSecond,
          goal: '>= 50 % of raw', verdict: getRate >= 0.5 * base.getsPerSecond ? 'met' : 'missed', data: { gets, base },
        },
      ];
    } finally {
      await h.closeTabs(tabs);
      await server.close();
    }
  },
};
