/**
 * One simulated run from one seed: a cluster of tab-like nodes (each with its own clock from 0 at each
 * start, drifting a few per cent; seeds from presence), a faulty phase with the workload and the nemesis
 * (faults.ts), then heal, stop the workload, wait until the cluster converges, and judge: the value
 * checker (test/checker/value-checker.ts) over the clients' history and what the replicas' STORAGE
 * holds, plus the replica-state checks (checker.ts: rings, Merkle roots, hints). Every parameter derives
 * from the seed; `replayCommand` names the command that replays a run.
 */
import * as rngModule from '../../src/core/rng.js';
import { emptyHistory, type FinalState, type History } from '../checker/history.js';
import { check, type Verdict } from '../checker/value-checker.js';
import { convergence } from './checker.js';
import { calmNetwork, Cluster, Runaway, type NetworkParams } from './cluster.js';
import { Nemesis, networkFor, type Intensity } from './faults.js';
import { finalState, serving } from './final-state.js';
import { defaultWorkload, Workload, type WorkloadOptions } from './workload.js';

/**
 * Known-bad node options, passed as they are to node.create: each must make the checker fail.
 * epochPolicy 'max-plus-one' (a wiped node takes the highest epoch it hears + 1) and clockPolicy
 * 'plain-vv' (plain version vectors instead of dotted ones) come with the dvv core.
 */
export interface Controls {
  readonly epochPolicy?: string;
  readonly clockPolicy?: string;
}

export interface RunOptions {
  readonly seed: number;
  readonly conflictMode?: 'vclock' | 'lww';
  /** No faults at all and strict quorums: also check that reads see every earlier acknowledged write. */
  readonly strict?: boolean;
  readonly trace?: boolean;
  /** Nodes at start (default 5-7 from the seed). */
  readonly nodes?: number;
  /** Length of the faulty phase, in ticks. */
  readonly ticks?: number;
  readonly intensity?: Intensity;
  readonly quietTicksMax?: number;
  readonly controls?: Controls;
  /**
   * 'runtime' (default): every node runs the real runtime loop (runtime-host.ts: group commit,
   * persist-before-send, storage-failed), so the run proves what tabs run. 'step': the cluster steps the
   * core directly, one step one batch (faster to read in a trace).
   */
  readonly host?: 'step' | 'runtime';
  /** Pipelined writes in the runtime loop (RuntimeOptions.pipelineStores); the runtime's default when absent. */
  readonly pipelineStores?: boolean;
  /** Store batching in the runtime loop (RuntimeOptions.batchStores); the runtime's default when absent. */
  readonly batchStores?: boolean;
  /** The clients (default defaultWorkload: 4 clients, mixed operations). */
  readonly workload?: WorkloadOptions;
  /** The run's message budget (default messageBudget). */
  readonly messagesMax?: number;
}

/**
 * Ticks of the faulty phase. 1,000 seeds must fit in `npm test` (about 6 minutes): 600 ticks with the
 * medium nemesis keep every fault of the plan inside the phase (faults.ts draws them from 50 to ticks-200).
 */
export const defaultTicks = 600;

/**
 * Every run's budget: at most 50,000 messages put on the network (time is bounded already: 90 ticks to
 * start, the faulty phase, at most quietTicksMax to settle). A default run sends 2,000-5,000 (seeds
 * 85-125: at most 4,473), so ten times that is no ordinary run; a seed that spends it fails with the
 * verdict "runaway: N messages by tick T (top kinds ...)" instead of running for minutes and growing the
 * memory (the gossip storm of test/unit/gossip-storm.test.ts once took 25,000 messages a tick).
 */
export const messageBudget = 50_000;

export interface RunReport {
  readonly seed: number;
  readonly options: RunOptions;
  readonly verdict: Verdict;
  readonly nodes: number;
  readonly network: NetworkParams;
  readonly faults: readonly string[];
  readonly converged: boolean;
  readonly convergeReason: string;
  readonly ticksToConverge: number;
  readonly hintsLeft: number;
  readonly rootsEqual: boolean;
  readonly storageFailures: number;
  /** Histogram: number of live values a get returned -> gets. */
  readonly siblingsPerRead: Readonly<Record<number, number>>;
  readonly messages: number;
  readonly steps: number;
  /** Set when the run spent its message budget: the runaway verdict (the run stopped there). */
  readonly runaway?: string;
  readonly trace: readonly string[];
  readonly history: History;
  readonly final: FinalState;
}

/** A run fails when the value checker finds a problem or the replicas did not converge. */
export function failed(r: RunReport): boolean {
  return !r.verdict.ok || !r.converged;
}

/** The exact command that replays this run (a test's own workload option is not in it). */
export function replayCommand(options: RunOptions): string {
  const parts = ['npm run sim --', `--seed ${options.seed}`];
  if (options.nodes !== undefined) parts.push(`--nodes ${options.nodes}`);
  if (options.ticks !== undefined) parts.push(`--ticks ${options.ticks}`);
  if (options.intensity !== undefined) parts.push(`--intensity ${options.intensity}`);
  if (options.conflictMode === 'lww') parts.push('--lww');
  if (options.strict) parts.push('--strict');
  if (options.host === 'step') parts.push('--step');
  if (options.pipelineStores !== undefined) parts.push(options.pipelineStores ? '--pipeline' : '--no-pipeline');
  if (options.batchStores !== undefined) parts.push(options.batchStores ? '--batch' : '--no-batch');
  if (options.messagesMax !== undefined) parts.push(`--budget ${options.messagesMax}`);
  for (const [name, value] of Object.entries(options.controls ?? {})) parts.push(`--${name === 'epochPolicy' ? 'epoch-policy' : 'clock-policy'} ${value}`);
  return parts.join(' ');
}

/** One run; a run that spends its message budget ends there, judged runaway (see messageBudget). */
export async function runSeed(options: RunOptions): Promise<RunReport> {
  const runs: RunSoFar = { history: emptyHistory(), nodes: 0, network: calmNetwork };
  try {
    return await runPhases(options, runs);
  } catch (error) {
    if (!(error instanceof Runaway) || runs.cluster === undefined) throw error;
    return runawayReport(options, runs, runs.cluster, error);
  }
}

/** What a run has built so far, for the report of a run its budget stopped. */
interface RunSoFar {
  cluster?: Cluster;
  nemesis?: Nemesis;
  readonly history: History;
  nodes: number;
  network: NetworkParams;
}

/**
 * What an operator does after the storm (Riak's `cluster force-remove`; the Members view's Remove button):
 * kv.remove each node that died for good, one after another, at a serving node. Until then the dead node
 * keeps its place in the ring, and a hint held for it may be the only copy of an acknowledged write
 * (seed 969): removal sends such hints to the key's new replicas, and the convergence check then requires
 * every hint to be handed over, those for the dead included.
 */
function removeTheDead(cluster: Cluster): void {
  const dead = [...cluster.nodes.values()].filter((s) => s.dead).map((s) => s.id);
  const next = (attempt: number): void => {
    const id = dead[0];
    const at = serving(cluster)[0];
    if (id === undefined || at === undefined) return;
    cluster.request(at.id, { op: 'remove', id }, (result) => {
      if (result.ok) dead.shift();
      // A refusal (another removal still being confirmed, a node not ready) is asked again a little later.
      if (result.ok || attempt < 20) cluster.at(cluster.now + 10, () => next(result.ok ? 0 : attempt + 1));
    });
  };
  next(0);
}

async function runPhases(options: RunOptions, runs: RunSoFar): Promise<RunReport> {
  const rng = rngModule.create(options.seed);
  const pick = rng.fork('parameters');
  const nodeCount = options.nodes ?? 5 + pick.int(3);
  const intensity = options.intensity ?? 'medium';
  const network: NetworkParams = options.strict ? { lossRate: 0, duplicateRate: 0, delayMinTicks: 1, jitterTicks: 3 } : networkFor(intensity, pick);
  const conflictMode = options.conflictMode ?? 'vclock';
  const cluster = new Cluster({
    seed: options.seed, config: { n: 3, r: 2, w: 2, partitions: 32 }, conflictMode, network: { ...network, lossRate: 0, duplicateRate: 0 },
    trace: options.trace ?? false, clocks: { local: true, driftMax: 0.05 }, seedsFromPresence: true, host: options.host ?? 'runtime',
    ...(options.pipelineStores !== undefined ? { pipelineStores: options.pipelineStores } : {}),
    ...(options.batchStores !== undefined ? { batchStores: options.batchStores } : {}),
    ...(options.controls ? { controls: { ...options.controls } } : {}), messagesMax: options.messagesMax ?? messageBudget,
  });
  Object.assign(runs, { cluster, nodes: nodeCount, network });
  const ids = Array.from({ length: nodeCount }, (_, i) => `n${i + 1}`);
  // Tabs open one after another: each node's clock starts at its own offset.
  ids.forEach((id, i) => cluster.at(i === 0 ? 0 : pick.int(30), () => cluster.addNode(id, { clockSkewTicks: conflictMode === 'lww' ? pick.int(60) : 0 })));
  await cluster.advance(90);
  cluster.network = network;
  const history = runs.history;
  const clients = options.workload ?? defaultWorkload;
  const workload = new Workload(cluster, rng.fork('workload'), history, clients);
  workload.start();
  const ticks = options.ticks ?? defaultTicks;
  const nemesis = new Nemesis(cluster, rng.fork('faults'), history, ticks);
  runs.nemesis = nemesis;
  if (!options.strict) nemesis.schedule(intensity, ids);
  await cluster.advance(ticks);
  workload.stop();
  cluster.heal();
  for (const sim of cluster.nodes.values()) {
    sim.store.failNextApplies = 0;
    if (!cluster.up(sim.id) && !sim.dead) cluster.restart(sim.id);
  }
  cluster.network = { ...network, lossRate: 0, duplicateRate: 0 };
  removeTheDead(cluster);
  const healTick = cluster.now;
  const quietMax = options.quietTicksMax ?? 3000;
  // Step in small slices: note when the cluster first converged, and keep going until clients finished
  // what they started (answered, or their timeout passed) and the cluster is still converged. Anything
  // still open then is recorded as indeterminate, the weakest claim.
  let conv = convergence(cluster);
  let convergedAt: number | undefined;
  while (cluster.now - healTick < quietMax) {
    conv = convergence(cluster);
    if (!conv.ok) convergedAt = undefined;
    else if (convergedAt === undefined) convergedAt = cluster.now;
    if (conv.ok && (workload.idle() || cluster.now - healTick >= clients.clientTimeoutTicks)) break;
    await cluster.advance(10);
  }
  workload.flush();
  const keys = new Set([...clients.keys, ...clients.setKeys]);
  const final = finalState(cluster, keys);
  const verdict = check(history, final, { strict: options.strict ?? false });
  const siblingsPerRead: Record<number, number> = {};
  for (const op of history.ops) if (op.kind === 'get' && op.outcome === 'ok') siblingsPerRead[op.values.length] = (siblingsPerRead[op.values.length] ?? 0) + 1;
  return {
    seed: options.seed, options, verdict, nodes: nodeCount, network, faults: nemesis.log,
    converged: conv.ok, convergeReason: conv.reason, ticksToConverge: (convergedAt ?? cluster.now) - healTick, hintsLeft: conv.hintsLeft, rootsEqual: conv.rootsEqual,
    storageFailures: cluster.stats.storageFailures, siblingsPerRead, messages: cluster.stats.sent, steps: cluster.stats.steps, trace: cluster.traceLines, history, final,
  };
}

/** The report of a run stopped by its budget: failed, with the runaway verdict as its one problem. */
function runawayReport(options: RunOptions, runs: RunSoFar, cluster: Cluster, runaway: Runaway): RunReport {
  const { history, nodes, network } = runs;
  const writes = history.ops.filter((op) => op.kind !== 'get');
  const verdict: Verdict = {
    ok: false, operations: history.ops.length, gets: history.ops.length - writes.length, writes: writes.length,
    acknowledged: writes.filter((op) => op.outcome === 'ok').length, failed: history.ops.filter((op) => op.outcome === 'failed').length, failedByReason: {},
    indeterminate: history.ops.filter((op) => op.outcome === 'indeterminate').length, lost: 0, staleSurvivors: 0, unknownValues: 0, divergentKeys: [], staleReads: 0, duplicateReads: 0,
    problems: [runaway.message],
  };
  return {
    seed: options.seed, options, verdict, nodes, network, faults: runs.nemesis?.log ?? [], converged: false, convergeReason: runaway.message, ticksToConverge: 0, hintsLeft: 0, rootsEqual: false,
    storageFailures: cluster.stats.storageFailures, siblingsPerRead: {}, messages: cluster.stats.sent, steps: cluster.stats.steps, runaway: runaway.message,
    trace: cluster.traceLines, history, final: { replicas: new Map() },
  };
}

/** A readable account of a run: the seed and replay command first, then what broke. */
export function explain(r: RunReport): string {
  const v = r.verdict;
  return [
    `SEED=${r.seed}  replay: ${replayCommand(r.options)}`,
    `  nodes ${r.nodes}; network ${JSON.stringify(r.network)}`,
    `  faults: ${r.faults.join('; ') || 'none'}`,
    `  operations ${v.operations} (gets ${v.gets}, writes ${v.writes}); acknowledged ${v.acknowledged}, failed ${v.failed}, indeterminate ${v.indeterminate}; storage failures ${r.storageFailures}`,
    `  lost ${v.lost}, stale survivors ${v.staleSurvivors}, unknown values ${v.unknownValues}, divergent keys ${v.divergentKeys.length ? v.divergentKeys.join(',') : 0}, stale reads ${v.staleReads}`,
    `  converged ${r.converged} (${r.convergeReason}) in ${r.ticksToConverge} ticks; hints left ${r.hintsLeft}; Merkle roots equal ${r.rootsEqual}`,
    ...v.problems.map((p) => `  ${p}`),
  ].join('\n');
}
