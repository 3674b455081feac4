/**
 * One simulated run from one seed: a 5-7 node cluster (N = 3), a faulty phase with workload, network
 * loss, duplication, reordering, partitions (random halves, one node isolated, one-way), crashes with
 * restart, and at most one restart with wiped storage, and (every fourth seed) a join and a graceful
 * leave; then heal, stop the workload, and wait until the cluster converges; then check. Every parameter
 * derives from the seed.
 */
import * as rngModule from '../../src/core/rng.js';
import { Cluster, type NetworkParams } from './cluster.js';
import { check, convergence, type Verdict } from './checker.js';
import { emptyHistory, type History } from './history.js';
import { defaultWorkload, Workload } from './workload.js';

export interface RunOptions {
  readonly seed: number;
  readonly conflictMode?: 'vclock' | 'lww';
  /** No faults at all and strict quorums: also check that reads see every earlier acknowledged write. */
  readonly strict?: boolean;
  readonly trace?: boolean;
  readonly faultTicks?: number;
  readonly quietTicksMax?: number;
  /** Membership churn during the faults: a new node joins, and one of the first nodes leaves gracefully (default: every fourth seed). */
  readonly churn?: boolean;
}

export interface RunReport extends Verdict {
  readonly seed: number;
  readonly nodes: number;
  readonly network: NetworkParams;
  readonly faults: readonly string[];
  readonly converged: boolean;
  readonly convergeReason: string;
  readonly ticksToConverge: number;
  readonly hintsLeft: number;
  readonly rootsEqual: boolean;
  /** Histogram: number of live versions a read returned -> reads. */
  readonly siblingsPerRead: Readonly<Record<number, number>>;
  readonly messages: number;
  readonly steps: number;
  readonly trace: readonly string[];
  readonly history: History;
}

export function replayCommand(seed: number, conflictMode: 'vclock' | 'lww' = 'vclock'): string {
  return `npm run sim -- --seed ${seed}${conflictMode === 'lww' ? ' --lww' : ''}`;
}

export function runSeed(options: RunOptions): RunReport {
  const rng = rngModule.create(options.seed);
  const pick = rng.fork('parameters');
  const nodeCount = 5 + pick.int(3);
  const network: NetworkParams = options.strict
    ? { lossRate: 0, duplicateRate: 0, delayMinTicks: 1, jitterTicks: 3 }
    : { lossRate: pick.next() * 0.3, duplicateRate: pick.next() * 0.5, delayMinTicks: 1 + pick.int(3), jitterTicks: pick.int(9) };
  const conflictMode = options.conflictMode ?? 'vclock';
  const cluster = new Cluster({
    seed: options.seed, config: { n: 3, r: 2, w: 2, partitions: 32 }, conflictMode, network: { ...network, lossRate: 0, duplicateRate: 0 },
    trace: options.trace ?? false,
  });
  const ids = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  for (const id of ids) cluster.addNode(id, { seeds: ['n1'], clockSkewTicks: conflictMode === 'lww' ? pick.int(60) : 0 });
  cluster.run(60);
  cluster.network = network;
  const history = emptyHistory();
  const workload = new Workload(cluster, rng.fork('workload'), history, defaultWorkload);
  workload.start();
  const faultTicks = options.faultTicks ?? 1200;
  const faults = options.strict ? [] : scheduleFaults(cluster, rng.fork('faults'), ids, faultTicks);
  // Every fourth seed also has membership churn, unless the caller says otherwise.
  if (!options.strict && (options.churn ?? options.seed % 4 === 0)) faults.push(...scheduleChurn(cluster, rng.fork('churn'), ids, faultTicks));
  cluster.run(faultTicks);
  cluster.heal();
  for (const id of cluster.nodes.keys()) if (!cluster.up(id)) cluster.restart(id);
  cluster.network = { ...network, lossRate: 0, duplicateRate: 0 };
  workload.stop();
  const healTick = cluster.now;
  const quietMax = options.quietTicksMax ?? 6000;
  // Step in small slices: note when the cluster first converged, and keep going at least until clients
  // finished what they started (their timeout) and the cluster is still converged.
  let conv = convergence(cluster);
  let convergedAt: number | undefined;
  while (cluster.now - healTick < quietMax) {
    conv = convergence(cluster);
    if (!conv.ok) convergedAt = undefined;
    else if (convergedAt === undefined) convergedAt = cluster.now;
    if (conv.ok && cluster.now - healTick >= defaultWorkload.clientTimeoutTicks) break;
    cluster.run(10);
  }
  const verdict = check(cluster, history, { strict: options.strict ?? false });
  const siblingsPerRead: Record<number, number> = {};
  for (const r of history.reads) siblingsPerRead[r.values.length] = (siblingsPerRead[r.values.length] ?? 0) + 1;
  return {
    ...verdict, seed: options.seed, nodes: nodeCount, network, faults,
    converged: conv.ok, convergeReason: conv.reason, ticksToConverge: (convergedAt ?? cluster.now) - healTick, hintsLeft: conv.hintsLeft, rootsEqual: conv.rootsEqual,
    siblingsPerRead, messages: cluster.stats.sent, steps: cluster.stats.steps, trace: cluster.traceLines, history,
  };
}

function scheduleFaults(cluster: Cluster, rng: rngModule.Rng, ids: readonly string[], faultTicks: number): string[] {
  const faults: string[] = [];
  const start = cluster.now;
  const partitions = 1 + rng.int(3);
  for (let i = 0; i < partitions; i++) {
    const at = start + 50 + rng.int(faultTicks - 300);
    const duration = 80 + rng.int(300);
    const kind = rng.pick(['halves', 'isolate', 'one-way'] as const);
    const shuffled = rng.shuffle(ids);
    const cut = kind === 'halves' ? 1 + rng.int(ids.length - 1) : 1;
    const a = shuffled.slice(0, cut);
    const b = shuffled.slice(cut);
    faults.push(`${kind} ${a.join(',')} | ${b.join(',')} at ${at - start} for ${duration}`);
    cluster.at(at, () => cluster.partition(a, b, kind === 'one-way'));
    cluster.at(at + duration, () => cluster.heal());
  }
  const crashes = rng.int(3);
  for (let i = 0; i < crashes; i++) {
    const id = rng.pick(ids);
    const at = start + 50 + rng.int(faultTicks - 200);
    const duration = 30 + rng.int(400);
    faults.push(`crash ${id} at ${at - start} for ${duration}`);
    cluster.at(at, () => cluster.crash(id));
    cluster.at(at + duration, () => {
      if (!cluster.up(id)) cluster.restart(id);
    });
  }
  if (rng.next() < 0.5) {
    const id = rng.pick(ids);
    const at = start + 100 + rng.int(faultTicks - 200);
    faults.push(`wipe ${id} at ${at - start}`);
    cluster.at(at, () => cluster.restart(id, { wipe: true }));
  }
  return faults;
}

/** A node joins at a random time; later one of the original nodes (not the seed) asks to leave. */
function scheduleChurn(cluster: Cluster, rng: rngModule.Rng, ids: readonly string[], faultTicks: number): string[] {
  const start = cluster.now;
  const joinAt = start + 50 + rng.int(faultTicks / 2);
  const leaver = rng.pick(ids.slice(1));
  const leaveAt = start + 100 + rng.int(faultTicks - 200);
  cluster.at(joinAt, () => cluster.addNode('n9', { seeds: ['n1'] }));
  cluster.at(leaveAt, () => {
    if (cluster.up(leaver)) cluster.request(leaver, { op: 'leave' }, () => undefined);
  });
  return [`join n9 at ${joinAt - start}`, `leave ${leaver} at ${leaveAt - start}`];
}
