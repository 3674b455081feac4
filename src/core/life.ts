/**
 * The lives of a node: joining again after a leave or a removal, hearing its own removal, and saying
 * goodbye when its tab closes.
 *
 * - A new life takes the next life number and a new random epoch (membership.startLife; the test-only
 *   'max-plus-one' control takes epoch + 1 instead): a higher life beats 'left' and 'removed', which are
 *   final within a life (membership.mergeMember). It starts at incarnation 0, is persisted, and is gossiped
 *   to every member at once. Its data stays where it is: the versions this node holds are reconciled with the current owners
 *   by anti-entropy (a version is never dropped here; removal moves ownership, not data).
 * - A node that hears it was removed in its current life starts a new life by itself when it is
 *   returning (within deadTimeoutTicks of its start, of a join, or of a long gap in its ticks: a closed
 *   tab reopened, a laptop woken up); otherwise (it was running and the room removed it, e.g. kv.remove
 *   of a live node) it stops serving, as after a leave, until kv.join() or a reload. Under a host with stamps
 *   (NodeState.stamps) only a removal the signaling server stamped stops it; one only gossip reports is
 *   refuted with a new life (removal.ts).
 * - Goodbye (the tab is closing): the node gossips itself 'dead' at its current incarnation to every live
 *   member, so they stop choosing it at once instead of after suspectTimeoutTicks. Nothing is persisted
 *   (the messages must leave without waiting for a commit the closing tab will not finish); it is not a
 *   removal, and a restart refutes it (a higher incarnation wins).
 */
import * as fx from './effects.js';
import * as membership from './membership.js';
import type { NodeState } from './node-state.js';

/** The epoch of this node's next life: a new random one (only the 'max-plus-one' control takes epoch + 1). */
export function nextEpoch(state: NodeState): number {
  return state.epochPolicy === 'max-plus-one' ? state.epoch + 1 : membership.randomEpoch(state);
}

/** Starts a new life of this node (see the module comment). */
export function newLife(state: NodeState, why: string): void {
  const me = membership.selfView(state);
  state.members.set(state.id, { ...me, heartbeat: 0, status: 'alive', lastHeardTick: state.tick, capacity: state.capacity });
  state.left = false;
  state.leave = undefined;
  state.resumedTick = state.tick;
  // startLife persists the epoch and the membership view (with this life) in this step.
  membership.startLife(state, state.life + 1, nextEpoch(state), why);
  membership.refreshRing(state);
  const hello = membership.gossipMessage(state, true);
  for (const m of state.members.values()) if (m.id !== state.id && !membership.gone(m.status)) fx.send(state, m.id, hello);
}

/** kv.join(): a node that left or was removed joins again as a new life; a member already in the ring is fine as it is. */
export function join(state: NodeState, requestId: number): void {
  if (state.leave !== undefined && !state.left) {
    fx.reply(state, requestId, { ok: false, indeterminate: false, error: `${state.id} is leaving: wait for kv.leave() to finish, then join` });
    return;
  }
  if (state.left) newLife(state, 'joined again');
  fx.reply(state, requestId, { ok: true, op: 'join' });
}

/**
 * Someone says this node was removed in its current life (see the module comment); `stamped`: the room's
 * authority says so (removal.ts), which always stops it. Under a host with stamps, gossip alone never does.
 */
export function heardOwnRemoval(state: NodeState, stamped = false): void {
  if (!stamped && state.stamps) {
    newLife(state, 'refuted a removal the signaling server did not stamp');
    return;
  }
  if (!stamped && state.tick - state.resumedTick < state.tuning.deadTimeoutTicks) {
    newLife(state, 'the room removed the previous one while this node was away');
    return;
  }
  const me = membership.selfView(state);
  state.members.set(state.id, { ...me, status: 'removed' });
  state.left = true;
  state.leave = undefined;
  membership.refreshRing(state);
  membership.persistMembership(state);
  for (const [forwardId, f] of state.forwards) {
    state.forwards.delete(forwardId);
    fx.reply(state, f.requestId, { ok: false, indeterminate: true, error: `${state.id} was removed from the ring while this write was forwarded` });
  }
  fx.trace(state, 'member', () => `removed from the ring by the room: it serves nothing until kv.join() or a reload`);
}

/** kv's pagehide path: tell every live member this node is gone now (see the module comment). */
export function goodbye(state: NodeState, requestId: number): void {
  if (!state.left) {
    const message = membership.gossipMessage(state, false);
    const farewell = { ...message, members: message.members.map((m) => (m.id === state.id ? { ...m, status: 'dead' as const } : m)) };
    for (const m of state.members.values()) if (m.id !== state.id && !membership.gone(m.status) && m.status !== 'dead') fx.send(state, m.id, farewell);
    fx.trace(state, 'member', () => 'goodbye: told the live members this tab is closing');
  }
  fx.reply(state, requestId, { ok: true, op: 'goodbye' });
}

/** Notes a long gap in this node's ticks (it was frozen or asleep): it is returning (see the module comment). */
export function onTickGap(state: NodeState, previousTick: number): void {
  if (state.tick - previousTick > state.tuning.suspectTimeoutTicks) state.resumedTick = state.tick;
}
