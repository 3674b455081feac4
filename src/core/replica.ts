/**
 * The replica side: storing versions sent by coordinators, read repair, handoff and anti-entropy (as the
 * key's replica or, with `hintFor`, as a fallback keeping a hint), and answering reads from storage.
 * An ack is sent in the same step as the records it confirms, so the runtime sends it only once they are
 * durable (node-io.ts). It names every incoming digest now held or covered; a refusal names none.
 */
import * as fx from './effects.js';
import * as life from './life.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { MessageOf } from './messages.js';
import type { NodeState } from './node-state.js';
import * as read from './read.js';
import * as ring from './ring.js';
import * as siblings from './siblings.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version, VvEntry } from './types.js';
import * as version from './version.js';

/**
 * Why this node refuses a peer's `store` for where the key lies, or undefined (issue 11: hints only for
 * their real owners). A hint must name a member this node knows in the ring, and that member, the sender
 * or this node must replicate the key under this node's ring, or this node be among the next N in line, or
 * the owner replicate it in the ring without the sender (a leaving owner hands over by its future ring):
 * rings and N differ between nodes while a change spreads. A plain copy (read repair, anti-entropy's
 * handover, a hint handed back) follows the same rule with the sender in the hint's place: a modified tab
 * cannot park copies of keys on nodes that do not replicate them (issue 11: 56 MiB accepted from one peer,
 * then spread by anti-entropy). A hint holder whose owner no longer replicates the key hands it to the
 * key's current replicas instead (handoff.ts `destination`), or the refusal would keep it for ever.
 */
export function placementProblem(state: NodeState, from: NodeId, msg: MessageOf<'store'>): string | undefined {
  const hint = msg.hintFor !== null && msg.hintFor !== state.id ? msg.hintFor : undefined;
  if (hint !== undefined) {
    const owner = state.members.get(hint);
    if (owner === undefined || membership.gone(owner.status)) return `a hint for ${hint}, not a member in the ring here`;
  }
  const partition = storeIndex.partitionOf(state.index, msg.key);
  const { replicas, fallbacks } = membership.preferenceList(state, partition);
  // A replica's hint to a fallback names the replica itself as sender; a plain copy must be for this node.
  if (replicas.includes(state.id) || (hint !== undefined && (replicas.includes(from) || replicas.includes(hint)))) return undefined;
  // The next N in line too: while a membership change or a configure spreads, rings and N differ between
  // nodes, and a leaving owner's keys go to the owners of ITS future ring; all of them land within the next
  // N fallbacks in the simulated runs, and a node outside them is refused.
  if (fallbacks.slice(0, state.config.n).includes(state.id)) return undefined;
  // A leaving sender hands over every key it holds (also those it only held) to the owners of the ring
  // without it, and when one refuses, to the next in that ring: this node takes the copy if it is among
  // the first 2N there. The sender's leave may not have reached this node yet, so this holds for any sender
  // (a modified tab can then place a copy on the 2N nodes nearest the key, no further).
  const n = Math.min(state.config.n, Math.max(1, state.ring.members.length - 1));
  const without = membership.ringWithout(state, from);
  const near = without.members.length > 0 ? ring.preferenceList(without, partition, n) : { replicas: [], fallbacks: [] };
  if ([...near.replicas, ...near.fallbacks.slice(0, n)].includes(hint ?? state.id)) return undefined;
  return hint !== undefined
    ? `neither ${state.id}, ${from} nor ${hint} replicates ${msg.key} here, with or without ${from}`
    : `${state.id} does not replicate ${msg.key} here, with or without ${from}`;
}

export function onStore(state: NodeState, from: NodeId, msg: MessageOf<'store'>): void {
  const ack = (ok: boolean, error: string): void => {
    if (msg.opId !== 0) fx.send(state, from, { type: 'store-ack', opId: msg.opId, key: msg.key, digests: ok ? msg.versions.map((v) => v.digest) : [], ok, error });
  };
  const bad = msg.versions.find((v) => !version.verify(v));
  if (bad !== undefined) {
    fx.dropped(state, () => `store of ${msg.key} from ${from}: version ${bad.digest} fails its integrity check`);
    ack(false, 'version fails its integrity check');
    return;
  }
  if (state.leave !== undefined || state.left) {
    ack(false, `${state.id} is leaving`);
    return;
  }
  if (msg.hintFor !== null && msg.hintFor !== state.id) {
    const r = storeIndex.addHint(state.index, state.conflictMode, msg.hintFor, msg.key, msg.versions, siblings.siblingsHardMax);
    if (!r.ok) {
      fx.trace(state, 'hint', () => `refused hint for ${msg.hintFor} on ${msg.key}: ${r.error}`);
      ack(false, r.error);
      return;
    }
    for (const record of r.records) fx.persist(state, record);
    if (r.records.length > 0) fx.trace(state, 'hint', () => `keep hint for ${msg.hintFor}: ${msg.key}`);
    ack(true, '');
    return;
  }
  const applied = storeIndex.apply(state.index, state.conflictMode, msg.key, msg.versions, siblings.siblingsHardMax);
  if (applied.outcome === 'overflow') {
    fx.trace(state, 'put', () => `refused ${msg.key} from ${from}: past the sibling ceiling`);
    ack(false, `too many siblings for ${msg.key}`);
    return;
  }
  for (const record of applied.records) fx.persist(state, record);
  state.counters.dotClashes += applied.clashes;
  if (applied.outcome === 'changed') fx.trace(state, 'replicate', () => `store ${msg.key} from ${from}: ${applied.versions.length} version(s)`);
  ack(true, '');
}

/**
 * Why clock entries for `key` (the dots and pasts of versions from a peer, or a client's context) carry a
 * counter this node refuses, or undefined: an entry more than limits.counterJumpMax past the largest counter of its actor held here for the key (in
 * its versions, and in the hints for `hintFor`). Believed, one forged counter near the ceiling would make
 * the key's next dot unencodable: no honest write could replace it, and anti-entropy could not repair it.
 */
export function counterJump(state: NodeState, key: string, incoming: readonly VvEntry[], hintFor: NodeId | null): string | undefined {
  const known = new Map<string, number>();
  const note = (actor: string, counter: number): void => {
    if (counter > (known.get(actor) ?? 0)) known.set(actor, counter);
  };
  const held = [...storeIndex.get(state.index, key), ...(hintFor === null ? [] : storeIndex.hintsFor(state.index, hintFor, key))];
  for (const v of held) {
    note(v.dot.actor, v.dot.counter);
    for (const e of v.past) note(e.actor, e.counter);
  }
  for (const e of incoming) {
    const base = known.get(e.actor) ?? 0;
    if (e.counter - base > limits.counterJumpMax) return `${e.actor}:${e.counter} jumps more than ${limits.counterJumpMax} past ${base}`;
  }
  return undefined;
}

export function onRead(state: NodeState, from: NodeId, msg: MessageOf<'read'>): void {
  read.gather(state, msg.key, from, msg.opId);
}

/**
 * Versions storage returned for a replica key: forgets those it could not return intact (anti-entropy
 * repairs them). Forgetting a version may forget a dot of this node's own actor, which it could then
 * issue again (dvv.ts): so the node starts a new life with a new epoch, the only other time (besides a
 * wipe) a node drops data it held.
 */
export function checkLoaded(state: NodeState, key: string, versions: readonly Version[], corrupt: number): void {
  // Only a reported corruption says something is missing: otherwise a difference is a write that landed
  // after the load was issued, and must not be forgotten.
  if (corrupt === 0) return;
  const records = storeIndex.forgetMissing(state.index, key, versions);
  state.counters.storageErrors += corrupt;
  fx.trace(state, 'error', () => `${key}: ${records.length} version(s) missing or corrupt in storage, left for repair`);
  for (const record of records) fx.persist(state, record);
  if (records.length === 0) return;
  membership.startLife(state, state.life + 1, life.nextEpoch(state), `forgot ${records.length} corrupt version(s) of ${key}`);
}
