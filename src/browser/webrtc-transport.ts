/**
 * The real Transport: WebRTC data channels (peer-link.ts) found through the signaling server.
 *
 * - On demand: send() to a present peer with no channel opens one and queues the message until it opens.
 *   A channel idle (nothing sent, received or queued) for idleCloseMs is closed; the next send reopens it.
 * - No glare: the lexically smaller node id always initiates. The larger one, when it needs a link, asks
 *   the smaller through a `connect` signal. Each attempt has a link id; signals of older attempts are ignored,
 *   and an offer with a new link id replaces the responder's old link.
 * - Reachability: a channel open (or closed by either side for idleness) is reachable; a channel that
 *   closes while in use, or a peer that leaves the room, is unreachable at once.
 * - Reconnection: an attempt not open within connectTimeoutMs, or a channel that fails while messages are
 *   queued, is retried with exponential backoff and jitter (250 ms doubling, capped at 5 s); after
 *   connectAttemptsMax failures, or at once if signaling reports the peer gone, the queue is dropped
 *   (counted as `unreachable`).
 * - Framing: every message is split by chunker.ts into frames of at most limits.dataChannelChunkBytes and
 *   reassembled with bounds (size, partials per peer, stale partials swept).
 * - Back-pressure: above highWaterBytes buffered in the channel, sending pauses until it drains to
 *   lowWaterBytes. The per-peer queue is bounded (queueMessagesMax, queueBytesMax): past it send() is false.
 * - Faults (faults.ts): rules arrive from the signaling server by themselves (or through setFaults). The
 *   sender drops a blocked or lost message (send() still returns true: it is the network that lost it);
 *   the receiver drops a blocked one too. Channels stay open under a partition, so a heal is instant.
 * - Messages to oneself are refused (send() false, `unknownPeer`): the runtime delivers those locally.
 */
import { limits } from '../core/limits.js';
import type { NodeId } from '../core/types.js';
import * as chunker from '../runtime/chunker.js';
import * as faults from '../protocol/faults.js';
import { createPeerLink, type PeerLink } from './peer-link.js';
import type { SignalingClient } from '../runtime/signaling-client.js';
import type { SignalPayload } from '../protocol/signaling.js';
import type { DropReason, Transport, TransportStats } from '../runtime/transport.js';

export type { DropReason, TransportStats } from '../runtime/transport.js';

export interface WebRtcTransportOptions {
  readonly self: NodeId;
  readonly signaling: SignalingClient;
  /** Default []: never a public STUN server unless the user configured one. */
  readonly iceServers?: readonly RTCIceServer[];
  /** @roamhq/wrtc in Node; omitted in browsers. */
  readonly wrtc?: unknown;
  readonly idleCloseMs?: number;
  readonly connectTimeoutMs?: number;
  readonly connectAttemptsMax?: number;
  readonly queueMessagesMax?: number;
  readonly queueBytesMax?: number;
  readonly highWaterBytes?: number;
  readonly lowWaterBytes?: number;
  readonly reassembly?: chunker.ReassemblyOptions;
  readonly now?: () => number;
  /** In [0, 1): loss draws, backoff jitter and link ids. Math.random by default. */
  readonly random?: () => number;
}

export type WebRtcTransport = Transport & {
  setFaults(rules: faults.FaultRules): void;
  faults(): faults.FaultRules;
  stats(): TransportStats;
};

interface PeerState {
  readonly id: NodeId;
  link: PeerLink | undefined;
  linkId: string | undefined;
  open: boolean;
  /**
   * True after we closed an idle channel ourselves: the peer is still reachable on demand, so the core is not
   * told it went away; the next failed attempt to reach it clears this.
   */
  closedIdle: boolean;
  reassembler: chunker.Reassembler;
  /** Whole messages waiting; the head may be partly written (head frames below). */
  readonly queue: Uint8Array[];
  queueBytes: number;
  head: { readonly frames: Uint8Array[]; index: number } | undefined;
  nextMessageId: number;
  lastActiveMs: number;
  attempt: number;
  connectTimer: ReturnType<typeof setTimeout> | undefined;
  retryTimer: ReturnType<typeof setTimeout> | undefined;
}

const backoffInitialMs = 250;
const backoffMaxMs = 5000;

export function createWebRtcTransport(opts: WebRtcTransportOptions): WebRtcTransport {
  const self = opts.self;
  const now = opts.now ?? (() => Date.now());
  const random = opts.random ?? Math.random;
  const idleCloseMs = opts.idleCloseMs ?? 60_000;
  const connectTimeoutMs = opts.connectTimeoutMs ?? 10_000;
  const connectAttemptsMax = opts.connectAttemptsMax ?? 8;
  const queueMessagesMax = opts.queueMessagesMax ?? 1024;
  const queueBytesMax = opts.queueBytesMax ?? 8 * limits.messageBytesMax;
  const highWaterBytes = opts.highWaterBytes ?? 1024 * 1024;
  const lowWaterBytes = opts.lowWaterBytes ?? 256 * 1024;
  const peers = new Map<NodeId, PeerState>();
  const messageHandlers: Array<(from: NodeId, bytes: Uint8Array) => void> = [];
  const reachabilityHandlers: Array<(peer: NodeId, reachable: boolean) => void> = [];
  const dropped: Record<DropReason, number> = {
    tooLarge: 0, unknownPeer: 0, queueFull: 0, closed: 0, unreachable: 0, malformed: 0, stale: 0,
    isolated: 0, partitioned: 0, cut: 0, lost: 0,
  };
  const counts = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 };
  let rules: faults.FaultRules = opts.signaling.faults();
  let closed = false;
  /** What the reachability handlers were last told per peer, so they hear of changes only. */
  const reported = new Map<NodeId, boolean>();

  const initiates = (peer: NodeId): boolean => self < peer;
  const isPresent = (peer: NodeId): boolean => opts.signaling.presence().includes(peer);
  const newLinkId = (): string => `${Math.floor(random() * 2 ** 32).toString(36)}${Math.floor(random() * 2 ** 32).toString(36)}`;

  function stateOf(id: NodeId): PeerState {
    let p = peers.get(id);
    if (!p) {
      p = {
        id, link: undefined, linkId: undefined, open: false, closedIdle: false, reassembler: chunker.createReassembler(opts.reassembly),
        queue: [], queueBytes: 0, head: undefined, nextMessageId: 0, lastActiveMs: now(), attempt: 0,
        connectTimer: undefined, retryTimer: undefined,
      };
      peers.set(id, p);
    }
    return p;
  }

  /** Starts a connection attempt if none is under way: as initiator, a new link; otherwise a request. */
  function ensureLink(p: PeerState): void {
    if (closed || p.link || p.connectTimer || p.retryTimer) return;
    p.closedIdle = false; // from now on, failing to connect means the peer is really gone
    if (initiates(p.id)) startLink(p, newLinkId(), true);
    else opts.signaling.signal(p.id, { kind: 'connect' } satisfies SignalPayload);
    armConnectTimer(p);
  }

  /** An attempt not open within connectTimeoutMs is abandoned and retried (if messages wait). */
  function armConnectTimer(p: PeerState): void {
    clearTimeout(p.connectTimer);
    p.connectTimer = setTimeout(() => {
      p.connectTimer = undefined;
      if (p.open) return;
      dropLink(p);
      scheduleRetry(p);
    }, connectTimeoutMs);
  }

  function startLink(p: PeerState, linkId: string, initiator: boolean): void {
    dropLink(p);
    p.closedIdle = false;
    p.linkId = linkId;
    const link = createPeerLink({
      initiator,
      iceServers: opts.iceServers ?? [],
      wrtc: opts.wrtc,
      events: {
        onSignal: (signal) => void opts.signaling.signal(p.id, { kind: 'rtc', link: linkId, signal } satisfies SignalPayload),
        onOpen: () => {
          if (p.link !== link) return;
          p.open = true;
          p.attempt = 0;
          clearTimeout(p.connectTimer);
          p.connectTimer = undefined;
          p.lastActiveMs = now();
          report(p);
          flush(p);
        },
        onFrame: (frame) => { if (p.link === link) receive(p, frame); },
        onClose: () => {
          if (p.link !== link) return;
          // The far side closes a channel only once it has been idle for idleCloseMs; then the peer stays
          // reachable on demand while it is in the room (a failed reconnect, or its leaving the room, says
          // otherwise). A channel that closes while in use is a peer that went away (its tab closed,
          // crashed or lost the network): the core hears at once that it is unreachable, instead of
          // choosing it as a coordinator or replica until gossip suspects it seconds later.
          p.closedIdle = p.open && isPresent(p.id) && now() - p.lastActiveMs >= idleCloseMs / 2;
          dropLink(p);
          if (p.queue.length > 0) scheduleRetry(p);
        },
      },
    });
    p.link = link;
  }

  /** Forgets the current link (destroying it), telling reachability handlers if that changes anything. */
  function dropLink(p: PeerState): void {
    p.link?.destroy();
    p.link = undefined;
    p.linkId = undefined;
    p.open = false;
    p.head = undefined; // a partly written message restarts whole on the next link (fresh reassembler there)
    p.reassembler = chunker.createReassembler(opts.reassembly);
    report(p);
  }

  /**
   * Tells the handlers whether a peer is usable: its channel is open AND the fault rules let messages flow
   * both ways. Under a partition the channel stays open (so a heal is instant), but the core must hear at
   * once that the peer is gone, as it would when a real link fails its heartbeats; otherwise it keeps
   * choosing that replica until its failure detector suspects it seconds later.
   */
  function report(p: PeerState): void {
    const usable = (p.open || p.closedIdle) && !faults.blocks(rules, self, p.id) && !faults.blocks(rules, p.id, self);
    if ((reported.get(p.id) ?? false) === usable) return;
    reported.set(p.id, usable);
    for (const h of reachabilityHandlers) h(p.id, usable);
  }

  function applyRules(next: faults.FaultRules): void {
    rules = next;
    for (const p of peers.values()) report(p);
  }

  function scheduleRetry(p: PeerState): void {
    if (closed || p.retryTimer || p.queue.length === 0) return;
    const gone = opts.signaling.state === 'open' && !isPresent(p.id);
    if (gone || p.attempt >= connectAttemptsMax) {
      dropQueue(p, 'unreachable');
      p.attempt = 0;
      return;
    }
    const delayMs = Math.min(backoffMaxMs, backoffInitialMs * 2 ** p.attempt) * (0.5 + random() / 2);
    p.attempt += 1;
    p.retryTimer = setTimeout(() => {
      p.retryTimer = undefined;
      if (!p.link) ensureLink(p);
    }, delayMs);
  }

  function dropQueue(p: PeerState, reason: DropReason): void {
    dropped[reason] += p.queue.length;
    p.queue.length = 0;
    p.queueBytes = 0;
    p.head = undefined;
  }

  /** Writes queued frames until the queue is empty or the channel's buffer is above the high-water mark. */
  function flush(p: PeerState): void {
    const link = p.link;
    while (link && p.open && p.queue.length > 0) {
      if (link.bufferedAmount() > highWaterBytes) {
        link.whenDrained(lowWaterBytes, () => flush(p));
        return;
      }
      const message = p.queue[0] as Uint8Array;
      if (!p.head) {
        p.head = { frames: chunker.split(p.nextMessageId, message), index: 0 };
        p.nextMessageId = (p.nextMessageId + 1) >>> 0;
      }
      if (!link.send(p.head.frames[p.head.index] as Uint8Array)) return; // the link closed: onClose retries
      p.head.index += 1;
      if (p.head.index < p.head.frames.length) continue;
      p.queue.shift();
      p.queueBytes -= message.length;
      p.head = undefined;
      counts.messagesSent += 1;
      counts.bytesSent += message.length;
    }
  }

  function receive(p: PeerState, frame: Uint8Array): void {
    p.lastActiveMs = now();
    const out = p.reassembler.push(frame, now());
    switch (out.kind) {
      case 'partial': return;
      case 'rejected': dropped.malformed += 1; return;
      case 'complete': {
        const verdict = faults.verdict(rules, p.id, self);
        if (verdict !== 'deliver') { dropped[verdict] += 1; return; }
        counts.messagesReceived += 1;
        counts.bytesReceived += out.message.length;
        for (const h of messageHandlers) h(p.id, out.message);
        return;
      }
      default: {
        const never: never = out;
        return never;
      }
    }
  }

  function onSignal(from: NodeId, data: SignalPayload): void {
    if (closed || from === self) return;
    const p = stateOf(from);
    if (data.kind === 'connect') {
      // Only the larger id asks; an open link it asks for again is one it has lost.
      if (!initiates(from) || (p.link && !p.open)) return;
      clearTimeout(p.retryTimer);
      p.retryTimer = undefined;
      startLink(p, newLinkId(), true);
      armConnectTimer(p);
      return;
    }
    if (data.link !== p.linkId) {
      // As initiator: a late signal of an attempt we abandoned. As responder: only an offer starts a new link.
      if (initiates(from) || data.signal.type !== 'offer') return;
      startLink(p, data.link, false);
    }
    p.link?.signal(data.signal);
  }

  /** Closes idle channels, sweeps stale partial messages and forgets peers with nothing left. */
  function sweep(): void {
    const nowMs = now();
    for (const p of peers.values()) {
      dropped.stale += p.reassembler.sweep(nowMs);
      if (p.open && p.queue.length === 0 && nowMs - p.lastActiveMs >= idleCloseMs) {
        p.closedIdle = true;
        dropLink(p);
      }
      if (p.closedIdle && !isPresent(p.id)) {
        p.closedIdle = false; // it left the room while idle: now it is gone
        report(p);
      }
      if (!p.link && p.queue.length === 0 && !p.connectTimer && !p.retryTimer && !p.closedIdle) {
        peers.delete(p.id);
        reported.delete(p.id);
      }
    }
  }

  opts.signaling.onSignal(onSignal);
  opts.signaling.onFaults(applyRules);
  const sweeper = setInterval(sweep, Math.max(10, Math.min(5000, idleCloseMs / 2)));

  return {
    self,
    send(to, bytes) {
      if (closed) return refuse('closed');
      if (bytes.length > limits.messageBytesMax) return refuse('tooLarge');
      const known = peers.get(to);
      if (to === self || (!isPresent(to) && !known?.open)) return refuse('unknownPeer');
      const p = known ?? stateOf(to);
      p.lastActiveMs = now(); // even a dropped message keeps its channel alive: a heal is then instant
      const verdict = faults.decide(rules, self, to, random());
      if (verdict !== 'deliver') {
        dropped[verdict] += 1;
        if (!p.link) ensureLink(p);
        return true;
      }
      if (p.queue.length >= queueMessagesMax || p.queueBytes + bytes.length > queueBytesMax) return refuse('queueFull');
      p.queue.push(bytes.slice()); // a copy: the caller may reuse its buffer
      p.queueBytes += bytes.length;
      if (p.open) flush(p);
      else if (!p.link) ensureLink(p);
      return true;
    },
    onMessage: (h) => void messageHandlers.push(h),
    onReachability: (h) => void reachabilityHandlers.push(h),
    presentPeers: () => opts.signaling.presence().filter((id) => id !== self),
    connectedPeers: () => [...peers.values()].filter((p) => p.open).map((p) => p.id).sort(),
    close() {
      if (closed) return;
      closed = true;
      clearInterval(sweeper);
      for (const p of peers.values()) {
        clearTimeout(p.connectTimer);
        clearTimeout(p.retryTimer);
        p.connectTimer = undefined;
        p.retryTimer = undefined;
        dropQueue(p, 'closed');
        dropLink(p);
      }
      peers.clear();
    },
    setFaults(next) {
      const checked = faults.validate(next);
      if (!checked.ok) throw new Error(`transport: invalid fault rules: ${checked.reason}`);
      applyRules(checked.rules);
    },
    faults: () => rules,
    stats: () => ({
      ...counts,
      messagesDropped: { ...dropped },
      openChannels: [...peers.values()].filter((p) => p.open).length,
    }),
  };

  function refuse(reason: DropReason): false {
    dropped[reason] += 1;
    return false;
  }
}
