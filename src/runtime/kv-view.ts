/**
 * What `window.kv` reads of the one view (peer-view.ts): kv.stats(), kv.members(), kv.config() and
 * kv.snapshot() are projections of a `PeerView`, never shapes computed on their own. Their names and fields
 * are a public contract (README, "Page API"): fields may be added here, never renamed or removed.
 */
import { defaultClusterConfig, defaultRemoveAfterSeconds, type ClusterConfig, type MemberStatus } from '../core/types.js';
import type { PeerView } from './peer-view.js';

export interface KvMember {
  readonly id: string;
  readonly host: string;
  readonly status: MemberStatus;
  readonly capacity: number;
  /** Addition: 'peer' for an always-on headless peer (src/node), 'tab' for a browser tab (kv.members() always sets it). */
  readonly zone?: 'tab' | 'peer';
}

export interface KvStats {
  readonly hintsHeld: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  readonly messagesDropped: number;
  readonly repairs: number;
  readonly storageErrors: number;
  readonly [more: string]: number | string | boolean | undefined;
}

/** Every member but those removed from the ring. */
export function members(view: PeerView): KvMember[] {
  return (view.node?.members ?? []).filter((m) => m.status !== 'removed')
    .map((m) => ({ id: m.id, host: m.host, status: m.status, capacity: m.capacity, zone: m.zone ?? 'tab' }));
}

export function config(view: PeerView): { n: number; r: number; w: number; partitions: number; removeAfterSeconds: number } {
  const { n, r, w, partitions, removeAfterSeconds }: ClusterConfig = view.node?.config ?? defaultClusterConfig; // before the node has started: the core's defaults
  return { n, r, w, partitions, removeAfterSeconds: removeAfterSeconds ?? defaultRemoveAfterSeconds };
}

export function stats(view: PeerView): KvStats {
  const c = view.loop?.counters;
  const node = view.node;
  const t = view.network.transport;
  return {
    hintsHeld: node?.hints.count ?? 0,
    messagesSent: c?.messagesSent ?? 0,
    messagesReceived: c?.messagesReceived ?? 0,
    messagesDropped: view.derived.messagesDropped.total,
    repairs: node?.counters.repairs ?? 0,
    storageErrors: c?.storageErrors ?? 0,
    malformedMessages: c?.malformedMessages ?? 0,
    corruptVersions: c?.corruptVersions ?? 0,
    requestTimeouts: c?.requestTimeouts ?? 0,
    hintsHandedOff: node?.counters.hintsHandedOff ?? 0,
    openChannels: t?.openChannels ?? 0,
    bytesSent: t?.bytesSent ?? 0,
    bytesReceived: t?.bytesReceived ?? 0,
    lastStorageError: view.storage?.lastError,
  };
}

/**
 * kv.snapshot(): the whole view, plus `runtime`, the shape it had before the view was grouped by layer
 * (scripts outside this repository read `runtime.node.keys`, `runtime.counters`, `runtime.tick`, ...).
 */
export function snapshot(view: PeerView): PeerView & { readonly runtime: object | undefined } {
  const { node, loop, storage } = view;
  const runtime = node && loop && storage ? {
    nodeId: view.identity.nodeId, tick: loop.tick, tickMs: loop.tickMs, node, counters: loop.counters, storage: storage.stats,
    ...(storage.lastError !== undefined ? { lastStorageError: storage.lastError } : {}),
    ...(loop.crashed !== undefined ? { crashed: loop.crashed } : {}),
    time: loop.time, queueLength: loop.queueLength, pendingRequests: loop.pendingRequests, trace: loop.trace,
  } : undefined;
  return { ...view, runtime };
}
