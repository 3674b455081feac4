/**
 * Tuning of one node: every timeout in ticks (the runtime decides how long a tick is; the simulator uses
 * virtual ticks), every per-round work bound, and the trace switch. Cluster-wide settings (N, R, W, Q)
 * are not here: they are a ClusterConfig, spread by gossip (membership.ts).
 */
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
  /** Ticks between two anti-entropy rounds; each round handles one partition. */
  readonly antiEntropyIntervalTicks: number;
  /** Most Merkle buckets descended into per anti-entropy round (bounded work). */
  readonly antiEntropyBucketsPerRound: number;
  /** Most keys transferred per anti-entropy round, each way. */
  readonly antiEntropyKeysPerRound: number;
  /** Ticks between two hinted-handoff rounds. */
  readonly handoffIntervalTicks: number;
  /** Most hinted keys handed off per round. */
  readonly handoffKeysPerRound: number;
  /** Most storage loads in flight; work that needs more waits for the next round. */
  readonly loadsInFlightMax: number;
  /** Most keys sent per tick while leaving. */
  readonly leaveKeysPerTick: number;
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
  antiEntropyBucketsPerRound: 16,
  antiEntropyKeysPerRound: 64,
  handoffIntervalTicks: 15,
  handoffKeysPerRound: 32,
  loadsInFlightMax: 256,
  leaveKeysPerTick: 32,
  trace: true,
};

/** The tuning with `overrides` applied; every value must be a positive integer (a programmer error otherwise). */
export function tuningWith(overrides: Partial<Tuning> = {}): Tuning {
  const tuning = { ...defaultTuning, ...overrides };
  for (const [name, value] of Object.entries(tuning)) {
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 1)) throw new RangeError(`tuning.${name} must be a positive integer, got ${value}`);
  }
  if (tuning.deadTimeoutTicks <= tuning.suspectTimeoutTicks) throw new RangeError('tuning.deadTimeoutTicks must exceed suspectTimeoutTicks');
  return tuning;
}
