/**
 * The many-seeds property test of `npm test` (issue 9), split in two halves that two test files run
 * (sim.test.ts and sim-seeds.test.ts): Vitest runs files in parallel, one per core, so the two halves take
 * half the wall time of one file running all seeds (measured 2026-12-01: 0.24 s of CPU a seed, about 4
 * minutes of one core for 1,000). Every run has a message budget (run.ts messageBudget), so a storm fails
 * its seed as a runaway instead of stalling the suite. `SIM_SEEDS=N` (and `SIM_FIRST_SEED=S`) for another
 * range, `npm run sim -- --seeds 20000` for the long run.
 */
import { expect } from 'vitest';
import { explain, failed, runSeed } from './run.js';

export const seedRange = {
  first: Number(process.env.SIM_FIRST_SEED ?? 1),
  count: Number(process.env.SIM_SEEDS ?? 1000),
  // The issue's bound for the whole suite (20 minutes), not the project's 10 per test: a machine shared by
  // many runs stretches the wall time (on the 2-core machine at load 50-70, 100 seeds took 169 s). A hang
  // detector, never a pass/fail figure.
  timeoutMs: 1_200_000,
};

const firstCount = Math.ceil(seedRange.count / 2);
/** The two halves of the range: the first file runs [0], the second [1]. */
export const halves = [
  { first: seedRange.first, count: firstCount },
  { first: seedRange.first + firstCount, count: seedRange.count - firstCount },
] as const;

/**
 * Seeds that expose bugs still OPEN, each with what it shows: the test prints their verdicts, fails if any
 * OTHER seed fails, and fails if one of these passes (then the bug is fixed or masked: find out which and
 * take it off the list). Replay one with `npm run sim -- --seed N --trace`. Empty since 2026-12-01; the
 * three listed when npm test first ran 1,000 seeds were: 497 and 969, lost writes that the fault schedule
 * made, not the store (the nemesis counted a node that had LEFT as holding a durable copy, and a hint held
 * for a node dead for good as lost although removal hands it on: faults.ts hasLeft, run.ts removeTheDead);
 * 266, a wiped node that took an earlier life's number and was never told (gossip.knowsLaterSelf).
 */
const knownOpen: Readonly<Record<number, string>> = {};

/**
 * Seeds beyond the range that failed once, each on a bug since fixed (store or nemesis): cheap to run again,
 * so a change that brings one back is seen in `npm test`, not only in a long run.
 */
export const pastFailures: Readonly<Record<number, string>> = {
  3203: 'two leaves at once waited on each other (leave.ts: a misplaced refusal retried, others treated as down)',
  3239: 'the same', 3441: 'the same', 3444: 'the same', 3571: 'the same', 3587: 'the same',
  4663: 'a leave that never ended: refusals shrank the leaver\'s future ring',
  6070: 'nemesis: a delete that saw one twin of a retried write did not count as replacing the other (faults.ts covered)',
  9258: 'nemesis: a stale image brought back a deleted value whose other delete copies were wiped (faults.ts soleCopy restored)',
};

/** Runs seeds first..first+count-1 under mixed faults: no acknowledged write lost, no replaced value left, nothing invented, convergence. */
export async function checkSeeds(range: { readonly first: number; readonly count: number }): Promise<void> {
  const failures: string[] = [];
  let acknowledged = 0;
  let indeterminate = 0;
  const failingSeeds: number[] = [];
  const knownStillFailing: number[] = [];
  const knownNowPassing: number[] = [];
  let coordinatorCrashes = 0;
  for (let seed = range.first; seed < range.first + range.count; seed++) {
    const r = await runSeed({ seed });
    if (r.faults.some((f) => f.includes('crashed while coordinating a forwarded write'))) coordinatorCrashes++;
    acknowledged += r.verdict.acknowledged;
    indeterminate += r.verdict.indeterminate;
    const known = knownOpen[seed] !== undefined;
    if (!failed(r)) {
      if (known) knownNowPassing.push(seed);
      continue;
    }
    if (known) {
      knownStillFailing.push(seed);
      console.log(`sim: known open bug, seed ${seed} (${knownOpen[seed]}):\n${explain(r)}`);
      continue;
    }
    failingSeeds.push(seed);
    if (failures.length < 5) failures.push(explain(r));
  }
  console.log(`sim: seeds ${range.first}-${range.first + range.count - 1}, ${acknowledged} acknowledged writes, ${indeterminate} indeterminate, ${failingSeeds.length} failing${failingSeeds.length ? `: ${failingSeeds.join(' ')}` : ''}; known open: ${knownStillFailing.join(' ') || 'none'}`);
  expect(failures.join('\n\n')).toBe('');
  expect(knownNowPassing, 'a known-open seed passes now: is its bug fixed? take it off knownOpen').toEqual([]);
  // Issue 10 item 5: most runs crash a coordinator while it coordinates a forwarded write (faults.ts).
  expect(coordinatorCrashes).toBeGreaterThan(range.count / 2);
}
