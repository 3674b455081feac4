/**
 * Tuning of one node: every timeout in ticks (the runtime decides how long a tick is; the simulator uses
 * virtual ticks), every per-round work bound, and the trace switch. Cluster-wide settings (N, R, W, Q)
 * are not here: they are a ClusterConfig, spread by gossip (membership.ts).
 */
import { summaryPartitionsMax } from './messages.js';

export interface Tuning {
  /** Ticks between two gossip rounds of this node. */
  readonly gossipIntervalTicks: number;
  /** Peers gossiped to per round (the paper's and memberlist's fanout). */
  readonly gossipFanout: number;
  /** A member whose heartbeat has not advanced for this long is suspect. */
  readonly suspectTimeoutTicks: number;
  /** A member whose heartbeat has not advanced for this long is dead (still in the ring: see membership.ts). */
  readonly deadTimeoutTicks: number;
  /** A replica that has not acknowledged a write within this long is replaced by a fallback (sloppy quorum). */
  readonly replicaTimeoutTicks: number;
  /** A client request fails if not decided within this long. */
  readonly requestTimeoutTicks: number;
  /**
   * Ticks between two anti-entropy rounds. A round sends one peer (round robin) the Merkle roots of the
   * partitions both hold (one ae-summary), then descends into the partitions whose roots differ.
   * The next round starts once this one's descents are done.
   */
  readonly antiEntropyIntervalTicks: number;
  /** Most partitions named in one ae-summary (the rest go in later rounds with the same peer). */
  readonly antiEntropySummaryPartitionsMax: number;
  /**
   * Most differing partitions one summary reply names: the round's descents (each moves at most
   * antiEntropyKeysPerRound keys each way). The rest are found again by later rounds.
   */
  readonly antiEntropyPartitionsPerRound: number;
  /** Most descents (one partition with one peer each) in flight at once. */
  readonly antiEntropySessionsMax: number;
  /** A summary or descent unanswered for this long is abandoned (its partition waits for a later round). */
  readonly antiEntropySessionTimeoutTicks: number;
  /** Most Merkle buckets one descent takes (bounded work). */
  readonly antiEntropyBucketsPerRound: number;
  /** Most keys one descent transfers, each way (so a round moves at most antiEntropySessionsMax times this at once). */
  readonly antiEntropyKeysPerRound: number;
  /** Ticks between two hinted-handoff rounds. */
  readonly handoffIntervalTicks: number;
  /** Most hinted keys handed off per round. */
  readonly handoffKeysPerRound: number;
  /** Most storage loads in flight; work that needs more waits for the next round. */
  readonly loadsInFlightMax: number;
  /** Most keys sent per tick while leaving. */
  readonly leaveKeysPerTick: number;
  /**
   * Ticks in one second of the runtime's clock (1000 / runtime tickMs): converts the cluster's
   * removeAfterSeconds into ticks (removal.ts). The simulator's ticks are virtual; it keeps the default.
   */
  readonly ticksPerSecond: number;
  /** Emit `trace` effects (the simulator turns them off for speed). */
  readonly trace: boolean;
}

export const defaultTuning: Tuning = {
  gossipIntervalTicks: 10,
  gossipFanout: 3,
  suspectTimeoutTicks: 60,
  deadTimeoutTicks: 240,
  replicaTimeoutTicks: 20,
  requestTimeoutTicks: 120,
  antiEntropyIntervalTicks: 10,
  antiEntropySummaryPartitionsMax: 256,
  antiEntropyPartitionsPerRound: 32,
  antiEntropySessionsMax: 8,
  antiEntropySessionTimeoutTicks: 30,
  antiEntropyBucketsPerRound: 16,
  antiEntropyKeysPerRound: 64,
  handoffIntervalTicks: 15,
  handoffKeysPerRound: 32,
  loadsInFlightMax: 256,
  leaveKeysPerTick: 32,
  ticksPerSecond: 10,
  trace: true,
};

/** The tuning with `overrides` applied; every value must be a positive integer (a programmer error otherwise). */
export function tuningWith(overrides: Partial<Tuning> = {}): Tuning {
  const tuning = { ...defaultTuning, ...overrides };
  for (const [name, value] of Object.entries(tuning)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`tuning.${name} must be a positive integer, got ${value}`);
  }
  if (tuning.antiEntropySummaryPartitionsMax > summaryPartitionsMax) throw new RangeError(`tuning.antiEntropySummaryPartitionsMax must be at most ${summaryPartitionsMax} (messages.ts)`);
  if (tuning.deadTimeoutTicks <= tuning.suspectTimeoutTicks) throw new RangeError('tuning.deadTimeoutTicks must exceed suspectTimeoutTicks');
  return tuning;
}
