/**
 * The ring's candidate index (ring.ts): every member's weighted rendezvous scores, one row per member, and
 * for every partition its best-scoring members in order, the first ones it proposes to in the stable matching.
 *
 * Why: rebuilding the ring from nothing scores every (member, partition) pair (S x Q logarithms) and scans
 * every member for every proposal, so each membership change cost O(S x Q) on every node and a discovery
 * O(S^2 x Q) per node. The index of the previous ring is carried to the next one instead: a join scores the
 * newcomer once per partition and merges it into each list (O(Q x K)); a leave drops the leaver from the lists
 * that held it and rescans only those few (O(S) each). The index is still a function of the member set alone
 * (each list is the true best min(K, S) members of its partition), so a ring derived from its predecessor
 * equals a ring built from nothing; test/unit/ring.test.ts checks that over random join/leave sequences.
 */
import * as hash from './hash.js';
import type { NodeId, RingMember } from './types.js';

/** Candidates kept per partition: enough that a partition almost never exhausts them (then ring.ts sorts all). */
export const listLength = 8;

export interface ScoreRow {
  readonly capacity: number;
  /** capacity / -ln(u) for each partition, u a hash of (partition, member id) in (0, 1). */
  readonly scores: Float64Array;
}

/**
 * The index of one member set. Members are named by their index in `members` (sorted by id), so a lower
 * index is a lower id: the tie-break of every pair order. Never mutated once built (the next index is new).
 */
export interface Candidates {
  readonly partitions: number;
  /** The members, sorted by id: the ring's own. */
  readonly members: readonly RingMember[];
  /** rows[i]: members[i]'s scores, capacity / -ln(u) for each partition. */
  readonly rows: readonly Float64Array[];
  /** min(listLength, S): the length of every partition's list. */
  readonly length: number;
  /** Partition p's list at [p * listLength, p * listLength + length): member indexes, best first (see `beats`). */
  readonly top: Int32Array;
}

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

/**
 * Score rows already computed, by id, capacity and partition count: a row is a pure function of those, so
 * every ring (and, in the simulator, every node of the process) shares it. Bounded by total scores kept;
 * when full it is emptied (a miss only costs the row again).
 */
const memo = new Map<string, ScoreRow>();
const memoScoresMax = 1 << 21;
let memoScores = 0;

export function scoreRow(member: RingMember, partitions: number): ScoreRow {
  const key = `${partitions}|${member.capacity}|${member.id}`;
  const known = memo.get(key);
  if (known !== undefined) return known;
  const scores = new Float64Array(partitions);
  const [h1, h2] = idSeeds(member.id);
  for (let p = 0; p < partitions; p++) {
    const u = (fmix32(h1 ^ fmix32((p + Math.imul(h2, 0x9e3779b1)) | 0)) + 0.5) / twoPow32;
    scores[p] = member.capacity / -Math.log(u);
  }
  const row = { capacity: member.capacity, scores };
  if (memoScores + partitions > memoScoresMax) {
    memo.clear();
    memoScores = 0;
  }
  memo.set(key, row);
  memoScores += partitions;
  return row;
}

/**
 * Work space of one ring build (this index's derivation and ring.ts's matching): arrays carved from one buffer kept between builds. Every array is
 * reset before use and none outlives the build that took it (the core is synchronous), so builds stay pure;
 * allocating them anew per build cost as much as the matching (typed arrays this size live outside the heap).
 */
export const work = {
  buffer: new Int32Array(4096),
  used: 0,
  /** Fresh arrays of these lengths (contents undefined), valid until `release`. */
  take(...lengths: number[]): Int32Array[] {
    const total = lengths.reduce((sum, n) => sum + n, this.used);
    // Arrays already taken keep the old buffer alive: they stay valid.
    if (total > this.buffer.length) this.buffer = new Int32Array(Math.max(total, 2 * this.buffer.length));
    return lengths.map((n) => {
      const part = this.buffer.subarray(this.used, this.used + n);
      this.used += n;
      return part;
    });
  },
  /** Ends the build: every array taken is free again. */
  release(): void {
    this.used = 0;
  },
};

/** Each score row's partitions, best first (ties: the lower partition), computed when first asked for. */
const orders = new WeakMap<Float64Array, Int32Array>();

/** Row's partitions in descending score order, ties to the lower partition: where a member below its floor looks first. */
export function orderOf(row: Float64Array): Int32Array {
  const known = orders.get(row);
  if (known !== undefined) return known;
  const order = Int32Array.from(row.keys()).sort((a, b) => (row[b] as number) - (row[a] as number) || a - b);
  orders.set(row, order);
  return order;
}

/** Pair order on member indexes: higher score first, ties to the lower index (the lower id). */
export function beats(scoreA: number, a: number, scoreB: number, b: number): boolean {
  return scoreA > scoreB || (scoreA === scoreB && a < b);
}

/** Inserts member `i` into the list at `base` (length `have`, at most `max`) if it is among the best `max`; returns the new length. */
function offer(top: Int32Array, base: number, have: number, max: number, rows: readonly Float64Array[], p: number, i: number): number {
  const s = (rows[i] as Float64Array)[p] as number;
  let at = have;
  while (at > 0) {
    const j = top[base + at - 1] as number;
    if (!beats(s, i, (rows[j] as Float64Array)[p] as number, j)) break;
    at--;
  }
  if (at >= max) return have;
  const end = Math.min(have, max - 1);
  for (let k = end; k > at; k--) top[base + k] = top[base + k - 1] as number;
  top[base + at] = i;
  return end + 1;
}

/** Partition p's list from every member, written at `base`; returns its length, min(max, S). */
function scan(top: Int32Array, base: number, max: number, rows: readonly Float64Array[], p: number): number {
  let have = 0;
  let worst = -Infinity; // the score of the list's last entry once the list is full: most members fall below it
  for (let i = 0; i < rows.length; i++) {
    if (have >= max && ((rows[i] as Float64Array)[p] as number) < worst) continue;
    have = offer(top, base, have, max, rows, p, i);
    if (have >= max) worst = (rows[top[base + have - 1] as number] as Float64Array)[p] as number;
  }
  return have;
}

/**
 * Where each previous member is now (`at`: its new index) and where each member was (`from`: its previous
 * index); -1 for a member that left or joined, or whose capacity changed (its scores changed: it is dropped
 * and added again). Both member lists are sorted by id, so one merge walk does it.
 */
function follow(before: readonly RingMember[], members: readonly RingMember[]): { at: Int32Array; from: Int32Array } {
  const [at, from] = work.take(before.length, members.length) as [Int32Array, Int32Array];
  at.fill(-1);
  from.fill(-1);
  let j = 0;
  for (let i = 0; i < before.length; i++) {
    const old = before[i] as RingMember;
    while (j < members.length && (members[j] as RingMember).id < old.id) j++;
    const now = members[j];
    if (now === undefined || now.id !== old.id || now.capacity !== old.capacity) continue;
    at[i] = j;
    from[j] = i;
  }
  return { at, from };
}

/**
 * The index for `members` (sorted by id, checked by ring.ts), derived from `previous` (the index of the
 * previous ring) when it has the same partition count, else built from nothing. A derived list is the
 * previous one renumbered; a list that lost a member while full is rescanned (who comes next is a member
 * below it), and each newcomer enters the lists whose last entry it beats: O(Q x K + S) plus O(S) per
 * rescanned list, about Q x K / S of them per leave.
 */
export function derive(previous: Candidates | undefined, members: readonly RingMember[], partitions: number): Candidates {
  const max = Math.min(listLength, members.length);
  const top = new Int32Array(partitions * listLength);
  const reuse = previous !== undefined && previous.partitions === partitions ? previous : undefined;
  if (reuse === undefined) {
    const rows = members.map((m) => scoreRow(m, partitions).scores);
    for (let p = 0; p < partitions; p++) scan(top, p * listLength, max, rows, p);
    return { partitions, members, rows, length: max, top };
  }
  const { at, from } = follow(reuse.members, members);
  const added: number[] = [];
  const rows = members.map((m, i) => {
    const was = from[i] as number;
    if (was >= 0) return reuse.rows[was] as Float64Array;
    added.push(i);
    return scoreRow(m, partitions).scores;
  });
  const [have, rescanned] = work.take(partitions, partitions) as [Int32Array, Int32Array];
  rescanned.fill(0); // 1: already placed every current member, newcomers included
  for (let p = 0; p < partitions; p++) {
    const base = p * listLength;
    let n = 0;
    for (let k = 0; k < reuse.length; k++) {
      const i = at[reuse.top[base + k] as number] as number;
      if (i >= 0) top[base + n++] = i;
    }
    // A full list that lost a member does not know who comes next (a member below the cut): rescan.
    if (n < reuse.length && reuse.length >= listLength) {
      n = scan(top, base, max, rows, p);
      rescanned[p] = 1;
    }
    have[p] = n;
  }
  for (const i of added) {
    const row = rows[i] as Float64Array;
    for (let p = 0; p < partitions; p++) {
      if (rescanned[p] === 1) continue;
      const base = p * listLength;
      const n = have[p] as number;
      if (n >= max && (row[p] as number) < ((rows[top[base + n - 1] as number] as Float64Array)[p] as number)) continue;
      have[p] = offer(top, base, n, max, rows, p, i);
    }
  }
  return { partitions, members, rows, length: max, top };
}
