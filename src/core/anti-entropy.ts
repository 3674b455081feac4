/**
 * Anti-entropy (Dynamo section 4.7; riak_kv's AAE). Every antiEntropyIntervalTicks a node starts a round
 * with the next peer (round robin over the healthy peers that replicate a partition this node holds):
 *   initiator --ae-summary-->       peer   the Merkle roots of (up to antiEntropySummaryPartitionsMax)
 *   initiator <--ae-summary-reply-- peer   partitions both hold; the peer answers with those that differ.
 * When everything agrees, that message pair is the whole round. Otherwise the initiator descends into each
 * differing partition, at most antiEntropySessionsMax descents at once, comparing the trees top down one
 * level at a time and only where they differ:
 *   initiator --ae-root-->    responder   level 1: its fanOut (16) hashes of the root's children;
 *   initiator <--ae-buckets-- responder   level 2: its bucket hashes under only the differing children
 *                                         (none: the trees agree, the descent ends);
 *   initiator --ae-leaves-->  responder   its leaves in (at most antiEntropyBucketsPerRound) differing buckets;
 *   the responder pushes its versions of every key that differs, and asks (ae-want) for the initiator's.
 * Every root, hash and leaf digest travels as a 4-byte wire hash salted by the exchange (merkleWire.wireHash):
 * a difference a collision hides from one exchange (2^-32) is found by a later one, salted differently.
 * The sides alternate levels (even levels go to the initiator), so the responder keeps no state. The next
 * round starts when this one's descents are done (or timed out): work in flight is bounded by
 * antiEntropySessionsMax descents of at most antiEntropyKeysPerRound keys each way, and loadsInFlightMax.
 * A partition with more differences than one descent takes is found again by a later round.
 * Versions travel in `store` messages and are reconciled on arrival, so after a descent both sides hold
 * the union of the differing keys it covered.
 * A node also runs anti-entropy on partitions it holds data of but no longer replicates (after a ring
 * change), with their replicas: that is how new owners pull the partitions they gained.
 *
 * This module runs the rounds and their summaries; ae-descent.ts the descents, ae-transfer.ts the key
 * transfer, ae-sessions.ts the descent slots and partition claims.
 */
import * as sessions from './ae-sessions.js';
import * as fx from './effects.js';
import * as membership from './membership.js';
import * as merkle from './merkle.js';
import * as merkleWire from './merkle-wire.js';
import type { MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import * as requestRules from './request-rules.js';
import * as ring from './ring.js';
import * as storeIndex from './store-index.js';
import type { NodeId } from './types.js';

export { onBuckets, onLeaves, onRoot } from './ae-descent.js';
export { onLoaded, onPush, onWant } from './ae-transfer.js';

/** The partitions this node replicates, then those it only holds data of, ascending. */
export function partitionsHeld(state: NodeState): number[] {
  const replicated = ring.replicaPartitions(state.ring, state.id, requestRules.replicaCount(state));
  const set = new Set(replicated);
  for (const p of storeIndex.nonEmptyPartitions(state.index)) set.add(p);
  return [...set].sort((a, b) => a - b);
}

/** Healthy peers that replicate a partition this node holds, sorted, each with those partitions (ascending). */
export function peersSharing(state: NodeState): Map<NodeId, number[]> {
  const shared = new Map<NodeId, number[]>();
  for (const p of partitionsHeld(state)) {
    for (const r of membership.preferenceList(state, p).replicas) {
      if (r === state.id || !membership.healthy(state, r)) continue;
      const list = shared.get(r) ?? [];
      list.push(p);
      shared.set(r, list);
    }
  }
  return new Map([...shared].sort(([a], [b]) => (a < b ? -1 : 1)));
}

export function tick(state: NodeState): void {
  const ae = state.antiEntropy;
  const timeout = state.tuning.antiEntropySessionTimeoutTicks;
  for (const [id, session] of ae.sessions) if (state.tick - session.startTick > timeout) ae.sessions.delete(id);
  if (ae.summary !== undefined && state.tick - ae.summary.startTick > timeout) ae.summary = undefined;
  sessions.startSessions(state);
  const busy = ae.summary !== undefined || ae.sessions.size > 0 || (ae.round?.queue.length ?? 0) > 0;
  if (busy || state.tick - ae.lastRoundTick < state.tuning.antiEntropyIntervalTicks || !state.ready) return;
  ae.lastRoundTick = state.tick;
  const shared = peersSharing(state);
  if (shared.size === 0) return;
  const peers = [...shared.keys()];
  const peer = peers[ae.cursor % peers.length] as NodeId;
  const all = shared.get(peer) ?? [];
  // Past the summary's bound, each visit to this peer takes the next window of the shared partitions.
  const max = state.tuning.antiEntropySummaryPartitionsMax;
  const offset = all.length <= max ? 0 : (Math.floor(ae.cursor / peers.length) * max) % all.length;
  const partitions = all.length <= max ? all : Array.from({ length: max }, (_, i) => all[(offset + i) % all.length] as number);
  ae.cursor = (ae.cursor + 1) % (1024 * 1024);
  const summaryId = fx.nextId(state);
  ae.summary = { summaryId, peer, partitions, startTick: state.tick };
  const roots = partitions.map((p) => merkleWire.wireHash(merkle.digestBytes(storeIndex.root(state.index, p)), merkleWire.salt(summaryId, p, 0)));
  fx.send(state, peer, { type: 'ae-summary', summaryId, partitions, roots });
}

/**
 * A peer's roots: answers with the partitions whose roots differ here, except those another replica is
 * already reconciling with this node (a descent of this node's, queued or in flight, or one it told
 * another peer to start): the same keys would cross twice. A later round finds them if they still differ.
 */
export function onSummary(state: NodeState, from: NodeId, msg: MessageOf<'ae-summary'>): void {
  if (msg.partitions.length !== msg.roots.length) {
    fx.dropped(state, () => `ae-summary from ${from}: ${msg.roots.length} roots for ${msg.partitions.length} partitions`);
    return;
  }
  if (!msg.roots.every((r) => merkleWire.validWireHash(r))) {
    fx.dropped(state, () => `ae-summary from ${from}: a root of a width not compared`);
    return;
  }
  const busy = sessions.busyPartitions(state);
  const differing: number[] = [];
  for (let i = 0; i < msg.partitions.length; i++) {
    const p = msg.partitions[i] as number;
    if (!sessions.validPartition(state, from, p)) return;
    const mine = merkle.digestBytes(storeIndex.root(state.index, p));
    if (busy.has(p) || merkleWire.sameOnWire(mine, msg.roots[i] as Uint8Array, merkleWire.salt(msg.summaryId, p, 0))) continue;
    differing.push(p);
  }
  // A round's worth: the initiator starts these within a few waves of descents, well inside the claim.
  const named = differing.slice(0, state.tuning.antiEntropyPartitionsPerRound);
  for (const p of named) sessions.claim(state, p, from, state.tuning.antiEntropySessionTimeoutTicks);
  fx.send(state, from, { type: 'ae-summary-reply', summaryId: msg.summaryId, differing: named });
}

/** The peer's answer to this round's summary: queue the differing partitions it named and start descending. */
export function onSummaryReply(state: NodeState, from: NodeId, msg: MessageOf<'ae-summary-reply'>): void {
  const ae = state.antiEntropy;
  const summary = ae.summary;
  if (summary === undefined || summary.summaryId !== msg.summaryId || summary.peer !== from) {
    fx.dropped(state, () => `ae-summary-reply ${msg.summaryId} from ${from} matches no summary`);
    return;
  }
  ae.summary = undefined;
  const named = new Set(summary.partitions);
  const busy = sessions.busyPartitions(state);
  // Crossed summaries: each side told the other to descend into the same partitions; the smaller id does.
  const mineToo = (p: number) => state.id < from && ae.claims.get(p)?.peer === from && ![...ae.sessions.values()].some((s) => s.partition === p);
  const queue = [...new Set(msg.differing)].filter((p) => named.has(p) && (!busy.has(p) || mineToo(p))).slice(0, state.tuning.antiEntropyPartitionsPerRound);
  ae.round = { peer: from, compared: summary.partitions.length, queue };
  // A round that finds everything equal is not traced: it happens every interval.
  if (queue.length > 0) fx.trace(state, 'ae', () => `${queue.length} of ${summary.partitions.length} partition(s) differ from ${from}: ${queue.slice(0, 8).join(', ')}${queue.length > 8 ? ', ...' : ''}`);
  sessions.startSessions(state);
}
