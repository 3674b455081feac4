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
 * An empty member set gives a ring with `owners: []`: no partition has an owner and every preference list
 * is empty (a node alone before it has joined anything still has itself as a member, so this is rare).
 *
 * Preference lists (section 4.3 and 6.2) walk clockwise from a partition over the partition owners: see
 * placement.ts (two zones, tabs and always-on peers).
 */
import * as hash from './hash.js';
import type { NodeId, RingMember } from './types.js';

export interface Ring {
  readonly partitions: number;
  /** The owner of each partition (length `partitions`), or [] when there are no members. */
  readonly owners: readonly NodeId[];
  /** The members, sorted by id. */
  readonly members: readonly RingMember[];
}

// Preference lists (which N members hold a partition, two zones) live in placement.ts; re-exported here so
// callers keep reading `ring.preferenceList`.
export { preferenceList, preferenceListForKey, replicaPartitions, type PreferenceList } from './placement.js';

const twoPow32 = 4294967296;

/** murmur3's 32-bit finaliser: a bijection with full avalanche. */
function fmix32(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function idSeeds(id: NodeId): [number, number] {
  const d = hash.md5(hash.utf8(id));
  const word = (o: number) => (((d[o] ?? 0) << 24) | ((d[o + 1] ?? 0) << 16) | ((d[o + 2] ?? 0) << 8) | (d[o + 3] ?? 0)) >>> 0;
  return [word(0), word(4)];
}

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

function checkMembers(members: readonly RingMember[]): RingMember[] {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sorted.forEach((m, i) => {
    if (!(Number.isFinite(m.capacity) && m.capacity > 0)) throw new RangeError(`ring: member ${m.id} has capacity ${m.capacity}`);
    if (i > 0 && sorted[i - 1]?.id === m.id) throw new RangeError(`ring: member ${m.id} listed twice`);
  });
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
  const total = members.reduce((sum, m) => sum + m.capacity, 0);
  const shares = members.map((m) => (partitions * m.capacity) / total);
  return {
    lo: shares.map((x) => Math.floor(x * floorFraction)),
    hi: shares.map((x) => Math.max(Math.ceil(x), Math.floor(x * ceilingFraction))),
  };
}

/** Weighted rendezvous scores, index node * partitions + partition: capacity / -ln(u), u a hash of the pair. */
function scoreTable(sorted: readonly RingMember[], partitions: number): Float64Array {
  const scores = new Float64Array(partitions * sorted.length);
  sorted.forEach((m, i) => {
    const [h1, h2] = idSeeds(m.id);
    for (let p = 0; p < partitions; p++) {
      const u = (fmix32(h1 ^ fmix32((p + Math.imul(h2, 0x9e3779b1)) | 0)) + 0.5) / twoPow32;
      scores[i * partitions + p] = m.capacity / -Math.log(u);
    }
  });
  return scores;
}

/** Pair order: higher score first, ties to the lower node index (the lower id). */
const beats = (scoreA: number, nodeA: number, scoreB: number, nodeB: number) => scoreA > scoreB || (scoreA === scoreB && nodeA < nodeB);

/**
 * The stable matching under ceilings (the same as taking pairs in descending score order, a pair assigning its
 * partition when the partition is free and its node below its ceiling), by partition-proposing deferred
 * acceptance: each partition proposes to nodes best first; a node over its ceiling rejects its worst partition.
 */
function stableMatching(scores: Float64Array, s: number, partitions: number, hi: readonly number[]): Int32Array {
  const owner = new Int32Array(partitions).fill(-1);
  const held: number[][] = Array.from({ length: s }, () => []);
  const proposed = new Uint8Array(partitions * s);
  const waiting: number[] = [];
  for (let p = partitions - 1; p >= 0; p--) waiting.push(p);
  for (let p = waiting.pop(); p !== undefined; p = waiting.pop()) {
    let best = -1;
    for (let i = 0; i < s; i++) {
      if (proposed[p * s + i] === 0 && (best < 0 || beats(scores[i * partitions + p] as number, i, scores[best * partitions + p] as number, best))) best = i;
    }
    if (best < 0) throw new Error('ring: a partition was rejected by every member (ceilings below Q)');
    proposed[p * s + best] = 1;
    const mine = held[best] as number[];
    mine.push(p);
    owner[p] = best;
    if (mine.length <= (hi[best] as number)) continue;
    let worst = 0;
    for (let k = 1; k < mine.length; k++) {
      const a = mine[k] as number;
      const b = mine[worst] as number;
      if (beats(scores[best * partitions + b] as number, best, scores[best * partitions + a] as number, best) || (scores[best * partitions + a] === scores[best * partitions + b] && a > b)) worst = k;
    }
    const rejected = mine[worst] as number;
    mine.splice(worst, 1);
    owner[rejected] = -1;
    waiting.push(rejected);
  }
  return owner;
}

/** Lifts every member to its floor: the largest deficit first (ties: lower id) takes its best-scoring partition from a member above its floor. */
function raiseToFloors(scores: Float64Array, s: number, partitions: number, owner: Int32Array, lo: readonly number[]): void {
  const count = new Array<number>(s).fill(0);
  for (const i of owner) count[i] = (count[i] as number) + 1;
  const deficit = (i: number) => (lo[i] as number) - (count[i] as number);
  for (;;) {
    let poorest = -1;
    for (let i = 0; i < s; i++) if (deficit(i) > 0 && (poorest < 0 || deficit(i) > deficit(poorest))) poorest = i;
    if (poorest < 0) return;
    let best = -1;
    for (let p = 0; p < partitions; p++) {
      const o = owner[p] as number;
      if (o === poorest || (count[o] as number) <= (lo[o] as number)) continue;
      if (best < 0 || (scores[poorest * partitions + p] as number) > (scores[poorest * partitions + best] as number)) best = p;
    }
    if (best < 0) throw new Error('ring: floors exceed Q');
    const from = owner[best] as number;
    count[from] = (count[from] as number) - 1;
    count[poorest] = (count[poorest] as number) + 1;
    owner[best] = poorest;
  }
}

/** The ring for a member set (any order) and a partition count (a power of two). */
export function build(members: readonly RingMember[], partitions: number): Ring {
  hash.assertPartitionCount(partitions);
  const sorted = checkMembers(members);
  if (sorted.length === 0) return { partitions, owners: [], members: [] };
  const s = sorted.length;
  const { lo, hi } = bounds(sorted, partitions);
  const scores = scoreTable(sorted, partitions);
  const owner = stableMatching(scores, s, partitions, hi);
  raiseToFloors(scores, s, partitions, owner, lo);
  return { partitions, owners: Array.from(owner, (i) => (sorted[i] as RingMember).id), members: sorted };
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
