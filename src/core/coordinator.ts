/**
 * The request paths (Dynamo sections 4.5-4.6): any node accepts any request. A write is coordinated by a
 * node of the key's preference list (forwarded there otherwise): it derives the new clock from the client's
 * context, stores the version, sends it to the other N-1 replicas, and acknowledges after W durable copies,
 * itself included. Unreachable replicas are replaced by the next healthy fallbacks, which keep a hint
 * (sloppy quorum). A read asks the N replicas, answers after R, and repairs the stale ones (read.ts).
 *
 * The new version (dvv.ts): dot = (this node's actor, one past the largest counter of that actor in the
 * key's local versions and in the context), past = the context. The local siblings the context does not
 * cover stay siblings; those it covers are replaced. The `store` to the other replicas carries the key's
 * WHOLE local sibling set after the write (loaded from storage first when there are other siblings), so
 * every replica keeps dvv.ts's invariant; W counts acks naming the new version's digest.
 *
 * The context a put returns covers the new version only when its past already covered every earlier dot
 * of this actor (past[actor] = counter - 1): otherwise a sibling with a lower dot of this actor exists that
 * the client never saw, and a VV cannot say "saw k but not k - 1", so the returned context is the past.
 */
import * as fx from './effects.js';
import * as forwardAnswers from './forward-answers.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { ClientResult } from './node-io.js';
import type { NodeState, Origin, WriteOp } from './node-state.js';
import * as quorum from './quorum.js';
import * as storeIndex from './store-index.js';
import * as clientContext from './client-context.js';
import * as dvv from './dvv.js';
import * as replica from './replica.js';
import * as requestRules from './request-rules.js';
import * as siblings from './siblings.js';
import type { NodeId, Value, Version, VV } from './types.js';
import * as version from './version.js';
import { clockText, describe, dotText } from './trace-text.js';

function answer(state: NodeState, origin: Origin, result: ClientResult): void {
  if (origin.kind === 'client' && origin.triedElsewhere === true && !result.ok) fx.reply(state, origin.requestId, { ...result, indeterminate: true });
  else if (origin.kind === 'client') fx.reply(state, origin.requestId, result);
  else forwardAnswers.answer(state, origin, result);
}

/** The new version of a write from `context` (see the module comment); past pruned to limits.clockEntriesMax. */
export function newVersion(state: NodeState, key: string, context: VV, value: Value, opId?: string): Version {
  const dot = dvv.nextDot(dvv.actor(state.id, state.epoch), storeIndex.get(state.index, key), context);
  const timestamp = Math.max(0, state.tick + (state.conflictMode === 'lww' ? state.clockSkewTicks : 0));
  return version.make({ dot, past: dvv.prune(context, limits.clockEntriesMax), value, timestamp, op: opId });
}

/** The context a put returns: the new version's clock when that is exact, else its past (module comment). */
export function contextAfterWrite(v: Version): VV {
  const exact = dvv.get(v.past, v.dot.actor) === v.dot.counter - 1 ? dvv.clockOf(v) : v.past;
  // A forwarded write's own marker: a twin of it that the client's next put does not cover stays hidden (dvv.markerOf).
  return v.op === undefined ? exact : dvv.join(exact, [dvv.markerOf(v.op)]);
}

/** Coordinates a write here whatever the preference list says (also a forward's last resort: forward.ts). */
export function coordinateHere(state: NodeState, origin: Origin, request: requestRules.WriteRequest, opId: string | undefined): void {
  if (state.needsRebuild) {
    answer(state, origin, { ok: false, indeterminate: false, error: `${state.id} lost a storage write and coordinates no write until it reloads from storage; retry (another replica can coordinate)` });
    return;
  }
  const context = clientContext.fromOptionalContext(request.context);
  // A context counter far past any this node holds would make the write's dot, or the next one, unencodable.
  const jump = context.ok ? replica.counterJump(state, request.key, context.vv, null) : undefined;
  if (!context.ok || jump !== undefined) {
    answer(state, origin, { ok: false, error: `bad context: ${context.ok ? jump : context.reason}`, indeterminate: false });
    return;
  }
  if (state.writes.size >= limits.pendingRequestsMax) {
    answer(state, origin, { ok: false, indeterminate: false, error: `too many writes in flight at ${state.id} (${limits.pendingRequestsMax})` });
    return;
  }
  const value = request.op === 'put' ? request.value : version.tombstone();
  const local = storeIndex.get(state.index, request.key);
  if (opId !== undefined && local.some((m) => m.op !== opId && dvv.sawOp(m.past, opId))) {
    // A retry of a write that took effect and was since replaced by one that saw it: done, nothing to add.
    fx.trace(state, 'put', () => `${request.op} ${request.key} (op ${opId}) was already replaced by a later write: acknowledged, no new dot`);
    answer(state, origin, { ok: true, op: request.op, context: clientContext.toContext(dvv.join(context.vv, [dvv.markerOf(opId)])), warnings: [] });
    return;
  }
  const twin = opId === undefined ? undefined : local.find((m) => m.op === opId);
  if (twin !== undefined) {
    // A failover's retry of a write this node already holds (it coordinated it, or a store of the first
    // coordinator reached it): no new dot, the held version is replicated again and W counted for it.
    const op = start(state, origin, request, { ...twin, value: { kind: twin.kind, bytes: new Uint8Array(0) } }, []);
    op.heldTwin = true;
    fx.trace(state, 'put', () => `${request.op} ${request.key} (op ${opId}) already held as ${dotText(twin)}: replicating it again, no new dot`);
    loadThenDispatch(state, op);
    return;
  }
  const v = newVersion(state, request.key, context.vv, value, opId);
  if (state.conflictMode !== 'lww' && !local.some((m) => siblings.obsoletes(v, m, state.conflictMode === 'plain-vv' ? 'plain-vv' : 'dvv'))) {
    const bytes = local.reduce((sum, m) => sum + siblings.sizeOf(m), siblings.sizeOf(version.meta(v)));
    const problem = siblings.growthProblem(request.key, local.length, bytes);
    if (problem !== undefined) {
      answer(state, origin, { ok: false, indeterminate: false, error: problem });
      return;
    }
  }
  const applied = storeIndex.apply(state.index, state.conflictMode, request.key, [v], Number.POSITIVE_INFINITY);
  if (applied.outcome === 'overflow') throw new Error(`coordinator: unbounded apply overflowed on ${request.key}`);
  state.counters.dotClashes += applied.clashes;
  for (const record of applied.records) fx.persist(state, record);
  const op = start(state, origin, request, v, applied.versions.length >= limits.siblingsWarn ? [`${request.key} has ${applied.versions.length} siblings: read it and write back with its context to merge them`] : []);
  fx.trace(state, 'put', () => `coordinate ${request.op} ${request.key} = ${describe(v.value)} dot ${dotText(v)} past ${clockText(v.past)} (w=${op.w})`);
  if (applied.versions.every((m) => m.digest === v.digest)) {
    dispatch(state, op, [v]);
    return;
  }
  // Other siblings stay: their values are in storage, and the whole set travels (dvv.ts invariant).
  loadThenDispatch(state, op);
}

/** Registers a write in progress, its own copy counted (persisted in this step, or held already). */
function start(state: NodeState, origin: Origin, request: requestRules.WriteRequest, v: Version, extraWarnings: readonly string[]): WriteOp {
  const n = requestRules.replicaCount(state);
  const w = request.w ?? Math.min(state.config.w, n);
  const warnings = [...requestRules.quorumWarnings(state, Math.min(state.config.r, n), w), ...extraWarnings];
  const op: WriteOp = {
    kind: 'write', opId: fx.nextId(state), origin, op: request.op, key: request.key, version: v, versions: undefined, w, n, startTick: state.tick, createdStep: state.steps,
    sentStep: undefined, sentTo: new Map(), acked: new Set([state.id]), replaced: new Set(), timedOut: new Set(), warnings, replied: false,
  };
  state.writes.set(op.opId, op);
  return op;
}

function loadThenDispatch(state: NodeState, op: WriteOp): void {
  const loadId = fx.nextId(state);
  state.loads.set(loadId, { key: op.key, hintFor: undefined, purpose: { kind: 'write', opId: op.opId } });
  state.out.push({ type: 'load', loadId, key: op.key });
}

/** The key's versions, loaded for a write whose set has other siblings (or a retry's held twin): now the stores go out. */
export function onLoaded(state: NodeState, opId: number, loaded: readonly Version[]): void {
  const op = state.writes.get(opId);
  if (op === undefined || op.versions !== undefined) return;
  const own = loaded.find((x) => x.digest === op.version.digest);
  if (own === undefined && op.heldTwin === true) {
    // A retry's twin, replaced by a later write between the lookup and the load: the client write took
    // effect and was since overwritten by one that saw it, so it is acknowledged as done.
    state.writes.delete(opId);
    answer(state, op.origin, { ok: true, op: op.op, context: clientContext.toContext(contextAfterWrite(op.version)), warnings: op.warnings });
    return;
  }
  op.version = own ?? op.version;
  dispatch(state, op, [op.version, ...loaded.filter((x) => x.digest !== op.version.digest)]);
}

/** Sends the write's sibling set to the key's other replicas (or fallbacks), lowest dots first. */
function dispatch(state: NodeState, op: WriteOp, versions: readonly Version[]): void {
  op.versions = [...versions].sort((a, b) => a.dot.counter - b.dot.counter || (a.digest < b.digest ? -1 : 1));
  op.sentStep = state.steps;
  const { replicas } = membership.preferenceList(state, storeIndex.partitionOf(state.index, op.key));
  for (const owner of replicas) {
    if (owner === state.id) continue;
    if (membership.healthy(state, owner)) sendStore(state, op, owner, owner);
    else toFallback(state, op, owner, 'is not healthy');
  }
  settle(state, op);
}

function sendStore(state: NodeState, op: WriteOp, to: NodeId, owner: NodeId): void {
  op.sentTo.set(to, { owner, sentTick: state.tick });
  fx.sendStore(state, to, op.opId, op.key, op.versions ?? [op.version], to === owner ? null : owner);
}

/** Sends the write to the next healthy fallback in place of `owner`, which keeps it as a hint. */
function toFallback(state: NodeState, op: WriteOp, owner: NodeId, why: string): void {
  const { fallbacks } = membership.preferenceList(state, storeIndex.partitionOf(state.index, op.key));
  const to = fallbacks.find((f) => f !== state.id && !op.sentTo.has(f) && membership.healthy(state, f));
  if (to === undefined) {
    fx.trace(state, 'hint', () => `no healthy fallback for ${owner} on ${op.key}`);
    return;
  }
  op.replaced.add(owner);
  fx.trace(state, 'hint', () => `${op.key}: ${owner} ${why}, ${to} keeps a hint`);
  sendStore(state, op, to, owner);
}

/** Answers the client once W copies are durable; forgets the write once every target answered. */
function settle(state: NodeState, op: WriteOp): void {
  if (!op.replied && quorum.decide(op.acked.size, op.w, state.tick - op.startTick, state.tuning.requestTimeoutTicks) === 'won'
    && !peerCopyNeeded(state, op)) {
    op.replied = true;
    state.counters.writesAcked++;
    fx.trace(state, 'ack', () => `${op.op} ${op.key} acknowledged by ${[...op.acked].sort().join(', ')}`);
    answer(state, op.origin, { ok: true, op: op.op, context: clientContext.toContext(state.conflictMode === 'dvv' ? contextAfterWrite(op.version) : dvv.clockOf(op.version)), warnings: op.warnings });
  }
  if (op.replied && op.acked.size >= op.n) state.writes.delete(op.opId);
}

/** The always-on rule (quorum.peerCopyNeeded): W is not enough while a peer this write went to may still answer. */
function peerCopyNeeded(state: NodeState, op: WriteOp): boolean {
  const awaiting = [...op.sentTo.keys()].filter((to) => !op.acked.has(to) && !op.timedOut.has(to));
  return quorum.peerCopyNeeded((id) => state.members.get(id)?.zone === 'peer', op.acked, awaiting);
}

export function onStoreAck(state: NodeState, from: NodeId, msg: { opId: number; key: string; digests: readonly string[]; ok: boolean; error: string }): boolean {
  const op = state.writes.get(msg.opId);
  if (op === undefined || op.key !== msg.key || !op.sentTo.has(from)) return false;
  if (msg.ok) {
    // A set split over several messages is acknowledged per message: W counts the one naming the new version.
    if (msg.digests.includes(op.version.digest)) op.acked.add(from);
    settle(state, op);
    return true;
  }
  fx.trace(state, 'put', () => `${from} refused ${op.key}: ${msg.error}`);
  const target = op.sentTo.get(from);
  if (target !== undefined && !op.timedOut.has(from)) {
    op.timedOut.add(from);
    toFallback(state, op, target.owner, `refused (${msg.error})`);
    settle(state, op); // a refusing peer no longer holds the write back (peerCopyNeeded)
  }
  return true;
}

/** Timeouts: a silent target is replaced by a fallback once; a write undecided past requestTimeoutTicks fails. */
export function tickWrites(state: NodeState): void {
  for (const op of [...state.writes.values()]) {
    for (const [to, target] of op.sentTo) {
      if (op.acked.has(to) || op.timedOut.has(to) || state.tick - target.sentTick < state.tuning.replicaTimeoutTicks) continue;
      op.timedOut.add(to);
      toFallback(state, op, target.owner, `did not acknowledge within ${state.tuning.replicaTimeoutTicks} ticks`);
      settle(state, op); // a silent peer no longer holds the write back (peerCopyNeeded)
    }
    if (!state.writes.has(op.opId)) continue;
    if (state.tick - op.startTick < state.tuning.requestTimeoutTicks) continue;
    if (!op.replied) answer(state, op.origin, quorum.writeLost(op.acked.size, op.w));
    state.writes.delete(op.opId);
  }
}

/**
 * The runtime could not persist the records of step `failedStep` (named by a `storage-failed` input,
 * possibly several steps later). A write begun in that step fails: the coordinator's own copy (its dot) is
 * not durable, so it is not re-sent. Its stores may already be on the wire whatever step sent them (the
 * runtime sends `store` before the batch commits: commit-batch.ts `pipelined`), so once any left the failure
 * is indeterminate: other replicas may hold the write. The rebuilt node takes a new epoch (node-start.ts), so
 * it never reissues those dots. node.ts marks the node as needing a reload meanwhile.
 */
export function onStorageFailed(state: NodeState, failedStep: number): void {
  for (const op of [...state.writes.values()]) {
    if (op.createdStep !== failedStep) continue;
    state.writes.delete(op.opId);
    if (op.replied) continue;
    const left = op.sentStep !== undefined;
    answer(state, op.origin, { ok: false, indeterminate: left, error: `storage failed at ${state.id}: the write was not persisted${left ? ' (copies may have reached other replicas)' : ''}` });
  }
}
