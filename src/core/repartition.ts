/**
 * A new partition count Q for a running room (kv.configure({ partitions }), for demos with 16-64 slices).
 *
 * Q changes through the ordered config (config-change.ts), so every node adopts the same Q in the same order.
 * Adopting it moves no data by itself: the index is re-cut (store-index.repartition: versions and hints stay,
 * the Merkle trees are rebuilt by the new partitions), the ring is rebuilt over the same members (the caller,
 * membership.adoptConfig), and the data then reaches its new owners through the paths every ring change uses:
 * a node runs anti-entropy on the partitions it holds data of but no longer replicates (anti-entropy.ts), and
 * writes, reads and hints go by key, never by partition number. Anti-entropy work in flight named partitions
 * of the old Q: it is dropped here (a later round redoes it), and messages from a node still on the old Q are
 * harmless, since every version that arrives is reconciled by its clock, never trusted by its partition.
 */
import * as hash from './hash.js';
import type { NodeState } from './node-state.js';
import * as storeIndex from './store-index.js';

/** Largest partition count a room may use (bounds the ring's score table and every per-partition loop). */
export const partitionsMax = 65536;

/** True for a partition count a room may use: a power of two in [1, partitionsMax]. */
export function validCount(partitions: number): boolean {
  return hash.isPartitionCount(partitions) && partitions <= partitionsMax;
}

/** Re-cuts this node's index by `partitions` and forgets anti-entropy work that named the old ones. */
export function apply(state: NodeState, partitions: number): void {
  if (state.index.partitions === partitions) return;
  storeIndex.repartition(state.index, partitions);
  const ae = state.antiEntropy;
  ae.summary = undefined;
  ae.round = undefined;
  ae.sessions.clear();
  ae.claims.clear();
}
