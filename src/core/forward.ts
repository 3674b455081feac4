/**
 * Forwarded writes and their failover (Dynamo section 4.5: a node outside the key's preference list hands
 * the write to one inside it). A coordinator that does not answer is asked again (never applying the write
 * twice) for as long as it looks healthy; once it does not, the client is told the write may or may not have
 * taken effect.
 *
 * Bound. Each peer has a smoothed round-trip time in ticks (`srttTicks`, TCP's estimator with gain 1/8),
 * fed by request/reply pairs the node already has: store -> store-ack, read -> read-reply and
 * forward -> forward-reply (node.ts calls observeRtt). A forward unanswered for
 * timeoutTicks = clamp(4 x srtt + replicaTimeoutTicks, forwardTimeoutMinTicks, requestTimeoutTicks)
 * ticks is overdue: the margin is replicaTimeoutTicks because a coordinator may itself wait that long for
 * a silent replica before its fallback acknowledges. Unknown peers start at srtt = 1 tick.
 *
 * Failover. The coordinator is chosen when the write arrives: the first HEALTHY node of the preference list
 * (a closed tab says goodbye and its channel closing marks it unreachable at once, so a closed replica is
 * passed over before anything is sent). An overdue forward whose coordinator still looks healthy (alive in
 * gossip, channel open) is sent again to the same coordinator, once per bound (a lost message is resent;
 * a duplicate costs nothing, see below). It is not given up while the coordinator looks healthy, because a
 * live coordinator on a loaded machine (a busy tab, a slow IndexedDB commit, timers firing late) may well
 * take longer than a few bounds and then answer ok: handoff.spec.ts failed 2 of 3 runs beside a simulator
 * run when the forward was answered indeterminate after the second bound (issue 10, "Done when"). The
 * forward is answered indeterminate at once when the coordinator becomes unhealthy (its channel closed, it
 * said goodbye, gossip suspects it), and in any case after 2 x requestTimeoutTicks (a coordinator that is
 * cut off one way but still gossips to us). Either way it is NOT handed to another coordinator, because the
 * first may have applied it (its tab closed mid-write), and a second coordinator would apply it again
 * under another dot, so that a value a later write replaced could come back. The simulator found exactly
 * that; a client that gets "may or may not have taken effect" reads the key and retries.
 *
 * Duplicates, exactly. The operation id is (origin node id, forwardId): every retry of one client write
 * carries the same forwardId, and the origin is the sender of the `forward` message. Each coordinator keeps
 * the ids of the last coordinatedMax forwarded operations it accepted (an LRU, oldest evicted first): a
 * `forward` whose id is there is not coordinated again; while the first is in flight it is ignored (the
 * first one's answer goes to the same origin and forwardId), once answered the remembered answer is sent
 * again. Two DIFFERENT coordinators never see one operation (see Failover).
 */
import * as coordinator from './coordinator.js';
import * as fx from './effects.js';
import { limits } from './limits.js';
import * as membership from './membership.js';
import type { MessageOf } from './messages.js';
import type { ClientResult } from './node-io.js';
import type { Forward, ForwardReplyFields, NodeState, Origin } from './node-state.js';
import type { NodeId } from './types.js';

/** Forwarded operation ids a coordinator remembers (the LRU of the module comment). */
export const coordinatedMax = 1024;
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

/** Forwards a client write to `to`, a healthy node of its preference list. */
export function start(state: NodeState, requestId: number, request: coordinator.WriteRequest, to: NodeId): void {
  const forwardId = fx.nextId(state);
  const toEpoch = state.members.get(to)?.epoch ?? 0;
  const f: Forward = { requestId, op: request.op, request, to, tried: [to], sendsToTarget: 0, toEpoch, sentTick: state.tick, startTick: state.tick };
  state.forwards.set(forwardId, f);
  fx.trace(state, 'put', () => `forward ${request.op} ${request.key} to ${to}`);
  sendForward(state, forwardId, f);
}

function sendForward(state: NodeState, forwardId: number, f: Forward): void {
  f.sendsToTarget++;
  f.sentTick = state.tick;
  const { request } = f;
  fx.send(state, f.to, {
    type: 'forward', forwardId, op: request.op, key: request.key,
    value: request.op === 'put' ? request.value : null, context: request.context ?? null, w: request.w ?? null,
    epoch: f.toEpoch,
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
    if (healthy) {
      // Overdue but healthy: slow, or a message was lost. Asking again is free (duplicates, module comment).
      fx.trace(state, 'put', () => `forward of ${f.request.key} to ${f.to} overdue: asking it again (send ${f.sendsToTarget + 1})`);
      sendForward(state, forwardId, f);
      continue;
    }
    // The coordinator may have received and applied the write. Handing it to another coordinator could
    // apply it twice, under two dots: a value a later write replaced could then come back (the simulator's
    // value checker caught exactly that). So the client is told the truth, promptly, instead.
    state.forwards.delete(forwardId);
    fx.trace(state, 'put', () => `forward of ${f.request.key}: ${f.to} became unreachable; answering indeterminate`);
    fx.reply(state, f.requestId, { ok: false, indeterminate: true, error: `forwarded to ${f.to}, which became unreachable: the ${f.op} may or may not have taken effect; read the key and retry` });
  }
}

/** A coordinator's answer; false when it matches no forward in progress (or comes from a node never asked). */
export function onReply(state: NodeState, from: NodeId, msg: MessageOf<'forward-reply'>): boolean {
  const f = state.forwards.get(msg.forwardId);
  if (f === undefined || !f.tried.includes(from)) return false;
  // Karn's rule: after a resend, the reply may answer either send, so it is no round-trip sample.
  if (from === f.to && f.sendsToTarget === 1) observeRtt(state, from, state.tick - f.sentTick);
  state.forwards.delete(msg.forwardId);
  fx.reply(state, f.requestId, msg.ok ? { ok: true, op: f.op, context: msg.context, warnings: msg.warnings } : { ok: false, error: msg.error, indeterminate: msg.indeterminate });
  return true;
}

const opKey = (origin: NodeId, forwardId: number) => `${origin}/${forwardId}`;

/** A peer's forwarded write: coordinated here unless its operation id was seen already (module comment). */
export function onForward(state: NodeState, from: NodeId, msg: MessageOf<'forward'>): void {
  if (msg.epoch !== state.epoch) {
    // The duplicates memory lives in memory: a later life (a restart, a rebuild after a failed write) may
    // get a re-ask or a network duplicate of a forward an earlier life already applied, and would apply it
    // again under a new dot (sim seeds 60, 84). Only the life the forwarder asked coordinates it.
    fx.trace(state, 'put', () => `forward ${msg.forwardId} from ${from} was for epoch ${msg.epoch}, not this life's ${state.epoch}: refused`);
    fx.send(state, from, {
      type: 'forward-reply', forwardId: msg.forwardId, ok: false, context: '', warnings: [], indeterminate: true,
      error: `forwarded to another life of ${state.id}: the write may or may not have taken effect; read the key and retry`,
    });
    return;
  }
  const key = opKey(from, msg.forwardId);
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
  remember(state, key, { state: 'in-flight' });
  const request: coordinator.WriteRequest = msg.op === 'put'
    ? { op: 'put', key: msg.key, value: msg.value ?? { kind: 'string', bytes: new Uint8Array() }, ...(msg.context !== null ? { context: msg.context } : {}), ...(msg.w !== null ? { w: msg.w } : {}) }
    : { op: 'delete', key: msg.key, ...(msg.context !== null ? { context: msg.context } : {}), ...(msg.w !== null ? { w: msg.w } : {}) };
  const origin: Origin = { kind: 'peer', peer: from, forwardId: msg.forwardId };
  const problem = msg.op === 'put' && msg.value === null ? 'forwarded put without a value' : coordinator.invalid(state, request);
  if (problem !== undefined) {
    answer(state, origin, { ok: false, error: problem, indeterminate: false });
    return;
  }
  coordinator.write(state, origin, request);
}

function remember(state: NodeState, key: string, entry: Parameters<NodeState['coordinated']['set']>[1]): void {
  state.coordinated.delete(key); // re-inserted last: the map's order is the LRU order
  state.coordinated.set(key, entry);
  while (state.coordinated.size > coordinatedMax) {
    const oldest = state.coordinated.keys().next().value as string;
    state.coordinated.delete(oldest);
  }
}

/** Sends a coordinator's answer to the node that forwarded the write, and remembers it for duplicates. */
export function answer(state: NodeState, origin: Extract<Origin, { kind: 'peer' }>, result: ClientResult): void {
  const reply: ForwardReplyFields = {
    ok: result.ok,
    context: result.ok && 'context' in result ? result.context : '',
    warnings: result.ok && 'warnings' in result ? result.warnings.slice(0, 8) : [],
    error: result.ok ? '' : result.error.slice(0, 1000),
    indeterminate: result.ok ? false : result.indeterminate,
  };
  remember(state, opKey(origin.peer, origin.forwardId), { state: 'answered', reply });
  fx.send(state, origin.peer, { type: 'forward-reply', forwardId: origin.forwardId, ...reply });
}
