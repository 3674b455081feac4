/**
 * THE view of one peer: what the UI renders, `kv.stats()` / `kv.members()` / `kv.snapshot()` project
 * (kv-view.ts), a headless peer prints (src/node/status.ts) and the UI fixture builds for its in-page nodes.
 * Grouped by the layer that knows each part; the sums that several readers need (what is reachable, how many
 * messages were dropped) are computed here, once, so no two readers can disagree on them.
 *
 * `build` is pure: it takes what each layer reports right now and returns plain readonly data.
 */
import type { NodeSnapshot } from '../core/snapshot.js';
import type { NodeId, Zone } from '../core/types.js';
import * as faults from '../protocol/faults.js';
import type { RuntimeCounters, RuntimeView } from './runtime-types.js';
import type { SignalingState } from './signaling-client.js';
import type { StoreStats } from './store.js';
import type { TransportStats } from './transport.js';
import type { TraceEvent } from '../core/node-io.js';
import type { TimeSetting } from '../protocol/time-control.js';

export interface PeerIdentity {
  readonly nodeId: string;
  readonly hostId: string;
  readonly capacity: number;
  readonly room: string;
  /** 'tab' in a browser, 'peer' for an always-on headless node (placement keeps one in every list). */
  readonly zone: Zone;
}

export type Phase =
  | { readonly kind: 'starting'; readonly step: string }
  | { readonly kind: 'running' }
  | { readonly kind: 'failed'; readonly error: string };

/** The runtime loop's own state (runtime.ts), without the node and storage parts it also reports. */
export interface LoopView {
  /** The last tick fed to the node. */
  readonly tick: number;
  /** Milliseconds per tick: ages from tick counts (a member's last heartbeat, a trace event) are `ticks * tickMs`. */
  readonly tickMs: number;
  readonly counters: RuntimeCounters;
  /** The room's time setting as this node applies it, and the peer messages waiting out their flight. */
  readonly time: TimeSetting & { readonly heldMessages: number };
  readonly queueLength: number;
  readonly pendingRequests: number;
  /** The most recent trace events, oldest first. */
  readonly trace: readonly TraceEvent[];
  /** Set when the core threw: the node has stopped and every request fails. */
  readonly crashed?: string;
}

export interface StorageView {
  readonly stats: StoreStats;
  /** The last failed commit's error, as the loop saw it. */
  readonly lastError?: string;
}

export interface NetworkView {
  readonly signaling: SignalingState;
  /** Why the signaling socket last closed, when it did. */
  readonly signalingDetail: string;
  /** Every member of the room, this node included, as the signaling server last said. */
  readonly presence: readonly NodeId[];
  /** Peers with an open data channel (a partition keeps channels open: see `reachable`). */
  readonly connected: readonly NodeId[];
  /**
   * Peers this node can talk to now, itself included: an open data channel that the fault rules block in
   * neither direction. The one answer to "is n3 reachable?" for every view.
   */
  readonly reachable: readonly NodeId[];
  readonly faults: faults.FaultRules;
  readonly transport: TransportStats | undefined;
}

export interface PeerView {
  readonly identity: PeerIdentity;
  readonly phase: Phase;
  /** True once storage is loaded and the node has joined the ring (what kv.ready() waits for). */
  readonly ready: boolean;
  /** The core's snapshot; undefined until the runtime has started (as are `loop` and `storage`). */
  readonly node: NodeSnapshot | undefined;
  readonly loop: LoopView | undefined;
  readonly storage: StorageView | undefined;
  readonly network: NetworkView;
  readonly derived: {
    /** THE count of messages this node dropped, and the part the room's fault rules dropped (`messagesDropped`). */
    readonly messagesDropped: { readonly total: number; readonly byFaults: number };
  };
}

/** What each layer reports right now; `runtime` is undefined until the loop has started. */
export interface PeerViewParts {
  readonly identity: PeerIdentity;
  readonly phase: Phase;
  readonly runtime: RuntimeView<NodeSnapshot> | undefined;
  readonly signaling: SignalingState;
  readonly signalingDetail: string;
  readonly presence: readonly NodeId[];
  readonly connected: readonly NodeId[];
  readonly faults: faults.FaultRules;
  readonly transport: TransportStats | undefined;
}

/** The fault rules' verdicts among the transport's drop reasons: what a partition, isolation, cut or loss dropped. */
const faultReasons = ['partitioned', 'isolated', 'cut', 'lost'] as const;

/**
 * THE count of messages a node dropped: the runtime's (malformed or refused bytes, full outbox) + the
 * transport's (fault rules, full queues, closed or unreachable links, stale chunks) + the core's (stale or
 * misaddressed messages). `byFaults` is the part the room's fault rules dropped, so the partition lesson can
 * show what a partition drops.
 */
export function messagesDropped(runtimeDropped: number, transport: TransportStats | undefined, nodeDropped: number): { total: number; byFaults: number } {
  const drops = transport?.messagesDropped;
  const inTransport = drops ? Object.values(drops).reduce((sum, n) => sum + n, 0) : 0;
  const byFaults = drops ? faultReasons.reduce((sum, r) => sum + drops[r], 0) : 0;
  return { total: runtimeDropped + inTransport + nodeDropped, byFaults };
}

/**
 * The peers `self` can talk to, itself first: an open channel is not enough, because a partition keeps the
 * channels open and drops messages at the transport.
 */
export function reachable(self: NodeId, connected: readonly NodeId[], rules: faults.FaultRules): NodeId[] {
  return [self, ...connected.filter((id) => id !== self && !faults.blocks(rules, self, id) && !faults.blocks(rules, id, self))];
}

export function build(parts: PeerViewParts): PeerView {
  const rt = parts.runtime;
  const node = rt?.node;
  return {
    identity: parts.identity,
    phase: parts.phase,
    ready: node?.ready === true,
    node,
    loop: rt && {
      tick: rt.tick, tickMs: rt.tickMs, counters: rt.counters, time: rt.time, queueLength: rt.queueLength, pendingRequests: rt.pendingRequests,
      trace: rt.trace, ...(rt.crashed !== undefined ? { crashed: rt.crashed } : {}),
    },
    storage: rt && { stats: rt.storage, ...(rt.lastStorageError !== undefined ? { lastError: rt.lastStorageError } : {}) },
    network: {
      signaling: parts.signaling, signalingDetail: parts.signalingDetail, presence: parts.presence, connected: parts.connected,
      reachable: reachable(parts.identity.nodeId, parts.connected, parts.faults), faults: parts.faults, transport: parts.transport,
    },
    derived: { messagesDropped: messagesDropped(rt?.counters.messagesDropped ?? 0, parts.transport, node?.counters.messagesDropped ?? 0) },
  };
}
