/**
 * `npm run sim -- [--seeds N] [--first N] [--seed N] [--nodes N] [--ticks N] [--intensity low|medium|high]
 *                 [--lww] [--strict] [--step] [--pipeline | --no-pipeline] [--batch | --no-batch] [--budget MESSAGES] [--epoch-policy P] [--clock-policy P] [--trace] [--no-figures]`
 * Runs many seeds of the mixed-fault simulation and prints a summary (every failing run prints SEED=<n>
 * and the exact command that replays it), then the figures (figures.ts). `--seed N` replays one run and
 * prints its report; with `--trace`, its full trace. --epoch-policy / --clock-policy pass a control to
 * node.create as it is (the dvv core's known-bad options). Every node runs the real runtime loop (group
 * commit, persist-before-send); --step steps the core directly instead (one step one batch); --pipeline / --no-pipeline and --batch / --no-batch
 * set the runtime's pipelined writes and store batching (RuntimeOptions.pipelineStores, batchStores)
 * instead of its defaults. --budget
 * sets the run's message budget (run.ts messageBudget): a run that spends it fails as a runaway.
 */
import { opsPerSecond, printGossip, printHistogram } from './figures.js';
import type { Intensity } from './faults.js';
import { explain, failed, runSeed, type RunOptions, type RunReport } from './run.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(name);
function num(name: string): number | undefined {
  const text = arg(name);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} wants a whole number, not ${JSON.stringify(text)}`);
  return n;
}
const intensityArg = arg('--intensity');
if (intensityArg !== undefined && !['low', 'medium', 'high'].includes(intensityArg)) throw new Error(`--intensity is low, medium or high, not ${JSON.stringify(intensityArg)}`);
const epochPolicy = arg('--epoch-policy');
const clockPolicy = arg('--clock-policy');
const controls = { ...(epochPolicy !== undefined ? { epochPolicy } : {}), ...(clockPolicy !== undefined ? { clockPolicy } : {}) };
const nodes = num('--nodes');
const ticks = num('--ticks');
const budget = num('--budget');
const base: Omit<RunOptions, 'seed'> = {
  ...(has('--lww') ? { conflictMode: 'lww' as const } : {}),
  ...(has('--strict') ? { strict: true } : {}),
  ...(has('--step') ? { host: 'step' as const } : {}),
  ...(has('--pipeline') ? { pipelineStores: true } : has('--no-pipeline') ? { pipelineStores: false } : {}),
  ...(has('--batch') ? { batchStores: true } : has('--no-batch') ? { batchStores: false } : {}),
  ...(nodes !== undefined ? { nodes } : {}),
  ...(ticks !== undefined ? { ticks } : {}),
  ...(budget !== undefined ? { messagesMax: budget } : {}),
  ...(intensityArg !== undefined ? { intensity: intensityArg as Intensity } : {}),
  ...(Object.keys(controls).length > 0 ? { controls } : {}),
};
/** Controls are expected to fail: only the plain runs make the command exit non-zero. */
const expectFailures = base.conflictMode === 'lww' || base.controls !== undefined;

const single = num('--seed');
if (single !== undefined) {
  const r = await runSeed({ ...base, seed: single, trace: has('--trace') });
  if (has('--trace')) for (const line of r.trace) console.log(line);
  console.log(explain(r));
  console.log(`  failed by reason: ${JSON.stringify(r.verdict.failedByReason)}`);
  process.exitCode = failed(r) && !expectFailures ? 1 : 0;
} else {
  const seeds = num('--seeds') ?? 1000;
  const first = num('--first') ?? 1;
  const t0 = performance.now();
  let acknowledged = 0, lost = 0, stale = 0, unknown = 0, divergent = 0, indeterminate = 0, failedRuns = 0, hintsLeft = 0, rootsEqual = 0;
  const failing: RunReport[] = [];
  const ticksToConverge: number[] = [];
  const histogram: Record<number, number> = {};
  for (let seed = first; seed < first + seeds; seed++) {
    const r = await runSeed({ ...base, seed });
    const v = r.verdict;
    acknowledged += v.acknowledged;
    lost += v.lost;
    stale += v.staleSurvivors;
    unknown += v.unknownValues;
    divergent += v.divergentKeys.length;
    indeterminate += v.indeterminate;
    hintsLeft += r.hintsLeft;
    if (r.rootsEqual) rootsEqual++;
    ticksToConverge.push(r.ticksToConverge);
    for (const [k, n] of Object.entries(r.siblingsPerRead)) histogram[Number(k)] = (histogram[Number(k)] ?? 0) + n;
    if (failed(r)) {
      failedRuns++;
      failing.push(r);
      if (failedRuns <= 10) console.log(explain(r));
    }
    if ((seed - first + 1) % 100 === 0) console.log(`  ... ${seed - first + 1} seeds, ${failedRuns} failing`);
  }
  ticksToConverge.sort((a, b) => a - b);
  const q = (p: number) => ticksToConverge[Math.min(ticksToConverge.length - 1, Math.floor(p * ticksToConverge.length))];
  console.log(`\n${seeds} seeds in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  acknowledged writes ${acknowledged}; lost ${lost}; stale survivors ${stale}; unknown values ${unknown}; divergent keys ${divergent}; indeterminate ${indeterminate}`);
  console.log(`  runs failing a property: ${failedRuns}${failing.length > 0 ? ` (seeds ${failing.map((r) => r.seed).join(' ')})` : ''}`);
  const byRule: [string, (r: RunReport) => boolean][] = [
    ['(a) lost', (r) => r.verdict.lost > 0], ['(b) stale survivor', (r) => r.verdict.staleSurvivors > 0], ['(c) unknown value', (r) => r.verdict.unknownValues > 0],
    ['(d) divergent', (r) => r.verdict.divergentKeys.length > 0], ['(e) stale read', (r) => r.verdict.staleReads > 0],
    ['runaway (message budget spent)', (r) => r.runaway !== undefined], ['not converged', (r) => !r.converged && r.runaway === undefined],
  ];
  for (const [rule, breaks] of byRule) {
    const list = failing.filter(breaks).map((r) => r.seed);
    if (list.length > 0) console.log(`    ${rule}: ${list.length} run(s), seeds ${list.slice(0, 30).join(' ')}${list.length > 30 ? ' ...' : ''}`);
  }
  console.log(`  ticks to converge after heal: median ${q(0.5)}, p99 ${q(0.99)}, max ${ticksToConverge[ticksToConverge.length - 1]}`);
  console.log(`  hints left ${hintsLeft}; runs with all Merkle roots equal ${rootsEqual} of ${seeds}`);
  printHistogram('Versions per read under the mixed-fault concurrent-writer workload', histogram);
  if (failedRuns > 0 && !expectFailures) process.exitCode = 1;
  if (!has('--no-figures')) {
    printGossip();
    const calm: Record<number, number> = {};
    for (let seed = 1; seed <= 20; seed++) {
      for (const [k, n] of Object.entries((await runSeed({ seed, strict: true, ticks: 1000 })).siblingsPerRead)) calm[Number(k)] = (calm[Number(k)] ?? 0) + n;
    }
    printHistogram('Versions per read, 4 concurrent writers on 4 keys, no faults (the paper: 99.94 % saw one version)', calm);
    const ops = opsPerSecond();
    console.log(`\nThroughput: 100 nodes, 50 clients: ${ops.ops} operations and ${ops.messages} messages in ${ops.seconds.toFixed(1)} s of wall time = ${(ops.ops / ops.seconds).toFixed(0)} simulated ops/s`);
  }
}
