/**
 * What the views show of a peer's one view (runtime/peer-view.ts `PeerView`), formatted at the edge: the
 * members a tab lists, ages from tick counts, the fault banner's text, the activity view's counters, the
 * hinted-handoff queue per destination and the timeline's rows. Pure functions of the view (and, for wall
 * times, of the time the view arrived); they derive nothing the core or the runtime already says.
 */
import type { MemberView, TraceEvent } from '../core/node-io.js';
import type { NodeId } from '../core/types.js';
import * as faults from '../protocol/faults.js';
import * as kvView from '../runtime/kv-view.js';
import type { PeerView } from '../runtime/peer-view.js';

/** The cluster settings in force (the core's defaults before the node has started), as kv.config() reads them. */
export const config = kvView.config;

/**
 * The members a tab lists: those removed from the ring are gone from every view (kv.members() leaves them
 * out too), except this tab itself, so a tab the room removed still shows why it serves nothing.
 */
export function members(view: PeerView): readonly MemberView[] {
  const me = view.identity.nodeId;
  return (view.node?.members ?? []).filter((m) => m.status !== 'removed' || m.id === me);
}

/** The ids of the members a tab lists that have not left, sorted. */
export function activeIds(view: PeerView): string[] {
  return members(view).filter((m) => m.status !== 'left').map((m) => m.id).sort();
}

/** The ids of the alive members, in name order (`n2` before `n10`). */
export function aliveIds(view: PeerView): string[] {
  return members(view).filter((m) => m.status === 'alive').map((m) => m.id).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** This tab's own entry among the members, if it has one yet. */
export function self(view: PeerView): MemberView | undefined {
  return view.node?.members.find((m) => m.id === view.identity.nodeId);
}

/** Milliseconds since this tab last saw `member`'s heartbeat advance (0 for itself). */
export function heartbeatAgeMs(view: PeerView, member: MemberView): number {
  const node = view.node;
  if (!node || member.id === view.identity.nodeId) return 0;
  return Math.max(0, (node.tick - member.lastHeardTick) * (view.loop?.tickMs ?? 0));
}

/** Partitions `id` owns on this tab's ring. */
export function partitionsOwned(view: PeerView, id: NodeId): number {
  return view.node?.partitionsOwned[id] ?? 0;
}

/** True when this tab can reach `id` now (peer-view.ts `reachable`: always true for itself). */
export function reachable(view: PeerView, id: NodeId): boolean {
  return view.network.reachable.includes(id);
}

/** The room's fault rules in words, naming only the members this tab lists; '' when the network is healthy. */
export function faultText(view: PeerView): string {
  const rules = view.network.faults;
  return faults.isHealthy(rules) ? '' : faults.describe(rules, members(view).map((m) => m.id));
}

/** The banner's fault text, except that an isolated tab reads "this tab" where its own id would stand. */
export function bannerText(view: PeerView): string {
  const text = faultText(view);
  const me = view.identity.nodeId;
  if (!view.network.faults.isolated.includes(me)) return text;
  return text.replace(/isolated: ([^;]*)/, (_m, list: string) => `isolated: ${list.split(', ')
    .map((id) => (id === me ? 'this tab' : id)).join(', ')}`);
}

/** The activity view's named counters, in name order. */
export function counters(view: PeerView): [string, number][] {
  const loop = view.loop?.counters;
  const node = view.node;
  const named: Record<string, number> = {
    'messages sent': loop?.messagesSent ?? 0,
    'messages received': loop?.messagesReceived ?? 0,
    'messages dropped': view.derived.messagesDropped.total,
    'dropped by faults': view.derived.messagesDropped.byFaults,
    'writes acked': node?.counters.writesAcked ?? 0,
    'reads served': node?.counters.readsServed ?? 0,
    repairs: node?.counters.repairs ?? 0,
    'hints handed off': node?.counters.hintsHandedOff ?? 0,
    'hints held': node?.hints.count ?? 0,
    'AE sessions': node?.antiEntropy.sessionsStarted ?? 0,
  };
  return Object.entries(named).sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The hinted-handoff queue: the owners hinted versions wait for, with how many each, in the order the
 * snapshot lists them (it lists at most core snapshotHintsMax entries; `hints.count` is exact).
 */
export function hintQueues(view: PeerView): { readonly destination: NodeId; readonly versions: number }[] {
  const by = new Map<NodeId, number>();
  for (const h of view.node?.hints.entries ?? []) by.set(h.owner, (by.get(h.owner) ?? 0) + 1);
  return [...by].map(([destination, versions]) => ({ destination, versions }));
}

/** One row of the activity timeline: a trace event with its wall-clock time. */
export interface TimelineRow {
  readonly atMs: number;
  readonly node: NodeId;
  readonly category: string;
  readonly text: string;
}

/**
 * The loop's recent trace events, oldest first, each timed on the wall clock: `nowMs` is when the view
 * arrived, and an event `k` ticks older than the loop's tick happened `k * tickMs` before it.
 */
export function timeline(view: PeerView, nowMs: number): TimelineRow[] {
  const loop = view.loop;
  if (!loop) return [];
  return loop.trace.map((t: TraceEvent) => ({
    atMs: nowMs - (loop.tick - t.tick) * loop.tickMs, node: t.node, category: t.category, text: t.text,
  }));
}
