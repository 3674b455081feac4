/**
 * B1: put (N=3, W=2) and get (R=2) latency across 5 tabs, beside a raw data-channel round trip between two
 * of those tabs and one raw one-record IndexedDB transaction. One request in flight at a time, timed inside
 * the page (performance.now around kv.put / kv.get), so Playwright's own round trip is not counted.
 */
import type { Page } from '@playwright/test';
import * as h from './harness.js';
import * as profile from './profile.js';
import * as raw from './raw.js';
import * as timeline from './timeline.js';

const valueBytes = 100;

/** In-page: `count` sequential puts then gets of fresh keys; returns the latency samples in ms. */
async function putGetSamples(page: Page, prefix: string, count: number): Promise<{ puts: number[]; gets: number[] }> {
  return page.evaluate(async ([p, n, size]) => {
    const value = 'v'.repeat(size);
    const puts: number[] = [];
    const gets: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await window.kv.put(`${p}-${i}`, value, { w: 2 });
      puts.push(performance.now() - t0);
    }
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      const got = await window.kv.get(`${p}-${i}`, { r: 2 });
      gets.push(performance.now() - t0);
      if (got.values.length !== 1) throw new Error(`get ${p}-${i} returned ${got.values.length} values`);
    }
    return { puts, gets };
  }, [prefix, count, valueBytes] as const);
}

/**
 * A separate phase of 100 puts and 100 gets from `writer` with every tab's timeline on (timeline.ts): each
 * request's time split by what was outstanding (an IndexedDB transaction in some tab, a message on the
 * wire, or neither), and our transactions' own durations beside the raw one-record commit of this run.
 */
async function whereTheTimeGoes(pages: readonly Page[], writer: Page, rawCommitP50: number): Promise<string> {
  for (const page of pages) await page.evaluate(() => { (window as unknown as { __benchTimeline: { on: boolean } }).__benchTimeline.on = true; });
  const spans = await writer.evaluate(async (size) => {
    const now = () => performance.timeOrigin + performance.now();
    const value = 'v'.repeat(size);
    const out: { op: 'put' | 'get'; start: number; end: number }[] = [];
    for (let i = 0; i < 100; i++) { const start = now(); await window.kv.put(`b1t-${i}`, value, { w: 2 }); out.push({ op: 'put', start, end: now() }); }
    for (let i = 0; i < 100; i++) { const start = now(); await window.kv.get(`b1t-${i}`, { r: 2 }); out.push({ op: 'get', start, end: now() }); }
    return out;
  }, valueBytes);
  const events: timeline.TimelineEvent[] = [];
  const writes: number[] = [];
  const reads: number[] = [];
  for (const page of pages) {
    const own = await page.evaluate(() => {
      const t = (window as unknown as { __benchTimeline: { on: boolean; events: timeline.TimelineEvent[] } }).__benchTimeline;
      t.on = false;
      return t.events.splice(0);
    });
    events.push(...own);
    writes.push(...timeline.transactionMs(own, 'tx'));
    reads.push(...timeline.transactionMs(own, 'read'));
  }
  const split = (op: 'put' | 'get') => {
    const parts = spans.filter((s) => s.op === op).map((s) => timeline.attribute(s.start, s.end, events, { txOpen: 0, inFlight: 0 }));
    const mean = (f: (a: timeline.Attribution) => number) => h.ms(parts.reduce((sum, a) => sum + f(a), 0) / Math.max(1, parts.length));
    return `${op}: mean ${mean((a) => a.total)} = IndexedDB ${mean((a) => a.disk)} + wire ${mean((a) => a.wire)} + neither ${mean((a) => a.tabs)}`;
  };
  const p50 = (xs: readonly number[]) => (xs.length === 0 ? 'none' : `p50 ${h.ms(h.percentiles(xs).p50)} (${xs.length})`);
  // A put makes N = 3 copies at once, in three tabs of one browser: the same raw commit, in three tabs at once.
  const together = (await Promise.all(pages.slice(0, 3).map((page) => raw.idbOneRecordCommits(page, 100, valueBytes)))).flat();
  return `where a request's time goes (100 puts + 100 gets from one tab, timeline of all 5 tabs: the time some tab had an IndexedDB transaction open, else a message was on the wire, else neither): ${split('put')}; ${split('get')}. Our write transactions took ${p50(writes)} against the raw one-record commit's p50 ${h.ms(rawCommitP50)} alone and ${p50(together)} in three tabs at once, in this run; our read transactions ${p50(reads)}.`;
}

function fmt(p: h.Percentiles): string {
  return `p50 ${h.ms(p.p50)} / p99 ${h.ms(p.p99)} / p99.9 ${h.ms(p.p999)}`;
}

export const bench: h.Bench = {
  id: 'B1',
  async run(env) {
    const perTab = env.options.quick ? 100 : 400;
    const server = await h.startApp();
    const tabs = await h.openTabs(env.browser, server.url, 'bench-b1', 5, 'b1n', [timeline.timelineScript]);
    try {
      await h.waitForRing(tabs);
      const [a, b] = tabs;
      if (!a || !b) throw new Error('B1 needs two tabs');
      const rtt = h.percentiles(await raw.dataChannelRoundTrips(a.page, b.page, env.options.quick ? 500 : 2000));
      const commit = h.percentiles(await raw.idbOneRecordCommits(a.page, env.options.quick ? 200 : 500, valueBytes));
      env.options.log(`B1 raw: rtt ${fmt(rtt)}; idb commit ${fmt(commit)}`);
      const puts: number[] = [];
      const gets: number[] = [];
      for (const tab of tabs) {
        const s = await putGetSamples(tab.page, `b1-${tab.id}`, perTab);
        puts.push(...s.puts);
        gets.push(...s.gets);
      }
      // Where the time goes: a separate, profiled phase on the first tab (profiling slows it).
      const a0 = profile.sum(await Promise.all(tabs.map((t) => profile.counters(t.page))));
      const cpu = await profile.cpuProfile(a.page, async () => { await putGetSamples(a.page, 'b1p', 100); });
      const a1 = profile.minus(profile.sum(await Promise.all(tabs.map((t) => profile.counters(t.page)))), a0);
      env.note(`100 puts + 100 gets from one tab (profiled phase): ${(a1.steps / 200).toFixed(1)} runtime steps, ${(a1.transactions / 200).toFixed(1)} IndexedDB write transactions, ${(a1.reads / 200).toFixed(1)} IndexedDB reads and ${(a1.messagesSent / 200).toFixed(1)} messages per request over all 5 tabs; that tab's main thread was idle ${(cpu.idleShare * 100).toFixed(0)} % of ${h.ms(cpu.totalMs)} (GC ${(cpu.gcShare * 100).toFixed(0)} %); top self time: ${cpu.top.join('; ')}`);
      env.note(await whereTheTimeGoes(tabs.map((t) => t.page), a.page, commit.p50));
      const put = h.percentiles(puts);
      const get = h.percentiles(gets);
      env.options.log(`B1 ours: put ${fmt(put)}; get ${fmt(get)}`);
      const putBase = rtt.p50 + commit.p50;
      const putOk = put.p50 <= 1.5 * putBase && put.p99 / put.p50 <= 10;
      const getOk = get.p50 <= 3 * rtt.p50 && get.p99 / get.p50 <= 10;
      return [
        {
          id: 'B1', what: `put latency, N=3 W=2, 5 tabs, ${valueBytes} B values (${put.count} puts, one in flight)`,
          ours: `${fmt(put)} (p99/p50 ${(put.p99 / put.p50).toFixed(1)})`,
          baseline: `RTT p50 ${h.ms(rtt.p50)} + idb commit p50 ${h.ms(commit.p50)} = ${h.ms(putBase)}`,
          ratio: put.p50 / putBase, goal: 'p50 <= 1.5x (RTT + commit); p99/p50 <= 10', verdict: putOk ? 'met' : 'missed',
          data: { put, rtt, commit },
        },
        {
          id: 'B1', what: `get latency, R=2, 5 tabs (${get.count} gets, one in flight)`,
          ours: `${fmt(get)} (p99/p50 ${(get.p99 / get.p50).toFixed(1)})`,
          baseline: `raw data-channel RTT (16 B) ${fmt(rtt)}`,
          ratio: get.p50 / rtt.p50, goal: 'p50 <= 3x RTT; p99/p50 <= 10', verdict: getOk ? 'met' : 'missed',
          data: { get, rtt },
        },
      ];
    } finally {
      await h.closeTabs(tabs);
      await server.close();
    }
  },
};
