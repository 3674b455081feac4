/**
 * The simulator as the main test (DESIGN.md properties 1-6): many seeds of mixed faults must lose no
 * acknowledged write, keep siblings exactly the concurrent writes, and converge; a failure prints its seed
 * and the command that replays it. The last-write-wins control must lose writes under the same faults,
 * which proves the checker can see a loss.
 */
import { describe, expect, it } from 'vitest';
import { replayCommand, runSeed, type RunReport } from './run.js';

const seeds = Number(process.env.SIM_SEEDS ?? 200);
const firstSeed = Number(process.env.SIM_FIRST_SEED ?? 1);

function explain(r: RunReport): string {
  return [
    `SEED=${r.seed}  replay: ${replayCommand(r.seed)}`,
    `nodes ${r.nodes}, network ${JSON.stringify(r.network)}`,
    `faults: ${r.faults.join('; ')}`,
    `acknowledged ${r.acknowledged}, lost ${r.lost}, converged ${r.converged} (${r.convergeReason})`,
    ...r.problems,
  ].join('\n');
}

describe('simulated cluster under mixed faults (N=3, R=2, W=2, 5-7 nodes; every fourth seed a join and a leave)', () => {
  it(`${seeds} seeds: no acknowledged write lost, siblings exactly the concurrent writes, convergence`, () => {
    const failures: string[] = [];
    let acknowledged = 0;
    let indeterminate = 0;
    const ticks: number[] = [];
    for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
      const r = runSeed({ seed });
      acknowledged += r.acknowledged;
      indeterminate += r.indeterminate;
      ticks.push(r.ticksToConverge);
      const bad = r.lost > 0 || r.staleSiblings > 0 || r.missingElements > 0 || !r.converged || r.hintsLeft > 0 || !r.rootsEqual || r.problems.length > 0;
      if (bad) failures.push(explain(r));
    }
    ticks.sort((a, b) => a - b);
    console.log(`sim: ${seeds} seeds, ${acknowledged} acknowledged writes, ${indeterminate} indeterminate, ticks to converge median ${ticks[ticks.length >> 1]} max ${ticks[ticks.length - 1]}`);
    expect(failures.slice(0, 3).join('\n\n')).toBe('');
  });

  it('strict quorums and no faults: every read sees each write acknowledged before it started (R + W > N)', () => {
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSeed({ seed, strict: true, faultTicks: 800 });
      expect(r.staleReads, explain(r)).toBe(0);
      expect(r.lost, explain(r)).toBe(0);
      expect(r.acknowledged).toBeGreaterThan(0);
    }
  });

  it('one seed replays exactly: the same seed twice gives the same full trace', () => {
    const a = runSeed({ seed: 4242, trace: true, faultTicks: 600 });
    const b = runSeed({ seed: 4242, trace: true, faultTicks: 600 });
    expect(a.trace.length).toBeGreaterThan(100);
    expect(b.trace).toEqual(a.trace);
    expect(b.history).toEqual(a.history);
  });

  it('control: last-write-wins with skewed clocks loses acknowledged writes under the same faults', () => {
    let lost = 0;
    let acknowledged = 0;
    for (let seed = 1; seed <= 10; seed++) {
      const r = runSeed({ seed, conflictMode: 'lww' });
      lost += r.lost + r.missingElements;
      acknowledged += r.acknowledged;
    }
    console.log(`lww control: ${lost} lost of ${acknowledged} acknowledged`);
    expect(lost).toBeGreaterThan(0);
  });
});
