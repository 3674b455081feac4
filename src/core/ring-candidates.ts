/**
 * The ring's candidate index (ring.ts): every member's weighted rendezvous scores, one row per member, and
 * for every partition its best-scoring members in order, the first ones it proposes to in the stable matching.
 *
 * Why: rebuilding the ring from nothing scores every (member, partition) pair (S x Q logarithms) and scans
 * every member for every proposal, so each membership change cost O(S x Q) on every node and a discovery
 * O(S^2 x Q) per node. The index of the previous ring is carried to the next one instead, and only what a
 * change touches is redone: lists name members by slot (a number a member keeps), so a join or leave
 * does not renumber them; a join scores the newcomer once (its row is memoised) and enters it in the lists
 * whose last entry it beats (O(Q) comparisons, about Q x K / S lists copied); a leave drops the leaver from
 * the lists that held it (O(Q)) and rescans a list only when it falls below listLength (O(S), rare: lists
 * are listLength to listMax long). Each list is always the true best n members of its partition for its own
 * n, so a ring derived from its predecessor equals a ring built from nothing; test/unit/ring.test.ts checks
 * the rings and every list over seeded walks of joins, leaves and capacity changes.
 */
import * as hash from './hash.js';
import type { NodeId, RingMember } from './types.js';

/** Fewest candidates a list keeps (all members when fewer): a partition rarely proposes past them (then ring.ts scans every member). */
export const listLength = 8;

export interface ScoreRow {
  readonly capacity: number;
  /** capacity / -ln(u) for each partition, u a hash of (partition, member id) in (0, 1). */
  readonly scores: Float64Array;
}

/**
 * The index of one member set. Lists name members by SLOT, a number a member keeps while it stays a member
 * with the same capacity, so a list no change touched is shared with the previous index as it is. Never
 * mutated once built (the next index copies what it changes).
 */
export interface Candidates {
  readonly partitions: number;
  /** The members, sorted by id: the ring's own. */
  readonly members: readonly RingMember[];
  /** rows[i]: members[i]'s scores, capacity / -ln(u) for each partition. */
  readonly rows: readonly Float64Array[];
  /** slots[i]: members[i]'s slot. */
  readonly slots: readonly number[];
  /** By slot: the member's index in `members` (its place in id order, the tie-break of `beats`), -1 for a free slot. */
  readonly rank: readonly number[];
  /** By slot: the member's scores (undefined for a free slot). */
  readonly slotRows: readonly (Float64Array | undefined)[];
  /**
   * Per partition: the best n members (as slots) in order, best first (see `beats`), for some n with
   * min(listLength, S) <= n <= listMax: a prefix of the partition's order of every member, which is all the
   * matching reads (it scans every member once a list is spent).
   */
  readonly top: readonly (readonly number[])[];
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
 * Work space of one ring build (this index's derivation, ring.ts's matching): arrays carved from one buffer
 * kept between builds. Every array is reset before use and none outlives the build that took it (the core is
 * synchronous; ring.rebuild releases it), so builds stay pure; allocating them anew per build cost as much as
 * the matching (typed arrays this size live outside the heap).
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

/**
 * Lists are kept between listLength and listMax long: a leave shortens the lists that held the leaver and
 * only a list that falls below listLength is rescanned (O(S)); a join lengthens the lists it enters.
 */
export const listMax = 12;

/** Where `score` of the member ranked `rank` goes in `list` (slots, best first): the first entry it beats. */
function placeIn(list: readonly number[], score: number, rank: number, p: number, slotRows: readonly (Float64Array | undefined)[], ranks: readonly number[]): number {
  let at = list.length;
  while (at > 0) {
    const j = list[at - 1] as number;
    if (!beats(score, rank, (slotRows[j] as Float64Array)[p] as number, ranks[j] as number)) break;
    at--;
  }
  return at;
}

/** Partition p's best min(listMax, |ranks|) members as slots, from the members at `ranks` (member indexes, ascending). */
function scan(ranks: readonly number[], rows: readonly Float64Array[], slots: readonly number[], p: number): number[] {
  const list: number[] = [];
  const listRanks: number[] = [];
  for (const i of ranks) {
    const score = (rows[i] as Float64Array)[p] as number;
    let at = list.length;
    while (at > 0 && beats(score, i, (rows[listRanks[at - 1] as number] as Float64Array)[p] as number, listRanks[at - 1] as number)) at--;
    if (at >= listMax) continue;
    list.splice(at, 0, slots[i] as number);
    listRanks.splice(at, 0, i);
    if (list.length > listMax) {
      list.pop();
      listRanks.pop();
    }
  }
  return list;
}

/**
 * Where each member was (`from[i]`: its previous index) and each previous member is now (`at`): -1 for a
 * member that left or joined, or whose capacity changed (its scores changed: it is dropped and added again).
 * Both member lists are sorted by id, so one merge walk does it.
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

function fresh(members: readonly RingMember[], partitions: number): Candidates {
  const rows = members.map((m) => scoreRow(m, partitions).scores);
  const slots = members.map((_, i) => i);
  const all = slots;
  const top = Array.from({ length: partitions }, (_, p) => scan(all, rows, slots, p));
  return { partitions, members, rows, slots, rank: slots, slotRows: rows, top };
}

/**
 * The index for `members` (sorted by id, checked by ring.ts), derived from `previous` (the index of the
 * previous ring) when it has the same partition count, else built from nothing. Members that stay keep
 * their slots and rows; a leaver leaves the lists that held it (found by its score against each list's
 * last entry: O(Q)), and each newcomer enters the lists whose last entry it beats (O(Q)); only those lists
 * are copied, and only a list left shorter than listLength is rescanned (O(S)).
 */
export function derive(previous: Candidates | undefined, members: readonly RingMember[], partitions: number): Candidates {
  if (previous === undefined || previous.partitions !== partitions) return fresh(members, partitions);
  const { at, from } = follow(previous.members, members);
  const slotRows = previous.slotRows.slice();
  const rank = previous.rank.slice();
  const freed: number[] = [];
  for (let i = previous.members.length - 1; i >= 0; i--) {
    const slot = previous.slots[i] as number;
    rank[slot] = -1;
    if (at[i] === -1) freed.push(slot);
  }
  for (let slot = previous.rank.length - 1; slot >= 0; slot--) if (previous.rank[slot] === -1) freed.push(slot);
  freed.sort((a, b) => b - a); // lowest slot first off the end
  const slots = new Array<number>(members.length);
  const rows = new Array<Float64Array>(members.length);
  const added: number[] = [];
  const kept: number[] = [];
  for (let i = 0; i < members.length; i++) {
    const was = from[i] as number;
    if (was >= 0) {
      slots[i] = previous.slots[was] as number;
      rows[i] = previous.rows[was] as Float64Array;
      kept.push(i);
    } else {
      const slot = freed.pop() ?? slotRows.length;
      slots[i] = slot;
      rows[i] = scoreRow(members[i] as RingMember, partitions).scores;
      slotRows[slot] = rows[i];
      added.push(i);
    }
    rank[slots[i] as number] = i;
  }
  const top = previous.top.slice();
  // Leavers first: every list then holds members that stayed only, the best n of them.
  const least = Math.min(listLength, kept.length);
  for (let i = 0; i < previous.members.length; i++) {
    if (at[i] !== -1) continue;
    const slot = previous.slots[i] as number;
    const row = previous.rows[i] as Float64Array;
    if (rank[slot] === -1) slotRows[slot] = undefined;
    for (let p = 0; p < partitions; p++) {
      const list = top[p] as readonly number[];
      const last = list[list.length - 1];
      // Below the list's last entry (by the previous index's scores): not in it. Equal scores: look.
      if (last === undefined || (row[p] as number) < ((previous.slotRows[last] as Float64Array)[p] as number)) continue;
      const k = list.indexOf(slot);
      if (k < 0) continue;
      const shorter = list.slice();
      shorter.splice(k, 1);
      top[p] = shorter.length < least ? scan(kept, rows, slots, p) : shorter;
    }
  }
  // Then each newcomer, into the lists whose last entry it beats, or at the end of a list that holds everyone.
  let present = kept.length;
  for (const i of added) {
    const row = rows[i] as Float64Array;
    for (let p = 0; p < partitions; p++) {
      const list = top[p] as readonly number[];
      const score = row[p] as number;
      const last = list[list.length - 1];
      const complete = list.length === present;
      if (!complete && last !== undefined && !beats(score, i, (slotRows[last] as Float64Array)[p] as number, rank[last] as number)) continue;
      const longer = list.slice();
      longer.splice(placeIn(list, score, i, p, slotRows, rank), 0, slots[i] as number);
      if (longer.length > listMax) longer.pop();
      top[p] = longer;
    }
    present++;
  }
  return { partitions, members, rows, slots, rank, slotRows, top };
}
