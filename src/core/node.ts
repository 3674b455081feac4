/**
 * One Dynamo node as a deterministic state machine (DESIGN.md, "the one rule"): `create` builds its state
 * from what storage holds, `step` feeds one input and returns the effects to carry out (node-io.ts says in
 * which order), `snapshot` gives a read-only view for the UI, kv.stats() and the simulator's checker.
 *
 * Epoch and life (KV679; DESIGN.md "Identity and lives"): a node that starts from storage (a restart, or
 * a rebuild after a failed write) draws a new RANDOM epoch and takes its persisted life + 1, both persisted
 * before anything leaves: its storage may be an older image of the disk than the history this id went on
 * to have (a restored image, a rolled-back disk), whose dots under the old epoch it would otherwise issue
 * again (seed 89: a restart from a stale image reissued n5:4 and a context holding n5:5 hid the new write).
 * The cost is one more actor per restart in the pasts of the keys it then coordinates (pruned past
 * limits.clockEntriesMax: a spurious sibling at worst). A node whose storage is empty draws a RANDOM 48-bit epoch
 * from its seeded generator (the runtime hands in fresh randomness as `rngSeed`), persists it, and
 * coordinates no write until its first gossip answer, which tells it the life of any earlier incarnation
 * of its id: it then takes that life + 1 (membership.ts). The epoch names the clock actor `${id}@${epoch}`,
 * so a wiped node never reissues a dot an earlier life issued; the life orders membership entries.
 *
 * Test-only controls, DELIBERATELY BROKEN, for the simulator to prove its checker catches bugs (defaults
 * are the safe ones): `epochPolicy: 'max-plus-one'` (a wiped node starts at epoch 1 and takes the highest
 * epoch it hears + 1, which can repeat an epoch an earlier life used: Riak's KV679); `clockPolicy:
 * 'plain-vv'` (obsolescence by whole-clock descent, "increment my own entry" vector clocks, which lose
 * concurrent writes through one coordinator); `conflictMode: 'lww'` (last write wins by skewed timestamps).
 */
import * as antiEntropy from './anti-entropy.js';
import { tuningWith, type Tuning } from './config.js';
import * as configChange from './config-change.js';
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import * as forward from './forward.js';
import * as handoff from './handoff.js';
import * as leave from './leave.js';
import * as life from './life.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import * as messages from './messages.js';
import type { Message } from './messages.js';
import type { ClientRequest, Effect, Input, StoredState } from './node-io.js';
import { initialAntiEntropy, type EpochPolicy, type NodeState } from './node-state.js';
import * as read from './read.js';
import * as removal from './removal.js';
import * as replica from './replica.js';
import * as ring from './ring.js';
import * as rngModule from './rng.js';
import type { ClockPolicy } from './siblings.js';
import * as storeIndex from './store-index.js';
import { defaultClusterConfig, defaultRemoveAfterSeconds, type ClusterConfig, type HostId, type NodeId, type Version, type Zone } from './types.js';

export type { NodeState } from './node-state.js';
export { snapshot, type NodeSnapshot } from './snapshot.js';

export interface NodeOptions {
  readonly id: NodeId;
  readonly host: HostId;
  readonly capacity: number;
  /** 'peer' for an always-on headless peer; absent for a tab. */
  readonly zone?: Zone;
  readonly seeds: readonly NodeId[];
  readonly rngSeed: number;
  readonly now: number;
  readonly stored: StoredState;
  readonly config?: ClusterConfig;
  readonly tuning?: Partial<Tuning>;
  /** 'lww' is a deliberately broken control (module comment). */
  readonly conflictMode?: 'vclock' | 'lww';
  readonly clockSkewTicks?: number;
  /** 'max-plus-one' is a deliberately broken control (module comment). Default 'random'. */
  readonly epochPolicy?: EpochPolicy;
  /** 'plain-vv' is a deliberately broken control (module comment). Default 'dvv'. */
  readonly clockPolicy?: ClockPolicy;
}

export function create(options: NodeOptions): { state: NodeState; effects: Effect[] } {
  const { stored } = options;
  const tuning = tuningWith(options.tuning);
  const storedConfig = stored.config;
  const picked = storedConfig ?? options.config ?? defaultClusterConfig;
  const config: ClusterConfig = { n: picked.n, r: picked.r, w: picked.w, partitions: picked.partitions, removeAfterSeconds: picked.removeAfterSeconds ?? defaultRemoveAfterSeconds };
  const rng = rngModule.create(options.rngSeed);
  const provisional = stored.epoch === undefined;
  const epochPolicy = options.epochPolicy ?? 'random';
  const previousSelf = stored.members?.find((m) => m.id === options.id);
  const samePrevious = previousSelf !== undefined && previousSelf.epoch === stored.epoch ? previousSelf : undefined;
  // A node the room removed comes back as a new life (below, life.ts): its removal is final for the old one.
  const removedBefore = samePrevious?.status === 'removed';
  // A restart from storage is a new life under a new random epoch (module comment): storage may be an
  // older image of the disk than the dots this id last issued. Not for a node that left (it stays out), nor
  // for one removed (it takes its next life below), nor under the 'max-plus-one' control, which keeps the
  // stored epoch as the broken design did.
  const newLife = !provisional && epochPolicy === 'random' && samePrevious?.status !== 'left' && !removedBefore;
  const epoch = newLife ? membership.randomEpoch({ rng }) : stored.epoch ?? (epochPolicy === 'random' ? membership.randomEpoch({ rng }) : 1);
  const startingLife = samePrevious === undefined ? 0 : newLife ? samePrevious.life + 1 : samePrevious.life;
  const clockPolicy = options.clockPolicy ?? 'dvv';
  const state: NodeState = {
    id: options.id, host: options.host, capacity: options.capacity, seeds: options.seeds, tuning,
    conflictMode: options.conflictMode === 'lww' ? 'lww' : clockPolicy, epochPolicy, clockSkewTicks: options.clockSkewTicks ?? 0, rng,
    epoch, life: startingLife, needsRebuild: false, epochProvisional: provisional, ready: false, tick: options.now,
    config, configVersion: storedConfig?.version ?? 0, configBy: storedConfig?.by ?? '',
    members: new Map(), ring: ring.build([], config.partitions), ringSignature: '', unreachable: new Set(),
    index: storeIndex.create(config.partitions), nextId: rng.int(2 ** 30) * 1024,
    writes: new Map(), reads: new Map(), forwards: new Map(), loads: new Map(), gathers: new Map(), handoffs: new Map(),
    lastGossipTick: -Infinity, steps: 0, lastHandoffTick: options.now,
    antiEntropy: initialAntiEntropy(rng.int(1024), options.now),
    leave: undefined, left: false, resumedTick: options.now, srttTicks: new Map(), coordinated: new Map(),
    suspended: new Set(), removal: undefined, configChange: undefined,
    counters: { messagesSent: 0, messagesReceived: 0, messagesDropped: 0, repairs: 0, hintsHandedOff: 0, storageErrors: 0, writesAcked: 0, readsServed: 0, dotClashes: 0 },
    out: [], records: [], pendingRequests: 0,
  };
  // Entries persisted before lives existed read as life 0.
  for (const m of stored.members ?? []) if (m.id !== options.id) state.members.set(m.id, { ...m, life: m.life ?? 0, lastHeardTick: options.now });
  state.members.set(options.id, {
    id: options.id, host: options.host, capacity: options.capacity, epoch, life: state.life, ...(options.zone === 'peer' ? { zone: options.zone } : {}),
    // A restart raises the incarnation (or the life), so the new, lower heartbeat is not ignored as old news.
    incarnation: samePrevious !== undefined && !newLife ? samePrevious.incarnation + 1 : 0,
    heartbeat: 0, status: 'alive', lastHeardTick: options.now,
  });
  const knowsOthers = state.members.size > 1 || options.seeds.some((s) => s !== options.id);
  state.ready = !provisional || !knowsOthers;
  if (samePrevious !== undefined && samePrevious.status === 'left') {
    // A node that left stays gone: it serves nothing. Starting it with empty storage makes it a new member.
    state.left = true;
    state.members.set(options.id, { ...samePrevious, life: state.life, lastHeardTick: options.now });
  }
  // Restored even for a node that left: kv.join() brings it back with what it holds (anti-entropy reconciles).
  for (const { key, version } of stored.versions) storeIndex.restore(state.index, key, version);
  for (const { owner, key, version } of stored.hints) storeIndex.restoreHint(state.index, owner, key, version);
  membership.refreshRing(state);
  if (state.left) {
    fx.trace(state, 'member', () => `${options.id} left the ring earlier and stays out: kv.join() brings it back as a new life`);
    return { state, effects: collect(state) };
  }
  if (removedBefore) {
    // The next life, with a new random epoch, persisted (epoch and view) before any of its dots leaves.
    membership.startLife(state, state.life + 1, life.nextEpoch(state), `the room removed life ${state.life} (epoch ${epoch}): back as a new life`);
    membership.refreshRing(state);
  } else if (provisional || newLife) {
    fx.persist(state, { kind: 'epoch', epoch });
    if (newLife) membership.persistMembership(state);
  }
  fx.trace(state, 'member', () => `start at epoch ${state.epoch}, life ${state.life}${provisional ? ' (empty storage: provisional until gossip answers)' : ''}, ${stored.versions.length} version(s), ${stored.hints.length} hint(s)`);
  return { state, effects: collect(state) };
}

function collect(state: NodeState): Effect[] {
  const effects: Effect[] = state.records.length > 0 ? [{ type: 'persist', records: state.records, step: state.steps }, ...state.out] : state.out;
  state.out = [];
  state.records = [];
  return effects;
}

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
    if (input.type === 'tick') {
      state.tick = Math.max(state.tick, input.now);
      state.resumedTick = state.tick; // a node out of the ring that joins again is returning
      if (state.tick - state.lastGossipTick >= state.tuning.gossipIntervalTicks) {
        state.lastGossipTick = state.tick;
        membership.round(state);
      }
    }
    if (input.type === 'message' && input.message.type === 'gossip') membership.onGossip(state, input.from, input.message);
    return collect(state);
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
  return collect(state);
}

function onTick(state: NodeState): void {
  if (state.tick - state.lastGossipTick >= state.tuning.gossipIntervalTicks) {
    state.lastGossipTick = state.tick;
    membership.round(state);
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
  switch (msg.type) {
    case 'gossip':
      membership.onGossip(state, from, msg);
      removal.onGossip(state, from, msg);
      configChange.onGossip(state, from, msg);
      return;
    case 'forward':
      return forward.onForward(state, from, msg);
    case 'forward-reply':
      if (!forward.onReply(state, from, msg)) fx.dropped(state, () => `forward-reply ${msg.forwardId} from ${from} matches no forward`);
      return;
    case 'store':
      return replica.onStore(state, from, msg);
    case 'store-ack': {
      const sent = state.writes.get(msg.opId)?.sentTo.get(from);
      if (sent !== undefined && msg.key === state.writes.get(msg.opId)?.key) forward.observeRtt(state, from, state.tick - sent.sentTick);
      if (!coordinator.onStoreAck(state, from, msg) && !handoff.onStoreAck(state, from, msg) && !leave.onStoreAck(state, from, msg)) {
        fx.dropped(state, () => `store-ack ${msg.opId} from ${from} matches nothing in progress`);
      }
      return;
    }
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

function onRequest(state: NodeState, requestId: number, request: ClientRequest): void {
  state.pendingRequests++;
  if (state.pendingRequests > limits.pendingRequestsMax) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: `too many requests in flight (${limits.pendingRequestsMax})` });
    return;
  }
  const problem = coordinator.invalid(state, request);
  if (problem !== undefined) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: problem });
    return;
  }
  switch (request.op) {
    case 'get':
      return read.start(state, requestId, request.key, request.r, request.inspect === true);
    case 'put':
    case 'delete':
      return coordinator.write(state, { kind: 'client', requestId }, request);
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
  const error = membership.setCapacity(state, capacity);
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
