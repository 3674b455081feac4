/**
 * The read-only view of a node for the UI, kv.stats() and the simulator's checker (re-exported by
 * node.ts). A copy: changing it changes nothing in the node.
 */
import * as antiEntropy from './anti-entropy.js';
import * as coordinator from './coordinator.js';
import type { MemberView } from './node-io.js';
import type { Counters, NodeState } from './node-state.js';
import * as ring from './ring.js';
import * as storeIndex from './store-index.js';
import type { ClusterConfig, HostId, NodeId } from './types.js';

export interface NodeSnapshot {
  readonly id: NodeId;
  readonly host: HostId;
  readonly epoch: number;
  readonly tick: number;
  readonly ready: boolean;
  readonly config: ClusterConfig;
  readonly configVersion: number;
  readonly members: readonly MemberView[];
  /** The owner of each partition, as this node's ring says. */
  readonly owners: readonly NodeId[];
  /** Partitions this node is a replica of. */
  readonly replicated: readonly number[];
  readonly keys: number;
  readonly versions: number;
  readonly hints: { readonly count: number; readonly entries: readonly { readonly owner: NodeId; readonly key: string }[] };
  /** Merkle root per replicated partition. */
  readonly merkleRoots: Readonly<Record<number, string>>;
  readonly pendingRequests: number;
  readonly pendingWrites: number;
  readonly pendingReads: number;
  /**
   * The anti-entropy session in progress (partition, phase, peer) and the progress of the current round:
   * the node compares its held partitions (replicated, then merely held) one at a time, round robin;
   * `done` of `total` of them have been compared in this round (`done` < `total` unless total is 0).
   */
  readonly antiEntropy: {
    readonly partition: number | undefined; readonly phase: string; readonly peer: NodeId | undefined;
    readonly done: number; readonly total: number;
    readonly sessionsStarted: number; readonly sessionsInSync: number; readonly versionsSent: number;
  };
  readonly counters: Readonly<Counters>;
  readonly leaving: boolean;
  readonly left: boolean;
}

/** Hint entries listed in a snapshot at most (the count is always exact). */
export const snapshotHintsMax = 200;

/**
 * The first `max` hinted (owner, key) pairs, stopping as soon as it has them: the cost is bounded by `max`,
 * not by the number of hints.
 */
function hintEntries(state: NodeState, max: number): { owner: NodeId; key: string }[] {
  const entries: { owner: NodeId; key: string }[] = [];
  for (const [owner, byKey] of state.index.hints) {
    for (const key of byKey.keys()) {
      if (entries.length >= max) return entries;
      entries.push({ owner, key });
    }
  }
  return entries;
}

/**
 * O(members + partitions + snapshotHintsMax), independent of the number of keys (the runtime publishes a
 * snapshot up to 10 times a second): counts come from the index's running counts, and every list is
 * bounded (members by limits.membersMax, owners, replicated and merkleRoots by the partition count).
 */
export function snapshot(state: NodeState): NodeSnapshot {
  const replicated = ring.replicaPartitions(state.ring, state.id, coordinator.replicaCount(state));
  const merkleRoots: Record<number, string> = {};
  for (const p of replicated) merkleRoots[p] = storeIndex.root(state.index, p);
  const counts = storeIndex.counts(state.index);
  const session = state.antiEntropy.session;
  const total = antiEntropy.partitionsHeld(state).length;
  // The cursor points at the next partition; while a session runs, it has already moved past its partition.
  const done = total === 0 ? 0 : (state.antiEntropy.cursor + (session === undefined ? 0 : total - 1)) % total;
  return {
    id: state.id, host: state.host, epoch: state.epoch, tick: state.tick, ready: state.ready,
    config: state.config, configVersion: state.configVersion,
    members: [...state.members.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    owners: state.ring.owners, replicated, keys: counts.keys, versions: counts.versions,
    hints: { count: counts.hints, entries: hintEntries(state, snapshotHintsMax) }, merkleRoots,
    pendingRequests: state.pendingRequests, pendingWrites: state.writes.size, pendingReads: state.reads.size,
    antiEntropy: {
      partition: session?.partition, phase: session?.phase ?? 'idle', peer: session?.peer, done, total,
      sessionsStarted: state.antiEntropy.sessionsStarted, sessionsInSync: state.antiEntropy.sessionsInSync, versionsSent: state.antiEntropy.versionsSent,
    },
    counters: { ...state.counters }, leaving: state.leave !== undefined, left: state.left,
  };
}
