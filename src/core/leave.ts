/**
 * Graceful leave (Dynamo section 4.8.1, riak_core's ownership handoff): the leaving node computes the ring
 * without itself, sends every key it holds (its hinted keys too) to the key's replicas in that ring, waits
 * until every target that was healthy at send time confirms, then gossips 'left' and stops serving.
 * While leaving it refuses new copies (replica.ts), so coordinators pick fallbacks instead and nothing
 * lands on a node that is going away. A target that refuses for a reason of its own (it is leaving too, or
 * full) is treated as down from then on: its copies go to the next fallbacks as hints for it, which every
 * receiver accepts since the refuser still replicates the key in its ring (two nodes leaving at once would
 * otherwise refuse each other's copies for ever and neither leave would end). The future ring itself stays
 * the ring without this node, the ring every receiver judges a copy by (replica.placementProblem): planning
 * without the refusers too placed keys where no receiver's ring did, and they refused them as misplaced
 * (sim seeds 3203, 4663: two leaves that waited on each other for ever). A target that refuses a copy as
 * misplaced (its ring does not place the key there yet: a change still spreading) stays a target: the copy
 * is sent again when it times out. The future ring follows
 * the ring: a member that joins or is removed while the leave goes on is in it or out of it, as in the ring
 * the others will have. Work per tick is bounded by leaveKeysPerTick.
 */
import * as fx from './effects.js';
import * as membership from './membership.js';
import type { NodeState } from './node-state.js';
import type { LeaveItem } from './node-state.js';
import * as requestRules from './request-rules.js';
import * as ring from './ring.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version } from './types.js';

export function start(state: NodeState, requestId: number): void {
  if (state.leave !== undefined) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: `${state.id} is already leaving` });
    return;
  }
  if (state.ring.members.every((m) => m.id === state.id)) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: 'cannot leave: no other member would hold the data' });
    return;
  }
  const queue: LeaveItem[] = [...state.index.versions.keys()].map((key) => ({ key, hintFor: undefined }));
  for (const [owner, byKey] of state.index.hints) for (const key of byKey.keys()) queue.push({ key, hintFor: owner });
  state.leave = { pending: new Map(), queue, futureRing: state.ring, basedOn: state.ring, refusedBy: new Set(), requestId };
  rebuildFutureRing(state, state.leave);
  fx.trace(state, 'member', () => `leaving: ${queue.length} key(s) to hand over`);
}

/**
 * The ring without this node. Rebuilt whenever the ring is: with a future ring fixed at the start, a leave
 * whose targets had died for good waited for ever, although newcomers could hold the data (sim seed 23719:
 * n=4 w=3, two nodes leaving at once, one of the three others dead for good, two newcomers never used).
 */
function rebuildFutureRing(state: NodeState, leave: NonNullable<NodeState['leave']>): void {
  const others = state.ring.members.filter((m) => m.id !== state.id);
  leave.futureRing = ring.rebuild(leave.futureRing, others, state.config.partitions);
  leave.basedOn = state.ring;
}

/**
 * Where a key goes: each of its replicas in the ring without this node, or, for a replica that is not
 * healthy now or refused a copy, the next healthy fallback keeping a hint for it (sloppy quorum, as a write does). Sending
 * only to the healthy replicas let a leave during a partition end with the key on fewer nodes than N, and
 * one wipe later it was gone (sim seed 379 lost an acknowledged write that way). onLoaded also waits for at
 * least W places.
 */
function targetsOf(state: NodeState, key: string): { to: NodeId; hintFor: NodeId | null }[] {
  const leave = state.leave;
  if (leave === undefined) return [];
  const n = Math.min(state.config.n, leave.futureRing.members.length);
  const { replicas, fallbacks } = ring.preferenceList(leave.futureRing, storeIndex.partitionOf(state.index, key), n);
  const willing = (id: NodeId) => membership.healthy(state, id) && !leave.refusedBy.has(id);
  const spare = fallbacks.filter((f) => f !== state.id && willing(f));
  const targets: { to: NodeId; hintFor: NodeId | null }[] = [];
  for (const r of replicas) {
    if (r === state.id) continue;
    if (willing(r)) targets.push({ to: r, hintFor: null });
    else {
      const fallback = spare.shift();
      if (fallback !== undefined) targets.push({ to: fallback, hintFor: r });
    }
  }
  return targets;
}

export function tick(state: NodeState): void {
  const leave = state.leave;
  if (leave === undefined || state.left) return;
  if (leave.basedOn !== state.ring) rebuildFutureRing(state, leave);
  for (const [opId, p] of leave.pending) {
    if (state.tick - p.sentTick < state.tuning.replicaTimeoutTicks) continue;
    leave.pending.delete(opId);
    leave.queue.push(p.item);
  }
  let budget = state.tuning.leaveKeysPerTick;
  const loading = [...state.loads.values()].filter((l) => l.purpose.kind === 'leave').length;
  while (budget > 0 && leave.queue.length > 0 && state.loads.size < state.tuning.loadsInFlightMax) {
    const item = leave.queue.shift() as LeaveItem;
    budget--;
    const loadId = fx.nextId(state);
    state.loads.set(loadId, { key: item.key, hintFor: item.hintFor, purpose: { kind: 'leave', item } });
    state.out.push(item.hintFor === undefined ? { type: 'load', loadId, key: item.key } : { type: 'load', loadId, key: item.key, hintFor: item.hintFor });
  }
  if (leave.queue.length === 0 && leave.pending.size === 0 && loading === 0 && budget === state.tuning.leaveKeysPerTick) finish(state);
}

export function onLoaded(state: NodeState, item: LeaveItem, versions: readonly Version[]): void {
  const leave = state.leave;
  if (leave === undefined || versions.length === 0) return;
  const targets = targetsOf(state, item.key);
  // Fewer places than a write quorum (replicas down and no healthy fallback): handing the key over now would
  // leave it on fewer nodes than an acknowledged write had; try again later.
  if (targets.length < Math.min(state.config.w, leave.futureRing.members.length)) {
    leave.queue.push(item);
    return;
  }
  const opId = fx.nextId(state);
  leave.pending.set(opId, { item, targets: targets.map((t) => t.to), acked: new Set(), sentTick: state.tick });
  for (const { to, hintFor } of targets) fx.sendStore(state, to, opId, item.key, versions, hintFor);
}

export function onStoreAck(state: NodeState, from: NodeId, msg: { opId: number; key: string; ok: boolean; misplaced?: boolean | undefined }): boolean {
  const p = state.leave?.pending.get(msg.opId);
  const leave = state.leave;
  if (leave === undefined || p === undefined || p.item.key !== msg.key || !p.targets.includes(from)) return false;
  if (msg.ok) p.acked.add(from);
  // The target's ring does not place the key there yet (a join, a leave or a configure still spreading):
  // the copy stays pending, so it is sent again, to the targets of that time, once it times out. Planning
  // without the target would make this node's future ring differ more from everyone's, and more targets
  // refuse: sim seed 4663 excluded every member but one and its leave never ended.
  else if (msg.misplaced === true) return true;
  else refused(state, leave, from, msg.opId);
  if (p.acked.size === p.targets.length) leave.pending.delete(msg.opId);
  return true;
}

/** A target refused a copy for a reason of its own: from now on its copies go to fallbacks as hints for it, and the key is sent again. */
function refused(state: NodeState, leave: NonNullable<NodeState['leave']>, from: NodeId, opId: number): void {
  const p = leave.pending.get(opId);
  if (p === undefined) return;
  leave.pending.delete(opId);
  leave.queue.push(p.item);
  if (leave.refusedBy.has(from)) return;
  leave.refusedBy.add(from);
  fx.trace(state, 'member', () => `leaving: ${from} refused a copy; its copies go to fallbacks as hints for it`);
}

function finish(state: NodeState): void {
  const leave = state.leave;
  if (leave === undefined) return;
  const me = membership.selfView(state);
  state.members.set(state.id, { ...me, status: 'left', incarnation: me.incarnation + 1 });
  membership.persistMembership(state);
  const announcement = membership.gossipMessage(state, false);
  for (const m of state.members.values()) if (m.id !== state.id && m.status !== 'left') fx.send(state, m.id, announcement);
  state.left = true;
  fx.trace(state, 'member', () => `left the ring: every key handed to its replicas in the ring without ${state.id} (N=${requestRules.replicaCount(state)})`);
  fx.reply(state, leave.requestId, { ok: true, op: 'leave' });
}
