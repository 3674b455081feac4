/**
 * Anti-entropy (Dynamo section 4.7; riak_kv's AAE): every antiEntropyIntervalTicks a node takes the next
 * partition it holds (round robin), picks another replica of it, and compares Merkle trees top down,
 * descending one level at a time and only where they differ (hashes travel as 16 raw bytes):
 *   initiator --ae-root-->    responder   roots equal: answers with no hashes, done;
 *   initiator <--ae-buckets-- responder   level 1: its fanOut (16) hashes of the root's children;
 *   initiator --ae-buckets--> responder   level 2: its bucket hashes under only the differing children;
 *   initiator <--ae-leaves--  responder   its leaves in (at most antiEntropyBucketsPerRound) differing buckets;
 *   initiator pushes its versions of every key that differs, and asks (ae-want) for the responder's.
 * The sides alternate levels (odd levels go to the initiator), so the responder keeps no state. At 1 %
 * divergence a differing partition costs ~5 x 16 hashes instead of all 256 buckets.
 * Versions travel in `store` messages and are reconciled on arrival, so after one exchange both sides hold
 * the union of the differing keys. Work per round is bounded by buckets and keys per round.
 * A node also runs anti-entropy on partitions it holds data of but no longer replicates (after a ring
 * change), with one of their replicas: that is how new owners pull the partitions they gained.
 */
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import * as membership from './membership.js';
import { leavesPerMessageMax, type MessageOf } from './messages.js';
import { limits } from './limits.js';
import * as merkle from './merkle.js';
import type { NodeState } from './node-state.js';
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

function validPartition(state: NodeState, from: NodeId, partition: number): boolean {
  if (Number.isInteger(partition) && partition >= 0 && partition < state.config.partitions) return true;
  fx.dropped(state, () => `anti-entropy from ${from}: no partition ${partition}`);
  return false;
}

export function tick(state: NodeState): void {
  const ae = state.antiEntropy;
  if (ae.session !== undefined && state.tick - ae.session.startTick > state.tuning.requestTimeoutTicks) ae.session = undefined;
  if (ae.session !== undefined || state.tick - ae.lastRoundTick < state.tuning.antiEntropyIntervalTicks || !state.ready) return;
  ae.lastRoundTick = state.tick;
  const held = partitionsHeld(state);
  if (held.length === 0) return;
  const partition = held[ae.cursor % held.length] as number;
  ae.cursor = (ae.cursor + 1) % held.length;
  const { replicas } = membership.preferenceList(state, partition);
  const peers = replicas.filter((r) => r !== state.id && membership.healthy(state, r));
  if (peers.length === 0) return;
  const peer = state.rng.pick(peers);
  const sessionId = fx.nextId(state);
  ae.session = { sessionId, partition, peer, phase: 'root', startTick: state.tick };
  ae.sessionsStarted++;
  fx.send(state, peer, { type: 'ae-root', sessionId, partition, root: storeIndex.root(state.index, partition) });
}

export function onRoot(state: NodeState, from: NodeId, msg: MessageOf<'ae-root'>): void {
  if (!validPartition(state, from, msg.partition)) return;
  const mine = state.antiEntropy.session;
  if (mine !== undefined && mine.partition === msg.partition && mine.peer === from) {
    // Both replicas started the same exchange: the one from the smaller id goes on, the other is dropped,
    // so the same differences are not transferred twice.
    if (state.id < from) return;
    state.antiEntropy.session = undefined;
  }
  const equal = storeIndex.root(state.index, msg.partition) === msg.root;
  const parents = equal ? [] : [0];
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, 0, parents) });
}

function isMySession(state: NodeState, from: NodeId, msg: { readonly sessionId: number; readonly partition: number }): boolean {
  const session = state.antiEntropy.session;
  return session !== undefined && session.sessionId === msg.sessionId && session.peer === from && session.partition === msg.partition;
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
    if (toInitiator) state.antiEntropy.session = undefined;
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
    if (toInitiator) state.antiEntropy.session = undefined;
    return true;
  }
  // No more subtrees than buckets a round may take: each differing subtree holds a differing bucket.
  const parents = differing.slice(0, state.tuning.antiEntropyBucketsPerRound);
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: msg.level + 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, msg.level, parents) });
  const session = state.antiEntropy.session;
  if (toInitiator && session !== undefined) session.phase = 'buckets';
  return true;
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
}

/**
 * The peer's leaves in the buckets it found differing: push what the peer lacks or holds differently, ask
 * for what this node lacks. Ends this node's session when it answers it.
 */
export function onLeaves(state: NodeState, from: NodeId, msg: MessageOf<'ae-leaves'>): void {
  if (isMySession(state, from, msg)) state.antiEntropy.session = undefined;
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
