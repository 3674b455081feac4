/**
 * Removal of members that are gone for good. In Dynamo a failure never changes the ring; only an explicit
 * leave does (section 4.8). A classroom tab closed for good never leaves, so its partitions would keep N-1
 * live replicas for ever and hints for it would pile up. Two ways out:
 *
 * - Automatic: a member this node has seen 'dead' for removeAfterSeconds (the cluster setting, 0 = never;
 *   counted from when it became dead: deadTimeoutTicks after the last heartbeat heard) is marked 'removed'. Never while a fault rule isolates or
 *   partitions it (`state.suspended`, fed by the runtime from the room's fault rules), and only while this
 *   node sees a strict majority of the ring alive (itself included): a node cut off from the room by a
 *   real network failure does not remove everyone else.
 * - Forced: kv.remove(id) marks any other member 'removed', dead or alive, gossips it to every live member
 *   at once and answers once each of them has gossiped back a view with the removal (or a newer life of
 *   the member), or after requestTimeoutTicks (the removal is then known here and spreads by gossip).
 *
 * - Stamped (NodeState.stamps: a host with a signaling server, issue 11): kv.remove first goes to the server
 *   (`authorize`), which refuses it unless the sender holds the teacher token; the stamp reaches every
 *   member directly (`onStamped`), and only then is the member removed and the confirmations awaited. A
 *   removal that only gossip reports does not stop a live member: it refutes it with a new life (life.ts),
 *   so a modified class-link tab gossiping "X removed" costs the room a ring change and back, no more.
 *
 * 'removed' is final within the member's life (membership.mergeMember orders it like 'left'), so stale
 * gossip cannot undo it; only a new life of the node (a higher life, life.ts) brings it back. Removal
 * moves ownership, never data: the ring is rebuilt without the member, anti-entropy fills the partitions'
 * new replicas from the surviving ones (it compares every partition two ring members share), and hints
 * held for the member go to the key's new replicas (handoff.ts sends hints for a member outside the ring
 * to the key's first healthy replica).
 */
import * as fx from './effects.js';
import * as life from './life.js';
import * as membership from './membership.js';
import type { MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import { defaultRemoveAfterSeconds, type NodeId } from './types.js';

/** Marks `id` removed at its current life, rebuilds the ring, persists, and tells every live member. */
function removeMember(state: NodeState, id: NodeId, why: string): void {
  const m = state.members.get(id);
  if (m === undefined || membership.gone(m.status)) return;
  state.members.set(id, { ...m, status: 'removed' });
  state.unreachable.delete(id);
  state.srttTicks.delete(id);
  membership.refreshRing(state);
  membership.persistMembership(state);
  fx.trace(state, 'member', () => `${id} removed from the ring (life ${m.life}, epoch ${m.epoch}): ${why}`);
  for (const to of [...liveOthers(state), id]) fx.send(state, to, membership.gossipMessage(state, true));
}

/** Members other than this node that are alive or suspect (not dead, left or removed). */
function liveOthers(state: NodeState): NodeId[] {
  return [...state.members.values()].filter((m) => m.id !== state.id && (m.status === 'alive' || m.status === 'suspect')).map((m) => m.id);
}

/**
 * What kv.remove(id) would move, for the UI's confirmation: the partitions `id` owns in this node's ring and
 * their owners in the ring rebuilt without it (the rule every node applies on removal). Read-only.
 */
export function preview(state: NodeState, requestId: number, id: NodeId): void {
  const owned: number[] = [];
  state.ring.owners.forEach((owner, p) => { if (owner === id) owned.push(p); });
  const moves = new Map<NodeId, number>();
  const after = owned.length > 0 ? membership.ringWithout(state, id) : undefined;
  if (after !== undefined && after.members.length > 0) {
    for (const p of owned) {
      const to = after.owners[p];
      if (to !== undefined) moves.set(to, (moves.get(to) ?? 0) + 1);
    }
  }
  fx.reply(state, requestId, {
    ok: true, op: 'removal-preview', partitions: state.ring.owners.length, owned: owned.length,
    moves: [...moves].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([to, partitions]) => ({ to, partitions })),
  });
}

/** The live members this node can reach now: who must confirm a removal. */
function healthyOthers(state: NodeState): Set<NodeId> {
  return new Set(liveOthers(state).filter((p) => membership.healthy(state, p)));
}

/** The automatic removal of members dead for removeAfterSeconds (see the module comment). */
export function tick(state: NodeState): void {
  tickForced(state);
  const seconds = state.config.removeAfterSeconds ?? defaultRemoveAfterSeconds;
  if (seconds === 0 || !state.ready || state.left || state.leave !== undefined) return;
  const inRing = state.ring.members.length;
  const alive = [...state.members.values()].filter((m) => m.status === 'alive' && !membership.gone(m.status)).length;
  if (2 * alive <= inRing) return;
  // Dead since deadTimeoutTicks after its last heartbeat; removed removeAfterSeconds after that.
  const afterTicks = state.tuning.deadTimeoutTicks + seconds * state.tuning.ticksPerSecond;
  for (const m of [...state.members.values()]) {
    if (m.id === state.id || m.status !== 'dead' || state.suspended.has(m.id)) continue;
    if (state.tick - m.lastHeardTick < afterTicks) continue;
    removeMember(state, m.id, `dead for more than removeAfterSeconds = ${seconds} s`);
  }
}

/** kv.remove(id): see the module comment. */
export function start(state: NodeState, requestId: number, id: NodeId): void {
  const fail = (error: string) => fx.reply(state, requestId, { ok: false, indeterminate: false, error });
  if (id === state.id) return fail(`${state.id} cannot remove itself: use kv.leave()`);
  const m = state.members.get(id);
  if (m === undefined) return fail(`no member ${JSON.stringify(id)}: members are ${[...state.members.keys()].sort().join(', ')}`);
  if (m.status === 'left') return fail(`${id} has left the ring already`);
  if (state.removal !== undefined) return fail(`a removal (${state.removal.id}) is still being confirmed: try again`);
  if (m.status === 'removed') {
    fx.reply(state, requestId, { ok: true, op: 'remove' });
    return;
  }
  if (state.stamps) {
    state.removal = { requestId, id, waiting: new Set(), startTick: state.tick, awaitingStamp: true };
    fx.authorize(state, { kind: 'remove', id });
    return;
  }
  removeMember(state, id, 'removed by kv.remove');
  state.removal = { requestId, id, waiting: healthyOthers(state), startTick: state.tick, awaitingStamp: false };
  settle(state);
}

/** A removal the room's authority stamped (module comment): this node stops, or removes the member everywhere. */
export function onStamped(state: NodeState, id: NodeId): void {
  if (id === state.id) {
    if (!state.left) life.heardOwnRemoval(state, true);
    return;
  }
  removeMember(state, id, 'removed by the teacher (stamped by the signaling server)');
  const r = state.removal;
  if (r?.awaitingStamp !== true || r.id !== id) return;
  state.removal = { ...r, waiting: healthyOthers(state), startTick: state.tick, awaitingStamp: false };
  settle(state);
}

/** The authority refused this node's kv.remove (e.g. not the teacher). */
export function onRefused(state: NodeState, reason: string): void {
  const r = state.removal;
  if (r?.awaitingStamp !== true) return;
  state.removal = undefined;
  fx.reply(state, r.requestId, { ok: false, indeterminate: false, error: reason });
}

function settle(state: NodeState): void {
  const r = state.removal;
  if (r === undefined) return;
  for (const p of [...r.waiting]) if (!membership.healthy(state, p)) r.waiting.delete(p);
  const timedOut = state.tick - r.startTick >= state.tuning.requestTimeoutTicks;
  if (r.awaitingStamp) {
    if (!timedOut) return;
    state.removal = undefined;
    fx.reply(state, r.requestId, { ok: false, indeterminate: true, error: `the signaling server did not stamp the removal of ${r.id} in time: it may still reach the room` });
    return;
  }
  if (r.waiting.size > 0 && !timedOut) return;
  state.removal = undefined;
  fx.trace(state, 'member', () => `removal of ${r.id} ${timedOut && r.waiting.size > 0 ? `known here; not yet confirmed by ${[...r.waiting].join(', ')}` : 'confirmed by every live member'}`);
  fx.reply(state, r.requestId, { ok: true, op: 'remove' });
}

function tickForced(state: NodeState): void {
  const r = state.removal;
  if (r === undefined) return;
  if ((state.tick - r.startTick) % state.tuning.gossipIntervalTicks === 0) {
    for (const p of r.waiting) fx.send(state, p, membership.gossipMessage(state, true));
  }
  settle(state);
}

/** A peer's gossip: it confirms a removal in progress when it shows the member removed (or in a newer life). */
export function onGossip(state: NodeState, from: NodeId, msg: MessageOf<'gossip'>): void {
  const r = state.removal;
  if (r === undefined || !r.waiting.has(from)) return;
  const local = state.members.get(r.id);
  const theirs = msg.members.find((m) => m.id === r.id);
  if (local === undefined || theirs === undefined) return;
  const newerLife = theirs.life > local.life || (theirs.life === local.life && theirs.epoch > local.epoch);
  if (newerLife || (theirs.life === local.life && theirs.epoch === local.epoch && theirs.status === 'removed')) {
    r.waiting.delete(from);
    settle(state);
  }
}
