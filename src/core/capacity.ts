/**
 * A node's capacity weight (its share of the ring's partitions), changed from its own page or peer.
 * Split from membership.ts, whose gossip carries the result.
 */
import * as fx from './effects.js';
import { capacityMax, persistMembership, refreshRing, selfView } from './membership.js';
import type { NodeState } from './node-state.js';

/**
 * Changes this node's capacity weight: the incarnation goes up so every peer's merge takes the new view
 * (at equal incarnation a peer would keep the old capacity), the ring is rebuilt here at once and on every
 * other node as gossip arrives. Returns why it was refused, or undefined.
 */
export function set(state: NodeState, capacity: number): string | undefined {
  if (!(Number.isFinite(capacity) && capacity > 0 && capacity <= capacityMax)) return `capacity must be a number in (0, ${capacityMax}], got ${capacity}`;
  if (state.left || state.leave !== undefined) return `${state.id} is leaving the ring: its capacity no longer matters`;
  const me = selfView(state);
  if (me.capacity === capacity) return undefined;
  state.capacity = capacity;
  state.members.set(state.id, { ...me, capacity, incarnation: me.incarnation + 1 });
  fx.trace(state, 'member', () => `capacity ${me.capacity} -> ${capacity} (incarnation ${me.incarnation + 1})`);
  refreshRing(state);
  persistMembership(state);
  return undefined;
}

