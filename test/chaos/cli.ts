/**
 * `npm run chaos -- [--seconds N] [--seed S] [--tabs N] [--clients N] [--no-faults] [--history FILE]`
 * A browser chaos run: starts its own server on a free port (building dist/ first),
 * launches Chromium with test/chromium.ts's flags, runs the clients and the nemesis for about N seconds of
 * faults, prints the figures and the seed, and exits non-zero when the value checker finds an acknowledged
 * write lost, a stale survivor or an unknown value (or a key could not be read at the end).
 * `--clients N` runs N read-modify-write clients (default one per tab); `--no-faults` runs them without a
 * nemesis and without blind puts, and also fails when a get returns more siblings than there are clients or
 * a put is refused for too many siblings (issue 9). `--history FILE` writes the recorded history as JSON.
 */
import { writeFileSync } from 'node:fs';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../chromium.js';
import buildDist from '../e2e/global-setup.js';
import { distDir } from '../e2e/helpers.js';
import * as chaos from './run.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function positiveInt(name: string, fallback: number): number {
  const raw = arg(name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

async function main(): Promise<number> {
  const seconds = positiveInt('--seconds', 60);
  const seed = positiveInt('--seed', chaos.randomSeed());
  const tabs = positiveInt('--tabs', 6);
  if (tabs < 3) throw new Error('--tabs must be at least 3 (N = 3 replicas)');
  const clients = positiveInt('--clients', tabs);
  if (clients < 1) throw new Error('--clients must be at least 1');
  const faults = !process.argv.includes('--no-faults');
  // Always judge the current sources: a stale dist/ would test yesterday's store (E2E_SKIP_BUILD=1 reuses it).
  console.log(`chaos: building ${distDir}`);
  buildDist();
  const browser = await chromium.launch(chromiumLaunchOptions());
  try {
    const report = await chaos.run({ browser, seconds, seed, tabs, clients, faults, log: (line) => console.log(line) });
    for (const line of chaos.summary(report)) console.log(line);
    const historyFile = arg('--history');
    if (historyFile) writeFileSync(historyFile, JSON.stringify(report.history.ops, null, 1));
    const again = `npm run chaos -- --seconds ${seconds} --seed ${seed} --tabs ${tabs} --clients ${clients}${faults ? '' : ' --no-faults'}`;
    if (!chaos.passed(report)) console.log(`chaos: FAILED; replay the schedule with: ${again}`);
    return chaos.passed(report) ? 0 : 1;
  } finally {
    await browser.close();
  }
}

main().then((code) => { process.exitCode = code; }, (error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exitCode = 2;
});
