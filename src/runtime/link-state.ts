/**
 * The state of the link machine (link-machine.ts holds its transitions): one record per peer with a link,
 * a queue, a timer or a reachability report outstanding, the room's presence, and the counters the
 * transport's stats show. Plain mutable data, owned by one machine; read it, never change it from outside.
 */
import type { NodeId } from '../core/types.js';
import type * as chunker from './chunker.js';
import type * as inOrder from './in-order.js';
import type { LinkConfig, Phase, TimerKind } from './link-io.js';
import type * as sendQueue from './send-queue.js';
import { noDrops, type DropReason } from './transport.js';

export interface PeerLinkState {
  phase: Phase;
  /** Name of the current link (dialing, accepting or open); undefined in `none` and `backoff`. */
  link: string | undefined;
  /** We closed an idle link ourselves: the peer is still reachable on demand until an attempt fails or it leaves. */
  closedIdle: boolean;
  /** Failed attempts in a row (reset when a link opens). */
  attempt: number;
  lastActiveMs: number;
  /** Timers set and neither cancelled nor fired yet. */
  readonly timers: Set<TimerKind>;
  /** What the reachability handlers were last told. */
  reported: boolean;
  reassembler: chunker.Reassembler;
  /** The current link's whole messages, put back in the sender's order. */
  inOrder: inOrder.InOrder;
  readonly queue: sendQueue.SendQueue;
}

export interface LinkMachine {
  readonly config: LinkConfig;
  readonly random: () => number;
  readonly peers: Map<NodeId, PeerLinkState>;
  present: ReadonlySet<NodeId>;
  signalingOpen: boolean;
  closed: boolean;
  readonly counts: { messagesSent: number; messagesReceived: number; bytesSent: number; bytesReceived: number };
  readonly dropped: Record<DropReason, number>;
}

/** `random` returns numbers in [0, 1): seeded in tests, Math.random (or crypto) in an app. */
export function create(config: LinkConfig, random: () => number): LinkMachine {
  return {
    config, random, peers: new Map(), present: new Set(), signalingOpen: false, closed: false,
    counts: { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 },
    dropped: noDrops(),
  };
}

/** Peers with an open link, sorted. */
export function openPeers(m: LinkMachine): NodeId[] {
  return [...m.peers].filter(([, p]) => p.phase === 'open').map(([id]) => id).sort();
}
