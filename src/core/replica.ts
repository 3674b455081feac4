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
import * as siblings from './siblings.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version, VvEntry } from './types.js';
import * as version from './version.js';

/**
 * Why this node refuses a peer's `store` for where the key lies, or undefined (issue 11: a node keeps only
 * what it replicates, and hints for real owners). Under this node's ring: a hint must name one of the
 * key's N owners; a copy is for one of the N owners, or for one of the next N nodes when an owner sends it
 * (a leave or a removal hands a partition down the preference list, whose end this node may not know yet).
 * Before this, a peer could park any key on any node (56 MiB from one peer), and anti-entropy spread it.
 */
export function placementProblem(state: NodeState, from: NodeId, msg: MessageOf<'store'>): string | undefined {
  const { replicas, fallbacks } = membership.preferenceList(state, storeIndex.partitionOf(state.index, msg.key));
  if (msg.hintFor !== null && msg.hintFor !== state.id) {
    return replicas.includes(msg.hintFor) ? undefined : `a hint for ${msg.hintFor}, which does not replicate ${msg.key} here`;
  }
  if (replicas.includes(state.id)) return undefined;
  if (replicas.includes(from) && fallbacks.slice(0, replicas.length).includes(state.id)) return undefined;
  return `${state.id} does not replicate ${msg.key}`;
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
