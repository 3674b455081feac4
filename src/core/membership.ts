/**
 * Membership by gossip (Dynamo section 4.8; SWIM's suspicion and refutation; memberlist's habits).
 *
 * Each member is gossiped as (id, host, capacity, epoch, life, incarnation, heartbeat, status). A node raises
 * its own heartbeat every round and sends its whole view to `gossipFanout` random peers (push-pull: the first
 * contact asks for the answer). Lives: `epoch` is random per life and only names the clock actor (dvv.ts);
 * `life` is a monotonic counter that ORDERS a node id's lives. A node that starts with empty storage does
 * not know its old life: it waits for gossip, and on hearing a life of its own id that is not this one, it
 * takes that life + 1 (and keeps its random epoch; the 'max-plus-one' control takes that epoch + 1, the
 * KV679 bug). A gossiped life may jump at most lifeJumpMax past the one known (larger is refused), so one
 * bad message cannot exhaust the counter. Merge rule, per member: a higher life wins; at equal life two
 * different epochs (two lives that took one number before either heard of the other) are ordered by epoch;
 * 'left' and 'removed' are final within a life; a higher incarnation wins; at equal incarnation the worse status wins
 * (dead > suspect > alive) and the heartbeat is the larger. A member whose heartbeat has not advanced for
 * suspectTimeoutTicks is suspect, for deadTimeoutTicks dead. A node that hears itself suspected or dead
 * refutes it by raising its incarnation.
 *
 * The ring is built over every member that has not LEFT (or been removed): dead members stay in the ring,
 * as in Dynamo, where a failure is temporary until an explicit leave; requests skip them through the preference list's
 * fallbacks (sloppy quorum) and hints carry their writes back. Only join, leave and removal (removal.ts:
 * a member dead for removeAfterSeconds, or kv.remove; 'removed' is final within a life like 'left') move
 * partitions.
 */
import * as admission from './admission.js';
import type { Tuning } from './config.js';
import * as fx from './effects.js';
import { limits } from './limits.js';
import type { MemberWire, MessageOf } from './messages.js';
import type { MemberView } from './node-io.js';
import type { NodeState } from './node-state.js';
import * as life from './life.js';
import * as repartition from './repartition.js';
import * as ring from './ring.js';
import { defaultRemoveAfterSeconds, removeAfterSecondsMax, type ClusterConfig, type MemberStatus, type NodeId } from './types.js';

/** Largest epoch, life, incarnation or heartbeat accepted from a peer (limits.ts says why). */
export const counterMax = limits.counterMax;

/** Farthest a gossiped life may jump past the life known for that member (or past this node's own). */
export const lifeJumpMax = limits.lifeJumpMax;

/** Largest capacity weight a member may claim (ring.ts shares partitions in proportion to it): the edge's bound too. */
export const capacityMax = limits.capacityMax;

const statusRank: Record<MemberStatus, number> = { alive: 0, suspect: 1, dead: 2, left: 3, removed: 4 };

/** True for the statuses that are final within a life and keep a member out of the ring: 'left', 'removed'. */
export function gone(status: MemberStatus): boolean {
  return status === 'left' || status === 'removed';
}

/**
 * The merge of what a peer says about a member into what this node knows: the new view, or undefined when
 * it teaches nothing. Pure, so it is tested by table (membership.test.ts).
 */
export function mergeMember(local: MemberView | undefined, remote: MemberWire, now: number): MemberView | undefined {
  if (local === undefined) return { ...remote, lastHeardTick: now };
  if (remote.life > local.life) return remote.life - local.life > lifeJumpMax ? undefined : { ...remote, lastHeardTick: now };
  if (remote.life < local.life) return undefined;
  if (remote.epoch !== local.epoch) return remote.epoch > local.epoch ? { ...remote, lastHeardTick: now } : undefined;
  if (gone(local.status)) return undefined;
  if (gone(remote.status)) return { ...local, status: remote.status, incarnation: Math.max(local.incarnation, remote.incarnation) };
  if (remote.incarnation > local.incarnation) return { ...remote, lastHeardTick: now };
  if (remote.incarnation < local.incarnation) return undefined;
  const status = statusRank[remote.status] > statusRank[local.status] ? remote.status : local.status;
  const fresher = remote.heartbeat > local.heartbeat;
  if (!fresher && status === local.status) return undefined;
  return { ...local, status, heartbeat: Math.max(local.heartbeat, remote.heartbeat), lastHeardTick: fresher ? now : local.lastHeardTick };
}

/** What the failure detector makes of a member at `now` (never revives one: only refutation does). */
export function detect(member: MemberView, now: number, tuning: Pick<Tuning, 'suspectTimeoutTicks' | 'deadTimeoutTicks'>): MemberStatus {
  const silentTicks = now - member.lastHeardTick;
  if (member.status === 'alive' && silentTicks > tuning.suspectTimeoutTicks) return silentTicks > tuning.deadTimeoutTicks ? 'dead' : 'suspect';
  if (member.status === 'suspect' && silentTicks > tuning.deadTimeoutTicks) return 'dead';
  return member.status;
}

/** Highest config wins: by version, then by the id of the node that set it. */
export function newerConfig(a: { version: number; by: NodeId }, b: { version: number; by: NodeId }): boolean {
  return a.version > b.version || (a.version === b.version && a.by > b.by);
}

export function selfView(state: NodeState): MemberView {
  const me = state.members.get(state.id);
  if (me === undefined) throw new Error(`node ${state.id}: own member entry missing`);
  return me;
}

/** True when requests should go to this peer: not left, not suspect or dead, and the transport has not lost it. */
export function healthy(state: NodeState, id: NodeId): boolean {
  if (id === state.id) return !state.left;
  const m = state.members.get(id);
  return m !== undefined && m.status === 'alive' && !state.unreachable.has(id);
}

/** Rebuilds the ring when the set of members in it (everyone not left or removed) changed. */
export function refreshRing(state: NodeState): void {
  const inRing = [...state.members.values()].filter((m) => !gone(m.status)).sort((a, b) => (a.id < b.id ? -1 : 1));
  const signature = `${state.config.partitions}|${inRing.map((m) => `${m.id}/${m.host}/${m.capacity}/${m.zone ?? 'tab'}`).join(',')}`;
  if (signature === state.ringSignature) return;
  state.ringSignature = signature;
  state.ring = ring.rebuild(state.ring, inRing.map((m) => ({ id: m.id, host: m.host, capacity: m.capacity, ...(m.zone === 'peer' ? { zone: m.zone } : {}) })), state.config.partitions);
  fx.trace(state, 'member', () => `ring rebuilt over ${inRing.length} members`);
}

function toWire(m: MemberView): MemberWire {
  return { id: m.id, host: m.host, capacity: m.capacity, epoch: m.epoch, life: m.life, incarnation: m.incarnation, heartbeat: m.heartbeat, status: m.status, ...(m.zone === 'peer' ? { zone: m.zone } : {}) };
}

export function gossipMessage(state: NodeState, wantReply: boolean): MessageOf<'gossip'> {
  return {
    type: 'gossip',
    members: [...state.members.values()].map(toWire),
    config: { ...state.config, removeAfterSeconds: state.config.removeAfterSeconds ?? defaultRemoveAfterSeconds },
    configVersion: state.configVersion,
    configBy: state.configBy,
    wantReply,
  };
}

/** One gossip round: raise the own heartbeat, run the failure detector, push the view to a few peers. */
export function round(state: NodeState): void {
  const me = selfView(state);
  state.members.set(state.id, { ...me, heartbeat: me.heartbeat + 1, lastHeardTick: state.tick });
  for (const m of state.members.values()) {
    if (m.id === state.id) continue;
    const status = detect(m, state.tick, state.tuning);
    if (status !== m.status) {
      state.members.set(m.id, { ...m, status });
      fx.trace(state, 'member', () => `${m.id} is ${status}`);
    }
  }
  // Gossip goes to live members (alive or suspect); one round in four also tries one dead member, so a
  // healed partition or a returning node is found again without dead members soaking up the fanout.
  const others = [...state.members.values()].filter((m) => m.id !== state.id && !gone(m.status));
  const live = others.filter((m) => m.status !== 'dead').map((m) => m.id);
  const dead = others.filter((m) => m.status === 'dead').map((m) => m.id);
  // With no live member known, the seeds are asked: a newcomer, or a node whose only contact died (sim
  // seed 1240: j1 joined through n5 alone, n5 died for good, and nobody else had heard of j1).
  const pool = live.length > 0 ? live : state.seeds.filter((s) => s !== state.id);
  const targets = state.rng.shuffle(pool).slice(0, state.tuning.gossipFanout);
  if (dead.length > 0 && (live.length === 0 || state.rng.int(4) === 0)) targets.push(state.rng.pick(dead));
  for (const to of targets) fx.send(state, to, gossipMessage(state, !state.ready || others.length === 0));
}

/** Merges a peer's gossip; answers it when asked; refutes suspicion of this node; adopts a newer config. */
export function onGossip(state: NodeState, from: NodeId, msg: MessageOf<'gossip'>): void {
  if (newerConfig({ version: msg.configVersion, by: msg.configBy }, { version: state.configVersion, by: state.configBy })) {
    const { n, r, w, partitions, removeAfterSeconds } = msg.config;
    if (msg.configVersion - state.configVersion > limits.configVersionJumpMax || msg.configVersion > counterMax) {
      fx.dropped(state, () => `gossip from ${from}: config version jumps from ${state.configVersion} to ${msg.configVersion} (at most ${limits.configVersionJumpMax})`);
    } else if (!repartition.validCount(partitions) || n < 1 || n > limits.membersMax || r < 1 || r > n || w < 1 || w > n || (removeAfterSeconds ?? 0) > removeAfterSecondsMax) {
      fx.dropped(state, () => `gossip from ${from} with a config this node refuses: n=${n} r=${r} w=${w} partitions=${partitions}`);
    } else {
      adoptConfig(state, msg.config, msg.configVersion, msg.configBy);
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
    const merged = mergeMember(local, remote, state.tick);
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
    refreshRing(state);
    persistMembership(state);
  }
  // A sender this node still sees as not alive in the life it gossips from (dead after its goodbye and a
  // quick reload, or left, or removed) learns it from the answer, so it refutes at once or, gone, decides
  // what to do (life.ts); otherwise it would wait for a gossip that rarely comes to a dead member.
  const sender = msg.members.find((m) => m.id === from);
  const view = state.members.get(from);
  // A sender that already says it is gone, or says what this node sees, learns nothing from an answer.
  const senderStale = sender !== undefined && view !== undefined && sender.life === view.life && sender.epoch === view.epoch && view.status !== 'alive'
    && sender.status !== view.status && !gone(sender.status);
  // A sender that is behind about ITSELF (restarted from an old disk image after it left, say) hears
  // nobody otherwise: nobody gossips to a member that left, and its own view ignores what it never asks.
  // An answer is itself answered only when it asks: two nodes that each see the other as stale (both left,
  // say) would otherwise answer each other's answers for ever, one more endless chain per duplicated
  // message (the gossip storm of test/unit/gossip-storm.test.ts). The sender's next round is answered.
  if (msg.wantReply || (msg.answer !== true && (senderStale || behindSender))) fx.send(state, from, { ...gossipMessage(state, false), answer: true });
}

/**
 * True when this node's entry for a member is a later state (in mergeMember's order) than what the member
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
  const me = selfView(state);
  if (remote.life > state.life || (remote.life === state.life && remote.epoch !== state.epoch)) {
    // Another life of this node id is known to the cluster: this life must order after it.
    // A node that knows no life of its own yet (empty storage) cannot tell a jump: it takes what it hears.
    if (!state.epochProvisional && remote.life - state.life > lifeJumpMax) {
      fx.dropped(state, () => `gossip names life ${remote.life} of ${state.id}, more than ${lifeJumpMax} past ${state.life}`);
      return;
    }
    const epoch = state.epochPolicy === 'max-plus-one' ? Math.max(remote.epoch, state.epoch) + 1 : state.epoch;
    startLife(state, remote.life + 1, epoch, `life ${remote.life} (epoch ${remote.epoch}) of ${state.id} was known`);
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
  if (remote.life === state.life && remote.status !== 'alive' && !gone(remote.status) && remote.incarnation >= me.incarnation) {
    if (remote.incarnation - me.incarnation > limits.incarnationJumpMax) {
      fx.dropped(state, () => `gossip says ${state.id} is ${remote.status} at incarnation ${remote.incarnation}, more than ${limits.incarnationJumpMax} past ${me.incarnation}`);
      return;
    }
    state.members.set(state.id, { ...me, incarnation: remote.incarnation + 1, status: 'alive' });
    fx.trace(state, 'member', () => `refuted being ${remote.status}: incarnation ${remote.incarnation + 1}`);
  }
}

/**
 * This node starts life `life` with `epoch` (a new epoch only when it dropped data or, under the broken
 * control, by max + 1): persisted with the membership view in the same step, before any dot of it leaves.
 */
export function startLife(state: NodeState, life: number, epoch: number, why: string): void {
  const me = selfView(state);
  state.life = life;
  state.epoch = epoch;
  // A node that left stays out in its new life: it only learned its life number after it had left (a
  // wiped node leaving before gossip answered), and 'alive' would put it back in every ring, holding nothing.
  state.members.set(state.id, { ...me, epoch, life, incarnation: 0, status: state.left ? 'left' : 'alive' });
  fx.persist(state, { kind: 'epoch', epoch });
  persistMembership(state);
  fx.trace(state, 'member', () => `life ${life} at epoch ${epoch}: ${why}`);
}

/** A fresh 48-bit epoch from the node's injected generator (never 0). */
export function randomEpoch(state: Pick<NodeState, 'rng'>): number {
  return 1 + ((state.rng.int(2 ** 16) * 2 ** 32 + state.rng.int(2 ** 32)) % (2 ** 48 - 1));
}

export function adoptConfig(state: NodeState, config: ClusterConfig, version: number, by: NodeId): void {
  // Only the cluster settings: a StoredConfig's version and author live in configVersion/configBy.
  state.config = { n: config.n, r: config.r, w: config.w, partitions: config.partitions, removeAfterSeconds: config.removeAfterSeconds ?? defaultRemoveAfterSeconds };
  state.configVersion = version;
  state.configBy = by;
  fx.trace(state, 'member', () => `config n=${config.n} r=${config.r} w=${config.w} partitions=${config.partitions} removeAfterSeconds=${config.removeAfterSeconds ?? defaultRemoveAfterSeconds} (version ${version} by ${by})`);
  // A new Q re-cuts the index and the ring; data then moves by anti-entropy (repartition.ts).
  repartition.apply(state, config.partitions);
  refreshRing(state);
  persistMembership(state);
}

export function persistMembership(state: NodeState): void {
  fx.persist(state, { kind: 'membership', members: [...state.members.values()], config: { ...state.config, version: state.configVersion, by: state.configBy } });
}

/** The preference list of a partition under the current ring: the N owners, then the fallbacks in order. */
export function preferenceList(state: NodeState, partition: number): { replicas: readonly NodeId[]; fallbacks: readonly NodeId[] } {
  return ring.preferenceList(state.ring, partition, Math.min(state.config.n, state.ring.members.length));
}
