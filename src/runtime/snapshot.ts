/**
 * What the UI and kv.stats() read: one plain, readonly picture of the tab's node, network and storage,
 * published to subscribers at most every publishIntervalMs (a burst of steps costs one render, and a
 * hidden tab, whose timers are clamped to 1 s, renders at most once a second).
 */
import type { FaultRules } from '../protocol/faults.js';
import type { RuntimeView } from './runtime.js';
import type { SignalingState } from './signaling-client.js';
import type { TransportStats } from './transport.js';

export interface TabIdentity {
  readonly nodeId: string;
  readonly hostId: string;
  readonly capacity: number;
  readonly room: string;
}

export interface NetworkView {
  readonly signaling: SignalingState;
  /** Why the signaling socket last closed, when it did. */
  readonly signalingDetail: string;
  /** Every member of the room, this node included, as the signaling server last said. */
  readonly presence: readonly string[];
  /** Peers with an open data channel. */
  readonly connected: readonly string[];
  readonly faults: FaultRules;
  readonly transport: TransportStats | undefined;
}

export type Phase =
  | { readonly kind: 'starting'; readonly step: string }
  | { readonly kind: 'running' }
  | { readonly kind: 'failed'; readonly error: string };

export interface AppSnapshot<NodeSnap> {
  readonly identity: TabIdentity;
  readonly phase: Phase;
  /** True once storage is loaded and the node has joined the ring (what kv.ready() waits for). */
  readonly ready: boolean;
  readonly network: NetworkView;
  /** Undefined until the runtime has started. */
  readonly runtime: RuntimeView<NodeSnap> | undefined;
}

/** The fault rules' verdicts among the transport's drop reasons: what a partition, isolation, cut or loss dropped. */
const faultReasons = ['partitioned', 'isolated', 'cut', 'lost'] as const;

/**
 * THE count of messages a node dropped, shown by kv.stats() and the UI alike: the runtime's (malformed or
 * refused bytes, full outbox) + the transport's (fault rules, full queues, closed or unreachable links,
 * stale chunks) + the core's (stale or misaddressed messages). `byFaults` is the part the room's fault
 * rules dropped, so the partition lesson can show what a partition drops.
 */
export function messagesDropped(runtimeDropped: number, transport: TransportStats | undefined, nodeDropped: number): { total: number; byFaults: number } {
  const drops = transport?.messagesDropped;
  const inTransport = drops ? Object.values(drops).reduce((sum, n) => sum + n, 0) : 0;
  const byFaults = drops ? faultReasons.reduce((sum, r) => sum + drops[r], 0) : 0;
  return { total: runtimeDropped + inTransport + nodeDropped, byFaults };
}

export interface Publisher<T> {
  /** Says the picture may have changed; subscribers hear of it within publishIntervalMs. */
  changed(): void;
  /** The picture right now (computed on demand, not throttled). */
  current(): T;
  subscribe(listener: (snapshot: T) => void): () => void;
  close(): void;
}

export const publishIntervalMs = 100;

export interface Scheduler {
  after(ms: number, fn: () => void): () => void;
}

const timerScheduler: Scheduler = {
  after(ms, fn) { const id = setTimeout(fn, ms); return () => clearTimeout(id); },
};

export function createPublisher<T>(read: () => T, scheduler: Scheduler = timerScheduler): Publisher<T> {
  const listeners = new Set<(snapshot: T) => void>();
  let cancel: (() => void) | undefined;

  function publish(): void {
    cancel = undefined;
    if (listeners.size === 0) return;
    const snapshot = read();
    for (const listener of listeners) listener(snapshot);
  }

  return {
    changed() {
      if (cancel === undefined) cancel = scheduler.after(publishIntervalMs, publish);
    },
    current: read,
    subscribe(listener) {
      listeners.add(listener);
      listener(read());
      return () => listeners.delete(listener);
    },
    close() {
      cancel?.();
      cancel = undefined;
      listeners.clear();
    },
  };
}
