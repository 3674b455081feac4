/**
 * Membership: each node's view of the members of its room, the rules for merging views, and the ring built
 * from them (Dynamo section 4.8; SWIM's suspicion and refutation; memberlist's habits). gossip.ts spreads
 * and merges views; this module holds what the view is and how two entries for one member are ordered.
 *
 * Each member is gossiped as (id, host, capacity, epoch, life, incarnation, heartbeat, status). Lives: `epoch`
 * is random per life and only names the clock actor (dvv.ts); `life` is a monotonic counter that ORDERS a
 * node id's lives. A node that starts with empty storage does not know its old life: it waits for gossip,
 * and on hearing a life of its own id that is not this one, it takes that life + 1 (and keeps its random
 * epoch; the 'max-plus-one' control takes that epoch + 1, the KV679 bug). A gossiped life may jump at most
 * lifeJumpMax past the one known (larger is refused), so one bad message cannot exhaust the counter. Merge
 * rule, per member: a higher life wins; at equal life two different epochs (two lives that took one number
 * before either heard of the other) are ordered by epoch; 'left' and 'removed' are final within a life; a
 * higher incarnation wins; at equal incarnation the worse status wins (dead > suspect > alive) and the
 * heartbeat is the larger. A member whose heartbeat has not advanced for suspectTimeoutTicks is suspect,
 * for deadTimeoutTicks dead. A node that hears itself suspected or dead refutes it by raising its
 * incarnation (gossip.ts).
 *
 * The ring is built over every member that has not LEFT (or been removed): dead members stay in the ring,
 * as in Dynamo, where a failure is temporary until an explicit leave; requests skip them through the preference list's
 * fallbacks (sloppy quorum) and hints carry their writes back. Only join, leave and removal (removal.ts:
 * a member dead for removeAfterSeconds, or kv.remove; 'removed' is final within a life like 'left') move
 * partitions.
 */
import type { Tuning } from './config.js';
import * as fx from './effects.js';
import { limits } from './limits.js';
import type { MemberWire, MessageOf } from './messages.js';
import type { MemberView } from './node-io.js';
import type { NodeState } from './node-state.js';
import * as repartition from './repartition.js';
import * as ring from './ring.js';
import { defaultRemoveAfterSeconds, type ClusterConfig, type MemberStatus, type NodeId, type RingMember } from './types.js';

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

/**
 * True when the ring is over exactly the members not gone, with the hosts, capacities and zones they have now,
 * at the configured Q: O(S) look-ups, no sort and no string built. Most calls find it so (a status change
 * between alive, suspect and dead keeps a member in the ring).
 */
function ringCurrent(state: NodeState): boolean {
  const current = state.ring;
  if (current.partitions !== state.config.partitions) return false;
  let inRing = 0;
  for (const m of state.members.values()) if (!gone(m.status)) inRing++;
  if (inRing !== current.members.length) return false;
  for (const r of current.members) {
    const m = state.members.get(r.id);
    if (m === undefined || gone(m.status) || m.host !== r.host || m.capacity !== r.capacity || (m.zone === 'peer') !== (r.zone === 'peer')) return false;
  }
  return true;
}

/** Rebuilds the ring, from the previous one (ring.rebuild), when the set of members in it (everyone not left or removed) changed. */
export function refreshRing(state: NodeState): void {
  if (ringCurrent(state)) return;
  const inRing: RingMember[] = [];
  for (const m of state.members.values()) if (!gone(m.status)) inRing.push({ id: m.id, host: m.host, capacity: m.capacity, ...(m.zone === 'peer' ? { zone: m.zone } : {}) });
  state.ring = ring.rebuild(state.ring, inRing, state.config.partitions);
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

/** This node's ring without one member, kept for the last member asked and the current ring (a leaver's stores, a removal preview). */
export function ringWithout(state: NodeState, id: NodeId): ring.Ring {
  const cached = state.ringWithout;
  if (cached !== undefined && cached.id === id && cached.of === state.ring) return cached.ring;
  const members = state.ring.members.filter((m) => m.id !== id);
  const built = ring.rebuild(state.ring, members, state.config.partitions);
  state.ringWithout = { id, of: state.ring, ring: built };
  return built;
}
