/**
 * Delivery in the sender's order, per link. Pure: the link machine keeps one per link and feeds it every
 * whole message the reassembler completes, with its message id.
 *
 * Why: a data channel is ordered, but @roamhq/wrtc (the Node peer's WebRTC) can hand the answering side's
 * first messages to JavaScript out of order. Messages that arrive before the JS RTCDataChannel exists are
 * cached by the binding and re-queued when it is built, behind any that arrived while it was being built
 * (it registers itself as the channel's observer before it re-queues the cache). A burst written the moment
 * the link opened then arrives as 3, 1, 2 (seen in webrtc-transport.test.ts under load, and reproduced with
 * raw wrtc: the last messages of a burst first). The core relies on order within a link (effects.ts: a
 * receiver never holds a dot without the lower ones of its actor), so the machine restores it.
 *
 * The sender numbers each link's messages 0, 1, 2, ... (send-queue.ts restarts the numbering with every
 * link). A message ahead of its turn is held until the ones before it come; on a reliable channel they do.
 * Holding is bounded: past heldMax messages or heldBytesMax bytes the wait is given up (the held ones are
 * delivered in id order and the turn jumps past them) rather than stalling or dropping; a message that
 * comes after its turn was given up is delivered as it comes. The bound is small (the reordering seen is
 * the last few messages of a burst) because a turn can be missing for good: a message whose frame the
 * reassembler rejected or swept, or a tab of an older version, whose ids ran on across links; then the
 * next heldMax messages wait for the bound, and the link is in order again after.
 */

export interface InOrderLimits {
  /** Most whole messages held for an earlier one; past it the wait is given up. */
  readonly heldMax: number;
  /** Most bytes of whole messages held; past it the wait is given up. */
  readonly heldBytesMax: number;
}

export interface InOrder {
  /** The id whose turn it is. */
  next: number;
  /** Messages ahead of their turn, by id. */
  readonly held: Map<number, Uint8Array>;
  heldBytes: number;
}

export function create(): InOrder {
  return { next: 0, held: new Map(), heldBytes: 0 };
}

/** Message `id` arrived whole: returns the messages to deliver now, in order (none while one before it is missing). */
export function accept(s: InOrder, limits: InOrderLimits, id: number, message: Uint8Array): Uint8Array[] {
  const ahead = (id - s.next) >>> 0; // ids are u32 and wrap
  if (ahead >= 2 ** 31) return [message]; // its turn was given up: late, delivered as it comes
  if (ahead > 0) {
    if (s.held.has(id)) return []; // a duplicate: a reliable channel never sends one
    s.held.set(id, message);
    s.heldBytes += message.length;
    if (s.held.size <= limits.heldMax && s.heldBytes <= limits.heldBytesMax) return [];
    return giveUp(s);
  }
  const out = [message];
  s.next = (s.next + 1) >>> 0;
  for (let m = s.held.get(s.next); m !== undefined; m = s.held.get(s.next)) {
    out.push(m);
    take(s, s.next, m);
    s.next = (s.next + 1) >>> 0;
  }
  return out;
}

/** Stops waiting for the missing ones: every held message, in id order; the turn moves past the last. */
function giveUp(s: InOrder): Uint8Array[] {
  const ids = [...s.held.keys()].sort((x, y) => ((x - s.next) >>> 0) - ((y - s.next) >>> 0));
  const out: Uint8Array[] = [];
  for (const id of ids) {
    const m = s.held.get(id) as Uint8Array;
    out.push(m);
    take(s, id, m);
    s.next = (id + 1) >>> 0;
  }
  return out;
}

function take(s: InOrder, id: number, m: Uint8Array): void {
  s.held.delete(id);
  s.heldBytes -= m.length;
}
