/**
 * Vector clocks (Dynamo paper section 4.4; riak_core's vclock module): one entry per actor that
 * coordinated a write of the key, with a counter and the tick of that actor's last update.
 *
 * Actors are `${nodeId}@${epoch}`: a node restarted with wiped storage takes a new epoch, so it can never
 * reissue a counter it issued before (Riak's KV679 data-loss bug).
 *
 * Clocks are plain readonly arrays sorted by actor (types.ts), so equal clocks are structurally equal and
 * every operation is a linear merge walk. Functions never mutate their inputs.
 *
 * Truncation (the paper's caveat): when a clock grows past `limits.clockEntriesMax` entries, the entries
 * with the oldest ticks are dropped. The paper notes this "can lead to inefficiencies in reconciliation as
 * the descendant relationships cannot be derived accurately". Concretely: (1) a descendant whose clock lost
 * an entry can look concurrent with its ancestor (a spurious sibling: safe, the client reconciles it);
 * (2) a version whose own clock lost an entry can look dominated by a concurrent version that happens to
 * cover its remaining entries, and be dropped as obsolete. Case (2) needs more than clockEntriesMax distinct
 * coordinators of one key within the truncation window; with few coordinators per key (the preference list's
 * top nodes) it is rare, as the paper reports.
 */
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { Actor, ClockEntry, NodeId, VClock } from './types.js';

export type Order = 'before' | 'after' | 'equal' | 'concurrent';

/** Most entries a context (a merge of up to 2x siblingsMax clocks) may carry; fromContext refuses more. */
export const contextEntriesMax = limits.clockEntriesMax * limits.siblingsMax * 2;
/** Longest context string accepted by fromContext. */
export const contextCharsMax = 32 * 1024;
const contextPrefix = 'c1.';

/** The empty clock: before every other clock. */
export function fresh(): VClock {
  return [];
}

/** The actor name of one incarnation of a node. */
export function actor(nodeId: NodeId, epoch: number): Actor {
  if (nodeId.length === 0) throw new RangeError('vclock.actor: empty node id');
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`vclock.actor: bad epoch ${epoch}`);
  return `${nodeId}@${epoch}`;
}

/** Splits an actor into node id and epoch, or undefined if it is not `${nodeId}@${epoch}`. */
export function parseActor(text: string): { nodeId: NodeId; epoch: number } | undefined {
  const at = text.lastIndexOf('@');
  if (at <= 0) return undefined;
  const epochText = text.slice(at + 1);
  if (!/^(0|[1-9][0-9]{0,14})$/.test(epochText)) return undefined;
  return { nodeId: text.slice(0, at), epoch: Number(epochText) };
}

/** The counter of an actor in a clock (0 when absent). */
export function counterOf(clock: VClock, who: Actor): number {
  for (const e of clock) if (e.actor === who) return e.counter;
  return 0;
}

/** The clock with `who`'s counter advanced by one and its tick set to `tick` (the actor coordinated a write). */
export function increment(clock: VClock, who: Actor, tick: number): VClock {
  const out: ClockEntry[] = [];
  let done = false;
  for (const e of clock) {
    if (!done && e.actor === who) {
      out.push({ actor: who, counter: e.counter + 1, tick: Math.max(tick, e.tick) });
      done = true;
    } else if (!done && e.actor > who) {
      out.push({ actor: who, counter: 1, tick });
      out.push(e);
      done = true;
    } else {
      out.push(e);
    }
  }
  if (!done) out.push({ actor: who, counter: 1, tick });
  return out;
}

/** How a relates to b: 'before' means a happened before b (b strictly descends a). */
export function compare(a: VClock, b: VClock): Order {
  let aBigger = false;
  let bBigger = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ea = a[i];
    const eb = b[j];
    if (eb === undefined || (ea !== undefined && ea.actor < eb.actor)) {
      aBigger = true;
      i++;
    } else if (ea === undefined || eb.actor < ea.actor) {
      bBigger = true;
      j++;
    } else {
      if (ea.counter > eb.counter) aBigger = true;
      else if (eb.counter > ea.counter) bBigger = true;
      i++;
      j++;
    }
    if (aBigger && bBigger) return 'concurrent';
  }
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'equal';
}

/** a >= b: a has seen every event b has (true for equal clocks). */
export function descends(a: VClock, b: VClock): boolean {
  const order = compare(a, b);
  return order === 'after' || order === 'equal';
}

/** Pointwise maximum: the least clock that descends both. For each actor it keeps the larger counter and the later tick. */
export function merge(a: VClock, b: VClock): VClock {
  const out: ClockEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ea = a[i];
    const eb = b[j];
    if (eb === undefined || (ea !== undefined && ea.actor < eb.actor)) {
      out.push(ea as ClockEntry);
      i++;
    } else if (ea === undefined || eb.actor < ea.actor) {
      out.push(eb);
      j++;
    } else {
      out.push({ actor: ea.actor, counter: Math.max(ea.counter, eb.counter), tick: Math.max(ea.tick, eb.tick) });
      i++;
      j++;
    }
  }
  return out;
}

/**
 * Keeps at most `max` entries: those with the newest ticks (ties: the lexically smaller actor is kept, so
 * every replica truncates identically). See the module comment for what truncation costs.
 */
export function truncate(clock: VClock, max: number = limits.clockEntriesMax): VClock {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`vclock.truncate: bad max ${max}`);
  if (clock.length <= max) return clock;
  const kept = new Set(
    clock
      .slice()
      .sort((x, y) => y.tick - x.tick || (x.actor < y.actor ? -1 : 1))
      .slice(0, max)
      .map((e) => e.actor),
  );
  return clock.filter((e) => kept.has(e.actor));
}

/** Checks the clock invariants (sorted unique actors of valid format, counters >= 1, ticks >= 0). */
export function validate(clock: readonly ClockEntry[]): { ok: true } | { ok: false; reason: string } {
  let previous: string | undefined;
  for (const e of clock) {
    if (typeof e.actor !== 'string' || parseActor(e.actor) === undefined) return { ok: false, reason: `bad actor ${JSON.stringify(e.actor)}` };
    if (e.actor.length > limits.idBytesMax + 16) return { ok: false, reason: 'actor too long' };
    if (!Number.isSafeInteger(e.counter) || e.counter < 1) return { ok: false, reason: `bad counter for ${e.actor}` };
    if (!Number.isSafeInteger(e.tick) || e.tick < 0) return { ok: false, reason: `bad tick for ${e.actor}` };
    if (previous !== undefined && !(previous < e.actor)) return { ok: false, reason: 'actors not sorted and unique' };
    previous = e.actor;
  }
  return { ok: true };
}

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += b64[(n >>> (18 - 6 * k)) & 63];
  }
  return out;
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of text) {
    const v = b64.indexOf(ch);
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** An opaque, URL-safe string for a clock, handed to clients and back (`c1.` + base64url of JSON triples). */
export function toContext(clock: VClock): string {
  const json = JSON.stringify(clock.map((e) => [e.actor, e.counter, e.tick]));
  return contextPrefix + toBase64Url(hash.utf8(json));
}

/** Parses a client's context, validating everything; never throws. */
export function fromContext(text: string): { ok: true; clock: VClock } | { ok: false; reason: string } {
  if (typeof text !== 'string') return { ok: false, reason: 'context is not a string' };
  if (text.length > contextCharsMax) return { ok: false, reason: `context longer than ${contextCharsMax} characters` };
  if (!text.startsWith(contextPrefix)) return { ok: false, reason: 'unknown context format' };
  const bytes = fromBase64Url(text.slice(contextPrefix.length));
  if (bytes === undefined) return { ok: false, reason: 'context is not base64url' };
  const json = hash.fromUtf8Strict(bytes);
  if (json === undefined) return { ok: false, reason: 'context is not UTF-8' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `context is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'context is not a list of entries' };
  if (parsed.length > contextEntriesMax) return { ok: false, reason: `context has more than ${contextEntriesMax} entries` };
  const clock: ClockEntry[] = [];
  for (const item of parsed as unknown[]) {
    if (!Array.isArray(item) || item.length !== 3) return { ok: false, reason: 'context entry is not [actor, counter, tick]' };
    const [who, counter, tick] = item as unknown[];
    if (typeof who !== 'string' || typeof counter !== 'number' || typeof tick !== 'number') return { ok: false, reason: 'context entry has wrong types' };
    clock.push({ actor: who, counter, tick });
  }
  const check = validate(clock);
  return check.ok ? { ok: true, clock } : { ok: false, reason: `bad context: ${check.reason}` };
}
