/**
 * `npm run bench [-- --only B1,B3] [-- --quick] [-- --million]`: runs the benchmarks in real Chromium (flags from
 * test/chromium.ts), prints one markdown table with every figure beside its same-run baseline, writes the
 * JSON to bench-results/ and, on a full run, test/bench/results.md (the table the README shows).
 * Nothing passes or fails on speed: a bench that throws becomes a row saying so, and the run goes on.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { findings } from './findings.js';
import * as h from './harness.js';

const benches: Record<string, () => Promise<h.Bench>> = {
  B1: async () => (await import('./b1-latency.js')).bench,
  B2: async () => (await import('./b2-throughput.js')).bench,
  B3: async () => (await import('./b3-replication.js')).bench,
  B4: async () => (await import('./b4-anti-entropy.js')).bench,
  B5: async () => (await import('./b5-gossip.js')).bench,
  B6: async () => (await import('./b6-capacity.js')).bench,
  B7: async () => (await import('./b7-versions.js')).bench,
  B8: async () => (await import('./b8-scale.js')).bench,
};

function parseArgs(argv: readonly string[]): { only: string[]; quick: boolean; million: boolean } {
  let only = Object.keys(benches);
  let quick = false;
  let million = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') quick = true;
    else if (arg === '--million') million = true;
    else if (arg === '--only' || arg?.startsWith('--only=')) {
      const list = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      only = (list ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      const unknown = only.filter((id) => !(id in benches));
      if (unknown.length) throw new Error(`unknown bench ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
    } else if (arg === '--help' || arg === '-h') {
      console.log('usage: npm run bench -- [--only B1,B3] [--quick] [--million (B6 also at 1M keys: about 3 more minutes)]');
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  return { only, quick, million };
}

async function main(): Promise<void> {
  const { only, quick, million } = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const log = (line: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
  h.buildApp(log);
  const browser = await h.launchBrowser();
  const rows: h.Row[] = [];
  const notes: string[] = [];
  try {
    for (const id of only) {
      const load = benches[id];
      if (!load) continue;
      const benchStarted = performance.now();
      log(`${id}...`);
      try {
        const bench = await load();
        rows.push(...await bench.run({ browser, options: { quick, million, log }, note: (text) => notes.push(`${id}: ${text}`) }));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log(`${id} failed: ${message}`);
        rows.push({ id, what: 'did not run', ours: `error: ${message.split('\n')[0] ?? ''}`, baseline: '-', ratio: undefined, goal: '-', verdict: 'n/a', data: { error: message } });
      }
      log(`${id} done in ${((performance.now() - benchStarted) / 1000).toFixed(1)} s`);
    }
    for (const id of only) {
      const finding = findings[id];
      if (finding && rows.some((r) => r.id === id && r.verdict === 'missed')) notes.push(`${id} missed, where the time goes and the fix: ${finding}`);
    }
    const m = h.machine(browser);
    notes.push(`whole run: ${((performance.now() - started) / 1000).toFixed(0)} s${quick ? ' (--quick)' : ''}`);
    console.log(`\n${h.resultsMarkdown(m, rows, notes, `npm run bench${quick ? ' -- --quick' : ''}${million ? ' -- --million' : ''}`)}`);
    log(`JSON written to ${path.relative(h.rootDir, h.writeJson(m, rows, notes))}`);
    if (only.length === Object.keys(benches).length) {
      const file = path.join(h.rootDir, 'test', 'bench', 'results.md');
      writeFileSync(file, h.resultsMarkdown(m, rows, notes, `npm run bench${quick ? ' -- --quick' : ''}${million ? ' -- --million' : ''}`));
      log(`table written to ${path.relative(h.rootDir, file)}`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
