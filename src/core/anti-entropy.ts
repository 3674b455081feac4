/**
 * Anti-entropy (Dynamo section 4.7; riak_kv's AAE): every antiEntropyIntervalTicks a node takes the next
 * partition it holds (round robin), picks another replica of it, and compares Merkle trees top down,
 * descending only where they differ:
 *   initiator --ae-root-->   responder   roots equal: answers with no hashes, done;
 *   initiator <--ae-buckets-- responder   its bucket hashes;
 *   initiator --ae-leaves-->  responder   the initiator's leaves in (at most antiEntropyBucketsPerRound) differing buckets;
 *   responder pushes its versions of every key that differs, and asks (ae-want) for the initiator's.
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
  const hashes = equal ? [] : storeIndex.bucketHashes(state.index, msg.partition);
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, hashes });
}

export function onBuckets(state: NodeState, from: NodeId, msg: MessageOf<'ae-buckets'>): boolean {
  const session = state.antiEntropy.session;
  if (session === undefined || session.sessionId !== msg.sessionId || session.peer !== from || session.partition !== msg.partition) return false;
  state.antiEntropy.session = undefined;
  if (msg.hashes.length === 0) {
    state.antiEntropy.sessionsInSync++;
    return true;
  }
  const mine = storeIndex.bucketHashes(state.index, msg.partition);
  if (mine.length !== msg.hashes.length) return false;
  const buckets: number[] = [];
  const leaves: { key: string; digest: string }[] = [];
  let leafBytes = 0;
  for (let b = 0; b < mine.length && buckets.length < state.tuning.antiEntropyBucketsPerRound; b++) {
    if (mine[b] === msg.hashes[b]) continue;
    const more = storeIndex.bucketLeaves(state.index, msg.partition, b);
    const moreBytes = more.reduce((sum, l) => sum + l.key.length * 3 + l.digest.length + 8, 0);
    // Stay well inside one message (and the schema's leaf bound); the next round takes the rest.
    if (buckets.length > 0 && (leaves.length + more.length > leavesPerMessageMax || leafBytes + moreBytes > leafBytesPerMessage)) break;
    if (more.length > leavesPerMessageMax || moreBytes > leafBytesPerMessage) continue;
    buckets.push(b);
    leaves.push(...more);
    leafBytes += moreBytes;
  }
  fx.trace(state, 'ae', () => `partition ${msg.partition} differs from ${from} in ${buckets.length} bucket(s)`);
  fx.send(state, from, { type: 'ae-leaves', sessionId: msg.sessionId, partition: msg.partition, buckets, leaves });
  return true;
}

export function onLeaves(state: NodeState, from: NodeId, msg: MessageOf<'ae-leaves'>): void {
  if (!validPartition(state, from, msg.partition)) return;
  const theirs = new Map(msg.leaves.map((l) => [l.key, l.digest]));
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
