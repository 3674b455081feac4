/**
 * Gossip (Dynamo section 4.8, push-pull): a node raises its own heartbeat every round and sends its whole
 * view to `gossipFanout` random peers (the first contact asks for the answer); a view received is merged
 * entry by entry under membership.ts's rules, a newer configuration is adopted, and what a peer says of
 * THIS node is answered: a suspicion refuted, a later life of its id taken after, a removal or a false
 * 'left' turned into a new life (life.ts).
 */
import * as admission from './admission.js';
import * as configChange from './config-change.js';
import * as fx from './effects.js';
import * as life from './life.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { MemberWire, MessageOf } from './messages.js';
import type { MemberView } from './node-io.js';
import type { NodeState } from './node-state.js';
import type { NodeId } from './types.js';

/** One gossip round: raise the own heartbeat, run the failure detector, push the view to a few peers. */
export function round(state: NodeState): void {
  const me = membership.selfView(state);
  state.members.set(state.id, { ...me, heartbeat: me.heartbeat + 1, lastHeardTick: state.tick });
  for (const m of state.members.values()) {
    if (m.id === state.id) continue;
    const status = membership.detect(m, state.tick, state.tuning);
    if (status !== m.status) {
      state.members.set(m.id, { ...m, status });
      fx.trace(state, 'member', () => `${m.id} is ${status}`);
    }
  }
  // Gossip goes to live members (alive or suspect); one round in four also tries one dead member, so a
  // healed partition or a returning node is found again without dead members soaking up the fanout.
  const others = [...state.members.values()].filter((m) => m.id !== state.id && !membership.gone(m.status));
  const live = others.filter((m) => m.status !== 'dead').map((m) => m.id);
  const dead = others.filter((m) => m.status === 'dead').map((m) => m.id);
  // With no live member known, the seeds are asked: a newcomer, or a node whose only contact died (sim
  // seed 1240: j1 joined through n5 alone, n5 died for good, and nobody else had heard of j1).
  const pool = live.length > 0 ? live : state.seeds.filter((s) => s !== state.id);
  const targets = state.rng.shuffle(pool).slice(0, state.tuning.gossipFanout);
  if (dead.length > 0 && (live.length === 0 || state.rng.int(4) === 0)) targets.push(state.rng.pick(dead));
  for (const to of targets) fx.send(state, to, membership.gossipMessage(state, !state.ready || others.length === 0));
}

/** Merges a peer's gossip; answers it when asked; refutes suspicion of this node; adopts a newer config. */
export function onGossip(state: NodeState, from: NodeId, msg: MessageOf<'gossip'>): void {
  if (membership.newerConfig({ version: msg.configVersion, by: msg.configBy }, { version: state.configVersion, by: state.configBy })) {
    const problem = configChange.problem(msg.config);
    if (msg.configVersion - state.configVersion > limits.configVersionJumpMax || msg.configVersion > membership.counterMax) {
      fx.dropped(state, () => `gossip from ${from}: config version jumps from ${state.configVersion} to ${msg.configVersion} (at most ${limits.configVersionJumpMax})`);
    } else if (problem !== undefined) {
      fx.dropped(state, () => `gossip from ${from} with a config this node refuses: ${problem}`);
    } else if (state.stamps) {
      // Only the server's stamp makes this node adopt a config (config-change.ts); a proposal goes past this one.
      state.configHeard = Math.max(state.configHeard, msg.configVersion);
    } else {
      membership.adoptConfig(state, msg.config, msg.configVersion, msg.configBy);
    }
  }
  let changed = false;
  let behindSender = false;
  for (const remote of msg.members) {
    const problem = admission.memberProblem(remote, remote.id === state.id ? undefined : state.members.get(remote.id));
    if (problem !== undefined) {
      fx.dropped(state, () => `gossip from ${from}: member ${JSON.stringify(remote.id)}: ${problem}`);
      continue;
    }
    if (remote.id === state.id) {
      refute(state, remote);
      continue;
    }
    const local = state.members.get(remote.id);
    if (remote.id === from && local !== undefined && knowsLaterSelf(local, remote)) behindSender = true;
    if (local === undefined && state.members.size >= limits.membersMax) {
      fx.dropped(state, () => `member ${remote.id} past membersMax`);
      continue;
    }
    // Gossip carries the status of members; it may not invent them (admission.ts).
    if (local === undefined && !admission.admits(state, from, remote.id)) {
      fx.dropped(state, () => `gossip from ${from}: ${remote.id} is not in the room's presence (not admitted)`);
      continue;
    }
    const merged = membership.mergeMember(local, remote, state.tick);
    if (merged === undefined) continue;
    if (local?.status !== merged.status) fx.trace(state, 'member', () => `${merged.id} is ${merged.status} (epoch ${merged.epoch}, incarnation ${merged.incarnation})`);
    state.members.set(remote.id, merged);
    // Heartbeats alone are not worth a storage write; status, epoch, capacity and new members are.
    if (local === undefined || local.status !== merged.status || local.epoch !== merged.epoch || local.life !== merged.life || local.capacity !== merged.capacity) changed = true;
  }
  state.epochProvisional = false;
  if (!state.ready) {
    state.ready = true;
    fx.trace(state, 'member', () => `ready: joined through ${from} at epoch ${state.epoch}`);
  }
  if (changed) {
    membership.refreshRing(state);
    membership.persistMembership(state);
  }
  // A sender this node still sees as not alive in the life it gossips from (dead after its goodbye and a
  // quick reload, or left, or removed) learns it from the answer, so it refutes at once or, membership.gone, decides
  // what to do (life.ts); otherwise it would wait for a gossip that rarely comes to a dead member.
  const sender = msg.members.find((m) => m.id === from);
  const view = state.members.get(from);
  // A sender that already says it is membership.gone, or says what this node sees, learns nothing from an answer.
  const senderStale = sender !== undefined && view !== undefined && sender.life === view.life && sender.epoch === view.epoch && view.status !== 'alive'
    && sender.status !== view.status && !membership.gone(sender.status);
  // A sender that is behind about ITSELF (restarted from an old disk image after it left, say) hears
  // nobody otherwise: nobody gossips to a member that left, and its own view ignores what it never asks.
  // An answer is itself answered only when it asks: two nodes that each see the other as stale (both left,
  // say) would otherwise answer each other's answers for ever, one more endless chain per duplicated
  // message (the gossip storm of test/unit/gossip-storm.test.ts). The sender's next round is answered.
  if (msg.wantReply || (msg.answer !== true && (senderStale || behindSender))) fx.send(state, from, { ...membership.gossipMessage(state, false), answer: true });
}

/**
 * True when this node's entry for a member is a later state (in membership.mergeMember's order) than what the member
 * says of itself: a later life; at its life, a higher epoch (another life that took the same life number:
 * a wiped node that joined through a newcomer knowing nothing of its id took life 0 again, while the room
 * saw the earlier life 0 leave and so never gossiped to it; sim seed 266); or at its life and epoch the
 * 'left' it does not claim or a higher incarnation. Only a member whose storage went back in time, or who
 * never heard of its id's earlier life, says less of itself than others know: the answer makes it refute.
 */
export function knowsLaterSelf(local: MemberView, self: MemberWire): boolean {
  if (local.life !== self.life) return local.life > self.life;
  // At one life the higher epoch wins the merge: a member whose entry here lost to another epoch (two
  // lives that took one number, or a forged entry) must hear it, or nothing ever tells it to refute.
  if (local.epoch !== self.epoch) return local.epoch > self.epoch;
  return (local.status === 'left' && self.status !== 'left') || local.incarnation > self.incarnation;
}

function refute(state: NodeState, remote: MemberWire): void {
  const me = membership.selfView(state);
  if (remote.life > state.life || (remote.life === state.life && remote.epoch !== state.epoch)) {
    // Another life of this node id is known to the cluster: this life must order after it.
    // A node that knows no life of its own yet (empty storage) cannot tell a jump: it takes what it hears.
    if (!state.epochProvisional && remote.life - state.life > membership.lifeJumpMax) {
      fx.dropped(state, () => `gossip names life ${remote.life} of ${state.id}, more than ${membership.lifeJumpMax} past ${state.life}`);
      return;
    }
    const epoch = state.epochPolicy === 'max-plus-one' ? Math.max(remote.epoch, state.epoch) + 1 : state.epoch;
    membership.startLife(state, remote.life + 1, epoch, `life ${remote.life} (epoch ${remote.epoch}) of ${state.id} was known`);
    return;
  }
  if (remote.life === state.life && remote.status === 'removed' && !state.left) {
    life.heardOwnRemoval(state);
    return;
  }
  if (remote.life === state.life && remote.status === 'left' && state.leave === undefined && !state.left) {
    // Someone says this node left, and it did not ('left' is final within a life): start a new life.
    life.newLife(state, 'refuted having left');
    return;
  }
  if (remote.life === state.life && remote.status !== 'alive' && !membership.gone(remote.status) && remote.incarnation >= me.incarnation) {
    if (remote.incarnation - me.incarnation > limits.incarnationJumpMax) {
      fx.dropped(state, () => `gossip says ${state.id} is ${remote.status} at incarnation ${remote.incarnation}, more than ${limits.incarnationJumpMax} past ${me.incarnation}`);
      return;
    }
    state.members.set(state.id, { ...me, incarnation: remote.incarnation + 1, status: 'alive' });
    fx.trace(state, 'member', () => `refuted being ${remote.status}: incarnation ${remote.incarnation + 1}`);
  }
}

