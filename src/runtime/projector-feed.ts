/**
 * A node's stream to the projector view (protocol/projector.ts): every message it sends, summarised to a
 * compact event (kind, receiver, key, size, Merkle positions; never a value or a clock), plus its status,
 * published through the signaling server to the room's observers.
 *
 * Bounded and rate-limited: events wait in a buffer of bufferedMax (the excess is counted as dropped and
 * reported), a frame leaves at most every flushMs with at most eventsPerFrameMax events and
 * gossipPerFrameMax gossip events, trimmed until it fits one signaling frame; with nothing to report, a
 * status-only frame leaves every statusEveryMs.
 */
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import * as projector from '../protocol/projector.js';
import { frameBytesMax } from '../protocol/signaling.js';
import type { Clock } from './clock.js';

export const flushMs = 250;
export const statusEveryMs = 1000;
export const bufferedMax = 2 * projector.eventsPerFrameMax;
export const gossipPerFrameMax = 4;
/** A store without an ack (opId 0) within this long of anti-entropy with the same peer is its push. */
const antiEntropyWindowMs = 3000;

export interface FeedSource {
  /**
   * The node's status now and the keys it holds hints for (a store of one of them to its owner is a
   * handoff), read from one view of the node; undefined before it has started.
   */
  observe(): { readonly status: projector.NodeStatus; readonly hintedKeys: ReadonlySet<string> } | undefined;
  /** Sends a frame; false when the signaling server is not connected (the frame is dropped). */
  publish(frame: projector.EventsFrame): boolean;
}

export interface ProjectorFeed {
  /** The runtime handed `message` to the transport for `to` (runtime.ts onSend). */
  sent(to: NodeId, message: Message, bytes: number): void;
  /** A client put or delete arrived at this node (drawn at the node itself). */
  request(op: 'put' | 'delete' | 'get', key: string, self: NodeId): void;
  close(): void;
}

const short = (key: string) => key.slice(0, projector.keyCharsMax);
const firstIndexes = (xs: readonly number[]) => xs.slice(0, projector.indexesMax);

/** The event for one message; `recentAntiEntropy` says whether `to` took part in a Merkle exchange lately. */
export function summarise(to: NodeId, message: Message, bytes: number, hinted: ReadonlySet<string>, recentAntiEntropy: boolean): projector.WireEvent {
  const base = { to, bytes };
  switch (message.type) {
    case 'gossip': return { kind: 'gossip', ...base, count: message.members.length };
    case 'forward': return { kind: 'forward', ...base, key: short(message.key) };
    case 'forward-reply': return { kind: 'forward-reply', ...base };
    case 'store': {
      const kind = message.hintFor !== null ? 'hint'
        : message.opId === 0 ? (recentAntiEntropy ? 'ae-push' : 'read-repair')
          : hinted.has(message.key) ? 'handoff' : 'store';
      return { kind, ...base, key: short(message.key), count: message.versions.length };
    }
    case 'store-ack': return { kind: 'store-ack', ...base, key: short(message.key) };
    // A batch is drawn as one arrow of its first entry's kind, counting its entries.
    case 'store-batch': return { ...summarise(to, { type: 'store', ...message.stores[0] ?? { opId: 0, key: '', versions: [], hintFor: null } }, bytes, hinted, recentAntiEntropy), count: message.stores.length };
    case 'store-ack-batch': return { kind: 'store-ack', ...base, key: short(message.acks[0]?.key ?? ''), count: message.acks.length };
    case 'read': return { kind: 'read', ...base, key: short(message.key) };
    case 'read-reply': return { kind: 'read-reply', ...base, key: short(message.key), count: message.versions.length };
    case 'ae-summary': return { kind: 'ae-summary', ...base, count: message.partitions.length };
    case 'ae-summary-reply': return { kind: 'ae-summary-reply', ...base, indexes: firstIndexes(message.differing), count: message.differing.length };
    case 'ae-root': return { kind: 'ae-root', ...base, partition: message.partition };
    case 'ae-buckets': return { kind: 'ae-buckets', ...base, partition: message.partition, level: message.level, indexes: firstIndexes(message.parents), count: message.hashes.length };
    case 'ae-leaves': return { kind: 'ae-leaves', ...base, partition: message.partition, indexes: firstIndexes(message.buckets), count: message.leaves.length };
    case 'ae-want': return { kind: 'ae-want', ...base, partition: message.partition, count: message.keys.length, ...(message.keys[0] !== undefined ? { key: short(message.keys[0]) } : {}) };
    case 'ae-push': return { kind: 'ae-push', ...base, partition: message.partition, key: short(message.key), count: message.versions.length };
    default: {
      const never: never = message;
      throw new Error(`projector feed: unknown message ${JSON.stringify(never)}`);
    }
  }
}

/** Takes events (gossip capped) and trims them until the frame fits one signaling frame with room for `from`. */
export function frameOf(status: projector.NodeStatus, buffered: readonly projector.WireEvent[], dropped: number): { frame: projector.EventsFrame; taken: number } {
  const events: projector.WireEvent[] = [];
  let gossip = 0;
  let taken = 0;
  for (const e of buffered) {
    if (events.length >= projector.eventsPerFrameMax) break;
    taken++;
    if (e.kind === 'gossip' && ++gossip > gossipPerFrameMax) continue;
    events.push(e);
  }
  const budget = frameBytesMax - 200; // the server adds "type" and "from" (an id of at most 64 bytes)
  // Gossip past the per-frame sample is left out by design (the projector hides gossip by default), not
  // counted as dropped: "dropped" tells the class that messages it should see are missing.
  let frame: projector.EventsFrame = { status, events, dropped };
  while (JSON.stringify(frame).length > budget && frame.events.length > 0) {
    frame = { status, events: frame.events.slice(0, -1), dropped: frame.dropped + 1 };
  }
  return { frame, taken };
}

export function create(source: FeedSource, clock: Clock): ProjectorFeed {
  let buffered: projector.WireEvent[] = [];
  let dropped = 0;
  let lastFrameMs = Number.NEGATIVE_INFINITY;
  let hinted: ReadonlySet<string> = new Set();
  const antiEntropyAtMs = new Map<NodeId, number>();

  function add(event: projector.WireEvent): void {
    if (buffered.length >= bufferedMax) dropped++;
    else buffered.push(event);
  }

  function flush(): void {
    const nowMs = clock.nowMs();
    if (buffered.length === 0 && nowMs - lastFrameMs < statusEveryMs) return;
    const seen = source.observe();
    if (seen === undefined) return;
    hinted = seen.hintedKeys;
    const { frame, taken } = frameOf(seen.status, buffered, dropped);
    buffered = buffered.slice(taken);
    dropped = 0;
    lastFrameMs = nowMs;
    if (!source.publish(frame)) dropped += frame.events.length; // no server now: nobody could watch them
  }

  const stop = clock.every(flushMs, flush);
  return {
    sent(to, message, bytes) {
      const nowMs = clock.nowMs();
      if (message.type.startsWith('ae-')) antiEntropyAtMs.set(to, nowMs);
      const recent = nowMs - (antiEntropyAtMs.get(to) ?? Number.NEGATIVE_INFINITY) < antiEntropyWindowMs;
      add(summarise(to, message, bytes, hinted, recent));
    },
    request(op, key, self) {
      if (op !== 'get') add({ kind: 'put', to: self, bytes: 0, key: short(key) });
      else add({ kind: 'read', to: self, bytes: 0, key: short(key) });
    },
    close: stop,
  };
}
