/**
 * The request paths (Dynamo sections 4.5-4.6): any node accepts any request. A write is coordinated by a
 * node of the key's preference list (forwarded there otherwise): it derives the new clock from the client's
 * context, stores the version, sends it to the other N-1 replicas, and acknowledges after W durable copies,
 * itself included. Unreachable replicas are replaced by the next healthy fallbacks, which keep a hint
 * (sloppy quorum). A read asks the N replicas, answers after R, and repairs the stale ones (read.ts).
 *
 * The new version's clock (why not just "increment the own entry"): with plain vector clocks, two writes
 * coordinated by the same node from the same context would get equal clocks, or one would look like it
 * descends the other, and a write would be lost. So when the context has seen every event of this node's
 * actor for the key, the own entry is incremented (the common case, clocks stay small); otherwise the write
 * gets a fresh one-write actor `~<hash>@<epoch>`, the role a dot plays in dotted version vectors: the new
 * version then descends exactly what its context covered, and stays concurrent with the rest.
 */
import * as fx from './effects.js';
import * as forward from './forward.js';
import * as hash from './hash.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { ClientRequest, ClientResult, Context } from './node-io.js';
import type { NodeState, Origin, WriteOp } from './node-state.js';
import * as quorum from './quorum.js';
import * as storeIndex from './store-index.js';
import type { NodeId, Value, VClock } from './types.js';
import * as vclock from './vclock.js';
import * as version from './version.js';

export type WriteRequest = Extract<ClientRequest, { op: 'put' | 'delete' }>;

/** The first problem with a client request's key, value or quorum override, or undefined. */
export function invalid(state: NodeState, request: ClientRequest): string | undefined {
  const n = replicaCount(state);
  if ('key' in request) {
    const bytes = hash.utf8(request.key).length;
    if (bytes === 0 || bytes > limits.keyBytesMax) return `key must be 1 to ${limits.keyBytesMax} bytes of UTF-8, got ${bytes}`;
  }
  if (request.op === 'put' && request.value.bytes.length > limits.valueBytesMax) return `value of ${request.value.bytes.length} bytes exceeds ${limits.valueBytesMax}`;
  if (request.op === 'put' && request.value.kind === 'tombstone') return 'a put cannot store a tombstone: use delete';
  return quorum.invalid(request.op === 'get' ? request.r : request.op === 'put' || request.op === 'delete' ? request.w : undefined, n);
}

/** N as it applies now: the configured N, or fewer when the ring has fewer members. */
export function replicaCount(state: NodeState): number {
  return Math.max(1, Math.min(state.config.n, state.ring.members.length));
}

export function quorumWarnings(state: NodeState, r: number, w: number): string[] {
  return quorum.warnings(r, w, replicaCount(state));
}

function answer(state: NodeState, origin: Origin, result: ClientResult): void {
  if (origin.kind === 'client') fx.reply(state, origin.requestId, result);
  else forward.answer(state, origin, result);
}

/** Routes a write: coordinate it here when this node is one of the key's replicas, else forward it. */
export function write(state: NodeState, origin: Origin, request: WriteRequest): void {
  const partition = storeIndex.partitionOf(state.index, request.key);
  const { replicas } = membership.preferenceList(state, partition);
  const forwarded = origin.kind === 'peer';
  if (state.ready && !state.leave && (forwarded || replicas.includes(state.id))) {
    coordinate(state, origin, request);
    return;
  }
  const to = replicas.find((r) => r !== state.id && membership.healthy(state, r));
  if (to === undefined && state.ready && !state.leave) {
    // No owner is reachable: coordinate here anyway (Dynamo's "always writeable"). This node's copy is
    // data of a partition it does not replicate, which anti-entropy pushes to the owners; fallbacks keep
    // hints for them.
    coordinate(state, origin, request);
    return;
  }
  if (to === undefined || origin.kind === 'peer') {
    answer(state, origin, { ok: false, error: `no replica of partition ${partition} is reachable to coordinate the write`, indeterminate: false });
    return;
  }
  forward.start(state, origin.requestId, request, to);
}

/** Coordinates a write here whatever the preference list says (a forward's last resort: forward.ts). */
export function coordinateHere(state: NodeState, origin: Origin, request: WriteRequest): void {
  coordinate(state, origin, request);
}

/** The clock of a new write (see the module comment). */
export function newClock(state: NodeState, key: string, context: VClock, value: Value, salt: number): VClock {
  const me = vclock.actor(state.id, state.epoch);
  let localMax = 0;
  for (const m of storeIndex.get(state.index, key)) localMax = Math.max(localMax, vclock.counterOf(m.clock, me));
  if (vclock.counterOf(context, me) >= localMax) return vclock.increment(context, me, state.tick);
  const dot = hash.md5Hex(`${me}|${key}|${vclock.toContext(context)}|${version.valueHashOf(value)}|${salt}`).slice(0, 16);
  return vclock.increment(context, vclock.actor(`~${dot}`, state.epoch), state.tick);
}

/** Largest counter a context may carry: a write adds one, and clocks must stay safe integers. */
const contextCounterMax = 2 ** 48;

function parseContext(text: Context | undefined): { ok: true; clock: VClock } | { ok: false; reason: string } {
  if (text === undefined || text === '') return { ok: true, clock: vclock.fresh() };
  const parsed = vclock.fromContext(text);
  if (parsed.ok && parsed.clock.some((e) => e.counter > contextCounterMax || e.tick > contextCounterMax)) return { ok: false, reason: 'a clock counter is too large' };
  return parsed;
}

function coordinate(state: NodeState, origin: Origin, request: WriteRequest): void {
  const context = parseContext(request.context);
  if (!context.ok) {
    answer(state, origin, { ok: false, error: `bad context: ${context.reason}`, indeterminate: false });
    return;
  }
  if (state.writes.size >= limits.pendingRequestsMax) {
    answer(state, origin, { ok: false, indeterminate: false, error: `too many writes in flight at ${state.id} (${limits.pendingRequestsMax})` });
    return;
  }
  const value = request.op === 'put' ? request.value : version.tombstone();
  const opId = fx.nextId(state);
  const clock = vclock.truncate(newClock(state, request.key, context.clock, value, opId), limits.clockEntriesMax);
  const timestamp = Math.max(0, state.tick + (state.conflictMode === 'lww' ? state.clockSkewTicks : 0));
  const v = version.make({ clock, value, timestamp });
  const applied = storeIndex.apply(state.index, state.conflictMode, request.key, [v], limits.siblingsMax);
  if (applied.outcome === 'overflow') {
    answer(state, origin, {
      ok: false, indeterminate: false,
      error: `too many siblings: ${request.key} already has ${applied.versions.length}; read it and write back with its context to reconcile`,
    });
    return;
  }
  for (const record of applied.records) fx.persist(state, record);
  const n = replicaCount(state);
  const w = request.w ?? Math.min(state.config.w, n);
  const op: WriteOp = {
    kind: 'write', opId, origin, op: request.op, key: request.key, version: v, w, n, startTick: state.tick, createdStep: state.steps,
    sentTo: new Map(), acked: new Set([state.id]), replaced: new Set(), timedOut: new Set(),
    warnings: quorumWarnings(state, Math.min(state.config.r, n), w), replied: false,
  };
  state.writes.set(opId, op);
  fx.trace(state, 'put', () => `coordinate ${request.op} ${request.key} = ${describe(v.value)} clock ${clockText(clock)} (w=${w})`);
  const { replicas } = membership.preferenceList(state, storeIndex.partitionOf(state.index, request.key));
  for (const owner of replicas) {
    if (owner === state.id) continue;
    if (membership.healthy(state, owner)) sendStore(state, op, owner, owner);
    else toFallback(state, op, owner, 'is not healthy');
  }
  settle(state, op);
}

function sendStore(state: NodeState, op: WriteOp, to: NodeId, owner: NodeId): void {
  op.sentTo.set(to, { owner, sentTick: state.tick });
  fx.send(state, to, { type: 'store', opId: op.opId, key: op.key, versions: [op.version], hintFor: to === owner ? null : owner });
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
  if (!op.replied && quorum.decide(op.acked.size, op.w, state.tick - op.startTick, state.tuning.requestTimeoutTicks) === 'won') {
    op.replied = true;
    state.counters.writesAcked++;
    fx.trace(state, 'ack', () => `${op.op} ${op.key} acknowledged by ${[...op.acked].sort().join(', ')}`);
    answer(state, op.origin, { ok: true, op: op.op, context: vclock.toContext(op.version.clock), warnings: op.warnings });
  }
  if (op.replied && op.acked.size >= op.n) state.writes.delete(op.opId);
}

export function onStoreAck(state: NodeState, from: NodeId, msg: { opId: number; key: string; digests: readonly string[]; ok: boolean; error: string }): boolean {
  const op = state.writes.get(msg.opId);
  if (op === undefined || op.key !== msg.key || !op.sentTo.has(from)) return false;
  if (msg.ok && msg.digests.includes(op.version.digest)) {
    op.acked.add(from);
    settle(state, op);
    return true;
  }
  fx.trace(state, 'put', () => `${from} refused ${op.key}: ${msg.error}`);
  const target = op.sentTo.get(from);
  if (target !== undefined && !op.timedOut.has(from)) {
    op.timedOut.add(from);
    toFallback(state, op, target.owner, `refused (${msg.error})`);
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
    }
    if (state.tick - op.startTick < state.tuning.requestTimeoutTicks) continue;
    if (!op.replied) answer(state, op.origin, quorum.writeLost(op.acked.size, op.w));
    state.writes.delete(op.opId);
  }
}

export function describe(value: Value): string {
  if (value.kind === 'tombstone') return '(deleted)';
  if (value.kind === 'bytes') return `<${value.bytes.length} bytes>`;
  const text = hash.fromUtf8(value.bytes);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

export function clockText(clock: VClock): string {
  return `[${clock.map((e) => `${e.actor}:${e.counter}`).join(' ')}]`;
}

/**
 * The runtime could not persist the records of step `failedStep` (the `step` of its persist effect, named
 * by a `storage-failed` input, possibly several steps later): the coordinator's own copy of a write begun
 * in that step is not durable, so it no longer counts toward W (an acknowledgement is never ahead of
 * the disk). The runtime sent none of that step's messages either, so the write goes out again to the
 * targets that have not acknowledged it: it can still win with W durable copies on other replicas.
 */
export function onOwnCopyLost(state: NodeState, failedStep: number): void {
  for (const op of state.writes.values()) {
    if (op.createdStep !== failedStep) continue;
    op.acked.delete(state.id);
    for (const [to, target] of op.sentTo) if (!op.acked.has(to)) sendStore(state, op, to, target.owner);
  }
}
