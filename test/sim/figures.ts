/**
 * Figures printed by `npm run sim` (never asserted: they are measurements, not tests). The anti-entropy
 * cost figure moved out: it built versions from vector clocks by hand, and clocks belong to the core
 * (test/bench/b4-anti-entropy.ts measures the same through the simulator).
 */
import * as membership from '../../src/core/membership.js';
import type { MemberView } from '../../src/core/node-io.js';
import * as rngModule from '../../src/core/rng.js';
import { defaultTuning } from '../../src/core/config.js';
import { Cluster } from './cluster.js';
import { emptyHistory } from '../checker/history.js';
import { defaultWorkload, Workload } from './workload.js';

/**
 * Rounds for a joining member's entry to reach every node: each round every node that knows it pushes its
 * view to `fanout` random peers, merged with membership.mergeMember (the node's own merge rule). A model
 * of the gossip layer alone, so it scales to 500 nodes.
 */
export function gossipRounds(nodes: number, fanout: number, trials: number, seed: number): number {
  const rng = rngModule.create(seed);
  let total = 0;
  const joiner: MemberView = { id: 'new', host: 'h', capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 1, status: 'alive', lastHeardTick: 0 };
  for (let t = 0; t < trials; t++) {
    const views: (MemberView | undefined)[] = new Array(nodes).fill(undefined);
    views[rng.int(nodes)] = joiner; // the seed it joined through
    let rounds = 0;
    while (views.some((v) => v === undefined)) {
      rounds++;
      const next = views.slice();
      for (let i = 0; i < nodes; i++) {
        const view = views[i];
        if (view === undefined) continue;
        for (let f = 0; f < fanout; f++) {
          let j = rng.int(nodes - 1);
          if (j >= i) j++;
          const merged = membership.mergeMember(next[j], view, rounds);
          if (merged !== undefined) next[j] = merged;
        }
      }
      views.splice(0, nodes, ...next);
    }
    total += rounds;
  }
  return total / trials;
}

export function printGossip(): void {
  const fanout = defaultTuning.gossipFanout;
  console.log(`\nGossip: rounds until every node knows a joining member (fanout ${fanout}, mean of 20 trials)`);
  console.log('  nodes   rounds   2 ln(N+1)/fanout');
  for (const n of [5, 50, 500]) {
    console.log(`  ${String(n).padStart(5)}   ${gossipRounds(n, fanout, 20, n).toFixed(1).padStart(6)}   ${((2 * Math.log(n + 1)) / fanout).toFixed(1).padStart(6)}`);
  }
}

export function printHistogram(title: string, histogram: Readonly<Record<number, number>>): void {
  const total = Object.values(histogram).reduce((a, b) => a + b, 0);
  console.log(`\n${title} (${total} reads)`);
  for (const [versions, count] of Object.entries(histogram).sort((x, y) => Number(x[0]) - Number(y[0]))) {
    console.log(`  ${versions} version(s): ${String(count).padStart(6)}  ${((100 * count) / Math.max(1, total)).toFixed(2).padStart(6)} %`);
  }
}

/** Operations completed per second of wall time, with a 100-node cluster on a calm network. */
export function opsPerSecond(nodes = 100, ticks = 1500): { ops: number; seconds: number; messages: number } {
  const cluster = new Cluster({ seed: 99, config: { n: 3, r: 2, w: 2, partitions: 256 }, network: { lossRate: 0, duplicateRate: 0, delayMinTicks: 1, jitterTicks: 2 } });
  const ids = Array.from({ length: nodes }, (_, i) => `n${i + 1}`);
  for (const id of ids) cluster.addNode(id, { seeds: ['n1'] });
  cluster.run(200);
  const history = emptyHistory();
  const keys = Array.from({ length: 500 }, (_, i) => `key${i}`);
  const workload = new Workload(cluster, rngModule.create(5), history, { ...defaultWorkload, clients: 50, keys, setKeys: ['s0'], thinkTicksMax: 5 });
  const t0 = performance.now();
  const sent0 = cluster.stats.sent;
  workload.start();
  cluster.run(ticks);
  workload.stop();
  const seconds = (performance.now() - t0) / 1000;
  const ops = history.ops.length;
  return { ops, seconds, messages: cluster.stats.sent - sent0 };
}
