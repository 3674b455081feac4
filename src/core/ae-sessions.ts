/**
 * Anti-entropy's bookkeeping (anti-entropy.ts): the descent slots this node runs (at most
 * antiEntropySessionsMax at once, started from the round's queue) and its claims on partitions it is
 * reconciling with one peer, so the same keys do not cross twice with another.
 */
import * as fx from './effects.js';
import * as merkleWire from './merkle-wire.js';
import type { AeSession, NodeState } from './node-state.js';
import * as storeIndex from './store-index.js';
import type { NodeId } from './types.js';

export function validPartition(state: NodeState, from: NodeId, partition: number): boolean {
  if (Number.isInteger(partition) && partition >= 0 && partition < state.config.partitions) return true;
  fx.dropped(state, () => `anti-entropy from ${from}: no partition ${partition}`);
  return false;
}

/** Starts descents into the round's queued partitions while slots are free (one descent per partition). */
export function startSessions(state: NodeState): void {
  const ae = state.antiEntropy;
  const round = ae.round;
  if (round === undefined) return;
  while (round.queue.length > 0 && ae.sessions.size < state.tuning.antiEntropySessionsMax) {
    const partition = round.queue.shift() as number;
    if ([...ae.sessions.values()].some((s) => s.partition === partition)) continue;
    const sessionId = fx.nextId(state);
    ae.sessions.set(sessionId, { sessionId, partition, peer: round.peer, phase: 'root', startTick: state.tick });
    ae.sessionsStarted++;
    fx.send(state, round.peer, { type: 'ae-root', sessionId, partition, hashes: levelHashes(state, sessionId, partition, 1, [0]) });
  }
}

/** This node's wire hashes of the children of `parents` (nodes at `level` - 1): what a descent step sends at `level`. */
export function levelHashes(state: NodeState, sessionId: number, partition: number, level: number, parents: readonly number[]): Uint8Array[] {
  const salt = merkleWire.salt(sessionId, partition, level);
  return storeIndex.childrenHashes(state.index, partition, level - 1, parents).map((h) => merkleWire.wireHash(h, salt));
}

/** Partitions being reconciled by this node already: its descents queued or in flight, and its live claims. */
export function busyPartitions(state: NodeState): Set<number> {
  const ae = state.antiEntropy;
  for (const [p, c] of ae.claims) if (c.untilTick < state.tick) ae.claims.delete(p);
  const busy = new Set(ae.claims.keys());
  for (const s of ae.sessions.values()) busy.add(s.partition);
  for (const p of ae.round?.queue ?? []) busy.add(p);
  return busy;
}

/** This node's descent into `partition` with `peer`, if one is in flight. */
export function sessionWith(state: NodeState, peer: NodeId, partition: number): AeSession | undefined {
  for (const s of state.antiEntropy.sessions.values()) if (s.peer === peer && s.partition === partition) return s;
  return undefined;
}

export function isMySession(state: NodeState, from: NodeId, msg: { readonly sessionId: number; readonly partition: number }): boolean {
  const session = state.antiEntropy.sessions.get(msg.sessionId);
  return session !== undefined && session.peer === from && session.partition === msg.partition;
}

/** Marks `partition` as being reconciled with `peer` for the next `ticks` ticks (see AntiEntropy.claims). */
export function claim(state: NodeState, partition: number, peer: NodeId, ticks: number): void {
  state.antiEntropy.claims.set(partition, { peer, untilTick: state.tick + ticks });
}

/** Ends a descent of this node and frees its slot for the next queued partition. */
export function endSession(state: NodeState, sessionId: number): void {
  const session = state.antiEntropy.sessions.get(sessionId);
  // Its pushes and wants are still under way: keep other peers off this partition until they land.
  if (session !== undefined) claim(state, session.partition, session.peer, state.tuning.antiEntropyIntervalTicks);
  state.antiEntropy.sessions.delete(sessionId);
  startSessions(state);
}
