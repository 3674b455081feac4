/**
 * The read-only view of a node for the UI, kv.stats() and the simulator's checker (re-exported by
 * node.ts). A copy: changing it changes nothing in the node.
 */
import type { MemberView } from './node-io.js';
import type { AeSession, Counters, NodeState } from './node-state.js';
import * as requestRules from './request-rules.js';
import * as ring from './ring.js';
import * as storeIndex from './store-index.js';
import type { ClusterConfig, HostId, NodeId } from './types.js';

export interface NodeSnapshot {
  readonly id: NodeId;
  readonly host: HostId;
  readonly epoch: number;
  /** This life's number (membership.ts). */
  readonly life: number;
  /**
   * True after a storage failure: the runtime should recreate the node from storage (node-io.ts); until
   * then it coordinates no write.
   */
  readonly needsReload: boolean;
  readonly tick: number;
  readonly ready: boolean;
  readonly config: ClusterConfig;
  readonly configVersion: number;
  /** Who proposed the config in force (with configVersion, its order; runtime/config-keeper.ts re-asserts it). */
  readonly configBy: string;
  readonly members: readonly MemberView[];
  /** The owner of each partition, as this node's ring says. */
  readonly owners: readonly NodeId[];
  /** How many partitions each member owns in `owners` (a member owning none is absent). */
  readonly partitionsOwned: Readonly<Record<NodeId, number>>;
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
   * Anti-entropy (anti-entropy.ts). `partition`, `phase` and `peer` name the oldest descent in flight;
   * with none, phase is 'summary' (this round's roots sent to `peer`, awaiting its answer) or 'idle'.
   * `sessions` lists every descent in flight (at most tuning.antiEntropySessionsMax), each with how far
   * down the tree it has come: `level` of `levels` (the phases of `descentPhases`, 1 = comparing roots).
   * Progress of the latest round: `total` partitions had their roots compared with the round's peer in
   * one ae-summary; `done` of them are settled: found equal, or descended into (a descent finished or
   * timed out). `done` = `total` once the round is over; both are 0 before the first answered round.
   */
  readonly antiEntropy: {
    readonly partition: number | undefined; readonly phase: string; readonly peer: NodeId | undefined;
    readonly done: number; readonly total: number;
    readonly sessions: readonly {
      readonly partition: number; readonly peer: NodeId; readonly phase: string; readonly level: number; readonly levels: number;
    }[];
    readonly sessionsStarted: number; readonly sessionsInSync: number; readonly versionsSent: number;
  };
  readonly counters: Readonly<Counters>;
  readonly leaving: boolean;
  readonly left: boolean;
}

/** The phases of one Merkle descent, in order (ae-descent.ts): the roots, the bucket hashes, the leaves. */
const descentPhases: readonly AeSession['phase'][] = ['root', 'buckets', 'leaves'];

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
  const replicated = ring.replicaPartitions(state.ring, state.id, requestRules.replicaCount(state));
  const merkleRoots: Record<number, string> = {};
  for (const p of replicated) merkleRoots[p] = storeIndex.root(state.index, p);
  const counts = storeIndex.counts(state.index);
  const ae = state.antiEntropy;
  const sessions = [...ae.sessions.values()].map((x) => ({
    partition: x.partition, peer: x.peer, phase: x.phase, level: descentPhases.indexOf(x.phase) + 1, levels: descentPhases.length,
  }));
  const owned = new Map<NodeId, number>();
  for (const owner of state.ring.owners) owned.set(owner, (owned.get(owner) ?? 0) + 1);
  // fromEntries defines own properties, so no node id can reach Object.prototype.
  const partitionsOwned: Record<NodeId, number> = Object.fromEntries(owned);
  const session = sessions[0];
  const total = ae.round?.compared ?? 0;
  // Descents in flight belong to the latest round (a round starts only when the previous one's are done).
  const done = Math.max(0, total - (ae.round?.queue.length ?? 0) - ae.sessions.size);
  return {
    id: state.id, host: state.host, epoch: state.epoch, life: state.life, needsReload: state.needsRebuild, tick: state.tick, ready: state.ready,
    config: state.config, configVersion: state.configVersion, configBy: state.configBy,
    members: [...state.members.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    owners: state.ring.owners, partitionsOwned, replicated, keys: counts.keys, versions: counts.versions,
    hints: { count: counts.hints, entries: hintEntries(state, snapshotHintsMax) }, merkleRoots,
    pendingRequests: state.pendingRequests, pendingWrites: state.writes.size, pendingReads: state.reads.size,
    antiEntropy: {
      partition: session?.partition, phase: session?.phase ?? (ae.summary !== undefined ? 'summary' : 'idle'),
      peer: session?.peer ?? ae.summary?.peer, done, total, sessions,
      sessionsStarted: ae.sessionsStarted, sessionsInSync: ae.sessionsInSync, versionsSent: ae.versionsSent,
    },
    counters: { ...state.counters }, leaving: state.leave !== undefined, left: state.left,
  };
}
