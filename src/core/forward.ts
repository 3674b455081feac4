/**
 * Forwarded writes and their failover (Dynamo section 4.5: a node outside the key's preference list hands
 * the write to one inside it, and "if the first node is down, the request goes to the next one").
 *
 * Bound. Each peer has a smoothed round-trip time in ticks (`srttTicks`, TCP's estimator with gain 1/8),
 * fed by request/reply pairs the node already has: store -> store-ack, read -> read-reply and
 * forward -> forward-reply (node.ts calls observeRtt). A forward unanswered for
 * timeoutTicks = clamp(4 x srtt + replicaTimeoutTicks, forwardTimeoutMinTicks, requestTimeoutTicks)
 * ticks is overdue: the margin is replicaTimeoutTicks because a coordinator may itself wait that long for
 * a silent replica before its fallback acknowledges. Unknown peers start at srtt = 1 tick.
 *
 * Failover. The coordinator is the first HEALTHY node of the preference list (a closed tab says goodbye and
 * its channel closing marks it unreachable at once, so a closed replica is passed over before anything is
 * sent). An overdue forward to a coordinator that still looks healthy is sent to it once more (a lost
 * message costs one bound). A coordinator that becomes unhealthy (channel closed, goodbye, suspected), that
 * is overdue a second time, or whose new life refuses the forward, is replaced: the write goes to the next
 * healthy node of the preference list not yet tried, and when none is left it is coordinated here. A late
 * answer from any coordinator tried settles the request. Only when nothing answers for
 * 2 x requestTimeoutTicks is the client told that the write may or may not have taken effect.
 *
 * Duplicates. Every attempt carries the same operation id, `${origin}@${originEpoch}/${forwardId}` (the
 * origin's random epoch makes it unique across its lives), and the coordinator records it in the version
 * it makes (types.Version.op). So a client write is applied at most once per coordinator, and two
 * coordinators' copies are recognisable as one write:
 *   - one coordinator: it keeps the ids of the last coordinatedMax forwarded operations it accepted (an LRU):
 *     a repeated `forward` is ignored while the first is in flight and answered from memory once answered;
 *   - another coordinator (or a later life) that already holds a version with the op id (a store of the
 *     first coordinator reached it) makes no new dot: it replicates the held version again and counts W
 *     for it (coordinator.ts);
 *   - otherwise the second coordinator makes a second dot with the same op id, a twin. Twins are one value:
 *     a get shows one value per op id, and its context covers every twin's dot and carries the op's
 *     marker (dvv.markerOf). So the next put replaces both; and where a writer saw only one twin (the
 *     other was on a node cut off at the time), the other is hidden from every get by the marker in the
 *     replacing write's past (siblings.visible) until a write covers its dot. A retry that reaches a
 *     coordinator holding a write that saw the op is acknowledged without a new dot.
 *   A peer may only use op ids of its own (`${from}@...`), so no tab can make another's write look done.
 * Before op ids, the forward was never handed to a second coordinator and the client was told
 * "indeterminate" instead (issue 10: a put failed whenever its coordinator's tab closed mid-request); handing
 * it over without them left a replaced value back as a sibling in 14 of the first 100 simulator seeds.
 */
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import * as forwardAnswers from './forward-answers.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import * as requestRules from './request-rules.js';
import * as storeIndex from './store-index.js';
import type { MessageOf } from './messages.js';
import type { Forward, NodeState, Origin } from './node-state.js';
import type { NodeId } from './types.js';

/** Shortest forward timeout, in ticks, whatever the measured round trip. */
export const forwardTimeoutMinTicks = 10;
/** Round-trip estimate of a peer never measured, in ticks. */
const initialSrttTicks = 1;

/** Feeds one round-trip sample (ticks between a request and its reply) into the peer's smoothed RTT. */
export function observeRtt(state: NodeState, peer: NodeId, sampleTicks: number): void {
  if (peer === state.id || !(sampleTicks >= 0)) return;
  const old = state.srttTicks.get(peer);
  if (old === undefined && state.srttTicks.size >= limits.membersMax) return;
  state.srttTicks.set(peer, old === undefined ? sampleTicks : old + (sampleTicks - old) / 8);
}

/** How long a forward to `peer` may go unanswered before it is overdue (module comment). */
export function timeoutTicks(state: NodeState, peer: NodeId): number {
  const srtt = state.srttTicks.get(peer) ?? initialSrttTicks;
  const bound = Math.ceil(4 * srtt) + state.tuning.replicaTimeoutTicks;
  return Math.min(state.tuning.requestTimeoutTicks, Math.max(forwardTimeoutMinTicks, bound));
}

/**
 * A client's write: coordinated here when this node is one of the key's replicas, else forwarded to the
 * first healthy one; when none is reachable, coordinated here anyway (Dynamo's "always writeable": this
 * node's copy is data of a partition it does not replicate, which anti-entropy pushes to the owners, and
 * fallbacks keep hints for them).
 */
export function route(state: NodeState, requestId: number, request: requestRules.WriteRequest): void {
  const partition = storeIndex.partitionOf(state.index, request.key);
  const { replicas } = membership.preferenceList(state, partition);
  const origin: Origin = { kind: 'client', requestId };
  const canCoordinate = state.ready && state.leave === undefined;
  const to = replicas.find((r) => r !== state.id && membership.healthy(state, r));
  if (canCoordinate && (replicas.includes(state.id) || to === undefined)) coordinator.coordinateHere(state, origin, request, undefined);
  else if (to === undefined) fx.reply(state, requestId, { ok: false, error: `no replica of partition ${partition} is reachable to coordinate the write`, indeterminate: false });
  else start(state, requestId, request, to);
}

/** Forwards a client write to `to`, a healthy node of its preference list. */
export function start(state: NodeState, requestId: number, request: requestRules.WriteRequest, to: NodeId): void {
  const forwardId = fx.nextId(state);
  const toEpoch = state.members.get(to)?.epoch ?? 0;
  const opId = `${state.id}@${state.epoch}/${forwardId}`;
  const f: Forward = { requestId, op: request.op, request, to, tried: [to], sendsToTarget: 0, toEpoch, sentTick: state.tick, startTick: state.tick, opId };
  state.forwards.set(forwardId, f);
  fx.trace(state, 'put', () => `forward ${request.op} ${request.key} to ${to} (op ${opId})`);
  sendForward(state, forwardId, f);
}

function sendForward(state: NodeState, forwardId: number, f: Forward): void {
  f.sendsToTarget++;
  f.sentTick = state.tick;
  const { request } = f;
  fx.send(state, f.to, {
    type: 'forward', forwardId, op: request.op, key: request.key,
    value: request.op === 'put' ? request.value : null, context: request.context ?? null, w: request.w ?? null,
    epoch: f.toEpoch, opId: f.opId,
  });
}

/** Overdue or unhealthy coordinators: ask again, fail over, coordinate here, or give up (module comment). */
export function tick(state: NodeState): void {
  for (const [forwardId, f] of [...state.forwards]) {
    if (state.tick - f.startTick >= 2 * state.tuning.requestTimeoutTicks) {
      state.forwards.delete(forwardId);
      fx.reply(state, f.requestId, { ok: false, indeterminate: true, error: `forwarded to ${f.tried.join(', then ')}: no answer within ${2 * state.tuning.requestTimeoutTicks} ticks` });
      continue;
    }
    const healthy = membership.healthy(state, f.to);
    const overdue = state.tick - f.sentTick >= timeoutTicks(state, f.to);
    if (healthy && !overdue) continue;
    if (healthy && f.sendsToTarget < 2) {
      // Overdue but healthy: a message may have been lost. Asking again is free (duplicates, module comment).
      fx.trace(state, 'put', () => `forward of ${f.request.key} to ${f.to} overdue: asking it again`);
      sendForward(state, forwardId, f);
      continue;
    }
    failOver(state, forwardId, f, healthy ? `did not answer twice within ${timeoutTicks(state, f.to)} ticks` : 'became unreachable');
  }
}

/** The write goes to the next healthy replica not yet tried, else is coordinated here (module comment). */
function failOver(state: NodeState, forwardId: number, f: Forward, why: string): void {
  const { replicas } = membership.preferenceList(state, storeIndex.partitionOf(state.index, f.request.key));
  const next = replicas.find((r) => r !== state.id && !f.tried.includes(r) && membership.healthy(state, r));
  if (next !== undefined) {
    fx.trace(state, 'put', () => `forward of ${f.request.key}: ${f.to} ${why}; trying ${next} (op ${f.opId})`);
    f.to = next;
    f.tried.push(next);
    f.sendsToTarget = 0;
    f.toEpoch = state.members.get(next)?.epoch ?? 0;
    sendForward(state, forwardId, f);
    return;
  }
  if (!state.ready || state.leave !== undefined || state.needsRebuild) {
    // Nowhere else to go: keep waiting for an answer from the coordinators tried (or the deadline). A life
    // that refused the forward is asked again only once gossip names its new epoch: asking the refusing life
    // again at once would bounce refusals for ever (sim seed 3642: a leaving forwarder and a restarted
    // coordinator exchanged 54,872 messages); the overdue check in `tick` asks again at its own pace.
    if (why === restartedWhy) {
      const epochNow = state.members.get(f.to)?.epoch ?? 0;
      if (epochNow === f.toEpoch) return;
      f.toEpoch = epochNow;
    }
    if (membership.healthy(state, f.to)) sendForward(state, forwardId, f);
    return;
  }
  fx.trace(state, 'put', () => `forward of ${f.request.key}: ${f.to} ${why}; no other replica to try, coordinating here (op ${f.opId})`);
  state.forwards.delete(forwardId);
  coordinator.coordinateHere(state, { kind: 'client', requestId: f.requestId, triedElsewhere: true }, f.request, f.opId);
}

/** A coordinator's answer; false when it matches no forward in progress (or comes from a node never asked). */
export function onReply(state: NodeState, from: NodeId, msg: MessageOf<'forward-reply'>): boolean {
  const f = state.forwards.get(msg.forwardId);
  if (f === undefined || !f.tried.includes(from)) return false;
  if (!msg.ok && msg.error.startsWith(otherLifeError)) {
    // That life did not coordinate it (an earlier one may have: op ids make that safe), so the next one is tried.
    if (from === f.to) failOver(state, msg.forwardId, f, restartedWhy);
    return true;
  }
  // Karn's rule: after a resend, the reply may answer either send, so it is no round-trip sample.
  if (from === f.to && f.sendsToTarget === 1) observeRtt(state, from, state.tick - f.sentTick);
  state.forwards.delete(msg.forwardId);
  // A refusal from one coordinator says nothing of another tried before it, which may have applied the write.
  const indeterminate = msg.indeterminate || f.tried.length > 1;
  fx.reply(state, f.requestId, msg.ok ? { ok: true, op: f.op, context: msg.context, warnings: msg.warnings } : { ok: false, error: msg.error, indeterminate });
  return true;
}

/** How a coordinator's later life refuses a forward meant for an earlier one; the forwarder fails over on it. */
const otherLifeError = 'forwarded to another life of ';
/** failOver's reason when the coordinator's new life refused the forward. */
const restartedWhy = 'restarted as another life';

/** A peer's forwarded write: coordinated here unless its operation id was seen already (module comment). */
export function onForward(state: NodeState, from: NodeId, msg: MessageOf<'forward'>): void {
  if (msg.epoch !== state.epoch) {
    // The duplicates memory lives in memory: a later life (a restart, a rebuild after a failed write) may
    // get a re-ask or a network duplicate of a forward an earlier life already applied, and would apply it
    // again under a new dot (sim seeds 60, 84). Only the life the forwarder asked coordinates it.
    fx.trace(state, 'put', () => `forward ${msg.forwardId} from ${from} was for epoch ${msg.epoch}, not this life's ${state.epoch}: refused`);
    fx.send(state, from, {
      type: 'forward-reply', forwardId: msg.forwardId, ok: false, context: '', warnings: [], indeterminate: true,
      error: `${otherLifeError}${state.id}: the write may or may not have taken effect; read the key and retry`,
    });
    return;
  }
  const key = forwardAnswers.opKey(from, msg.forwardId);
  const seen = state.coordinated.get(key);
  if (seen !== undefined) {
    if (seen.state === 'in-flight') {
      fx.trace(state, 'put', () => `forward ${msg.forwardId} from ${from} again: already coordinating it`);
      return;
    }
    fx.trace(state, 'put', () => `forward ${msg.forwardId} from ${from} again: sending the remembered answer`);
    fx.send(state, from, { type: 'forward-reply', forwardId: msg.forwardId, ...seen.reply });
    return;
  }
  forwardAnswers.remember(state, key, { state: 'in-flight' });
  const request: requestRules.WriteRequest = msg.op === 'put'
    ? { op: 'put', key: msg.key, value: msg.value ?? { kind: 'string', bytes: new Uint8Array() }, ...(msg.context !== null ? { context: msg.context } : {}), ...(msg.w !== null ? { w: msg.w } : {}) }
    : { op: 'delete', key: msg.key, ...(msg.context !== null ? { context: msg.context } : {}), ...(msg.w !== null ? { w: msg.w } : {}) };
  const origin: Origin = { kind: 'peer', peer: from, forwardId: msg.forwardId };
  const opId = msg.opId;
  const problem = msg.op === 'put' && msg.value === null ? 'forwarded put without a value'
    : opId !== undefined && !opId.startsWith(`${from}@`) ? `operation id ${JSON.stringify(opId.slice(0, 80))} is not one of ${from}'s`
    : requestRules.invalid(state, request);
  if (problem !== undefined) {
    forwardAnswers.answer(state, origin, { ok: false, error: problem, indeterminate: false });
    return;
  }
  // The forwarder chose this node from the preference list as it sees it: coordinated here, whatever this
  // node's ring says, unless it cannot coordinate at all.
  if (!state.ready || state.leave !== undefined) {
    const partition = storeIndex.partitionOf(state.index, request.key);
    forwardAnswers.answer(state, origin, { ok: false, error: `no replica of partition ${partition} is reachable to coordinate the write`, indeterminate: false });
    return;
  }
  coordinator.coordinateHere(state, origin, request, opId);
}

