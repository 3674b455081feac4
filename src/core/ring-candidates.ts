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

export interface Candidates {
  readonly partitions: number;
  readonly rows: ReadonlyMap<NodeId, ScoreRow>;
  /** Per partition: the best min(listLength, S) member ids, best first (see `beats`). */
  readonly top: readonly (readonly NodeId[])[];
  /** Per partition, the score a newcomer must reach to enter its list (see cutsOf). */
  readonly cut: Float64Array;
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

/** Pair order: higher score first, ties to the lower id (the lower index among members sorted by id). */
export function beats(scoreA: number, idA: NodeId, scoreB: number, idB: NodeId): boolean {
  return scoreA > scoreB || (scoreA === scoreB && idA < idB);
}

const scoreOf = (rows: ReadonlyMap<NodeId, ScoreRow>, id: NodeId, p: number) => (rows.get(id) as ScoreRow).scores[p] as number;

/** Inserts `id` into the ordered `list` if it is among the best `max`; keeps the list at most `max` long. */
function offer(list: NodeId[], id: NodeId, p: number, rows: ReadonlyMap<NodeId, ScoreRow>, max: number): void {
  const s = scoreOf(rows, id, p);
  let at = list.length;
  while (at > 0 && beats(s, id, scoreOf(rows, list[at - 1] as NodeId, p), list[at - 1] as NodeId)) at--;
  if (at >= max) return;
  list.splice(at, 0, id);
  if (list.length > max) list.pop();
}

/** Partition p's list from every member; `scores[i]` is members[i]'s score row. */
function scan(members: readonly RingMember[], scores: readonly Float64Array[], p: number, rows: ReadonlyMap<NodeId, ScoreRow>, max: number): NodeId[] {
  const list: NodeId[] = [];
  let worst = -Infinity; // the score of the list's last entry once the list is full: most members fall below it
  for (let i = 0; i < members.length; i++) {
    if (list.length >= max && ((scores[i] as Float64Array)[p] as number) < worst) continue;
    offer(list, (members[i] as RingMember).id, p, rows, max);
    if (list.length >= max) worst = scoreOf(rows, list[list.length - 1] as NodeId, p);
  }
  return list;
}

/** Per partition, the score a newcomer must reach to enter a full list (-Infinity while a list is not full). */
function cutsOf(top: readonly (readonly NodeId[])[], rows: ReadonlyMap<NodeId, ScoreRow>, max: number): Float64Array {
  return Float64Array.from(top, (list, p) => (list.length >= max && list.length > 0 ? scoreOf(rows, list[list.length - 1] as NodeId, p) : -Infinity));
}

/**
 * The index for `members` (sorted by id, checked by ring.ts), derived from `previous` (the index of the
 * previous ring) when it has the same partition count, else built from nothing. Lists no change touched
 * are shared with the previous index (they are never mutated once built).
 */
export function derive(previous: Candidates | undefined, members: readonly RingMember[], partitions: number): Candidates {
  const max = Math.min(listLength, members.length);
  const reuse = previous !== undefined && previous.partitions === partitions ? previous : undefined;
  const rows = new Map<NodeId, ScoreRow>();
  const added: NodeId[] = [];
  for (const m of members) {
    const old = reuse?.rows.get(m.id);
    if (old !== undefined && old.capacity === m.capacity) rows.set(m.id, old);
    else {
      rows.set(m.id, scoreRow(m, partitions));
      added.push(m.id);
    }
  }
  const scoresOf = () => members.map((m) => (rows.get(m.id) as ScoreRow).scores);
  if (reuse === undefined) {
    const scores = scoresOf();
    const top = Array.from({ length: partitions }, (_, p) => scan(members, scores, p, rows, max));
    return { partitions, rows, top, cut: cutsOf(top, rows, max) };
  }
  // A member whose capacity changed is dropped and re-added: its scores changed.
  const dropped = new Set<NodeId>();
  for (const [id, row] of reuse.rows) if (rows.get(id) !== row) dropped.add(id);
  const top: (readonly NodeId[])[] = [...reuse.top];
  const fresh = new Uint8Array(partitions); // 1 once top[p] is this index's own array (safe to change)
  if (dropped.size > 0) {
    const scores = scoresOf();
    top.forEach((old, p) => {
      if (!old.some((id) => dropped.has(id))) return;
      // A full list that lost a member does not know who comes next (a member below the cut): rescan.
      top[p] = old.length >= listLength ? scan(members, scores, p, rows, max) : old.filter((id) => !dropped.has(id));
      fresh[p] = 1;
    });
  }
  const cut = dropped.size > 0 || max !== Math.min(listLength, reuse.rows.size) ? cutsOf(top, rows, max) : Float64Array.from(reuse.cut);
  for (const id of added) {
    const row = (rows.get(id) as ScoreRow).scores;
    for (let p = 0; p < partitions; p++) {
      if ((row[p] as number) < (cut[p] as number)) continue;
      if (fresh[p] === 0) {
        top[p] = [...(top[p] as NodeId[])];
        fresh[p] = 1;
      }
      const list = top[p] as NodeId[];
      offer(list, id, p, rows, max);
      if (list.length >= max) cut[p] = scoreOf(rows, list[list.length - 1] as NodeId, p);
    }
  }
  return { partitions, rows, top, cut };
}

/** Every member's index in `members`, ordered best first for partition p: where a partition goes once its K candidates are spent. */
export function fullOrder(members: readonly RingMember[], rows: ReadonlyMap<NodeId, ScoreRow>, p: number): number[] {
  const column = members.map((m) => scoreOf(rows, m.id, p));
  // Members are sorted by id, so a lower index is a lower id: the same tie-break as `beats`.
  return members.map((_, i) => i).sort((a, b) => (column[b] as number) - (column[a] as number) || a - b);
}
