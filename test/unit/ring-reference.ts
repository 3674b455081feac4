/**
 * The ring as ring.ts built it before the incremental candidate index (ring-candidates.ts): a full scan of
 * every member for every proposal. Kept only as the reference the property test compares against, so a
 * faster ring can never silently become a different ring.
 */
import * as hash from '../../src/core/hash.js';
import * as candidates from '../../src/core/ring-candidates.js';
import { bounds, type Ring } from '../../src/core/ring.js';
import type { RingMember } from '../../src/core/types.js';

/** Members sorted by id (the order every ring uses; the property test only passes valid member sets). */
const byId = (members: readonly RingMember[]) => [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/**
 * Weighted rendezvous scores, index node * partitions + partition. The score and the bounds are the ring's
 * definition (shared with ring.ts through candidates.scoreRow and ring.bounds); what this file keeps is the
 * old way of matching partitions to members under them.
 */
function scoreTable(sorted: readonly RingMember[], partitions: number): Float64Array {
  const scores = new Float64Array(partitions * sorted.length);
  sorted.forEach((m, i) => scores.set(candidates.scoreRow(m, partitions).scores, i * partitions));
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
export function referenceBuild(members: readonly RingMember[], partitions: number): Ring {
  hash.assertPartitionCount(partitions);
  const sorted = byId(members);
  if (sorted.length === 0) return { partitions, owners: [], members: [] };
  const s = sorted.length;
  const { lo, hi } = bounds(sorted, partitions);
  const scores = scoreTable(sorted, partitions);
  const owner = stableMatching(scores, s, partitions, hi);
  raiseToFloors(scores, s, partitions, owner, lo);
  return { partitions, owners: Array.from(owner, (i) => (sorted[i] as RingMember).id), members: sorted };
}

