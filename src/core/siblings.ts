/**
 * The set of versions one replica holds for one key (Dynamo paper section 4.4, "siblings"), under dotted
 * version vectors (dvv.ts).
 *
 * Invariant: a sibling set is sorted by digest, no digest appears twice, and no version in it is obsoleted
 * by another (under the 'plain-vv' control: no clock descends another). Reconciling an incoming version
 *   - ignores it when it is already held (same digest) or a held version obsoletes it;
 *   - otherwise drops every held version it obsoletes and adds it.
 * Two versions with one dot and different digests (a dot issued twice: a bug) are kept as concurrent and
 * reported in `clashes`: when in doubt, keep both rather than lose one.
 *
 * Sibling bounds (limits.ts) and why nothing acknowledged is ever lost:
 *   - A NEW client write that covers none of the held versions GROWS the set. Past limits.siblingsMax
 *     siblings, or past limits.siblingBytesMax bytes (a set must travel whole in one message), the
 *     coordinator refuses it and acknowledges nothing, with "read the key and write back with its context
 *     to merge the N siblings". A write whose context covers at least one held version is always accepted:
 *     the way out always exists. From limits.siblingsWarn siblings on, the write's reply warns.
 *   - A version arriving by replication, hinted handoff, read repair or anti-entropy is a write some
 *     coordinator already accepted. It is reconciled with limits.siblingsHardMax: only writes accepted on
 *     different sides of a partition add up past siblingsMax. Past the hard ceiling the replica refuses the
 *     whole message (no ack), so the versions survive where they are; a read still returns every version
 *     it finds, and the client's reconciling write collapses the set on every replica.
 *   - `mergeAll` (used to combine what several replicas returned, in memory) never drops a version that
 *     no other version in the union obsoletes, whatever the order.
 */
import * as dvv from './dvv.js';
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { ValueKind, VV } from './types.js';

/** Anything with a dot, a past and a digest: Version, VersionMeta. */
export type Versioned = dvv.Dotted & { readonly digest: string };

/** Which relation decides obsolescence: the real one, or the deliberately broken control (node.ts). */
export type ClockPolicy = 'dvv' | 'plain-vv';

export type Reconciled<V> =
  | { readonly outcome: 'added' | 'replaced' | 'ignored'; readonly versions: readonly V[]; readonly dropped: readonly V[]; readonly clashes: number }
  | { readonly outcome: 'overflow'; readonly versions: readonly V[]; readonly dropped: readonly []; readonly clashes: 0 };

/** The hard ceiling on siblings kept from replication and repair (see the module comment). */
export const siblingsHardMax = limits.siblingsHardMax;

const byDigest = <V extends Versioned>(x: V, y: V): number => (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0);

/**
 * True when `y` makes `x` obsolete. 'dvv': y's past covers x's dot. 'plain-vv' (a broken control): y's
 * clock (past with its dot) strictly descends x's, so a write through a coordinator that held x but whose
 * client never saw it replaces x: the lost-update bug of classic vector clocks.
 */
export function obsoletes(y: Versioned, x: Versioned, policy: ClockPolicy = 'dvv'): boolean {
  if (y.digest === x.digest) return false;
  if (policy === 'dvv') return dvv.obsoletes(y, x);
  return dvv.compare(dvv.clockOf(y), dvv.clockOf(x)) === 'after';
}

/**
 * Reconciles one incoming version into a sibling set (see the module comment). `max` bounds how large the
 * set may GROW (siblingsHardMax by default; the coordinator checks a new write's own bounds first).
 * 'added': the set grew by one; 'replaced': it dropped at least one version; 'ignored': nothing changed.
 */
export function reconcile<V extends Versioned>(current: readonly V[], incoming: V, options: { readonly max?: number; readonly policy?: ClockPolicy } = {}): Reconciled<V> {
  const max = options.max ?? siblingsHardMax;
  const policy = options.policy ?? 'dvv';
  const kept: V[] = [];
  const dropped: V[] = [];
  let clashes = 0;
  for (const held of current) {
    if (held.digest === incoming.digest || obsoletes(held, incoming, policy)) return { outcome: 'ignored', versions: current, dropped: [], clashes: 0 };
    if (held.dot.actor === incoming.dot.actor && held.dot.counter === incoming.dot.counter) clashes++;
    if (obsoletes(incoming, held, policy)) dropped.push(held);
    else kept.push(held);
  }
  kept.push(incoming);
  kept.sort(byDigest);
  if (dropped.length > 0) return { outcome: 'replaced', versions: kept, dropped, clashes };
  if (kept.length > max) return { outcome: 'overflow', versions: current, dropped: [], clashes: 0 };
  return { outcome: 'added', versions: kept, dropped: [], clashes };
}

/**
 * The versions of a union that no other version in it obsoletes, one per digest, sorted by digest: a set
 * function of the union, so order-independent and idempotent; it never drops a concurrent version.
 */
export function mergeAll<V extends Versioned>(a: readonly V[], b: readonly V[], policy: ClockPolicy = 'dvv'): readonly V[] {
  const union = new Map<string, V>();
  for (const v of [...a, ...b]) if (!union.has(v.digest)) union.set(v.digest, v);
  const all = [...union.values()];
  return all.filter((x) => !all.some((y) => obsoletes(y, x, policy))).sort(byDigest);
}

/**
 * The versions a client is shown, grouped by client write (dvv.markerOf): a version with an op id is
 * hidden when another version's past marks its op as seen (a write that saw one twin replaced the write);
 * twins (one op id) are one write, shown once (the first of them). Versions without an op id are each
 * their own write. Order is kept. Everything stays in the set: contexts still cover all of it (contextOf).
 */
export function visible<V extends dvv.Dotted>(versions: readonly V[]): V[][] {
  const groups: V[][] = [];
  const byOp = new Map<string, V[]>();
  for (const v of versions) {
    const op = v.op;
    if (op !== undefined && versions.some((o) => o.op !== op && dvv.sawOp(o.past, op))) continue;
    const group = op === undefined ? undefined : byOp.get(op);
    if (group !== undefined) {
      group.push(v);
      continue;
    }
    const fresh = [v];
    groups.push(fresh);
    if (op !== undefined) byOp.set(op, fresh);
  }
  return groups;
}

/** The context a client gets for these versions: the join of their clocks (past with dot). */
export function contextOf(versions: readonly dvv.Dotted[]): VV {
  let vv = dvv.fresh();
  for (const v of versions) vv = dvv.join(vv, dvv.seenOf(v));
  return vv;
}

/**
 * The largest part of `chosen` safe to hand out without `omitted` (a read reply that cannot carry the whole
 * set): every version whose clock covers the dot of an omitted version is left out too, repeatedly, so the
 * context of what remains never claims to have seen a version it does not carry (dvv.ts invariant).
 */
export function closed<V extends Versioned>(chosen: readonly V[], omitted: readonly V[]): V[] {
  let keep = [...chosen];
  let out = [...omitted];
  for (;;) {
    const bad = keep.filter((v) => out.some((o) => o.digest !== v.digest && dvv.covers(dvv.clockOf(v), o.dot)));
    if (bad.length === 0) return keep;
    keep = keep.filter((v) => !bad.includes(v));
    out = [...out, ...bad];
  }
}

/** Undefined when a NEW write may grow a set of `held` siblings by one to `bytes` in all; the refusal text otherwise. */
export function growthProblem(key: string, held: number, bytes: number): string | undefined {
  if (held + 1 <= limits.siblingsMax && bytes <= limits.siblingBytesMax) return undefined;
  const why = held + 1 > limits.siblingsMax ? `more than ${limits.siblingsMax} siblings` : `more than ${limits.siblingBytesMax} bytes of siblings`;
  return `too many siblings: ${key} would have ${why}; read the key and write back with its context to merge the ${held} siblings`;
}

/** Bytes a version counts toward limits.siblingBytesMax: its value plus its clock and hashes. */
export function sizeOf(v: { readonly sizeBytes: number; readonly past: VV }): number {
  return v.sizeBytes + 128 + v.past.reduce((sum, e) => sum + e.actor.length * 3 + 8, 0);
}

/** The Merkle leaf value of a key: hex MD5 of its sorted digests (order-independent); undefined for no versions. */
export function leafDigest(versions: readonly Versioned[]): string | undefined {
  if (versions.length === 0) return undefined;
  const digests = versions.map((v) => v.digest).sort();
  return hash.md5Hex(digests.join(','));
}

/** True when the set is past the hard ceiling (can only happen by a bug; flag it, never drop). */
export function overCeiling(versions: readonly Versioned[]): boolean {
  return versions.length > siblingsHardMax;
}

/** True for a delete's tombstone (VersionMeta carries `kind`; a full Version carries `value.kind`). */
export function isTombstone(v: { readonly kind: ValueKind } | { readonly value: { readonly kind: ValueKind } }): boolean {
  return ('kind' in v ? v.kind : v.value.kind) === 'tombstone';
}

/** The versions that are not tombstones. */
export function live<V extends { readonly kind: ValueKind } | { readonly value: { readonly kind: ValueKind } }>(versions: readonly V[]): readonly V[] {
  return versions.filter((v) => !isTombstone(v));
}

/** True when the key is deleted: it has versions and every one is a tombstone (a read answers "not found"). */
export function isTombstoned(versions: readonly ({ readonly kind: ValueKind } | { readonly value: { readonly kind: ValueKind } })[]): boolean {
  return versions.length > 0 && versions.every(isTombstone);
}
