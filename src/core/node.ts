/**
 * One Dynamo node as a deterministic state machine (DESIGN.md, "the one rule"): `create` builds its state
 * from what storage holds, `step` feeds one input and returns the effects to carry out (node-io.ts says in
 * which order), `snapshot` gives a read-only view for the UI, kv.stats() and the simulator's checker.
 *
 * `create` (node-start.ts) says how a node starts from storage: its epoch and life, and the deliberately
 * broken test-only controls among its options.
 */
import * as admission from './admission.js';
import * as capacityChange from './capacity.js';
import * as antiEntropy from './anti-entropy.js';
import * as configChange from './config-change.js';
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import * as forward from './forward.js';
import * as handoff from './handoff.js';
import * as leave from './leave.js';
import * as life from './life.js';
import { limits } from './limits.js';
import * as gossip from './gossip.js';
import * as messages from './messages.js';
import type { Message, MessageOf } from './messages.js';
import type { ClientRequest, Effect, Input } from './node-io.js';
import type { NodeState } from './node-state.js';
import * as read from './read.js';
import * as removal from './removal.js';
import * as replica from './replica.js';
import * as requestRules from './request-rules.js';
import type { NodeId, Version } from './types.js';

export type { NodeState } from './node-state.js';
export { create, type NodeOptions } from './node-start.js';
export { snapshot, type NodeSnapshot } from './snapshot.js';

export function step(state: NodeState, input: Input): Effect[] {
  state.out = [];
  state.records = [];
  state.steps++;
  if (state.left) {
    // A node that left serves nothing, but keeps gossiping its 'left' status (an announcement lost in a
    // partition would otherwise leave it in everyone's ring for ever) until the runtime stops it.
    if (input.type === 'request' && input.request.op === 'join') life.join(state, input.requestId);
    else if (input.type === 'request' && input.request.op === 'goodbye') life.goodbye(state, input.requestId);
    else if (input.type === 'request') fx.reply(state, input.requestId, { ok: false, indeterminate: false, error: `${state.id} has left the ring: kv.join() brings it back` });
    if (input.type === 'suspended') setSuspended(state, input.peers);
    if (input.type === 'presence') admission.setPresence(state, input.peers);
    if (input.type === 'stamped' && input.command.kind === 'configure') configChange.onStamped(state, input.command);
    if (input.type === 'tick') {
      state.tick = Math.max(state.tick, input.now);
      state.resumedTick = state.tick; // a node out of the ring that joins again is returning
      if (state.tick - state.lastGossipTick >= state.tuning.gossipIntervalTicks) {
        state.lastGossipTick = state.tick;
        gossip.round(state);
      }
    }
    if (input.type === 'message' && input.message.type === 'gossip') gossip.onGossip(state, input.from, input.message);
    return fx.collect(state);
  }
  switch (input.type) {
    case 'tick': {
      const previous = state.tick;
      state.tick = Math.max(state.tick, input.now);
      life.onTickGap(state, previous);
      onTick(state);
      break;
    }
    case 'message':
      state.counters.messagesReceived++;
      onMessage(state, input.from, input.message);
      break;
    case 'request':
      onRequest(state, input.requestId, input.request);
      break;
    case 'loaded':
      onLoaded(state, input.loadId, input.key, input.versions, input.corrupt);
      break;
    case 'peer-reachable':
      if (input.reachable) state.unreachable.delete(input.peer);
      else if (state.unreachable.size < limits.membersMax) state.unreachable.add(input.peer);
      break;
    case 'suspended':
      setSuspended(state, input.peers);
      break;
    case 'presence':
      admission.setPresence(state, input.peers);
      break;
    case 'stamped':
      if (input.command.kind === 'configure') configChange.onStamped(state, input.command);
      else removal.onStamped(state, input.command.id);
      break;
    case 'refused':
      if (input.command === 'configure') configChange.onRefused(state, input.reason);
      else removal.onRefused(state, input.reason);
      break;
    case 'storage-failed':
      state.counters.storageErrors++;
      for (const failedStep of input.steps) coordinator.onStorageFailed(state, failedStep);
      // The steps' records are not durable while the index holds them: the node coordinates no write
      // until the runtime recreates it from storage (node-io.ts, snapshot needsReload).
      if (input.steps.length > 0) state.needsRebuild = true;
      fx.trace(state, 'error', () => `storage failed: ${input.error}${input.steps.length > 0 ? ' (reload from storage needed)' : ''}`);
      break;
    default:
      throw new Error(`node: unknown input ${JSON.stringify(input satisfies never)}`);
  }
  return fx.collect(state);
}

function onTick(state: NodeState): void {
  if (state.tick - state.lastGossipTick >= state.tuning.gossipIntervalTicks) {
    state.lastGossipTick = state.tick;
    gossip.round(state);
  }
  coordinator.tickWrites(state);
  forward.tick(state);
  read.tickReads(state);
  handoff.tick(state);
  antiEntropy.tick(state);
  leave.tick(state);
  removal.tick(state);
  configChange.tick(state);
}

function setSuspended(state: NodeState, peers: readonly NodeId[]): void {
  state.suspended = new Set(peers.slice(0, limits.membersMax));
}

function onMessage(state: NodeState, from: NodeId, msg: Message): void {
  const problem = messages.problem(msg);
  if (problem !== undefined) {
    fx.dropped(state, () => `${msg.type} from ${from}: ${problem}`);
    return;
  }
  if (msg.type === 'store' || msg.type === 'read-reply' || msg.type === 'ae-push') {
    const jump = replica.counterJump(state, msg.key, msg.versions.flatMap((v) => [v.dot, ...v.past]), msg.type === 'store' ? msg.hintFor : null);
    if (jump !== undefined) {
      fx.dropped(state, () => `${msg.type} of ${msg.key} from ${from}: ${jump}`);
      return;
    }
  }
  switch (msg.type) {
    case 'gossip':
      gossip.onGossip(state, from, msg);
      removal.onGossip(state, from, msg);
      configChange.onGossip(state, from, msg);
      return;
    case 'forward':
      return forward.onForward(state, from, msg);
    case 'forward-reply':
      if (!forward.onReply(state, from, msg)) fx.dropped(state, () => `forward-reply ${msg.forwardId} from ${from} matches no forward`);
      return;
    case 'store':
      return onStoreMessage(state, from, msg);
    case 'store-batch':
      // One step for the lot: each store persists and answers as it would alone, so its ack still leaves
      // only once this step is durable (the runtime carries the acks back together).
      for (const store of msg.stores) onStoreMessage(state, from, { type: 'store', ...store });
      return;
    case 'store-ack':
      return onStoreAck(state, from, msg);
    case 'store-ack-batch':
      for (const ack of msg.acks) onStoreAck(state, from, { type: 'store-ack', ...ack });
      return;
    case 'read':
      return replica.onRead(state, from, msg);
    case 'read-reply': {
      const op = state.reads.get(msg.opId);
      if (op !== undefined && op.key === msg.key && op.targets.includes(from) && !op.replies.has(from)) forward.observeRtt(state, from, state.tick - op.startTick);
      if (!read.onReply(state, from, msg.opId, msg.key, msg.versions)) fx.dropped(state, () => `read-reply ${msg.opId} from ${from} matches no read`);
      return;
    }
    case 'ae-root':
      return antiEntropy.onRoot(state, from, msg);
    case 'ae-buckets':
      if (!antiEntropy.onBuckets(state, from, msg)) fx.dropped(state, () => `ae-buckets ${msg.sessionId} from ${from} matches no session`);
      return;
    case 'ae-leaves':
      return antiEntropy.onLeaves(state, from, msg);
    case 'ae-want':
      return antiEntropy.onWant(state, from, msg);
    case 'ae-push':
      return antiEntropy.onPush(state, from, msg);
    case 'ae-summary':
      return antiEntropy.onSummary(state, from, msg);
    case 'ae-summary-reply':
      return antiEntropy.onSummaryReply(state, from, msg);
    default:
      fx.dropped(state, () => `unknown message from ${from}: ${JSON.stringify((msg satisfies never as { type?: unknown }).type)}`);
  }
}

/** A store (alone or from a batch) for a key this node may hold; otherwise refused with a clear ack. */
function onStoreMessage(state: NodeState, from: NodeId, msg: MessageOf<'store'>): void {
  const misplaced = replica.placementProblem(state, from, msg);
  if (misplaced === undefined) return replica.onStore(state, from, msg);
  fx.dropped(state, () => `store from ${from}: ${misplaced}`);
  if (msg.opId !== 0) fx.send(state, from, { type: 'store-ack', opId: msg.opId, key: msg.key, digests: [], ok: false, error: misplaced, misplaced: true });
}

function onStoreAck(state: NodeState, from: NodeId, msg: MessageOf<'store-ack'>): void {
  const sent = state.writes.get(msg.opId)?.sentTo.get(from);
  if (sent !== undefined && msg.key === state.writes.get(msg.opId)?.key) forward.observeRtt(state, from, state.tick - sent.sentTick);
  if (!coordinator.onStoreAck(state, from, msg) && !handoff.onStoreAck(state, from, msg) && !leave.onStoreAck(state, from, msg)) {
    fx.dropped(state, () => `store-ack ${msg.opId} from ${from} matches nothing in progress`);
  }
}

function onRequest(state: NodeState, requestId: number, request: ClientRequest): void {
  state.pendingRequests++;
  if (state.pendingRequests > limits.pendingRequestsMax) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: `too many requests in flight (${limits.pendingRequestsMax})` });
    return;
  }
  const problem = requestRules.invalid(state, request);
  if (problem !== undefined) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: problem });
    return;
  }
  switch (request.op) {
    case 'get':
      return read.start(state, requestId, request.key, request.r, request.inspect === true);
    case 'locate':
      return read.locate(state, requestId, request.key);
    case 'removal-preview':
      return removal.preview(state, requestId, request.id);
    case 'put':
    case 'delete':
      return forward.route(state, requestId, request);
    case 'configure':
      return configChange.start(state, requestId, request);
    case 'remove':
      return removal.start(state, requestId, request.id);
    case 'join':
      return life.join(state, requestId);
    case 'goodbye':
      return life.goodbye(state, requestId);
    case 'leave':
      return leave.start(state, requestId);
    case 'set-capacity':
      return setCapacity(state, requestId, request.capacity);
    default:
      throw new Error(`node: unknown request ${JSON.stringify(request satisfies never)}`);
  }
}

function setCapacity(state: NodeState, requestId: number, capacity: number): void {
  const error = capacityChange.set(state, capacity);
  fx.reply(state, requestId, error === undefined ? { ok: true, op: 'set-capacity' } : { ok: false, indeterminate: false, error });
}

function onLoaded(state: NodeState, loadId: number, key: string, versions: readonly Version[], corrupt: number): void {
  const load = state.loads.get(loadId);
  if (load === undefined || load.key !== key) {
    fx.trace(state, 'error', () => `loaded ${loadId} for ${key} matches no load`);
    return;
  }
  state.loads.delete(loadId);
  if (load.hintFor === undefined) replica.checkLoaded(state, key, versions, corrupt);
  else state.counters.storageErrors += corrupt;
  const purpose = load.purpose;
  switch (purpose.kind) {
    case 'gather':
      return read.onGathered(state, purpose.gatherId, versions);
    case 'handoff':
      return handoff.onLoaded(state, purpose.owner, key, versions);
    case 'write':
      return coordinator.onLoaded(state, purpose.opId, versions);
    case 'ae-push':
      return antiEntropy.onLoaded(state, purpose, key, versions);
    case 'leave':
      return leave.onLoaded(state, purpose.item, versions);
    default:
      throw new Error(`node: unknown load purpose ${JSON.stringify(purpose satisfies never)}`);
  }
}
