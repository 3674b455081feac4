/**
 * The read path (Dynamo section 4.5): the node that receives a get coordinates it. It asks the key's N
 * replicas (itself through storage loads), each unhealthy one replaced by the next healthy fallback, which
 * answers with what it keeps as hints (sloppy quorum); it answers after R replies with the reconciled
 * siblings and one context covering them, then repairs every owner that answered without some version
 * (read repair) with the WHOLE merged set, so replicas keep dvv.ts's invariant.
 * Tombstones are not returned as values, but the context covers them, so a put after a delete replaces it.
 *
 * An inspecting read (the UI's per-key replica table) changes no data: it asks every healthy replica and the
 * first healthy fallbacks (hinted holders answer from their hints), at most inspectTargetsMax nodes, waits
 * for all of them or the request timeout, repairs nothing, and answers with what each one holds.
 */
import * as clientContext from './client-context.js';
import * as dvv from './dvv.js';
import * as fx from './effects.js';
import * as membership from './membership.js';
import type { HolderView, ReadVersion } from './node-io.js';
import type { NodeState, ReadOp } from './node-state.js';
import * as quorum from './quorum.js';
import * as requestRules from './request-rules.js';
import * as siblings from './siblings.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Version } from './types.js';
import * as version from './version.js';

/**
 * Answers where `key` lives now: its partition, its preference list, and the stand-ins a read picks (below)
 * for the replicas that are not healthy. Read-only: no message, no record.
 */
export function locate(state: NodeState, requestId: number, key: string): void {
  const partition = storeIndex.partitionOf(state.index, key);
  const { replicas, fallbacks } = membership.preferenceList(state, partition);
  const standIns = readTargets(state, replicas, fallbacks).filter((t) => !replicas.includes(t));
  fx.reply(state, requestId, { ok: true, op: 'locate', partition, replicas, fallbacks: standIns });
}

/** Whom a read asks: each replica, or in place of one that is not healthy the next healthy fallback not yet chosen (the replica itself when none is left). */
function readTargets(state: NodeState, replicas: readonly NodeId[], fallbacks: readonly NodeId[]): NodeId[] {
  const targets: NodeId[] = [];
  for (const owner of replicas) {
    const stand = membership.healthy(state, owner) ? owner : fallbacks.find((f) => membership.healthy(state, f) && !targets.includes(f));
    targets.push(stand ?? owner);
  }
  return targets;
}

/** Most nodes an inspecting read asks: the N replicas and the first fallbacks, where hints go. */
export const inspectTargetsMax = 12;

export function start(state: NodeState, requestId: number, key: string, rOverride: number | undefined, inspect = false): void {
  const n = requestRules.replicaCount(state);
  const { replicas, fallbacks } = membership.preferenceList(state, storeIndex.partitionOf(state.index, key));
  const targets = inspect
    ? [...replicas, ...fallbacks].filter((id) => membership.healthy(state, id)).slice(0, inspectTargetsMax)
    : readTargets(state, replicas, fallbacks);
  const r = inspect ? targets.length : rOverride ?? Math.min(state.config.r, n);
  const op: ReadOp = {
    kind: 'read', opId: fx.nextId(state), requestId, key, r, owners: replicas, targets, replacedTargets: new Set(), startTick: state.tick,
    replies: new Map(), warnings: requestRules.quorumWarnings(state, r, Math.min(state.config.w, n)), replied: false, inspect,
  };
  state.reads.set(op.opId, op);
  for (const target of targets) {
    if (target === state.id) gather(state, key, undefined, op.opId);
    else fx.send(state, target, { type: 'read', opId: op.opId, key });
  }
}

/**
 * Reads what this node holds of a key from storage: its versions, and the versions it keeps as hints for
 * any owner (so a fallback answers a sloppy read with what it stands in for). Answers `peer`'s read, or
 * this node's own read when `peer` is undefined. Refused (no answer) past loadsInFlightMax.
 */
export function gather(state: NodeState, key: string, peer: NodeId | undefined, opId: number): void {
  const hintOwners = [...state.index.hints].filter(([, byKey]) => byKey.has(key)).map(([owner]) => owner);
  if (state.loads.size + 1 + hintOwners.length > state.tuning.loadsInFlightMax) {
    fx.dropped(state, () => `read of ${key}${peer ? ` from ${peer}` : ''}: ${state.loads.size} loads in flight`);
    return;
  }
  const gatherId = fx.nextId(state);
  state.gathers.set(gatherId, { key, remaining: 1 + hintOwners.length, versions: [], peer, opId });
  for (const hintFor of [undefined, ...hintOwners]) {
    const loadId = fx.nextId(state);
    state.loads.set(loadId, { key, hintFor, purpose: { kind: 'gather', gatherId } });
    state.out.push(hintFor === undefined ? { type: 'load', loadId, key } : { type: 'load', loadId, key, hintFor });
  }
}

/** One load of a gather completed; the last one sends the answer. */
export function onGathered(state: NodeState, gatherId: number, versions: readonly Version[]): void {
  const g = state.gathers.get(gatherId);
  if (g === undefined) return;
  const r = storeIndex.reconcileAll(state.conflictMode, g.versions, versions, Number.POSITIVE_INFINITY);
  if (r.ok) g.versions = r.versions;
  g.remaining--;
  if (g.remaining > 0) return;
  state.gathers.delete(gatherId);
  if (g.peer === undefined) {
    onReply(state, state.id, g.opId, g.key, g.versions);
    return;
  }
  state.counters.readsServed++;
  // A read reply is one message: if the siblings do not fit, it carries those that do, minus every one
  // whose clock covers a version left out (siblings.closed), so its context claims nothing it lacks.
  const groups = fx.fitVersions(g.versions);
  const sent = groups.length > 1 ? siblings.closed(groups[0] ?? [], groups.slice(1).flat()) : groups[0] ?? [];
  if (groups.length > 1) fx.trace(state, 'error', () => `read of ${g.key}: ${g.versions.length} versions do not fit one message; sent ${sent.length}`);
  fx.send(state, g.peer, { type: 'read-reply', opId: g.opId, key: g.key, versions: sent });
}

/** A replica's (or this node's own) answer. False when it matches no read in progress. */
export function onReply(state: NodeState, from: NodeId, opId: number, key: string, versions: readonly Version[]): boolean {
  const op = state.reads.get(opId);
  if (op === undefined || op.key !== key || !op.targets.includes(from) || op.replies.has(from)) return false;
  const intact = from === state.id ? versions : versions.filter((v) => version.verify(v));
  if (intact.length < versions.length) fx.dropped(state, () => `read-reply from ${from}: ${versions.length - intact.length} version(s) of ${key} fail their integrity check`);
  op.replies.set(from, intact);
  if (!op.replied && quorum.decide(op.replies.size, op.r, state.tick - op.startTick, state.tuning.requestTimeoutTicks) === 'won') answer(state, op);
  if (op.replies.size >= op.targets.length) finish(state, op);
  return true;
}

function merged(state: NodeState, op: ReadOp): readonly Version[] {
  let all: readonly Version[] = [];
  for (const versions of op.replies.values()) {
    const r = storeIndex.reconcileAll(state.conflictMode, all, versions, Number.POSITIVE_INFINITY);
    if (r.ok) all = r.versions;
  }
  return all;
}

function answer(state: NodeState, op: ReadOp): void {
  op.replied = true;
  state.counters.readsServed++;
  const all = merged(state, op);
  const versions: ReadVersion[] = siblings.visible(all).filter((twins) => siblings.live(twins).length > 0).map((twins) => {
    const v = twins[0] as Version;
    const digests = new Set(twins.map((x) => x.digest));
    return {
      value: v.value, clock: dvv.clockOf(v), dot: v.dot,
      replicas: [...op.replies].filter(([, vs]) => vs.some((x) => digests.has(x.digest))).map(([id]) => id).sort(),
    };
  });
  fx.trace(state, 'get', () => `${op.inspect ? 'inspect' : 'get'} ${op.key}: ${versions.length} version(s) from ${[...op.replies.keys()].sort().join(', ')}`);
  const holders = op.inspect ? { holders: holdersOf(op) } : {};
  fx.reply(state, op.requestId, { ok: true, op: 'get', versions, context: clientContext.toContext(siblings.contextOf(all)), warnings: op.warnings, ...holders });
}

/** Each answering node's versions, replicas first in preference order, then the other holders (non-empty only). */
function holdersOf(op: ReadOp): HolderView[] {
  const view = (node: NodeId, vs: readonly Version[]): HolderView => ({
    node, replica: op.owners.includes(node),
    versions: vs.map((v) => ({ value: v.value, clock: dvv.clockOf(v), dot: v.dot, replicas: [node] })),
  });
  const replicas = op.owners.filter((id) => op.replies.has(id)).map((id) => view(id, op.replies.get(id) ?? []));
  const others = op.targets.filter((id) => !op.owners.includes(id) && (op.replies.get(id)?.length ?? 0) > 0).map((id) => view(id, op.replies.get(id) ?? []));
  return [...replicas, ...others];
}

/** Read repair: every owner that answered without some version gets the whole merged set (dvv.ts invariant). */
function finish(state: NodeState, op: ReadOp): void {
  state.reads.delete(op.opId);
  if (op.inspect) {
    // An inspection changes nothing; it answers once every target replied (or here, at the timeout).
    if (!op.replied) answer(state, op);
    return;
  }
  const all = merged(state, op);
  for (const [replica, held] of op.replies) {
    // Fallbacks answered from their hints: hinted handoff, not read repair, brings those home.
    if (!op.owners.includes(replica)) continue;
    const have = new Set(held.map((v) => v.digest));
    const missing = all.filter((v) => !have.has(v.digest));
    if (missing.length === 0) continue;
    state.counters.repairs += missing.length;
    fx.trace(state, 'repair', () => `read repair: ${replica} gets ${missing.length} version(s) of ${op.key}`);
    if (replica === state.id) {
      const applied = storeIndex.apply(state.index, state.conflictMode, op.key, all, siblings.siblingsHardMax);
      if (applied.outcome !== 'overflow') for (const record of applied.records) fx.persist(state, record);
      if (applied.outcome !== 'overflow') state.counters.dotClashes += applied.clashes;
    } else {
      fx.sendStore(state, replica, 0, op.key, [...all].sort((a, b) => a.dot.counter - b.dot.counter));
    }
  }
}

export function tickReads(state: NodeState): void {
  for (const op of [...state.reads.values()]) {
    if (!op.replied && !op.inspect) replaceDeadTargets(state, op);
    if (state.tick - op.startTick < state.tuning.requestTimeoutTicks) continue;
    if (!op.replied && !op.inspect) {
      op.replied = true;
      fx.reply(state, op.requestId, quorum.readLost(op.replies.size, op.r));
    }
    finish(state, op);
  }
}

/**
 * A target that becomes unhealthy before answering (its tab closed mid-read) is replaced by the next
 * healthy fallback, as a write's silent replica is: a get fails only when fewer than R nodes can answer.
 * Reads change nothing, so asking one more node is always safe.
 */
function replaceDeadTargets(state: NodeState, op: ReadOp): void {
  for (const target of [...op.targets]) {
    if (op.replies.has(target) || op.replacedTargets.has(target) || membership.healthy(state, target)) continue;
    op.replacedTargets.add(target);
    const { fallbacks } = membership.preferenceList(state, storeIndex.partitionOf(state.index, op.key));
    const stand = [...op.owners, ...fallbacks].find((id) => !op.targets.includes(id) && membership.healthy(state, id));
    if (stand === undefined) continue;
    fx.trace(state, 'get', () => `get ${op.key}: ${target} became unreachable before answering; asking ${stand}`);
    op.targets.push(stand);
    if (stand === state.id) gather(state, op.key, undefined, op.opId);
    else fx.send(state, stand, { type: 'read', opId: op.opId, key: op.key });
  }
}
