/**
 * Hinted handoff (Dynamo section 4.6): a fallback that keeps versions for an unreachable owner hands them
 * back once the owner is healthy again, and drops its copy only when the owner acknowledges them durable.
 * If the owner has left the ring, or no longer replicates the key in this node's ring (a configure lowered
 * N, a join took its place), the hint goes to the key's current first healthy replica instead: the owner
 * refuses a copy of a key it does not replicate (replica.placementProblem), so asking it again would
 * keep the hint for ever.
 * Work per round is bounded (handoffKeysPerRound); a handoff without an answer is retried after a timeout.
 */
import * as fx from './effects.js';
import * as membership from './membership.js';
import type { NodeState } from './node-state.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version } from './types.js';

/** Where a hint for `owner` on `key` goes now, or undefined when nobody suitable is reachable. */
function destination(state: NodeState, owner: NodeId, key: string): NodeId | undefined {
  const { replicas } = membership.preferenceList(state, storeIndex.partitionOf(state.index, key));
  if (replicas.includes(owner)) return membership.healthy(state, owner) && owner !== state.id ? owner : undefined;
  return replicas.find((r) => r !== state.id && membership.healthy(state, r));
}

export function tick(state: NodeState): void {
  for (const [opId, h] of state.handoffs) if (state.tick - h.sentTick > state.tuning.requestTimeoutTicks) state.handoffs.delete(opId);
  if (state.tick - state.lastHandoffTick < state.tuning.handoffIntervalTicks || state.index.hintCount === 0) return;
  state.lastHandoffTick = state.tick;
  const busy = new Set([...state.handoffs.values()].map((h) => `${h.owner} ${h.key}`));
  for (const load of state.loads.values()) if (load.purpose.kind === 'handoff') busy.add(`${load.purpose.owner} ${load.key}`);
  let budget = state.tuning.handoffKeysPerRound;
  for (const [owner, byKey] of state.index.hints) {
    for (const key of byKey.keys()) {
      if (budget <= 0 || state.loads.size >= state.tuning.loadsInFlightMax) return;
      if (busy.has(`${owner} ${key}`) || destination(state, owner, key) === undefined) continue;
      budget--;
      const loadId = fx.nextId(state);
      state.loads.set(loadId, { key, hintFor: owner, purpose: { kind: 'handoff', owner } });
      state.out.push({ type: 'load', loadId, key, hintFor: owner });
    }
  }
}

export function onLoaded(state: NodeState, owner: NodeId, key: string, versions: readonly Version[]): void {
  const to = destination(state, owner, key);
  if (to === undefined || versions.length === 0) return;
  const opId = fx.nextId(state);
  state.handoffs.set(opId, { owner, to, key, sentTick: state.tick });
  fx.trace(state, 'handoff', () => `hand ${key} (${versions.length} version(s)) back to ${to}${to === owner ? '' : ` for ${owner}`}`);
  fx.sendStore(state, to, opId, key, versions);
}

/** The owner's answer: drop the hinted versions it confirmed. False when no handoff matches. */
export function onStoreAck(state: NodeState, from: NodeId, msg: { opId: number; key: string; digests: readonly string[]; ok: boolean; error: string }): boolean {
  const h = state.handoffs.get(msg.opId);
  if (h === undefined || h.to !== from || h.key !== msg.key) return false;
  state.handoffs.delete(msg.opId);
  if (!msg.ok) {
    fx.trace(state, 'handoff', () => `${from} refused ${msg.key}: ${msg.error}`);
    return true;
  }
  const records = storeIndex.dropHints(state.index, h.owner, msg.key, msg.digests);
  for (const record of records) fx.persist(state, record);
  state.counters.hintsHandedOff += records.length;
  if (records.length > 0) fx.trace(state, 'handoff', () => `${from} confirmed ${msg.key}: hint dropped`);
  return true;
}
