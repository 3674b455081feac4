/**
 * Anti-entropy's key transfer (anti-entropy.ts): versions of the keys a descent found differing are loaded
 * and sent as `store` (or one `ae-push` that asks for the peer's versions back), bounded by
 * antiEntropyKeysPerRound per descent and loadsInFlightMax.
 */
import * as sessions from './ae-sessions.js';
import * as fx from './effects.js';
import type { MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import * as replica from './replica.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version } from './types.js';

/** The responder's versions of a key both hold differently: store them, and send back what the sender lacks. */
export function onPush(state: NodeState, from: NodeId, msg: MessageOf<'ae-push'>): void {
  if (!sessions.validPartition(state, from, msg.partition)) return;
  replica.onStore(state, from, { type: 'store', opId: 0, key: msg.key, versions: msg.versions, hintFor: null });
  const theirs = new Set(msg.versions.map((v) => v.digest));
  if (storeIndex.get(state.index, msg.key).some((m) => !theirs.has(m.digest))) pushKeys(state, from, [msg.key], false, msg.partition);
}

export function onWant(state: NodeState, from: NodeId, msg: MessageOf<'ae-want'>): void {
  if (!sessions.validPartition(state, from, msg.partition)) return;
  pushKeys(state, from, msg.keys.slice(0, state.tuning.antiEntropyKeysPerRound).filter((k) => storeIndex.get(state.index, k).length > 0), false, msg.partition);
}

export function pushKeys(state: NodeState, peer: NodeId, keys: readonly string[], pushBack: boolean, partition: number): void {
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
