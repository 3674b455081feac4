/**
 * Figures printed by `npm run sim` (never asserted: they are measurements, not tests).
 */
import * as codec from '../../src/core/codec.js';
import * as hash from '../../src/core/hash.js';
import * as membership from '../../src/core/membership.js';
import * as merkle from '../../src/core/merkle.js';
import { versionSchema } from '../../src/core/messages.js';
import type { MemberView } from '../../src/core/node-io.js';
import * as rngModule from '../../src/core/rng.js';

import * as version from '../../src/core/version.js';
import { defaultTuning } from '../../src/core/config.js';
import { Cluster } from './cluster.js';
import { convergence } from './checker.js';
import { MemoryStore } from './memory-store.js';
import { emptyHistory } from './history.js';
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

/** Anti-entropy between two replicas of 10,000 keys (one partition) of which `share` differ on one side. */
export function antiEntropyCost(share: number, keys = 10_000): { versions: number; bytes: number; everything: number; ticks: number; converged: boolean } {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const rng = rngModule.create(Math.round(share * 1e6));
  let everything = 0;
  const value = (i: number, gen: number) => version.stringValue(`value ${i} generation ${gen} `.padEnd(100, '.'));
  for (let i = 0; i < keys; i++) {
    const v = version.make({ dot: { actor: 'w@1', counter: 1 }, past: [], value: value(i, 1), timestamp: 1 });
    everything += codec.encodedSizeOf(versionSchema, v) + hash.utf8(`key${i}`).length;
    a.apply([{ kind: 'put-version', key: `key${i}`, version: v }]);
    b.apply([{ kind: 'put-version', key: `key${i}`, version: v }]);
  }
  const changed = rng.shuffle(Array.from({ length: keys }, (_, i) => i)).slice(0, Math.round(keys * share));
  for (const i of changed) {
    const v = version.make({ dot: { actor: 'w@1', counter: 2 }, past: [{ actor: 'w@1', counter: 1 }], value: value(i, 2), timestamp: 2 });
    b.apply([{ kind: 'put-version', key: `key${i}`, version: v }]);
  }
  const cluster = new Cluster({ seed: 7, config: { n: 2, r: 1, w: 1, partitions: 1 }, tuning: { antiEntropyKeysPerRound: 256, antiEntropyBucketsPerRound: merkle.bucketCount } });
  cluster.addNode('a', { seeds: ['b'], store: a });
  cluster.addNode('b', { seeds: ['a'], store: b });
  const start = cluster.now;
  let ticks = 0;
  while (ticks < 20_000) {
    cluster.run(10);
    ticks = cluster.now - start;
    if (convergence(cluster).ok) break;
  }
  let bytes = 0;
  let versions = 0;
  for (const [type, t] of cluster.byType) {
    if (type === 'gossip') continue;
    bytes += t.bytes;
    versions += t.versions;
  }
  return { versions, bytes, everything, ticks, converged: convergence(cluster).ok };
}

export function printAntiEntropy(): void {
  console.log(`\nAnti-entropy: repairing divergence between two replicas of 10,000 keys (100-byte values, ${merkle.bucketCount} Merkle buckets)`);
  console.log('  diverged   versions sent   bytes exchanged   sending everything   ticks   converged');
  for (const share of [0.001, 0.01, 0.1]) {
    const r = antiEntropyCost(share);
    console.log(`  ${`${(share * 100).toFixed(1)} %`.padStart(8)}   ${String(r.versions).padStart(13)}   ${String(r.bytes).padStart(15)}   ${String(r.everything).padStart(18)}   ${String(r.ticks).padStart(5)}   ${r.converged}`);
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
  const ops = history.writes.filter((w) => w.outcome !== 'pending').length + history.reads.length;
  return { ops, seconds, messages: cluster.stats.sent - sent0 };
}
