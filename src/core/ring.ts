/**
 * The ring: the Dynamo paper's partitioning strategy 3 (section 6.2). The 128-bit MD5 hash space is cut into
 * Q equal partitions (a power of two; a key's partition is the top log2(Q) bits of its MD5, see hash.ts),
 * and each partition is owned by one node, with partitions shared out in proportion to capacity.
 *
 * The assignment is a pure function of the member SET (members are sorted by id first), so any two nodes that
 * know the same members compute the same ring, whatever order they learned them in; nothing is gossiped:
 *   1. Bounds: with share = Q * capacity / totalCapacity, a member owns between lo = floor(0.75 share) and
 *      hi = max(ceil(share), floor(1.05 share)) partitions (`bounds`). hi is the balance guarantee
 *      (max/mean <= 1.05, or one partition over the share when shares are small); lo is slack, see below.
 *   2. Weighted rendezvous scores capacity / -ln(u), u a hash of (partition, node id) in (0, 1), and the
 *      stable matching under the ceilings hi (as if pairs were taken in descending score order and a pair
 *      assigned its partition when the partition is free and its node below hi), by deferred acceptance.
 *   3. Every member below lo, largest deficit first, takes its best-scoring partition from a member above lo.
 * Why the slack: a pair's score depends only on that pair, so a join only adds the newcomer's pairs, and it
 * takes partitions where it scores high. A victim that was full (at hi) then claims its next partition from
 * someone else, a chain that ends at the first victim below hi (or above lo, with a leave). With exact quotas
 * (the previous version) every node is at its bound and chains were long: 2.4-2.9 x the ideal 1/(S+1) at
 * S = 30, Q = 256. A floor well below the share ends almost every join chain (victims may just shrink); the
 * ceiling, which the balance goal fixes at 9 partitions for S = 30 (mean 8.5), still makes at least half the
 * members full, so leave chains and some join chains remain. Measured (test/bench/ring-results.md): 1.65-1.85 x
 * at S = 30, Q = 256 and 1.1-1.15 x at Q = 4096 (where hi leaves 5 % of room). A lower floor buys little more
 * (floor 0: about 1.57 / 1.84 x at Q = 256) at the cost of members owning half their share. The paper's
 * ideal (the newcomer steals exactly its share) needs history: with tight bounds a set function cannot move
 * exactly the ideal for every join (two joiners X, Y from the same set would each have to take the partitions
 * the other leaves), and replaying joins in a canonical order is far worse (8-10 x, measured).
 *
 * Cost: the scores and each partition's best candidates live in an index kept beside each ring
 * (ring-candidates.ts); `rebuild(previous, members)` derives the next index from the previous ring's, touching
 * only the lists a change reaches (O(Q) comparisons, no S x Q scores), and the matching then runs from
 * nothing over it (about 1.5 Q proposals at Q = 256) in work arrays reused between builds. The result is the
 * same ring as `build` (ring.test.ts checks random join/leave sequences against it and the reference
 * algorithm). Measured by B8 (test/bench/b8-scale.ts, load average ~10 on 2 cores): 0.1-0.25 ms per change
 * whatever S; at S = 150 the full rebuild itself costs only ~0.5 ms, so there the ratio is 0.15-0.25x, not
 * 0.1x: what is left is the matching and the O(Q + S) passes (see the README's B8 note).
 *
 * An empty member set gives a ring with `owners: []`: no partition has an owner and every preference list
 * is empty (a node alone before it has joined anything still has itself as a member, so this is rare).
 *
 * Preference lists (section 4.3 and 6.2) walk clockwise from a partition over the partition owners: see
 * placement.ts (two zones, tabs and always-on peers).
 */
import * as hash from './hash.js';
import * as candidates from './ring-candidates.js';
import type { NodeId, Ring, RingMember } from './types.js';

export type { Ring } from './types.js';

// Preference lists (which N members hold a partition, two zones) live in placement.ts; re-exported here so
// callers keep reading `ring.preferenceList`.
export { preferenceList, preferenceListForKey, replicaPartitions, type PreferenceList } from './placement.js';

/** Exact capacity-proportional partition counts (largest remainder, ties by id); members sorted by id. */
export function quotas(members: readonly RingMember[], partitions: number): readonly number[] {
  const total = members.reduce((sum, m) => sum + m.capacity, 0);
  const exact = members.map((m) => (partitions * m.capacity) / total);
  const counts = exact.map(Math.floor);
  let left = partitions - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
    left--;
  }
  return counts;
}

/** Members sorted by id, checked; a list already in order (membership.refreshRing sorts its own) is only copied. */
function checkMembers(members: readonly RingMember[]): RingMember[] {
  let inOrder = true;
  for (let i = 1; i < members.length && inOrder; i++) inOrder = (members[i - 1] as RingMember).id <= (members[i] as RingMember).id;
  const sorted = inOrder ? members.slice() : [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const m = sorted[i] as RingMember;
    if (!(Number.isFinite(m.capacity) && m.capacity > 0)) throw new RangeError(`ring: member ${m.id} has capacity ${m.capacity}`);
    if (i > 0 && (sorted[i - 1] as RingMember).id === m.id) throw new RangeError(`ring: member ${m.id} listed twice`);
  }
  return sorted;
}

/** A member may own down to this share of its exact share: the slack that lets most join chains end at once. */
export const floorFraction = 0.75;
/** ... and up to this share (or the exact share rounded up, if larger): the load-balance bound. */
export const ceilingFraction = 1.05;

export interface Bounds {
  readonly lo: readonly number[];
  readonly hi: readonly number[];
}

/**
 * The partition counts `build` keeps every member within (members sorted by id): with share = Q * capacity /
 * totalCapacity, lo = floor(share * floorFraction) and hi = max(ceil(share), floor(share * ceilingFraction)).
 */
export function bounds(members: readonly RingMember[], partitions: number): Bounds {
  try {
    const { lo, hi } = boundsOf(members, partitions);
    return { lo: Array.from(lo), hi: Array.from(hi) };
  } finally {
    candidates.work.release();
  }
}

/** `bounds` as typed arrays, what the matching reads. */
function boundsOf(members: readonly RingMember[], partitions: number): { lo: Int32Array; hi: Int32Array } {
  let total = 0;
  for (const m of members) total += m.capacity;
  const [lo, hi] = candidates.work.take(members.length, members.length) as [Int32Array, Int32Array];
  for (let i = 0; i < members.length; i++) {
    const share = (partitions * (members[i] as RingMember).capacity) / total;
    lo[i] = Math.floor(share * floorFraction);
    hi[i] = Math.max(Math.ceil(share), Math.floor(share * ceilingFraction));
  }
  return { lo, hi };
}

/** The candidate index behind each ring, so the next ring is derived from it (ring-candidates.ts). */
const indexes = new WeakMap<Ring, candidates.Candidates>();

/** Pair order on member indexes (members sorted by id): higher score first, ties to the lower index. */
const beats = candidates.beats;

/**
 * Partition p's next candidate after `last` (-1: none yet): from its list while it lasts, then the best
 * member `last` beats, found by a scan of every member (a partition rarely runs out of its K candidates).
 */
function nextCandidate(index: candidates.Candidates, p: number, tried: number, last: number): number {
  const list = index.top[p] as readonly number[];
  if (tried < list.length) return index.rank[list[tried] as number] as number;
  const rows = index.rows;
  const lastScore = (rows[last] as Float64Array)[p] as number;
  let best = -1;
  let bestScore = 0;
  for (let i = 0; i < rows.length; i++) {
    const score = (rows[i] as Float64Array)[p] as number;
    if (beats(score, i, lastScore, last) || i === last) continue;
    if (best < 0 || beats(score, i, bestScore, best)) {
      best = i;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The stable matching under ceilings (the same as taking pairs in descending score order, a pair assigning its
 * partition when the partition is free and its node below its ceiling), by partition-proposing deferred
 * acceptance: each partition proposes to nodes best first; a node over its ceiling rejects its worst partition.
 * Member i's partitions sit in `held` at [start[i], start[i] + count[i]); it holds at most hi[i] + 1 at once.
 */
function stableMatching(index: candidates.Candidates, hi: Int32Array): Int32Array {
  const { partitions, rows } = index;
  const s = rows.length;
  let room = 0;
  for (let i = 0; i < s; i++) room += (hi[i] as number) + 1;
  const [owner, start, held, count, tried, last, waiting] = candidates.work.take(partitions, s + 1, room, s, partitions, partitions, partitions) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  owner.fill(-1);
  last.fill(-1);
  tried.fill(0);
  count.fill(0);
  start[0] = 0;
  for (let i = 0; i < s; i++) start[i + 1] = (start[i] as number) + (hi[i] as number) + 1;
  let waitingCount = 0;
  for (let p = partitions - 1; p >= 0; p--) waiting[waitingCount++] = p;
  while (waitingCount > 0) {
    const p = waiting[--waitingCount] as number;
    const best = nextCandidate(index, p, tried[p] as number, last[p] as number);
    if (best < 0) throw new Error('ring: a partition was rejected by every member (ceilings below Q)');
    tried[p] = (tried[p] as number) + 1;
    last[p] = best;
    const base = start[best] as number;
    const n = (count[best] as number) + 1;
    held[base + n - 1] = p;
    count[best] = n;
    owner[p] = best;
    if (n <= (hi[best] as number)) continue;
    const row = rows[best] as Float64Array;
    let worst = base;
    for (let k = base + 1; k < base + n; k++) {
      const a = held[k] as number;
      const b = held[worst] as number;
      if ((row[b] as number) > (row[a] as number) || (row[a] === row[b] && a > b)) worst = k;
    }
    const rejected = held[worst] as number;
    held[worst] = held[base + n - 1] as number;
    count[best] = n - 1;
    owner[rejected] = -1;
    waiting[waitingCount++] = rejected;
  }
  return owner;
}

/** Lifts every member to its floor: the largest deficit first (ties: lower id) takes its best-scoring partition from a member above its floor. */
function raiseToFloors(rows: readonly Float64Array[], owner: Int32Array, lo: Int32Array): void {
  const s = rows.length;
  const partitions = owner.length;
  const [count] = candidates.work.take(s) as [Int32Array];
  count.fill(0);
  for (let p = 0; p < partitions; p++) count[owner[p] as number] = (count[owner[p] as number] as number) + 1;
  // Only members below their floor now ever are: a member gives partitions only while above its floor.
  const poor: number[] = [];
  for (let i = 0; i < s; i++) if ((count[i] as number) < (lo[i] as number)) poor.push(i);
  for (;;) {
    let poorest = -1;
    let most = 0;
    for (const i of poor) { // in index order: ties go to the lower id
      const deficit = (lo[i] as number) - (count[i] as number);
      if (deficit > most) {
        poorest = i;
        most = deficit;
      }
    }
    if (poorest < 0) return;
    // Its best-scoring partition among those of members above their floor: the first in its row's order.
    let best = -1;
    for (const p of candidates.orderOf(rows[poorest] as Float64Array)) {
      const o = owner[p] as number;
      if (o === poorest || (count[o] as number) <= (lo[o] as number)) continue;
      best = p;
      break;
    }
    if (best < 0) throw new Error('ring: floors exceed Q');
    const from = owner[best] as number;
    count[from] = (count[from] as number) - 1;
    count[poorest] = (count[poorest] as number) + 1;
    owner[best] = poorest;
  }
}

function assemble(sorted: readonly RingMember[], partitions: number, index: candidates.Candidates): Ring {
  const { lo, hi } = boundsOf(sorted, partitions);
  const owner = stableMatching(index, hi);
  raiseToFloors(index.rows, owner, lo);
  const owners = new Array<NodeId>(partitions);
  for (let p = 0; p < partitions; p++) owners[p] = (sorted[owner[p] as number] as RingMember).id;
  const built: Ring = { partitions, owners, members: sorted };
  indexes.set(built, index);
  return built;
}

/** The ring for a member set (any order) and a partition count (a power of two), computed from nothing. */
export function build(members: readonly RingMember[], partitions: number): Ring {
  return rebuild(undefined, members, partitions);
}

/**
 * The same ring as `build(members, partitions)`, derived from `previous` (the ring before a membership change):
 * a join or leave costs O(Q + S) plus the matching, instead of scoring all S x Q pairs again. With no previous
 * ring, or one of another partition count, it builds from nothing. Members already sorted by id (as
 * membership.refreshRing passes them) are not sorted again.
 */
export function rebuild(previous: Ring | undefined, members: readonly RingMember[], partitions: number): Ring {
  hash.assertPartitionCount(partitions);
  const sorted = checkMembers(members);
  if (sorted.length === 0) return { partitions, owners: [], members: [] };
  const before = previous === undefined ? undefined : indexes.get(previous);
  try {
    return assemble(sorted, partitions, candidates.derive(before, sorted, partitions));
  } finally {
    candidates.work.release();
  }
}

/** The candidate index kept beside a ring (undefined for an empty one): what the next `rebuild` derives from; tests check it. */
export function candidatesOf(built: Ring): candidates.Candidates | undefined {
  return indexes.get(built);
}

/** How many partitions each member owns (members with none are listed with 0). */
export function partitionCounts(ring: Ring): ReadonlyMap<NodeId, number> {
  const counts = new Map<NodeId, number>(ring.members.map((m) => [m.id, 0]));
  for (const owner of ring.owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

/** How many partitions changed owner between two rings of the same partition count. */
export function ownersChanged(before: Ring, after: Ring): number {
  if (before.partitions !== after.partitions) throw new RangeError(`ring: partition counts differ (${before.partitions} vs ${after.partitions})`);
  let changed = 0;
  for (let p = 0; p < before.partitions; p++) if (before.owners[p] !== after.owners[p]) changed++;
  return changed;
}
