/**
 * The set of versions one replica holds for one key (Dynamo paper section 4.4, "siblings").
 *
 * Invariant: a sibling set is an antichain, sorted by digest: no version in it descends from another,
 * and no digest appears twice. Reconciling an incoming version
 *   - ignores it when it is already held (same digest) or a held version strictly descends from it;
 *   - otherwise drops every held version it strictly descends from and adds it.
 * Two versions with equal clocks but different digests (only possible after clock truncation or a bug)
 * are kept as concurrent: when in doubt, keep both rather than lose one.
 * The result is the set of maximal versions of everything seen, so it does not depend on arrival order.
 *
 * The sibling bound (limits.siblingsMax) and why nothing acknowledged is ever lost:
 *   - A NEW client write is reconciled with the default bound. If it would GROW the set past
 *     siblingsMax (it covers none of the held versions), reconcile answers 'overflow' and changes nothing;
 *     the coordinator refuses the write with "too many siblings: reconcile ... first" and acknowledges
 *     nothing. A write that covers at least one held version never grows the set, so a reconciling write
 *     (one made with the context of a read) is always accepted: the way out always exists.
 *   - A version arriving by replication, hinted handoff, read repair or anti-entropy is a write some
 *     coordinator already accepted. It is reconciled with `{ max: siblingsHardMax }` (2 x siblingsMax):
 *     each coordinator admits at most siblingsMax siblings, so only writes accepted on different sides of
 *     a network partition can add up past that. Past the hard ceiling the replica answers 'overflow' and
 *     does not store it; the sender must treat that as NOT delivered (keep the hint, count no ack), so the
 *     version survives where it already is. The key is then flagged (overCeiling) for the UI, a read still
 *     returns every version it finds, and the client's reconciling write collapses the set on every replica.
 *   - `mergeAll` (used to combine what several replicas returned, in memory) never drops a concurrent version.
 */
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { ValueKind, VClock } from './types.js';
import * as vclock from './vclock.js';

/** Anything with a clock and a digest: Version, VersionMeta, ReadVersion with digest... */
export type Versioned = { readonly clock: VClock; readonly digest: string };

export type Reconciled<V> =
  | { readonly outcome: 'added' | 'replaced' | 'ignored'; readonly versions: readonly V[]; readonly dropped: readonly V[] }
  | { readonly outcome: 'overflow'; readonly versions: readonly V[]; readonly dropped: readonly [] };

/** The hard ceiling on siblings kept from replication and repair (see the module comment). */
export const siblingsHardMax = 2 * limits.siblingsMax;

const byDigest = <V extends Versioned>(x: V, y: V): number => (x.digest < y.digest ? -1 : x.digest > y.digest ? 1 : 0);

/**
 * Reconciles one incoming version into a sibling set (see the module comment). `max` bounds how large the
 * set may GROW: the default (siblingsMax) is for new client writes, siblingsHardMax for replicated ones.
 * 'added': the set grew by one; 'replaced': it dropped at least one version; 'ignored': nothing changed.
 */
export function reconcile<V extends Versioned>(current: readonly V[], incoming: V, options: { readonly max?: number } = {}): Reconciled<V> {
  const max = options.max ?? limits.siblingsMax;
  const kept: V[] = [];
  const dropped: V[] = [];
  for (const held of current) {
    if (held.digest === incoming.digest) return { outcome: 'ignored', versions: current, dropped: [] };
    const order = vclock.compare(incoming.clock, held.clock);
    if (order === 'before') return { outcome: 'ignored', versions: current, dropped: [] };
    if (order === 'after') dropped.push(held);
    else kept.push(held);
  }
  kept.push(incoming);
  kept.sort(byDigest);
  if (dropped.length > 0) return { outcome: 'replaced', versions: kept, dropped };
  if (kept.length > max) return { outcome: 'overflow', versions: current, dropped: [] };
  return { outcome: 'added', versions: kept, dropped: [] };
}

/** The maximal versions of a union, sorted by digest: order-independent, idempotent, never drops a concurrent version. */
export function mergeAll<V extends Versioned>(a: readonly V[], b: readonly V[]): readonly V[] {
  let set: readonly V[] = [];
  for (const v of [...a, ...b]) {
    const r = reconcile(set, v, { max: Number.POSITIVE_INFINITY });
    set = r.versions;
  }
  return set;
}

/** The context a client gets for these versions: the merge of their clocks (a write with it covers them all). */
export function contextOf(versions: readonly Versioned[]): VClock {
  let clock = vclock.fresh();
  for (const v of versions) clock = vclock.merge(clock, v.clock);
  return clock;
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
