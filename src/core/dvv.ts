/**
 * Dotted version vectors (Almeida, Baquero, Goncalves, Preguica, Fonte, arXiv 1011.5808; Riak 2.0's
 * dvvset): how a replica decides which versions of a key are siblings and which are obsolete.
 *
 * A version carries a DOT, the one event that made it, `(actor, counter)`, and a PAST, the version vector
 * (VV) of every event its writer had seen (the client's context). Actors are node incarnations only,
 * `${nodeId}@${epoch}`, with a random epoch per life (node.ts), so one actor's counters are issued by one
 * node's storage and never twice. Nothing here carries a tick: ticks are per node and compare nothing.
 *
 *   - X is obsoleted by Y iff Y.past[X.dot.actor] >= X.dot.counter (Y's writer had seen X).
 *   - Same dot and same digest: the same version. Two versions with one dot and different digests must
 *     never exist (a dot is issued once); if they are seen, both are kept (a programmer error, counted).
 *   - A client's context is the join of (past + dot) over the versions a get returned: a VV.
 *   - A write coordinated by actor r on key K takes dot (r, m + 1), m the largest counter of r over every
 *     local version of K (dots and pasts) and over the context, and past = the context (NOT merged with
 *     the local siblings: those the context does not cover stay siblings).
 *
 * INVARIANT (what makes a VV context exact): a replica that holds a version of K with dot (r, k) also
 * holds every version of K with dot (r, j < k), or a version that obsoletes it. So a context with
 * entry r:k stands for "saw every version of r up to k" and a write with it replaces exactly what its
 * client saw. It holds because the unit of replication is a key's WHOLE sibling set at the sender, as in
 * Riak: a coordinator's `store` carries every local version of K after applying the new one; read repair
 * sends the merged set; anti-entropy, hinted handoff and leave send whole per-key sets; a read reply that
 * cannot carry the whole set leaves out every version that covers one it leaves out (siblings.closed).
 * A coordinator that lost its own copy (storage-failed) stops coordinating until it reloads (node.ts).
 *
 * Bound and pruning: a past keeps at most `limits.clockEntriesMax` entries (one per coordinating
 * incarnation of the key, so it is rarely reached). Past it, entries are dropped from the PAST only,
 * lowest counters first, then by actor order (`prune`): the version then looks concurrent with something
 * it had seen (a spurious sibling, reconciled by the next client write), never the other way round. A dot is
 * never pruned, so nothing ever looks obsolete that was not. Contexts are pruned the same way.
 *
 * VVs are plain readonly arrays sorted by actor (types.ts); functions never mutate their inputs.
 */
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { Actor, Dot, NodeId, VV, VvEntry } from './types.js';

export type Order = 'before' | 'after' | 'equal' | 'concurrent';

/** Anything with a dot and a past: Version, VersionMeta; `op` is a forwarded write's operation id (see below). */
export interface Dotted {
  readonly dot: Dot;
  readonly past: VV;
  readonly op?: string | undefined;
}

/** Largest counter accepted anywhere (a write adds one; far below 2^53; limits.ts says why). */
export const counterMax = limits.counterMax;

/** The empty VV: before every other. */
export function fresh(): VV {
  return [];
}

/** The actor name of one incarnation of a node. */
export function actor(nodeId: NodeId, epoch: number): Actor {
  if (nodeId.length === 0) throw new RangeError('dvv.actor: empty node id');
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`dvv.actor: bad epoch ${epoch}`);
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

/** The counter of an actor in a VV (0 when absent). */
export function get(vv: VV, who: Actor): number {
  for (const e of vv) if (e.actor === who) return e.counter;
  return 0;
}

/** True when the VV has seen the dot. */
export function covers(vv: VV, dot: Dot): boolean {
  return get(vv, dot.actor) >= dot.counter;
}

/**
 * The marker of a client write's operation id: an entry `~<16 hex>@0` with counter 1 that a context (and
 * so the past of the next write) carries for every version with an op id it covers. One client write
 * retried on a second coordinator (forward.ts) may exist as two versions with two dots, twins; a writer
 * that saw either twin carries the marker, and a get hides every twin of an op that another version's
 * past marks as seen (siblings.visible), so the old value never shows again beside the write that replaced
 * it, even where that write's context missed the twin's dot. The twin itself is dropped only by a write
 * whose past covers its DOT (the next write with a get's context: contexts cover hidden versions too):
 * markers never make anything obsolete, so a node never loses the record of a dot it issued and never
 * reissues it. The '~' makes markers sort after node actors, so pruning (lowest counters, then larger
 * actors, first) drops markers before any node's entry; the UI's clock summary hides them (ui/format.ts).
 */
export function markerOf(op: string): VvEntry {
  let actorText = markers.get(op);
  if (actorText === undefined) {
    actorText = `~${hash.md5Hex(op).slice(0, 16)}@0`;
    if (markers.size >= markersCachedMax) markers.clear(); // a memo only: recomputing is always correct
    markers.set(op, actorText);
  }
  return { actor: actorText, counter: 1 };
}
const markersCachedMax = 4096;
const markers = new Map<string, string>();

/** True when a past marks the client write of op id `op` as seen (markerOf). */
export function sawOp(vv: VV, op: string): boolean {
  return covers(vv, markerOf(op));
}

/** Y obsoletes X: Y's writer had seen X (Y.past covers X.dot). */
export function obsoletes(y: Dotted, x: Dotted): boolean {
  return covers(y.past, x.dot);
}

/**
 * Walks two VVs together in actor order (both are sorted by actor), calling `visit` once per actor with its
 * entry in each (undefined where absent); stops early when `visit` returns false. The one merge walk that
 * join and compare share.
 */
function align(a: VV, b: VV, visit: (ea: VvEntry | undefined, eb: VvEntry | undefined) => boolean): void {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const ea = a[i];
    const eb = b[j];
    const aFirst = eb === undefined || (ea !== undefined && ea.actor < eb.actor);
    const bFirst = !aFirst && (ea === undefined || (eb as VvEntry).actor < ea.actor);
    if (!bFirst) i++;
    if (!aFirst) j++;
    if (!visit(bFirst ? undefined : ea, aFirst ? undefined : eb)) return;
  }
}

/** Pointwise maximum: the least VV that descends both. */
export function join(a: VV, b: VV): VV {
  const out: VvEntry[] = [];
  align(a, b, (ea, eb) => {
    out.push(ea === undefined ? (eb as VvEntry) : eb === undefined || ea.counter >= eb.counter ? ea : eb);
    return true;
  });
  return out;
}

/** A version's whole causal history as a VV: its past with its dot added. What a get shows as `clock`. */
export function clockOf(v: Dotted): VV {
  return join(v.past, [v.dot]);
}

/** What a context must hold to have seen v: its clock, plus its write's marker when it has an op id. */
export function seenOf(v: Dotted): VV {
  const clock = clockOf(v);
  return v.op === undefined ? clock : join(clock, [markerOf(v.op)]);
}

/** How VV a relates to VV b: 'before' means b strictly descends a. */
export function compare(a: VV, b: VV): Order {
  let aBigger = false;
  let bBigger = false;
  align(a, b, (ea, eb) => {
    if ((ea?.counter ?? 0) > (eb?.counter ?? 0)) aBigger = true;
    else if ((eb?.counter ?? 0) > (ea?.counter ?? 0)) bBigger = true;
    return !(aBigger && bBigger);
  });
  if (aBigger && bBigger) return 'concurrent';
  if (aBigger) return 'after';
  if (bBigger) return 'before';
  return 'equal';
}

/** a >= b pointwise (true for equal VVs). */
export function descends(a: VV, b: VV): boolean {
  const order = compare(a, b);
  return order === 'after' || order === 'equal';
}

/** How version a relates to version b under the DVV rule: 'before' means b obsoletes a. */
export function compareVersions(a: Dotted & { readonly digest: string }, b: Dotted & { readonly digest: string }): Order {
  if (a.digest === b.digest) return 'equal';
  const aOld = obsoletes(b, a);
  const bOld = obsoletes(a, b);
  if (aOld === bOld) return 'concurrent';
  return aOld ? 'before' : 'after';
}

/**
 * The dot of a new write by `who` (see the module comment): one past the largest counter of `who` in the
 * local versions of the key (dots and pasts) and in the context.
 */
export function nextDot(who: Actor, local: readonly Dotted[], context: VV): Dot {
  let m = get(context, who);
  for (const v of local) {
    if (v.dot.actor === who) m = Math.max(m, v.dot.counter);
    m = Math.max(m, get(v.past, who));
  }
  return { actor: who, counter: m + 1 };
}

/**
 * Keeps at most `max` entries, dropping the lowest counters first (ties: the lexically larger actor goes
 * first), so every replica prunes identically. Only ever applied to a past or a context: see the module
 * comment for why that can add a spurious sibling and never lose a version.
 */
export function prune(vv: VV, max: number = limits.clockEntriesMax): VV {
  if (!Number.isInteger(max) || max < 0) throw new RangeError(`dvv.prune: bad max ${max}`);
  if (vv.length <= max) return vv;
  const kept = new Set(
    vv
      .slice()
      .sort((x, y) => y.counter - x.counter || (x.actor < y.actor ? -1 : 1))
      .slice(0, max)
      .map((e) => e.actor),
  );
  return vv.filter((e) => kept.has(e.actor));
}

/** Checks one entry or dot: an actor of valid format and a counter in 1..counterMax. */
export function validateEntry(e: VvEntry): string | undefined {
  if (typeof e.actor !== 'string' || parseActor(e.actor) === undefined) return `bad actor ${JSON.stringify(e.actor)}`;
  if (hash.utf8(e.actor).length > limits.idBytesMax + 16) return 'actor too long';
  if (!Number.isSafeInteger(e.counter) || e.counter < 1 || e.counter > counterMax) return `bad counter for ${e.actor}`;
  return undefined;
}

/** Checks the VV invariants: sorted unique valid actors, counters in 1..counterMax, at most `max` entries. */
export function validate(vv: readonly VvEntry[], max: number = limits.clockEntriesMax): { ok: true } | { ok: false; reason: string } {
  if (vv.length > max) return { ok: false, reason: `more than ${max} entries` };
  let previous: string | undefined;
  for (const e of vv) {
    const problem = validateEntry(e);
    if (problem !== undefined) return { ok: false, reason: problem };
    if (previous !== undefined && !(previous < e.actor)) return { ok: false, reason: 'actors not sorted and unique' };
    previous = e.actor;
  }
  return { ok: true };
}
