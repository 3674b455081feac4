/**
 * One browser chaos run (issue 9, item 5): real tabs in several browser contexts against the real app and
 * signaling server, read-modify-write clients recording a client-side history, a seeded nemesis, then heal,
 * quiet, final reads with r = N and the value checker's verdict. Without faults (`faults: false`) the
 * clients do pure read-modify-write (no blind puts) for `seconds`, and the run also checks issue 9's bound:
 * no get returns more siblings than there are clients, and no put is refused for too many siblings. Shared by `npm run chaos` (test/chaos/cli.ts)
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
import { sleep } from './wait.js';

export interface ChaosOptions {
  readonly browser: Browser;
  /** Nominal seconds of faults (holds and gaps); the run takes longer (tabs opening, settling). */
  readonly seconds: number;
  readonly seed: number;
  readonly tabs: number;
  /** Read-modify-write clients, spread over the tabs in turn; default one per tab. */
  readonly clients?: number;
  /** False: no nemesis, and pure read-modify-write clients (the sibling-bound run). Default true. */
  readonly faults?: boolean;
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
  readonly clients: number;
  /** Whether a nemesis ran (false: the no-fault sibling-bound run). */
  readonly faulty: boolean;
  /** The most siblings one get returned, and its key. */
  readonly siblingsMax: number;
  readonly siblingsMaxKey: string;
  /** Writes refused (or failed) for too many siblings. */
  readonly siblingRefusals: number;
  readonly faults: readonly string[];
  readonly history: History;
}

/** A fresh seed for runs that were not given one (printed, so the schedule can be replayed). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

export async function run(options: ChaosOptions): Promise<ChaosReport> {
  const { seed, log } = options;
  const faulty = options.faults ?? true;
  const clientCount = options.clients ?? options.tabs;
  const random = rng.create(seed);
  const room = `chaos${seed}`;
  log(`chaos: seed ${seed}, ${options.tabs} tabs in ${Math.ceil(options.tabs / cluster.tabsPerContext)} browser contexts, ${clientCount} clients, ${options.seconds} s ${faulty ? 'of faults' : 'without faults'}, room ${room}`);
  const c = await cluster.start(options.browser, options.tabs, room);
  try {
    const t0 = Date.now();
    const now = () => Date.now() - t0;
    const steps = faulty ? nemesis.plan(random.fork('nemesis'), c.ids, options.seconds) : [];
    const history = emptyHistory();
    const figures = clients.emptyFigures();
    let stopped = false;
    const running = Array.from({ length: clientCount }, (_, i) => clients.run({
      name: `c${i + 1}`, tabId: c.ids[i % c.ids.length]!, cluster: c, rng: random.fork(`client-${i + 1}`), history, figures, now,
      stopped: () => stopped, blindPutShare: faulty ? clients.blindPutShareDefault : 0,
    }));

    try {
      if (faulty) await nemesis.run(c, steps, log, now);
      else await sleep(options.seconds * 1000); // pacing only: how long the clients run
    } finally {
      stopped = true;
      await Promise.all(running);
    }
    log(`chaos: [${(now() / 1000).toFixed(1)} s] ${faulty ? 'faults healed, ' : ''}clients stopped after ${history.ops.length} operations; waiting for quiet`);
    const quiet = await settle.waitForQuiet(c);
    log(`chaos: [${(now() / 1000).toFixed(1)} s] ${quiet.quiet ? 'quiet' : `NOT quiet: ${quiet.reason}`}; reading every key with r = N from ${settle.readers(c).join(', ')}`);
    const reads = await settle.readFinal(c, clients.keys);
    const verdict = check(history, reads.final);
    return {
      seed, verdict, quiet, unread: reads.unread, history,
      largestClockEntries: figures.largestClockEntries, largestClock: figures.largestClock,
      clients: clientCount, faulty, siblingsMax: figures.siblingsMax, siblingsMaxKey: figures.siblingsMaxKey,
      siblingRefusals: history.ops.filter((op) => op.kind !== 'get' && op.outcome !== 'ok' && /too many siblings/.test(op.error ?? '')).length,
      faults: steps.map((s) => nemesis.describe(s.fault)),
    };
  } finally {
    await c.shutdown();
  }
}

/** `failedByReason` lines of one outcome ('failed' or 'indeterminate'), most frequent first. */
function reasons(v: Verdict, outcome: 'failed' | 'indeterminate'): string[] {
  const prefix = `${outcome}: `;
  return Object.entries(v.failedByReason).filter(([reason]) => reason.startsWith(prefix)).sort((a, b) => b[1] - a[1])
    .map(([reason, n]) => `  ${n} x ${reason.slice(prefix.length)}`);
}

/** What failed the run, one line each; empty when it passed (see `passed`). */
export function failures(report: ChaosReport): string[] {
  const v = report.verdict;
  const out: string[] = [];
  if (v.lost > 0) out.push(`${v.lost} acknowledged write(s) lost`);
  if (v.staleSurvivors > 0) out.push(`${v.staleSurvivors} stale survivor(s): values an acknowledged write replaced are still held`);
  if (v.unknownValues > 0) out.push(`${v.unknownValues} unknown value(s): held or read, but no put wrote them (or a refused put's value held)`);
  if (report.unread.length > 0) out.push(`${report.unread.length} final read(s) never succeeded: the run cannot vouch for those keys`);
  if (!report.faulty && report.siblingsMax > report.clients) out.push(`a get of ${report.siblingsMaxKey} returned ${report.siblingsMax} siblings with only ${report.clients} clients`);
  if (!report.faulty && report.siblingRefusals > 0) out.push(`${report.siblingRefusals} write(s) refused for too many siblings without faults`);
  return out;
}

/** The figures the issue asks for, one per line. */
export function summary(report: ChaosReport): string[] {
  const v = report.verdict;
  const failed = failures(report);
  return [
    `chaos: seed ${report.seed}, ${report.faulty ? 'with faults' : 'no faults'}, ${report.clients} clients`,
    `operations ${v.operations} (${v.gets} gets, ${v.writes} writes)`,
    `acknowledged writes ${v.acknowledged}`,
    `failed ${v.failed}, by reason:`,
    ...reasons(v, 'failed'),
    `indeterminate ${v.indeterminate}, by reason:`,
    ...reasons(v, 'indeterminate'),
    `lost ${v.lost}`,
    `stale survivors ${v.staleSurvivors}`,
    `unknown values ${v.unknownValues}`,
    `divergent keys ${v.divergentKeys.length}`,
    `largest clock seen: ${report.largestClockEntries} entries ${JSON.stringify(report.largestClock)}`,
    `most siblings one get returned: ${report.siblingsMax}${report.siblingsMaxKey ? ` (${report.siblingsMaxKey})` : ''}; writes refused for too many siblings: ${report.siblingRefusals}`,
    `quiet: ${report.quiet.quiet ? 'yes' : `NO (${report.quiet.reason})`}`,
    `final reads that never succeeded: ${report.unread.length === 0 ? 'none' : report.unread.join('; ')}`,
    ...v.problems.map((p) => `  ${p}`),
    `verdict: ${failed.length === 0 ? 'passed: 0 lost, 0 stale survivors, 0 unknown values' : `FAILED: ${failed.join('; ')}`} (seed ${report.seed})`,
  ];
}

/**
 * True when the run proves what it must: nothing lost, no stale survivor, no unknown value, every key read
 * back; without faults, also the sibling bound (no get above one sibling per client, no refusal).
 */
export function passed(report: ChaosReport): boolean {
  return failures(report).length === 0;
}
