/**
 * Anti-entropy (Dynamo section 4.7; riak_kv's AAE). Every antiEntropyIntervalTicks a node starts a round
 * with the next peer (round robin over the healthy peers that replicate a partition this node holds):
 *   initiator --ae-summary-->       peer   the Merkle roots of (up to antiEntropySummaryPartitionsMax)
 *   initiator <--ae-summary-reply-- peer   partitions both hold; the peer answers with those that differ.
 * When everything agrees, that message pair is the whole round. Otherwise the initiator descends into each
 * differing partition, at most antiEntropySessionsMax descents at once, comparing the trees top down one
 * level at a time and only where they differ (hashes travel as 16 raw bytes):
 *   initiator --ae-root-->    responder   roots equal (converged meanwhile): answers with no hashes, done;
 *   initiator <--ae-buckets-- responder   level 1: its fanOut (16) hashes of the root's children;
 *   initiator --ae-buckets--> responder   level 2: its bucket hashes under only the differing children;
 *   initiator <--ae-leaves--  responder   its leaves in (at most antiEntropyBucketsPerRound) differing buckets;
 *   initiator pushes its versions of every key that differs, and asks (ae-want) for the responder's.
 * The sides alternate levels (odd levels go to the initiator), so the responder keeps no state. The next
 * round starts when this one's descents are done (or timed out): work in flight is bounded by
 * antiEntropySessionsMax descents of at most antiEntropyKeysPerRound keys each way, and loadsInFlightMax.
 * A partition with more differences than one descent takes is found again by a later round.
 * Versions travel in `store` messages and are reconciled on arrival, so after a descent both sides hold
 * the union of the differing keys it covered.
 * A node also runs anti-entropy on partitions it holds data of but no longer replicates (after a ring
 * change), with their replicas: that is how new owners pull the partitions they gained.
 */
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import * as membership from './membership.js';
import { leavesPerMessageMax, type MessageOf } from './messages.js';
import { limits } from './limits.js';
import * as merkle from './merkle.js';
import type { AeSession, NodeState } from './node-state.js';
import * as replica from './replica.js';
import * as ring from './ring.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version } from './types.js';

/** Bytes of leaves one ae-leaves message may carry (UTF-8 keys count up to 3 bytes per UTF-16 unit). */
const leafBytesPerMessage = limits.messageBytesMax / 2;

/** The partitions this node replicates, then those it only holds data of, ascending. */
export function partitionsHeld(state: NodeState): number[] {
  const replicated = ring.replicaPartitions(state.ring, state.id, coordinator.replicaCount(state));
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

function validPartition(state: NodeState, from: NodeId, partition: number): boolean {
  if (Number.isInteger(partition) && partition >= 0 && partition < state.config.partitions) return true;
  fx.dropped(state, () => `anti-entropy from ${from}: no partition ${partition}`);
  return false;
}

export function tick(state: NodeState): void {
  const ae = state.antiEntropy;
  const timeout = state.tuning.antiEntropySessionTimeoutTicks;
  for (const [id, session] of ae.sessions) if (state.tick - session.startTick > timeout) ae.sessions.delete(id);
  if (ae.summary !== undefined && state.tick - ae.summary.startTick > timeout) ae.summary = undefined;
  startSessions(state);
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
  const roots = partitions.map((p) => merkle.digestBytes(storeIndex.root(state.index, p)));
  fx.send(state, peer, { type: 'ae-summary', summaryId, partitions, roots });
}

/** Starts descents into the round's queued partitions while slots are free (one descent per partition). */
function startSessions(state: NodeState): void {
  const ae = state.antiEntropy;
  const round = ae.round;
  if (round === undefined) return;
  while (round.queue.length > 0 && ae.sessions.size < state.tuning.antiEntropySessionsMax) {
    const partition = round.queue.shift() as number;
    if ([...ae.sessions.values()].some((s) => s.partition === partition)) continue;
    const sessionId = fx.nextId(state);
    ae.sessions.set(sessionId, { sessionId, partition, peer: round.peer, phase: 'root', startTick: state.tick });
    ae.sessionsStarted++;
    fx.send(state, round.peer, { type: 'ae-root', sessionId, partition, root: storeIndex.root(state.index, partition) });
  }
}

/** Partitions being reconciled by this node already: its descents queued or in flight, and its live claims. */
function busyPartitions(state: NodeState): Set<number> {
  const ae = state.antiEntropy;
  for (const [p, c] of ae.claims) if (c.untilTick < state.tick) ae.claims.delete(p);
  const busy = new Set(ae.claims.keys());
  for (const s of ae.sessions.values()) busy.add(s.partition);
  for (const p of ae.round?.queue ?? []) busy.add(p);
  return busy;
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
  const busy = busyPartitions(state);
  const differing: number[] = [];
  for (let i = 0; i < msg.partitions.length; i++) {
    const p = msg.partitions[i] as number;
    if (!validPartition(state, from, p)) return;
    if (busy.has(p) || merkle.digestHex(msg.roots[i] as Uint8Array) === storeIndex.root(state.index, p)) continue;
    differing.push(p);
  }
  // A round's worth: the initiator starts these within a few waves of descents, well inside the claim.
  const named = differing.slice(0, state.tuning.antiEntropyPartitionsPerRound);
  for (const p of named) claim(state, p, from, state.tuning.antiEntropySessionTimeoutTicks);
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
  const busy = busyPartitions(state);
  // Crossed summaries: each side told the other to descend into the same partitions; the smaller id does.
  const mineToo = (p: number) => state.id < from && ae.claims.get(p)?.peer === from && ![...ae.sessions.values()].some((s) => s.partition === p);
  const queue = [...new Set(msg.differing)].filter((p) => named.has(p) && (!busy.has(p) || mineToo(p))).slice(0, state.tuning.antiEntropyPartitionsPerRound);
  ae.round = { peer: from, compared: summary.partitions.length, queue };
  // A round that finds everything equal is not traced: it happens every interval.
  if (queue.length > 0) fx.trace(state, 'ae', () => `${queue.length} of ${summary.partitions.length} partition(s) differ from ${from}: ${queue.slice(0, 8).join(', ')}${queue.length > 8 ? ', ...' : ''}`);
  startSessions(state);
}

/** This node's descent into `partition` with `peer`, if one is in flight. */
function sessionWith(state: NodeState, peer: NodeId, partition: number): AeSession | undefined {
  for (const s of state.antiEntropy.sessions.values()) if (s.peer === peer && s.partition === partition) return s;
  return undefined;
}

export function onRoot(state: NodeState, from: NodeId, msg: MessageOf<'ae-root'>): void {
  if (!validPartition(state, from, msg.partition)) return;
  const mine = sessionWith(state, from, msg.partition);
  if (mine !== undefined) {
    // Both replicas started the same exchange: the one from the smaller id goes on, the other is dropped,
    // so the same differences are not transferred twice.
    if (state.id < from) return;
    state.antiEntropy.sessions.delete(mine.sessionId);
  }
  const equal = storeIndex.root(state.index, msg.partition) === msg.root;
  if (state.antiEntropy.claims.get(msg.partition)?.peer === from) claim(state, msg.partition, from, state.tuning.antiEntropySessionTimeoutTicks);
  const parents = equal ? [] : [0];
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, 0, parents) });
}

function isMySession(state: NodeState, from: NodeId, msg: { readonly sessionId: number; readonly partition: number }): boolean {
  const session = state.antiEntropy.sessions.get(msg.sessionId);
  return session !== undefined && session.peer === from && session.partition === msg.partition;
}

/** Why an ae-buckets message cannot be compared with this node's tree, or undefined when it can. */
function bucketsProblem(state: NodeState, msg: MessageOf<'ae-buckets'>): string | undefined {
  if (msg.level < 1 || msg.level > merkle.depth) return `no level ${msg.level}`;
  if (msg.hashes.length !== msg.parents.length * merkle.fanOut) return `${msg.hashes.length} hashes for ${msg.parents.length} parents`;
  if (new Set(msg.parents).size !== msg.parents.length) return 'repeated parents';
  if (!msg.parents.every((p) => merkle.isInnerNode(msg.level - 1, p))) return `a parent is not a node of level ${msg.level - 1}`;
  return msg.partition < state.config.partitions ? undefined : `no partition ${msg.partition}`;
}

/**
 * One step of the descent: compares the peer's hashes at `msg.level` with this node's and answers with
 * the next level under the children that differ, or (at the buckets) with this node's leaves there.
 * Odd levels go to the initiator (they answer its session; false when none matches), even levels to
 * the responder, which keeps no state: each message carries all it needs.
 */
export function onBuckets(state: NodeState, from: NodeId, msg: MessageOf<'ae-buckets'>): boolean {
  const toInitiator = msg.level % 2 === 1;
  if (toInitiator && !isMySession(state, from, msg)) return false;
  const problem = bucketsProblem(state, msg);
  if (problem !== undefined || (toInitiator && msg.hashes.length === 0)) {
    if (toInitiator) endSession(state, msg.sessionId);
    if (problem !== undefined) fx.dropped(state, () => `ae-buckets from ${from}: ${problem}`);
    else state.antiEntropy.sessionsInSync++; // equal roots
    return true;
  }
  const mine = storeIndex.childrenHashes(state.index, msg.partition, msg.level - 1, msg.parents);
  const differing: number[] = [];
  msg.parents.forEach((parent, i) => {
    for (let c = 0; c < merkle.fanOut; c++) {
      const at = i * merkle.fanOut + c;
      if (!merkle.sameHash(mine[at] as Uint8Array, msg.hashes[at] as Uint8Array)) differing.push(parent * merkle.fanOut + c);
    }
  });
  if (msg.level === merkle.depth || differing.length === 0) {
    // An empty answer still ends the initiator's session (the trees converged meanwhile).
    if (!toInitiator || differing.length > 0) sendLeaves(state, from, msg.sessionId, msg.partition, differing);
    if (toInitiator) endSession(state, msg.sessionId);
    return true;
  }
  // No more subtrees than buckets a round may take: each differing subtree holds a differing bucket.
  const parents = differing.slice(0, state.tuning.antiEntropyBucketsPerRound);
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: msg.level + 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, msg.level, parents) });
  const session = state.antiEntropy.sessions.get(msg.sessionId);
  if (toInitiator && session !== undefined) session.phase = msg.level + 1 === merkle.depth ? 'leaves' : 'buckets';
  return true;
}

/** Marks `partition` as being reconciled with `peer` for the next `ticks` ticks (see AntiEntropy.claims). */
function claim(state: NodeState, partition: number, peer: NodeId, ticks: number): void {
  state.antiEntropy.claims.set(partition, { peer, untilTick: state.tick + ticks });
}

/** Ends a descent of this node and frees its slot for the next queued partition. */
function endSession(state: NodeState, sessionId: number): void {
  const session = state.antiEntropy.sessions.get(sessionId);
  // Its pushes and wants are still under way: keep other peers off this partition until they land.
  if (session !== undefined) claim(state, session.partition, session.peer, state.tuning.antiEntropyIntervalTicks);
  state.antiEntropy.sessions.delete(sessionId);
  startSessions(state);
}

/** Sends this node's leaves in the differing buckets, as many as one round and one message allow. */
function sendLeaves(state: NodeState, to: NodeId, sessionId: number, partition: number, differing: readonly number[]): void {
  const buckets: number[] = [];
  const leaves: { key: string; digest: Uint8Array }[] = [];
  let leafBytes = 0;
  for (const b of differing) {
    if (buckets.length >= state.tuning.antiEntropyBucketsPerRound) break;
    const more = storeIndex.bucketLeaves(state.index, partition, b);
    const moreBytes = more.reduce((sum, l) => sum + l.key.length * 3 + merkle.hashBytes + 8, 0);
    // Stay well inside one message (and the schema's leaf bound); the next round takes the rest.
    if (buckets.length > 0 && (leaves.length + more.length > leavesPerMessageMax || leafBytes + moreBytes > leafBytesPerMessage)) break;
    if (more.length > leavesPerMessageMax || moreBytes > leafBytesPerMessage) continue;
    buckets.push(b);
    for (const l of more) leaves.push({ key: l.key, digest: merkle.digestBytes(l.digest) });
    leafBytes += moreBytes;
  }
  fx.trace(state, 'ae', () => `partition ${partition} differs from ${to} in ${buckets.length} bucket(s)`);
  fx.send(state, to, { type: 'ae-leaves', sessionId, partition, buckets, leaves });
  if (state.antiEntropy.claims.get(partition)?.peer === to) claim(state, partition, to, state.tuning.antiEntropyIntervalTicks);
}

/**
 * The peer's leaves in the buckets it found differing: push what the peer lacks or holds differently, ask
 * for what this node lacks. Ends this node's session when it answers it.
 */
export function onLeaves(state: NodeState, from: NodeId, msg: MessageOf<'ae-leaves'>): void {
  if (isMySession(state, from, msg)) endSession(state, msg.sessionId);
  if (!validPartition(state, from, msg.partition)) return;
  const theirs = new Map(msg.leaves.map((l) => [l.key, merkle.digestHex(l.digest)]));
  const mine = new Map<string, string>();
  for (const b of msg.buckets) for (const l of storeIndex.bucketLeaves(state.index, msg.partition, b)) mine.set(l.key, l.digest);
  const push: string[] = [];
  const differ: string[] = [];
  const want: string[] = [];
  for (const [key, digest] of mine) {
    const other = theirs.get(key);
    if (other === undefined) push.push(key);
    else if (other !== digest) differ.push(key);
  }
  for (const key of theirs.keys()) if (!mine.has(key)) want.push(key);
  const max = state.tuning.antiEntropyKeysPerRound;
  pushKeys(state, from, push.slice(0, max), false, msg.partition);
  pushKeys(state, from, differ.slice(0, max), true, msg.partition);
  if (want.length > 0) fx.send(state, from, { type: 'ae-want', sessionId: msg.sessionId, partition: msg.partition, keys: want.slice(0, max) });
  fx.trace(state, 'ae', () => `partition ${msg.partition} with ${from}: push ${Math.min(max, push.length)} key(s), reconcile ${Math.min(max, differ.length)}, want ${Math.min(max, want.length)}`);
}

/** The responder's versions of a key both hold differently: store them, and send back what the sender lacks. */
export function onPush(state: NodeState, from: NodeId, msg: MessageOf<'ae-push'>): void {
  if (!validPartition(state, from, msg.partition)) return;
  replica.onStore(state, from, { type: 'store', opId: 0, key: msg.key, versions: msg.versions, hintFor: null });
  const theirs = new Set(msg.versions.map((v) => v.digest));
  if (storeIndex.get(state.index, msg.key).some((m) => !theirs.has(m.digest))) pushKeys(state, from, [msg.key], false, msg.partition);
}

export function onWant(state: NodeState, from: NodeId, msg: MessageOf<'ae-want'>): void {
  if (!validPartition(state, from, msg.partition)) return;
  pushKeys(state, from, msg.keys.slice(0, state.tuning.antiEntropyKeysPerRound).filter((k) => storeIndex.get(state.index, k).length > 0), false, msg.partition);
}

function pushKeys(state: NodeState, peer: NodeId, keys: readonly string[], pushBack: boolean, partition: number): void {
  for (const key of keys) {
    if (state.loads.size >= state.tuning.loadsInFlightMax) return;
    const loadId = fx.nextId(state);
    state.loads.set(loadId, { key, hintFor: undefined, purpose: { kind: 'ae-push', peer, pushBack, partition } });
    state.out.push({ type: 'load', loadId, key });
  }
}

export function onLoaded(state: NodeState, purpose: { peer: NodeId; pushBack: boolean; partition: number }, key: string, versions: readonly Version[]): void {
  if (versions.length === 0) return;
  state.counters.repairs += versions.length;
  state.antiEntropy.versionsSent += versions.length;
  if (!purpose.pushBack) {
    fx.sendStore(state, purpose.peer, 0, key, versions);
    return;
  }
  // One message: a key's siblings normally fit; if they do not, the rest goes as a plain store.
  const [first, ...rest] = fx.fitVersions(versions);
  fx.send(state, purpose.peer, { type: 'ae-push', sessionId: 0, partition: purpose.partition, key, versions: first ?? [] });
  for (const group of rest) fx.sendStore(state, purpose.peer, 0, key, group);
}
