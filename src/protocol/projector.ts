/**
 * What the projector view (/?view=class) sees of a room: each node's status and a compact record of the
 * messages it sends, published by the node through the signaling server, which relays them only to the
 * room's observers (signaling/observers.ts). No values and no clocks travel here: kinds, node names, keys
 * (truncated), sizes and, for anti-entropy, the Merkle tree positions being compared.
 *
 * Bounded: at most eventsPerFrameMax events per frame, every field capped, and the whole frame must fit the
 * signaling frame limit (the feed in runtime/projector-feed.ts trims to fit; the server refuses more).
 */
import { isNodeId } from './faults.js';
import * as timeControl from './time-control.js';

/** The kinds of message the projector draws, one colour each (gossip is drawn only on request). */
export const eventKinds = [
  'put', 'forward', 'forward-reply', 'store', 'store-ack', 'hint', 'handoff', 'read', 'read-reply', 'read-repair',
  'ae-summary', 'ae-summary-reply', 'ae-root', 'ae-buckets', 'ae-leaves', 'ae-want', 'ae-push', 'gossip',
] as const;
export type EventKind = (typeof eventKinds)[number];

export const eventsPerFrameMax = 48;
/** Keys are shown, not stored: the first keyCharsMax characters are enough on a projector. */
export const keyCharsMax = 40;
/** Merkle positions named per event (the parents or buckets that differ), enough to light the drawing. */
export const indexesMax = 32;
/** Partition numbers in a status (those this node owns, first of their preference list); at Q = 256, all. */
export const partitionsListedMax = 512;

export interface WireEvent {
  readonly kind: EventKind;
  readonly to: string;
  /** Encoded message size in bytes. */
  readonly bytes: number;
  readonly key?: string;
  /** Anti-entropy: the partition compared. */
  readonly partition?: number;
  /** ae-buckets: the tree level sent (1 = the root's children). */
  readonly level?: number;
  /** ae-buckets: the parents whose children differ; ae-leaves: the differing buckets; ae-summary-reply: partitions. */
  readonly indexes?: readonly number[];
  /** How many items the message carries (keys, partitions, versions), when that says something. */
  readonly count?: number;
}

export interface NodeStatus {
  readonly zone: 'tab' | 'peer';
  /** This node's own member status ('alive', 'left', ...) or 'starting'. */
  readonly state: string;
  readonly ready: boolean;
  readonly tick: number;
  /** Partitions this node holds a replica of (exact count). */
  readonly partitions: number;
  /** Partitions this node owns, i.e. is first in their preference list (the first partitionsListedMax). */
  readonly primary: readonly number[];
  /** The ring's partition count Q. */
  readonly ringSize: number;
  readonly hints: number;
  readonly keys: number;
  readonly repairs: number;
  readonly time: timeControl.TimeSetting;
}

export interface EventsFrame {
  readonly status: NodeStatus;
  readonly events: readonly WireEvent[];
  /** Events this node left out since its last frame (bounds), so the projector can say so. */
  readonly dropped: number;
}

type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const onlyKeys = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));

function validateEvent(e: unknown): WireEvent | string {
  if (!isRecord(e) || !onlyKeys(e, ['kind', 'to', 'bytes', 'key', 'partition', 'level', 'indexes', 'count'])) return 'expected { kind, to, bytes, key?, partition?, level?, indexes?, count? }';
  if (!(eventKinds as readonly unknown[]).includes(e.kind)) return 'unknown kind';
  if (!isNodeId(e.to)) return 'to must be a node id';
  if (!isCount(e.bytes)) return 'bytes must be a count';
  if (e.key !== undefined && (typeof e.key !== 'string' || e.key.length > keyCharsMax)) return `key must be a string of at most ${keyCharsMax} characters`;
  for (const name of ['partition', 'level', 'count'] as const) if (e[name] !== undefined && !isCount(e[name])) return `${name} must be a count`;
  if (e.indexes !== undefined && !(Array.isArray(e.indexes) && e.indexes.length <= indexesMax && e.indexes.every(isCount))) return `indexes: at most ${indexesMax} counts`;
  return e as unknown as WireEvent;
}

function validateStatus(s: unknown): NodeStatus | string {
  const keys = ['zone', 'state', 'ready', 'tick', 'partitions', 'primary', 'ringSize', 'hints', 'keys', 'repairs', 'time'];
  if (!isRecord(s) || !onlyKeys(s, keys) || Object.keys(s).length !== keys.length) return `expected { ${keys.join(', ')} }`;
  if (s.zone !== 'tab' && s.zone !== 'peer') return 'zone must be tab or peer';
  if (typeof s.state !== 'string' || s.state.length > 16) return 'state must be a short string';
  if (typeof s.ready !== 'boolean') return 'ready must be a boolean';
  for (const name of ['tick', 'partitions', 'ringSize', 'hints', 'keys', 'repairs'] as const) if (!isCount(s[name])) return `${name} must be a count`;
  if (!Array.isArray(s.primary) || s.primary.length > partitionsListedMax || !s.primary.every(isCount)) return `primary: at most ${partitionsListedMax} partitions`;
  const time = timeControl.validate(s.time);
  if (!time.ok) return time.reason;
  return s as unknown as NodeStatus;
}

/** Validates an events frame's body (both the server and the projector check it). */
export function validateFrame(status: unknown, events: unknown, dropped: unknown): Parsed<EventsFrame> {
  const st = validateStatus(status);
  if (typeof st === 'string') return { ok: false, reason: `status: ${st}` };
  if (!Array.isArray(events) || events.length > eventsPerFrameMax) return { ok: false, reason: `events: at most ${eventsPerFrameMax}` };
  const out: WireEvent[] = [];
  for (const [i, e] of events.entries()) {
    const v = validateEvent(e);
    if (typeof v === 'string') return { ok: false, reason: `events[${i}]: ${v}` };
    out.push(v);
  }
  if (!isCount(dropped)) return { ok: false, reason: 'dropped must be a count' };
  return { ok: true, value: { status: st, events: out, dropped } };
}

/** The time and events frames of the projector view as a member sends them; the server adds `from`. */
export type WatchFrame =
  | { readonly type: 'time'; readonly setting: timeControl.TimeSetting }
  | ({ readonly type: 'events' } & EventsFrame);

/** Checks a time or events frame's body (signaling.ts checks the envelope: its keys and `from`). */
export function parseWatchFrame(m: Record<string, unknown>): Parsed<WatchFrame> {
  if (m.type === 'time') {
    const time = timeControl.validate(m.setting);
    return time.ok ? { ok: true, value: { type: 'time', setting: time.setting } } : { ok: false, reason: time.reason };
  }
  const frame = validateFrame(m.status, m.events, m.dropped);
  return frame.ok ? { ok: true, value: { type: 'events', ...frame.value } } : { ok: false, reason: `events: ${frame.reason}` };
}
