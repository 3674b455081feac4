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

export function scoreRow(member: RingMember, partitions: number): ScoreRow {
  const scores = new Float64Array(partitions);
  const [h1, h2] = idSeeds(member.id);
  for (let p = 0; p < partitions; p++) {
    const u = (fmix32(h1 ^ fmix32((p + Math.imul(h2, 0x9e3779b1)) | 0)) + 0.5) / twoPow32;
    scores[p] = member.capacity / -Math.log(u);
  }
  return { capacity: member.capacity, scores };
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

function scan(members: readonly RingMember[], p: number, rows: ReadonlyMap<NodeId, ScoreRow>, max: number): NodeId[] {
  const list: NodeId[] = [];
  let worst = -Infinity; // the score of the list's last entry once the list is full: most members fall below it
  for (const m of members) {
    const s = (rows.get(m.id) as ScoreRow).scores[p] as number;
    if (list.length >= max && s < worst) continue;
    offer(list, m.id, p, rows, max);
    if (list.length >= max) worst = scoreOf(rows, list[list.length - 1] as NodeId, p);
  }
  return list;
}

/**
 * The index for `members` (sorted by id, checked by ring.ts), derived from `previous` (the index of the
 * previous ring) when it has the same partition count, else built from nothing.
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
  if (reuse === undefined) return { partitions, rows, top: Array.from({ length: partitions }, (_, p) => scan(members, p, rows, max)) };
  // A member whose capacity changed is dropped and re-added: its scores changed.
  const dropped = new Set<NodeId>();
  for (const [id, row] of reuse.rows) if (rows.get(id) !== row) dropped.add(id);
  const top = reuse.top.map((old, p) => {
    const kept = dropped.size === 0 ? [...old] : old.filter((id) => !dropped.has(id));
    // A full list that lost a member does not know who comes next (a member below the cut, or a newcomer): rescan.
    if (kept.length < old.length && old.length >= listLength) return scan(members, p, rows, max);
    for (const id of added) offer(kept, id, p, rows, max);
    return kept;
  });
  return { partitions, rows, top };
}

/** Every member's index in `members`, ordered best first for partition p: where a partition goes once its K candidates are spent. */
export function fullOrder(members: readonly RingMember[], rows: ReadonlyMap<NodeId, ScoreRow>, p: number): number[] {
  const column = members.map((m) => scoreOf(rows, m.id, p));
  // Members are sorted by id, so a lower index is a lower id: the same tie-break as `beats`.
  return members.map((_, i) => i).sort((a, b) => (column[b] as number) - (column[a] as number) || a - b);
}
