/**
 * Anti-entropy's descent into one differing partition (anti-entropy.ts draws the exchange): the Merkle trees
 * are compared top down one level at a time, only under the children that differ, the sides alternating
 * levels so the responder keeps no state; at the buckets each side learns which keys to push and which to want.
 */
import * as sessions from './ae-sessions.js';
import * as transfer from './ae-transfer.js';
import * as fx from './effects.js';
import { limits } from './limits.js';
import * as merkle from './merkle.js';
import { leavesPerMessageMax, type MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import * as storeIndex from './store-index.js';
import type { NodeId } from './types.js';

/** Bytes of leaves one ae-leaves message may carry (UTF-8 keys count up to 3 bytes per UTF-16 unit). */
const leafBytesPerMessage = limits.messageBytesMax / 2;

export function onRoot(state: NodeState, from: NodeId, msg: MessageOf<'ae-root'>): void {
  if (!sessions.validPartition(state, from, msg.partition)) return;
  const mine = sessions.sessionWith(state, from, msg.partition);
  if (mine !== undefined) {
    // Both replicas started the same exchange: the one from the smaller id goes on, the other is dropped,
    // so the same differences are not transferred twice.
    if (state.id < from) return;
    state.antiEntropy.sessions.delete(mine.sessionId);
  }
  const equal = storeIndex.root(state.index, msg.partition) === msg.root;
  if (state.antiEntropy.claims.get(msg.partition)?.peer === from) sessions.claim(state, msg.partition, from, state.tuning.antiEntropySessionTimeoutTicks);
  const parents = equal ? [] : [0];
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, 0, parents) });
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
  if (toInitiator && !sessions.isMySession(state, from, msg)) return false;
  const problem = bucketsProblem(state, msg);
  if (problem !== undefined || (toInitiator && msg.hashes.length === 0)) {
    if (toInitiator) sessions.endSession(state, msg.sessionId);
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
    if (toInitiator) sessions.endSession(state, msg.sessionId);
    return true;
  }
  // No more subtrees than buckets a round may take: each differing subtree holds a differing bucket.
  const parents = differing.slice(0, state.tuning.antiEntropyBucketsPerRound);
  fx.send(state, from, { type: 'ae-buckets', sessionId: msg.sessionId, partition: msg.partition, level: msg.level + 1, parents, hashes: storeIndex.childrenHashes(state.index, msg.partition, msg.level, parents) });
  const session = state.antiEntropy.sessions.get(msg.sessionId);
  if (toInitiator && session !== undefined) session.phase = msg.level + 1 === merkle.depth ? 'leaves' : 'buckets';
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
  if (state.antiEntropy.claims.get(partition)?.peer === to) sessions.claim(state, partition, to, state.tuning.antiEntropyIntervalTicks);
}

/**
 * The peer's leaves in the buckets it found differing: push what the peer lacks or holds differently, ask
 * for what this node lacks. Ends this node's session when it answers it.
 */
export function onLeaves(state: NodeState, from: NodeId, msg: MessageOf<'ae-leaves'>): void {
  if (sessions.isMySession(state, from, msg)) sessions.endSession(state, msg.sessionId);
  if (!sessions.validPartition(state, from, msg.partition)) return;
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
  transfer.pushKeys(state, from, push.slice(0, max), false, msg.partition);
  transfer.pushKeys(state, from, differ.slice(0, max), true, msg.partition);
  if (want.length > 0) fx.send(state, from, { type: 'ae-want', sessionId: msg.sessionId, partition: msg.partition, keys: want.slice(0, max) });
  fx.trace(state, 'ae', () => `partition ${msg.partition} with ${from}: push ${Math.min(max, push.length)} key(s), reconcile ${Math.min(max, differ.length)}, want ${Math.min(max, want.length)}`);
}
