/**
 * Anti-entropy's descent into one differing partition (anti-entropy.ts draws the exchange): the Merkle trees
 * are compared top down one level at a time, only under the children that differ, the sides alternating
 * levels so the responder keeps no state; at the buckets the side that found them sends its leaves there,
 * and the other learns which keys to push and which to want. Every hash and leaf digest travels as a
 * salted wire hash (merkleWire.wireHash, salt: the session id, the partition and the level).
 */
import * as sessions from './ae-sessions.js';
import * as transfer from './ae-transfer.js';
import * as fx from './effects.js';
import { limits } from './limits.js';
import * as merkle from './merkle.js';
import * as merkleWire from './merkle-wire.js';
import { leavesPerMessageMax, type MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import * as storeIndex from './store-index.js';
import type { NodeId } from './types.js';

/** Bytes of leaves one ae-leaves message may carry (UTF-8 keys count up to 3 bytes per UTF-16 unit). */
const leafBytesPerMessage = limits.messageBytesMax / 2;

/** One step as both ends see it: the peer's wire hashes at `level`, children of `parents`, in order. */
interface Step {
  readonly sessionId: number;
  readonly partition: number;
  readonly level: number;
  readonly parents: readonly number[];
  readonly hashes: readonly Uint8Array[];
}

/** Why a step cannot be compared with this node's tree, or undefined when it can. */
function stepProblem(state: NodeState, step: Step): string | undefined {
  if (step.level < 1 || step.level > merkle.depth) return `no level ${step.level}`;
  if (step.hashes.length !== step.parents.length * merkle.fanOut) return `${step.hashes.length} hashes for ${step.parents.length} parents`;
  if (!step.hashes.every((h) => merkleWire.validWireHash(h))) return 'a hash of a width not compared';
  if (new Set(step.parents).size !== step.parents.length) return 'repeated parents';
  if (!step.parents.every((p) => merkle.isInnerNode(step.level - 1, p))) return `a parent is not a node of level ${step.level - 1}`;
  return step.partition < state.config.partitions ? undefined : `no partition ${step.partition}`;
}

/**
 * The initiator's first step: its wire hashes of the root's children (level 1). The summary found the
 * roots differing moments ago, so the root itself is not sent again; equal children end the descent.
 */
export function onRoot(state: NodeState, from: NodeId, msg: MessageOf<'ae-root'>): void {
  if (!sessions.validPartition(state, from, msg.partition)) return;
  const mine = sessions.sessionWith(state, from, msg.partition);
  if (mine !== undefined) {
    // Both replicas started the same exchange: the one from the smaller id goes on, the other is dropped,
    // so the same differences are not transferred twice.
    if (state.id < from) return;
    state.antiEntropy.sessions.delete(mine.sessionId);
  }
  if (state.antiEntropy.claims.get(msg.partition)?.peer === from) sessions.claim(state, msg.partition, from, state.tuning.antiEntropySessionTimeoutTicks);
  descend(state, from, { sessionId: msg.sessionId, partition: msg.partition, level: 1, parents: [0], hashes: msg.hashes }, false);
}

/**
 * A step at level 2 or deeper. Even levels go to the initiator (they answer its session; false when none
 * matches), odd ones to the responder, which keeps no state: each message carries all it needs.
 */
export function onBuckets(state: NodeState, from: NodeId, msg: MessageOf<'ae-buckets'>): boolean {
  const toInitiator = msg.level % 2 === 0;
  if (toInitiator && !sessions.isMySession(state, from, msg)) return false;
  if (toInitiator && msg.parents.length === 0 && msg.hashes.length === 0) {
    state.antiEntropy.sessionsInSync++; // the responder found no differing child (see descend)
    sessions.endSession(state, msg.sessionId);
    return true;
  }
  if (msg.level < 2) {
    if (toInitiator) sessions.endSession(state, msg.sessionId);
    fx.dropped(state, () => `ae-buckets from ${from}: level ${msg.level} travels in ae-root`);
    return true;
  }
  descend(state, from, msg, toInitiator);
  return true;
}

/**
 * Compares the peer's hashes at `step.level` with this node's and answers with the next level under the
 * children that differ, or (at the buckets) with this node's leaves there. No differing child: the trees
 * agree there (or converged meanwhile, or a 2^-32 collision of the salted wire hashes hid a difference until a later round, merkleWire.wireHash);
 * the responder says so with an empty next step, which ends the initiator's session.
 */
function descend(state: NodeState, from: NodeId, step: Step, toInitiator: boolean): void {
  const problem = stepProblem(state, step);
  if (problem !== undefined) {
    if (toInitiator) sessions.endSession(state, step.sessionId);
    fx.dropped(state, () => `ae-${step.level === 1 ? 'root' : 'buckets'} from ${from}: ${problem}`);
    return;
  }
  const mine = storeIndex.childrenHashes(state.index, step.partition, step.level - 1, step.parents);
  const salt = merkleWire.salt(step.sessionId, step.partition, step.level);
  const differing: number[] = [];
  step.parents.forEach((parent, i) => {
    for (let c = 0; c < merkle.fanOut; c++) {
      const at = i * merkle.fanOut + c;
      if (!merkleWire.sameOnWire(mine[at] as Uint8Array, step.hashes[at] as Uint8Array, salt)) differing.push(parent * merkle.fanOut + c);
    }
  });
  if (differing.length === 0) {
    if (toInitiator) {
      state.antiEntropy.sessionsInSync++;
      sessions.endSession(state, step.sessionId);
    } else fx.send(state, from, { type: 'ae-buckets', sessionId: step.sessionId, partition: step.partition, level: step.level + 1, parents: [], hashes: [] });
    return;
  }
  if (step.level === merkle.depth) {
    sendLeaves(state, from, step.sessionId, step.partition, differing);
    if (toInitiator) sessions.endSession(state, step.sessionId);
    return;
  }
  // No more subtrees than buckets a round may take: each differing subtree holds a differing bucket.
  const parents = differing.slice(0, state.tuning.antiEntropyBucketsPerRound);
  fx.send(state, from, { type: 'ae-buckets', sessionId: step.sessionId, partition: step.partition, level: step.level + 1, parents, hashes: sessions.levelHashes(state, step.sessionId, step.partition, step.level + 1, parents) });
  const session = state.antiEntropy.sessions.get(step.sessionId);
  if (toInitiator && session !== undefined) session.phase = step.level + 1 === merkle.depth ? 'leaves' : 'buckets';
}

/** Sends this node's leaves in the differing buckets, as many as one round and one message allow. */
function sendLeaves(state: NodeState, to: NodeId, sessionId: number, partition: number, differing: readonly number[]): void {
  const buckets: number[] = [];
  const leaves: { key: string; digest: Uint8Array }[] = [];
  const salt = merkleWire.salt(sessionId, partition, merkle.depth + 1);
  let leafBytes = 0;
  for (const b of differing) {
    if (buckets.length >= state.tuning.antiEntropyBucketsPerRound) break;
    const more = storeIndex.bucketLeaves(state.index, partition, b);
    const moreBytes = more.reduce((sum, l) => sum + l.key.length * 3 + merkle.hashBytes + 8, 0);
    // Stay well inside one message (and the schema's leaf bound); the next round takes the rest.
    if (buckets.length > 0 && (leaves.length + more.length > leavesPerMessageMax || leafBytes + moreBytes > leafBytesPerMessage)) break;
    if (more.length > leavesPerMessageMax || moreBytes > leafBytesPerMessage) continue;
    buckets.push(b);
    for (const l of more) leaves.push({ key: l.key, digest: merkleWire.wireHash(merkle.digestBytes(l.digest), salt) });
    leafBytes += moreBytes;
  }
  fx.trace(state, 'ae', () => `partition ${partition} differs from ${to} in ${buckets.length} bucket(s)`);
  fx.send(state, to, { type: 'ae-leaves', sessionId, partition, buckets, leaves });
  if (state.antiEntropy.claims.get(partition)?.peer === to) sessions.claim(state, partition, to, state.tuning.antiEntropyIntervalTicks);
}

/**
 * The peer's leaves in the buckets it found differing: push what the peer lacks or holds differently, ask
 * for what this node lacks. Ends this node's session when it answers it.
 */
export function onLeaves(state: NodeState, from: NodeId, msg: MessageOf<'ae-leaves'>): void {
  if (sessions.isMySession(state, from, msg)) sessions.endSession(state, msg.sessionId);
  if (!sessions.validPartition(state, from, msg.partition)) return;
  if (!msg.leaves.every((l) => merkleWire.validWireHash(l.digest))) {
    fx.dropped(state, () => `ae-leaves from ${from}: a digest of a width not compared`);
    return;
  }
  // The transfers below take a while: keep other peers off this partition until they land.
  if (state.antiEntropy.claims.get(msg.partition)?.peer === from) sessions.claim(state, msg.partition, from, state.tuning.antiEntropyIntervalTicks);
  const salt = merkleWire.salt(msg.sessionId, msg.partition, merkle.depth + 1);
  const theirs = new Map(msg.leaves.map((l) => [l.key, l.digest]));
  const mine = new Map<string, string>();
  for (const b of msg.buckets) for (const l of storeIndex.bucketLeaves(state.index, msg.partition, b)) mine.set(l.key, l.digest);
  const push: string[] = [];
  const differ: string[] = [];
  const want: string[] = [];
  for (const [key, digest] of mine) {
    const other = theirs.get(key);
    if (other === undefined) push.push(key);
    else if (!merkleWire.sameOnWire(merkle.digestBytes(digest), other, salt)) differ.push(key);
  }
  for (const key of theirs.keys()) if (!mine.has(key)) want.push(key);
  const max = state.tuning.antiEntropyKeysPerRound;
  transfer.pushKeys(state, from, push.slice(0, max), false, msg.partition);
  transfer.pushKeys(state, from, differ.slice(0, max), true, msg.partition);
  if (want.length > 0) fx.send(state, from, { type: 'ae-want', sessionId: msg.sessionId, partition: msg.partition, keys: want.slice(0, max) });
  fx.trace(state, 'ae', () => `partition ${msg.partition} with ${from}: push ${Math.min(max, push.length)} key(s), reconcile ${Math.min(max, differ.length)}, want ${Math.min(max, want.length)}`);
}
