/**
 * One put's hops, tab by tab: `npx tsx test/bench/put-trace.ts [puts]` opens 5 tabs (as B1 does), makes
 * 200 warm-up puts from the first, then prints, for each traced put (one in flight), every data-channel send
 * and delivery and every IndexedDB write transaction's start and end in any tab, in ms from the put's start
 * (timeline.ts stamps them on one clock). B1's note sums the same events; this shows their order, e.g.
 * whether a coordinator's stores leave before or after its own transaction is set up. Prints, asserts nothing.
 */
import * as h from './harness.js';
import * as timeline from './timeline.js';

const traced = Number(process.argv[2] ?? 20);
const browser = await h.launchBrowser();
h.buildApp(console.log);
const server = await h.startApp();
const tabs = await h.openTabs(browser, server.url, 'put-trace', 5, 't', [timeline.timelineScript]);
type Timeline = { on: boolean; events: timeline.TimelineEvent[] };
try {
  await h.waitForRing(tabs);
  const [writer] = tabs;
  if (!writer) throw new Error('no tabs');
  await writer.page.evaluate(async () => { for (let i = 0; i < 200; i++) await window.kv.put(`warm-${i}`, 'v'.repeat(100), { w: 2 }); });
  for (const t of tabs) await t.page.evaluate(() => { (window as unknown as { __benchTimeline: Timeline }).__benchTimeline.on = true; });
  const spans = await writer.page.evaluate(async (count) => {
    const now = () => performance.timeOrigin + performance.now();
    const out: { key: string; start: number; end: number }[] = [];
    for (let i = 0; i < count; i++) {
      const key = `trace-${i}`;
      const start = now();
      await window.kv.put(key, 'v'.repeat(100), { w: 2 });
      out.push({ key, start, end: now() });
    }
    return out;
  }, traced);
  const events: { tab: string; event: timeline.TimelineEvent }[] = [];
  for (const t of tabs) {
    const own = await t.page.evaluate(() => (window as unknown as { __benchTimeline: Timeline }).__benchTimeline.events.splice(0));
    for (const event of own) events.push({ tab: t.id, event });
  }
  events.sort((a, b) => a.event[1] - b.event[1]);
  console.log(`${traced} puts from ${writer.id} (N=3, W=2, 5 tabs); times in ms from the put's start`);
  for (const span of spans) {
    console.log(`--- ${span.key}: ${(span.end - span.start).toFixed(2)} ms`);
    for (const { tab, event: [kind, at, id] } of events) {
      if (at < span.start || at > span.end) continue;
      console.log(`${(at - span.start).toFixed(2).padStart(7)}  ${tab}  ${kind}${id !== undefined ? ` #${id}` : ''}`);
    }
  }
} finally {
  await h.closeTabs(tabs);
  await server.close();
  await browser.close();
}
