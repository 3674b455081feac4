/**
 * What the projector view knows of a room, built only from what the signaling server relays to an observer:
 * presence, each member's status and message events (protocol/projector.ts), the fault rules and the time
 * setting. Plain state with a few verbs; the elements render it. Time here is the projector's own pace
 * (protocol/time-control.ts), so flights freeze while the room is paused and crawl at 1/10x like the nodes.
 *
 * Bounded: flightsMax messages in flight (the oldest go first), pushedKeysMax keys per Merkle drawing,
 * nodes by the room's member bound (a node not heard from for goneAfterMs is shown as silent, not kept
 * for ever: it is dropped once presence no longer lists it).
 */
import type * as projector from '../protocol/projector.js';
import * as timeControl from '../protocol/time-control.js';
import * as ringMoves from './ring-moves.js';

export const flightsMax = 240;
export const pushedKeysMax = 12;
export const goneAfterMs = 5000;
/** Virtual ms a message is drawn in flight at normal speed (it really takes about 1 ms: drawn so it can be seen). */
export const normalFlightMs = 700;
/** The nodes' tick (runtime defaults): a slowed message spends one tick in flight (time-control.ts). */
export const tickMs = 100;
/** How long (real ms) the ring says what the last membership change moved: long enough to talk about it, then the centre is clear again. */
export const movesShownMs = 60_000;
/** A Merkle drawing stays up at least this long (real ms) before another partition's descent replaces it. */
export const merkleHoldMs = 8000;

export interface NodeView {
  readonly id: string;
  status: projector.NodeStatus | undefined;
  lastSeenMs: number;
  present: boolean;
  /** Messages this node reported sending since the projector opened. */
  sent: number;
  /** Frames received from this node (a status at least every second). */
  frames: number;
}

export interface Flight {
  readonly from: string;
  readonly to: string;
  readonly kind: projector.EventKind;
  readonly key: string | undefined;
  /** The projector's virtual time when it left, and how long (virtual ms) it is drawn in flight. */
  readonly startVirtualMs: number;
  readonly flightVirtualMs: number;
}

export interface MerkleDrawing {
  readonly partition: number;
  readonly from: string;
  readonly to: string;
  readonly startedMs: number;
  lastMs: number;
  rootDiffers: boolean;
  /** Level-1 nodes (children of the root) whose hashes differ. */
  readonly level1: Set<number>;
  /** Buckets (level 2) whose leaves differ. */
  readonly buckets: Set<number>;
  readonly pushed: string[];
  /** Messages of this descent seen so far. */
  messages: number;
}

export interface ProjectorState {
  readonly nodes: Map<string, NodeView>;
  flights: Flight[];
  pace: timeControl.Pace;
  merkle: MerkleDrawing | undefined;
  showGossip: boolean;
  droppedEvents: number;
  /** The last ring every reporting node agreed on (one owner per partition), to diff the next one against. */
  owners: readonly string[];
  /** What the last membership change moved (ring-moves.ts), and when (real ms) the projector saw it settle. */
  moves: (ringMoves.Moves & { readonly atMs: number }) | undefined;
}

export function create(realMs: number): ProjectorState {
  return { nodes: new Map(), flights: [], pace: timeControl.start(realMs), merkle: undefined, showGossip: false, droppedEvents: 0, owners: [], moves: undefined };
}

export function virtualNow(state: ProjectorState, realMs: number): number {
  return timeControl.at(state.pace, realMs);
}

function nodeOf(state: ProjectorState, id: string): NodeView {
  let n = state.nodes.get(id);
  if (!n) {
    n = { id, status: undefined, lastSeenMs: 0, present: true, sent: 0, frames: 0 };
    state.nodes.set(id, n);
  }
  return n;
}

/** The room's presence list: members not listed any more are dropped. */
export function presence(state: ProjectorState, ids: readonly string[]): void {
  const listed = new Set(ids);
  for (const id of ids) nodeOf(state, id).present = true;
  for (const id of [...state.nodes.keys()]) if (!listed.has(id)) state.nodes.delete(id);
}

/**
 * The ring as the nodes report it, only when they agree: one Q, and every partition claimed by exactly one
 * node (each reports the partitions it owns). While a change spreads by gossip some nodes still report the
 * old ring (a partition claimed twice or by nobody): no answer then, so the diff is taken between two settled
 * rings, never against a half-updated one. Nodes that left, or are silent, are not asked.
 */
export function agreedOwners(state: ProjectorState, realMs: number): string[] | undefined {
  const reporting = [...state.nodes.values()].filter((n) => n.status && n.status.ringSize > 0
    && n.status.state !== 'left' && n.status.state !== 'removed' && realMs - n.lastSeenMs <= goneAfterMs);
  const q = reporting[0]?.status?.ringSize ?? 0;
  if (q === 0 || reporting.some((n) => n.status?.ringSize !== q)) return undefined;
  const owners = new Array<string | undefined>(q).fill(undefined);
  for (const n of reporting) {
    for (const p of n.status?.primary ?? []) {
      if (p >= q || owners[p] !== undefined) return undefined;
      owners[p] = n.id;
    }
  }
  return owners.every((o) => o !== undefined) ? owners as string[] : undefined;
}

/** After a frame: if the nodes agree on a ring that differs from the last agreed one, what moved. */
function noteOwners(state: ProjectorState, realMs: number): void {
  const owners = agreedOwners(state, realMs);
  if (!owners) return;
  const moves = ringMoves.between(state.owners, owners);
  state.owners = owners;
  if (moves) state.moves = { ...moves, atMs: realMs };
}

export function setTime(state: ProjectorState, realMs: number, setting: timeControl.TimeSetting): void {
  state.pace = timeControl.change(state.pace, realMs, setting, tickMs);
}

/** One member's frame: its status, and each event as a flight (and as Merkle progress). */
export function frame(state: ProjectorState, realMs: number, from: string, f: projector.EventsFrame): void {
  const n = nodeOf(state, from);
  n.status = f.status;
  n.lastSeenMs = realMs;
  n.frames++;
  state.droppedEvents += f.dropped;
  noteOwners(state, realMs);
  const flightVirtualMs = timeControl.slowed(state.pace.setting) ? tickMs : normalFlightMs;
  const start = virtualNow(state, realMs);
  for (const e of f.events) {
    n.sent++;
    merkleStep(state, realMs, from, e);
    if (e.kind === 'gossip' && !state.showGossip) continue;
    state.flights.push({ from, to: e.to, kind: e.kind, key: e.key, startVirtualMs: start, flightVirtualMs });
  }
  if (state.flights.length > flightsMax) state.flights = state.flights.slice(-flightsMax);
}

/** Flights still in the air at `realMs`, with their progress in [0, 1]; landed ones are forgotten. */
export function inFlight(state: ProjectorState, realMs: number): { flight: Flight; progress: number }[] {
  const now = virtualNow(state, realMs);
  state.flights = state.flights.filter((f) => now - f.startVirtualMs < f.flightVirtualMs);
  return state.flights.map((flight) => ({ flight, progress: Math.max(0, (now - flight.startVirtualMs) / flight.flightVirtualMs) }));
}

/** Anti-entropy events light the tree of the partition under repair (merkle.ts: fanOut 16, depth 2). */
function merkleStep(state: ProjectorState, realMs: number, from: string, e: projector.WireEvent): void {
  const current = state.merkle;
  if (e.kind === 'ae-root' && e.partition !== undefined) {
    const sameRepair = current && current.partition === e.partition;
    const holding = current && realMs - current.lastMs < merkleHoldMs && current.messages > 1;
    if (!sameRepair && holding) return;
    state.merkle = {
      partition: e.partition, from, to: e.to, startedMs: realMs, lastMs: realMs, rootDiffers: true,
      level1: new Set(), buckets: new Set(), pushed: [], messages: 1,
    };
    return;
  }
  if (!current || e.partition !== current.partition) {
    // A push after the descent (a store without ack) carries no partition: it belongs to the drawn pair.
    if (!(current && e.kind === 'ae-push' && e.partition === undefined && [current.from, current.to].includes(from))) return;
  }
  current.lastMs = realMs;
  current.messages++;
  if (e.kind === 'ae-buckets' && e.level === 2) for (const p of e.indexes ?? []) current.level1.add(p);
  if (e.kind === 'ae-leaves') for (const b of e.indexes ?? []) current.buckets.add(b);
  if ((e.kind === 'ae-push' || e.kind === 'ae-want') && e.key !== undefined && !current.pushed.includes(e.key) && current.pushed.length < pushedKeysMax) current.pushed.push(e.key);
}
