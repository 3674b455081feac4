/**
 * `npm run sim -- [--seeds N] [--first N] [--seed N] [--lww] [--trace] [--no-figures]`
 * Runs many seeds of the mixed-fault simulation and prints a summary (a failure prints SEED=<n> and the
 * command that replays it), then the figures (figures.ts). `--seed N` replays one run and prints its
 * report; with `--trace`, its full trace.
 */
import { runSeed, replayCommand, type RunReport } from './run.js';
import { opsPerSecond, printAntiEntropy, printGossip, printHistogram } from './figures.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const has = (name: string) => process.argv.includes(name);
const conflictMode = has('--lww') ? 'lww' : 'vclock';

function bad(r: RunReport): boolean {
  return r.lost > 0 || r.staleSiblings > 0 || r.missingElements > 0 || !r.converged || r.problems.length > 0;
}

function printOne(r: RunReport): void {
  console.log(`SEED=${r.seed}  (${replayCommand(r.seed, conflictMode)})`);
  console.log(`  nodes ${r.nodes}; network ${JSON.stringify(r.network)}`);
  console.log(`  faults: ${r.faults.join('; ') || 'none'}`);
  console.log(`  acknowledged ${r.acknowledged}, lost ${r.lost}, indeterminate ${r.indeterminate}, failed ${r.failed}, stale siblings ${r.staleSiblings}, missing set elements ${r.missingElements}`);
  console.log(`  converged ${r.converged} (${r.convergeReason}) in ${r.ticksToConverge} ticks; hints left ${r.hintsLeft}; Merkle roots equal ${r.rootsEqual}; messages ${r.messages}`);
  for (const p of r.problems) console.log(`  ${p}`);
}

const single = arg('--seed');
if (single !== undefined) {
  const r = runSeed({ seed: Number(single), conflictMode, trace: has('--trace') });
  if (has('--trace')) for (const line of r.trace) console.log(line);
  printOne(r);
  process.exitCode = bad(r) && conflictMode === 'vclock' ? 1 : 0;
} else {
  const seeds = Number(arg('--seeds') ?? 1000);
  const first = Number(arg('--first') ?? 1);
  const t0 = performance.now();
  let acknowledged = 0, lost = 0, indeterminate = 0, failedRuns = 0, hintsLeft = 0, rootsEqual = 0;
  const ticks: number[] = [];
  const histogram: Record<number, number> = {};
  for (let seed = first; seed < first + seeds; seed++) {
    const r = runSeed({ seed, conflictMode });
    acknowledged += r.acknowledged;
    lost += r.lost + r.missingElements;
    indeterminate += r.indeterminate;
    hintsLeft += r.hintsLeft;
    if (r.rootsEqual) rootsEqual++;
    ticks.push(r.ticksToConverge);
    for (const [k, v] of Object.entries(r.siblingsPerRead)) histogram[Number(k)] = (histogram[Number(k)] ?? 0) + v;
    if (bad(r)) {
      failedRuns++;
      if (failedRuns <= 10) printOne(r);
    }
    if ((seed - first + 1) % 500 === 0) console.log(`  ... ${seed - first + 1} seeds`);
  }
  ticks.sort((a, b) => a - b);
  const q = (p: number) => ticks[Math.min(ticks.length - 1, Math.floor(p * ticks.length))];
  console.log(`\n${seeds} seeds (${conflictMode}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`  acknowledged writes ${acknowledged}; lost ${lost}; indeterminate ${indeterminate}`);
  console.log(`  runs failing a property: ${failedRuns}`);
  console.log(`  ticks to converge after heal: median ${q(0.5)}, p99 ${q(0.99)}, max ${ticks[ticks.length - 1]}`);
  console.log(`  hints left ${hintsLeft}; runs with all Merkle roots equal ${rootsEqual} of ${seeds}`);
  printHistogram('Versions per read under the mixed-fault concurrent-writer workload', histogram);
  if (failedRuns > 0 && conflictMode === 'vclock') process.exitCode = 1;
  if (!has('--no-figures')) {
    printGossip();
    printAntiEntropy();
    const calm: Record<number, number> = {};
    for (let seed = 1; seed <= 20; seed++) {
      for (const [k, v] of Object.entries(runSeed({ seed, strict: true, faultTicks: 1000 }).siblingsPerRead)) calm[Number(k)] = (calm[Number(k)] ?? 0) + v;
    }
    printHistogram('Versions per read, 4 concurrent writers on 4 keys, no faults (the paper: 99.94 % saw one version)', calm);
    const ops = opsPerSecond();
    console.log(`\nThroughput: 100 nodes, 50 clients: ${ops.ops} operations and ${ops.messages} messages in ${ops.seconds.toFixed(1)} s of wall time = ${(ops.ops / ops.seconds).toFixed(0)} simulated ops/s`);
  }
}
