/**
 * Who may become a member (issue 11; DESIGN.md "Presence admits members; gossip carries status"). The
 * signaling server stamps presence: a node id is in the room's presence only while a socket holding its
 * secret is connected, so the host's presence list is the authority on who exists. Gossip may then carry
 * the status of members this node knows, and may not invent new ones: a modified tab gossiping 511 ghost
 * members (each claiming capacity) would otherwise take every partition and fill membersMax.
 *
 * A member unknown here is admitted when:
 *   - the host gave no presence (unit tests, step-hosted simulations: nothing to check against), or
 *   - the room's presence lists it, or
 *   - it speaks for itself (the transport names the sender: a data channel is only opened to a present id), or
 *   - a majority of the room's present nodes vouch for it (gossip from each names it; at least two). This
 *     is for members that are down now: a wiped or new node that never saw them must still learn them, or
 *     its ring would leave out members every other ring keeps (Dynamo keeps a failed member in the ring
 *     until it is removed). Every honest member gossips what it knows, so a real member reaches a majority
 *     within a few rounds; colluding tabs invent a member only if they are most of the room (then they hold
 *     most of its data anyway: a room of open tabs cannot tell one student's tabs from many students').
 * Absence from presence never removes a member that is known (a signaling restart must not empty the ring).
 */
import { limits } from './limits.js';
import type { MemberWire } from './messages.js';
import type { MemberView } from './node-io.js';
import type { NodeState } from './node-state.js';
import type { NodeId } from './types.js';

/** Most candidates (named by some peers, not yet by a majority) remembered at once; the oldest goes first. */
export const vouchersMax = 2 * limits.membersMax;

/** How many distinct present peers must name an absent member before it is admitted: a majority, at least 2. */
export function vouchesNeeded(state: NodeState): number {
  return Math.max(2, Math.floor((state.presence?.size ?? 0) / 2) + 1);
}

/** Takes the room's presence from the host (the ids the signaling server says are connected). */
export function setPresence(state: NodeState, peers: readonly NodeId[]): void {
  state.presence = new Set(peers.slice(0, limits.membersMax));
  for (const id of state.presence) state.vouchers.delete(id);
}

/** True when gossip from `from` may add the member `id`, unknown here (module comment). */
export function admits(state: NodeState, from: NodeId, id: NodeId): boolean {
  if (state.presence === undefined || state.presence.has(id) || id === from) return true;
  let vouchers = state.vouchers.get(id);
  if (vouchers === undefined) {
    // Bounded: a flood of ghosts pushes out the oldest candidates, which their next gossip names again.
    if (state.vouchers.size >= vouchersMax) {
      const oldest = state.vouchers.keys().next().value;
      if (oldest !== undefined) state.vouchers.delete(oldest);
    }
    vouchers = new Set();
    state.vouchers.set(id, vouchers);
  }
  // Only present peers count (the transport names the sender; presence may have changed since it spoke).
  if (state.presence.has(from)) vouchers.add(from);
  if (vouchers.size < vouchesNeeded(state)) return false;
  state.vouchers.delete(id);
  return true;
}

/**
 * Why a gossiped member entry is refused before any merge, or undefined: empty ids, a capacity out of
 * (0, capacityMax], a number over counterMax, or a jump past the one known (lifeJumpMax, and
 * incarnationJumpMax within one life and epoch: limits.ts). Refused entries are counted, never half-applied.
 */
export function memberProblem(remote: MemberWire, local: MemberView | undefined): string | undefined {
  if (remote.id === '' || remote.host === '') return 'empty id or host';
  if (!(remote.capacity > 0 && remote.capacity <= limits.capacityMax)) return `capacity ${remote.capacity} out of (0, ${limits.capacityMax}]`;
  if (remote.epoch > limits.counterMax || remote.life > limits.counterMax || remote.incarnation > limits.counterMax || remote.heartbeat > limits.counterMax) return `a number over ${limits.counterMax}`;
  if (local === undefined) return undefined;
  if (remote.life - local.life > limits.lifeJumpMax) return `life jumps from ${local.life} to ${remote.life}`;
  if (remote.life === local.life && remote.epoch === local.epoch && remote.incarnation - local.incarnation > limits.incarnationJumpMax) {
    return `incarnation jumps from ${local.incarnation} to ${remote.incarnation}`;
  }
  return undefined;
}
