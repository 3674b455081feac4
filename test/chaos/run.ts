/**
 * One browser chaos run (issue 9, item 5): real tabs in several browser contexts against the real app and
 * signaling server, read-modify-write clients recording a client-side history, a seeded nemesis, then heal,
 * quiet, final reads with r = N and the value checker's verdict. Shared by `npm run chaos` (test/chaos/cli.ts)
 * and the short run inside `npm test` (test/e2e/chaos.spec.ts). The seed chooses the faults, their order and
 * timing, and the clients' keys and request kinds; real tabs add their own timing, so a seed replays the
 * schedule, not the exact interleaving.
 */
import type { Browser } from '@playwright/test';
import * as rng from '../../src/core/rng.js';
import { emptyHistory, type History } from '../checker/history.js';
import { check, type Verdict } from '../checker/value-checker.js';
import * as clients from './clients.js';
import * as cluster from './cluster.js';
import * as nemesis from './nemesis.js';
import * as settle from './settle.js';

export interface ChaosOptions {
  readonly browser: Browser;
  /** Nominal seconds of faults (holds and gaps); the run takes longer (tabs opening, settling). */
  readonly seconds: number;
  readonly seed: number;
  readonly tabs: number;
  readonly log: (line: string) => void;
}

export interface ChaosReport {
  readonly seed: number;
  readonly verdict: Verdict;
  readonly quiet: settle.Quiet;
  /** `key@reader` final reads that never succeeded: with any, the run cannot vouch for those keys. */
  readonly unread: readonly string[];
  readonly largestClockEntries: number;
  readonly largestClock: Record<string, number>;
  readonly faults: readonly string[];
  readonly history: History;
}

/** A fresh seed for runs that were not given one (printed, so the schedule can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

export async function run(options: ChaosOptions): Promise<ChaosReport> {
  const { seed, log } = options;
  const random = rng.create(seed);
  const room = `chaos${seed}`;
  log(`chaos: seed ${seed}, ${options.tabs} tabs in ${Math.ceil(options.tabs / cluster.tabsPerContext)} browser contexts, ${options.seconds} s of faults, room ${room}`);
  const c = await cluster.start(options.browser, options.tabs, room);
  try {
    const t0 = Date.now();
    const now = () => Date.now() - t0;
    const steps = nemesis.plan(random.fork('nemesis'), c.ids, options.seconds);
    const history = emptyHistory();
    const figures: clients.ClientFigures = { largestClockEntries: 0, largestClock: {} };
    let stopped = false;
    const running = c.ids.map((tabId, i) => clients.run({
      name: `c${i + 1}`, tabId, cluster: c, rng: random.fork(`client-${i + 1}`), history, figures, now,
      stopped: () => stopped,
    }));

    try {
      await nemesis.run(c, steps, log, now);
    } finally {
      stopped = true;
      await Promise.all(running);
    }
    log(`chaos: [${(now() / 1000).toFixed(1)} s] faults healed, clients stopped after ${history.ops.length} operations; waiting for quiet`);
    const quiet = await settle.waitForQuiet(c);
    log(`chaos: [${(now() / 1000).toFixed(1)} s] ${quiet.quiet ? 'quiet' : `NOT quiet: ${quiet.reason}`}; reading every key with r = N from ${settle.readers(c).join(', ')}`);
    const reads = await settle.readFinal(c, clients.keys);
    const verdict = check(history, reads.final);
    return {
      seed, verdict, quiet, unread: reads.unread, history,
      largestClockEntries: figures.largestClockEntries, largestClock: figures.largestClock,
      faults: steps.map((s) => nemesis.describe(s.fault)),
    };
  } finally {
    await c.shutdown();
  }
}

/** The figures the issue asks for, one per line. */
export function summary(report: ChaosReport): string[] {
  const v = report.verdict;
  const lines = [
    `chaos: seed ${report.seed}`,
    `operations ${v.operations} (${v.gets} gets, ${v.writes} writes)`,
    `acknowledged writes ${v.acknowledged}`,
    `failed ${v.failed}, indeterminate ${v.indeterminate}; by reason:`,
    ...Object.entries(v.failedByReason).sort((a, b) => b[1] - a[1]).map(([reason, n]) => `  ${n} x ${reason}`),
    `lost ${v.lost}`,
    `stale survivors ${v.staleSurvivors}`,
    `unknown values ${v.unknownValues}, divergent keys ${v.divergentKeys.length}`,
    `largest clock seen: ${report.largestClockEntries} entries ${JSON.stringify(report.largestClock)}`,
    `quiet: ${report.quiet.quiet ? 'yes' : `NO (${report.quiet.reason})`}`,
    `final reads that never succeeded: ${report.unread.length === 0 ? 'none' : report.unread.join('; ')}`,
    ...v.problems.map((p) => `  ${p}`),
    `verdict: ${report.verdict.lost > 0 ? `LOST ${report.verdict.lost} acknowledged write(s)` : 'no acknowledged write lost'} (seed ${report.seed})`,
  ];
  return lines;
}

/** True when the run proves no acknowledged write was lost: nothing lost and every key was read. */
export function passed(report: ChaosReport): boolean {
  return report.verdict.lost === 0 && report.unread.length === 0;
}
