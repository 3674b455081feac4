/**
 * The link machine: the life of every data channel to every peer, as a pure state machine (inputs and
 * effects in link-io.ts). No IO, no timers, no clock: `nowMs` comes with each step, and randomness (link
 * names, backoff jitter) from the injected `random`, so a seeded run replays exactly.
 *
 * - On demand: a send to a present peer with no link dials one; messages wait in a bounded queue
 *   (send-queue.ts) until it opens. An open link idle (nothing sent, received or queued) for idleCloseMs is
 *   closed; the peer stays reachable and the next send redials.
 * - Glare: when both sides want a link at once, exactly one survives, decided the same way on both sides.
 *   The smaller id dials; the larger asks it to (a one-line `connect` signal, so two sets of ICE candidates
 *   never cross). An ask reaching the smaller while it dials is ignored (its offer is on the way); an ask
 *   while its link is open means the far side lost it: it redials. An offer that arrives while our own dial
 *   is pending (a peer that dials by itself) loses if its sender is the larger id: the smaller ignores it,
 *   the larger drops its dial and answers. Signals are tagged with a link name; those of an abandoned link
 *   are ignored, and an offer under a new name replaces any other link (the far side lost the old one).
 * - Retry: a link not open within connectTimeoutMs, or one that closes while messages wait, is redialled
 *   after a bounded backoff with jitter; after connectAttemptsMax failures, or at once when signaling says
 *   the peer left the room, the waiting messages are dropped (counted as `unreachable`).
 * - Reachability: an open link, or one we closed for idleness, is reachable; a link that closes while in
 *   use is not (told at once, so the core stops choosing that replica).
 * - Framing: frames are cut by chunker.ts when written and reassembled per link with its bounds; each
 *   link's messages are numbered from 0 and delivered in that order (in-order.ts: wrtc can reorder the
 *   answering side's first messages).
 */
import { limits } from '../core/limits.js';
import type { NodeId } from '../core/types.js';
import type { SignalPayload } from '../protocol/signaling.js';
import * as chunker from './chunker.js';
import * as inOrder from './in-order.js';
import { backoffMs, type LinkEffect, type LinkInput, type TimerKind } from './link-io.js';
import type { LinkMachine, PeerLinkState } from './link-state.js';
import * as sendQueue from './send-queue.js';
import type { DropReason } from './transport.js';

export { backoffMs, defaultConfig, type LinkConfig, type LinkEffect, type LinkInput, type Phase, type TimerKind } from './link-io.js';
export { create, openPeers, type LinkMachine, type PeerLinkState } from './link-state.js';

/** Feeds one input; returns the effects to carry out, in order. */
export function step(m: LinkMachine, input: LinkInput, nowMs: number): LinkEffect[] {
  const out: LinkEffect[] = [];
  if (input.kind === 'close') {
    closeAll(m, out);
    return out;
  }
  if (input.kind === 'presence') {
    m.present = new Set(input.peers);
    m.signalingOpen = input.signalingOpen;
    for (const [id, p] of m.peers) {
      if (p.closedIdle && !m.present.has(id)) p.closedIdle = false; // it left the room while idle: now it is gone
      report(m, id, p, out);
      forgetIfDone(m, id, p);
    }
    return out;
  }
  if (m.closed || input.peer === m.config.self) {
    if (input.kind === 'send') refuse(m, input.peer, m.closed ? 'closed' : 'unknownPeer', out);
    return out;
  }
  if (input.kind === 'send') {
    send(m, input.peer, input.bytes, nowMs, out);
  } else {
    const p = stateOf(m, input.peer, nowMs);
    switch (input.kind) {
      case 'signal': signal(m, input.peer, p, input.payload, nowMs, out); break;
      case 'opened': if (input.link === p.link) opened(m, input.peer, p, nowMs, out); break;
      case 'closed': if (input.link === p.link) lost(m, input.peer, p, nowMs, out); break;
      case 'frame': if (input.link === p.link) receive(m, input.peer, p, input.frame, nowMs, out); break;
      case 'drained':
        if (input.link !== p.link || p.phase !== 'open') break;
        sendQueue.drained(p.queue, input.bufferedBytes);
        flush(m, input.peer, p, out);
        break;
      case 'timer':
        if (p.timers.delete(input.timer)) fired(m, input.peer, p, input.timer, nowMs, out);
        break;
      default: {
        const never: never = input;
        return never;
      }
    }
  }
  const p = m.peers.get(input.peer);
  if (p) forgetIfDone(m, input.peer, p);
  return out;
}

function stateOf(m: LinkMachine, id: NodeId, nowMs: number): PeerLinkState {
  let p = m.peers.get(id);
  if (!p) {
    p = {
      phase: 'none', link: undefined, closedIdle: false, attempt: 0, lastActiveMs: nowMs, timers: new Set(), reported: false,
      reassembler: chunker.createReassembler(m.config.reassembly), inOrder: inOrder.create(), queue: sendQueue.create(),
    };
    m.peers.set(id, p);
  }
  return p;
}

function send(m: LinkMachine, id: NodeId, bytes: Uint8Array, nowMs: number, out: LinkEffect[]): void {
  if (bytes.length > limits.messageBytesMax) return refuse(m, id, 'tooLarge', out);
  const known = m.peers.get(id);
  if (!m.present.has(id) && known?.phase !== 'open') return refuse(m, id, 'unknownPeer', out);
  const p = known ?? stateOf(m, id, nowMs);
  p.lastActiveMs = nowMs;
  if (!sendQueue.offer(p.queue, m.config.queue, bytes)) return refuse(m, id, 'queueFull', out);
  if (p.phase === 'open') flush(m, id, p, out);
  else if (p.phase === 'none') dial(m, id, p, nowMs, out);
  // dialing or accepting: the queue waits for the link; backoff: for the retry timer.
}

function refuse(m: LinkMachine, peer: NodeId, reason: DropReason, out: LinkEffect[]): void {
  m.dropped[reason] += 1;
  out.push({ kind: 'refused', peer, reason });
}

/** A fresh link name; the side letter keeps the two ends' dials apart even when their generators agree. */
function newLinkName(m: LinkMachine, peer: NodeId): string {
  const part = () => Math.floor(m.random() * 2 ** 32).toString(36);
  return `${m.config.self < peer ? 's' : 'l'}${part()}${part()}`;
}

/** We want a link: the smaller id dials, the larger asks to be dialled (unless `force`d: asked itself). */
function dial(m: LinkMachine, id: NodeId, p: PeerLinkState, nowMs: number, out: LinkEffect[], force = false): void {
  disarm(p, 'retry', id, out);
  disarm(p, 'connect', id, out); // asked to dial while asking ourselves: the new attempt gets its own time
  p.closedIdle = false; // from now on, failing to connect means the peer is really gone
  if (m.config.self < id || force) {
    p.link = newLinkName(m, id);
    p.phase = 'dialing';
    out.push({ kind: 'dial', peer: id, link: p.link });
  } else {
    p.phase = 'asking';
    out.push({ kind: 'ask', peer: id });
  }
  arm(p, 'connect', id, nowMs + m.config.connectTimeoutMs, out);
}

function signal(m: LinkMachine, id: NodeId, p: PeerLinkState, payload: SignalPayload, nowMs: number, out: LinkEffect[]): void {
  if (payload.kind === 'connect') {
    if (p.phase === 'dialing' || p.phase === 'accepting') return; // a link is under way: its offer or answer comes
    if (p.phase === 'open') { // the far side lost this link
      p.closedIdle = false;
      dropLink(m, id, p, true, out);
    }
    dial(m, id, p, nowMs, out, true);
    return;
  }
  if (payload.link === p.link) {
    out.push({ kind: 'feed', peer: id, link: payload.link, signal: payload.signal });
    return;
  }
  // Not the current link: a late signal of an abandoned one, unless it is an offer for a new link.
  if (payload.signal.type !== 'offer') return;
  if (p.phase === 'dialing' && m.config.self < id) return; // glare: our dial wins, the far side will answer it
  p.closedIdle = false;
  dropLink(m, id, p, true, out);
  disarm(p, 'retry', id, out);
  p.link = payload.link;
  p.phase = 'accepting';
  out.push({ kind: 'accept', peer: id, link: payload.link }, { kind: 'feed', peer: id, link: payload.link, signal: payload.signal });
  arm(p, 'connect', id, nowMs + m.config.connectTimeoutMs, out);
}

function opened(m: LinkMachine, id: NodeId, p: PeerLinkState, nowMs: number, out: LinkEffect[]): void {
  p.phase = 'open';
  p.attempt = 0;
  p.lastActiveMs = nowMs;
  disarm(p, 'connect', id, out);
  report(m, id, p, out);
  arm(p, 'idle', id, nowMs + m.config.idleCloseMs, out);
  flush(m, id, p, out);
}

/** The link closed by itself. */
function lost(m: LinkMachine, id: NodeId, p: PeerLinkState, nowMs: number, out: LinkEffect[]): void {
  // The far side closes a link only once it has been idle for idleCloseMs; then the peer stays reachable on
  // demand while it is in the room. A link that closes while in use is a peer that went away (its tab
  // closed, crashed or lost the network): the core hears at once that it is unreachable, instead of
  // choosing it as a coordinator or replica until gossip suspects it seconds later.
  p.closedIdle = p.phase === 'open' && m.present.has(id) && nowMs - p.lastActiveMs >= m.config.idleCloseMs / 2;
  dropLink(m, id, p, false, out);
  retry(m, id, p, nowMs, out);
}

function receive(m: LinkMachine, id: NodeId, p: PeerLinkState, frame: Uint8Array, nowMs: number, out: LinkEffect[]): void {
  p.lastActiveMs = nowMs;
  const pushed = p.reassembler.push(frame, nowMs);
  switch (pushed.kind) {
    case 'partial': return;
    case 'rejected': m.dropped.malformed += 1; return;
    case 'complete':
      m.counts.messagesReceived += 1;
      m.counts.bytesReceived += pushed.message.length;
      for (const message of inOrder.accept(p.inOrder, m.config.inOrder, pushed.id, pushed.message)) out.push({ kind: 'deliver', peer: id, message });
      return;
    default: {
      const never: never = pushed;
      return never;
    }
  }
}

function fired(m: LinkMachine, id: NodeId, p: PeerLinkState, timer: TimerKind, nowMs: number, out: LinkEffect[]): void {
  if (timer === 'retry') {
    if (p.phase === 'backoff') dial(m, id, p, nowMs, out);
  } else if (timer === 'connect') {
    if (p.phase !== 'asking' && p.phase !== 'dialing' && p.phase !== 'accepting') return;
    dropLink(m, id, p, true, out);
    retry(m, id, p, nowMs, out);
  } else {
    if (p.phase !== 'open') return;
    m.dropped.stale += p.reassembler.sweep(nowMs);
    const idleMs = nowMs - p.lastActiveMs;
    if (p.queue.messages.length > 0 || idleMs < m.config.idleCloseMs) {
      arm(p, 'idle', id, nowMs + Math.max(1, m.config.idleCloseMs - Math.max(0, idleMs)), out);
      return;
    }
    p.closedIdle = true;
    dropLink(m, id, p, true, out);
  }
}

/** After a failed or lost link: redial later if messages wait, or give them up. */
function retry(m: LinkMachine, id: NodeId, p: PeerLinkState, nowMs: number, out: LinkEffect[]): void {
  if (p.queue.messages.length === 0) return;
  const gone = m.signalingOpen && !m.present.has(id);
  if (gone || p.attempt >= m.config.connectAttemptsMax) {
    m.dropped.unreachable += sendQueue.clear(p.queue);
    p.attempt = 0;
    p.closedIdle = false;
    report(m, id, p, out);
    return;
  }
  const delayMs = backoffMs(m.config, p.attempt, m.random());
  p.attempt += 1;
  p.phase = 'backoff';
  arm(p, 'retry', id, nowMs + delayMs, out);
}

/**
 * Forgets the current link (destroying it when we end it ourselves); the phase becomes `none`. Set
 * closedIdle first: the handlers hear whether the peer is still usable.
 */
function dropLink(m: LinkMachine, id: NodeId, p: PeerLinkState, destroy: boolean, out: LinkEffect[]): void {
  if (p.link !== undefined && destroy) out.push({ kind: 'destroy', peer: id, link: p.link });
  p.link = undefined;
  p.phase = 'none';
  disarm(p, 'connect', id, out);
  disarm(p, 'idle', id, out);
  sendQueue.restart(p.queue);
  p.reassembler = chunker.createReassembler(m.config.reassembly);
  p.inOrder = inOrder.create();
  report(m, id, p, out);
}

function flush(m: LinkMachine, id: NodeId, p: PeerLinkState, out: LinkEffect[]): void {
  if (p.phase !== 'open' || p.link === undefined) return;
  const take = sendQueue.take(p.queue, m.config.queue);
  m.counts.messagesSent += take.messagesDone;
  m.counts.bytesSent += take.bytesDone;
  if (take.frames.length > 0) out.push({ kind: 'write', peer: id, link: p.link, frames: take.frames });
  if (take.watchDrain) out.push({ kind: 'watchDrain', peer: id, link: p.link, lowBytes: m.config.queue.lowWaterBytes });
}

/** Tells the handlers whether the peer is usable, on changes only. */
function report(m: LinkMachine, id: NodeId, p: PeerLinkState, out: LinkEffect[]): void {
  const usable = !m.closed && (p.phase === 'open' || p.closedIdle);
  if (usable === p.reported) return;
  p.reported = usable;
  out.push({ kind: 'reachable', peer: id, up: usable });
}

function arm(p: PeerLinkState, timer: TimerKind, peer: NodeId, atMs: number, out: LinkEffect[]): void {
  p.timers.add(timer);
  out.push({ kind: 'setTimer', peer, timer, atMs });
}

function disarm(p: PeerLinkState, timer: TimerKind, peer: NodeId, out: LinkEffect[]): void {
  if (p.timers.delete(timer)) out.push({ kind: 'cancelTimer', peer, timer });
}

/** A peer with no link, no queue, no timer and nothing reported is forgotten (the map stays bounded). */
function forgetIfDone(m: LinkMachine, id: NodeId, p: PeerLinkState): void {
  if (p.phase === 'none' && p.queue.messages.length === 0 && p.timers.size === 0 && !p.closedIdle && !p.reported) m.peers.delete(id);
}

function closeAll(m: LinkMachine, out: LinkEffect[]): void {
  if (m.closed) return;
  m.closed = true;
  for (const [id, p] of m.peers) {
    for (const timer of [...p.timers]) disarm(p, timer, id, out);
    m.dropped.closed += sendQueue.clear(p.queue);
    p.closedIdle = false;
    dropLink(m, id, p, true, out);
  }
  m.peers.clear();
}
