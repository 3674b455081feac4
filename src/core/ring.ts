/**
 * The ring: the Dynamo paper's partitioning strategy 3 (section 6.2). The 128-bit MD5 hash space is cut into
 * Q equal partitions (a power of two; a key's partition is the top log2(Q) bits of its MD5, see hash.ts),
 * and each partition is owned by one node, with partitions shared out in proportion to capacity.
 *
 * The assignment is a pure function of the member SET, so any two nodes that know the same members compute
 * the same ring, whatever order they learned them in, and no assignment ever needs to be gossiped:
 *   1. Quotas: node i gets Q * capacity_i / totalCapacity partitions, rounded by largest remainder (ties by
 *      id), so the quotas are exact and sum to Q.
 *   2. Weighted rendezvous hashing (HRW): every (partition, node) pair gets a score capacity / -ln(u), with u
 *      a hash of (partition, node id) in (0, 1). Pairs are taken in descending score order (ties: node id,
 *      then partition), and a pair assigns its partition to its node when the partition is still free and
 *      the node is below its quota.
 * Because each pair's score depends only on that pair, a join only adds the newcomer's pairs: it takes the
 * partitions where it scores high. But exact quotas cause rejection chains: a node that loses a partition to
 * the newcomer without its quota shrinking takes another one, and so on, until a chain reaches a node whose
 * quota shrank. Measured (`npm run bench:ring`, test/bench/ring-results.md): at S = 30 a join moves about
 * 2.9 x the ideal 1/(S+1) with Q = 256 and 1.4 x with Q = 4096. The paper's history-dependent claim
 * (steal exactly the quota, gossip the resulting assignment) would move exactly the ideal.
 *
 * An empty member set gives a ring with `owners: []`: no partition has an owner and every preference list
 * is empty (a node alone before it has joined anything still has itself as a member, so this is rare).
 *
 * Preference lists (section 4.3 and 6.2) walk clockwise from a partition over the partition owners; see
 * `preferenceList`. They are cached per ring object and N in a WeakMap, so a look-up is a map hit.
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

export interface PreferenceList {
  /** The N nodes that hold the partition's replicas, in clockwise order (the first owns the partition). */
  readonly replicas: readonly NodeId[];
  /** Every other member, in clockwise order: where a sloppy quorum looks when replicas are unreachable. */
  readonly fallbacks: readonly NodeId[];
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

/** The ring for a member set (any order) and a partition count (a power of two). */
export function build(members: readonly RingMember[], partitions: number): Ring {
  hash.assertPartitionCount(partitions);
  const sorted = checkMembers(members);
  if (sorted.length === 0) return { partitions, owners: [], members: [] };
  const s = sorted.length;
  const quota = quotas(sorted, partitions).slice();
  const pairs = partitions * s;
  const scores = new Float64Array(pairs);
  for (let i = 0; i < s; i++) {
    const [h1, h2] = idSeeds((sorted[i] as RingMember).id);
    const capacity = (sorted[i] as RingMember).capacity;
    for (let p = 0; p < partitions; p++) {
      const u = (fmix32(h1 ^ fmix32((p + Math.imul(h2, 0x9e3779b1)) | 0)) + 0.5) / twoPow32;
      scores[i * partitions + p] = capacity / -Math.log(u);
    }
  }
  // Pair index = node * partitions + partition, so ascending index breaks ties by node id, then partition.
  const order = new Uint32Array(pairs);
  for (let k = 0; k < pairs; k++) order[k] = k;
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);
  const owners = new Array<NodeId | undefined>(partitions).fill(undefined);
  let free = partitions;
  for (let k = 0; k < pairs && free > 0; k++) {
    const pair = order[k] as number;
    const i = Math.floor(pair / partitions);
    const p = pair - i * partitions;
    if (owners[p] !== undefined || (quota[i] as number) === 0) continue;
    owners[p] = (sorted[i] as RingMember).id;
    quota[i] = (quota[i] as number) - 1;
    free--;
  }
  return { partitions, owners: owners as NodeId[], members: sorted };
}

/** How many partitions each member owns (members with none are listed with 0). */
export function partitionCounts(ring: Ring): ReadonlyMap<NodeId, number> {
  const counts = new Map<NodeId, number>(ring.members.map((m) => [m.id, 0]));
  for (const owner of ring.owners) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  return counts;
}

/** Most distinct N values cached per ring (N is a cluster setting; a few values at most are in use). */
const cachedNsMax = 8;
const cache = new WeakMap<Ring, Map<number, Array<PreferenceList | undefined>>>();

/** Members in clockwise order from a partition: distinct owners as first met, then members owning nothing (by id). */
function clockwise(ring: Ring, partition: number): NodeId[] {
  const seen = new Set<NodeId>();
  for (let k = 0; k < ring.partitions && seen.size < ring.members.length; k++) {
    seen.add(ring.owners[(partition + k) % ring.partitions] as NodeId);
  }
  for (const m of ring.members) seen.add(m.id);
  return [...seen];
}

function computePreferenceList(ring: Ring, partition: number, n: number): PreferenceList {
  if (ring.members.length === 0) return { replicas: [], fallbacks: [] };
  const walk = clockwise(ring, partition);
  const hostOf = new Map(ring.members.map((m) => [m.id, m.host]));
  const picked = new Set<NodeId>();
  const hosts = new Set<string>();
  // First pass: one node per host, clockwise. Second pass: fill from repeated hosts, clockwise.
  for (const id of walk) {
    if (picked.size >= n) break;
    const host = hostOf.get(id) as string;
    if (!hosts.has(host)) {
      hosts.add(host);
      picked.add(id);
    }
  }
  for (const id of walk) {
    if (picked.size >= n) break;
    picked.add(id);
  }
  return { replicas: walk.filter((id) => picked.has(id)), fallbacks: walk.filter((id) => !picked.has(id)) };
}

/**
 * The preference list of a partition: the first n distinct nodes clockwise from it, preferring nodes on
 * distinct hosts (if fewer than n hosts exist, the remaining places go to nodes of repeated hosts, in
 * clockwise order), then every other member as fallbacks. Fewer than n members: all of them are replicas.
 * Cached: the returned object is shared, never mutate it.
 */
export function preferenceList(ring: Ring, partition: number, n: number): PreferenceList {
  if (!Number.isInteger(partition) || partition < 0 || partition >= ring.partitions) throw new RangeError(`ring: no partition ${partition}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`ring: bad replica count ${n}`);
  let byN = cache.get(ring);
  if (byN === undefined) {
    byN = new Map();
    cache.set(ring, byN);
  }
  let lists = byN.get(n);
  if (lists === undefined) {
    if (byN.size >= cachedNsMax) byN.clear();
    lists = new Array<PreferenceList | undefined>(ring.partitions).fill(undefined);
    byN.set(n, lists);
  }
  let list = lists[partition];
  if (list === undefined) {
    list = computePreferenceList(ring, partition, n);
    lists[partition] = list;
  }
  return list;
}

/** The preference list of a key (its partition is the top bits of its MD5). */
export function preferenceListForKey(ring: Ring, key: string, n: number): PreferenceList {
  return preferenceList(ring, hash.partitionOf(key, ring.partitions), n);
}

/** The partitions whose replicas include a node, ascending. */
export function replicaPartitions(ring: Ring, node: NodeId, n: number): readonly number[] {
  const out: number[] = [];
  for (let p = 0; p < ring.partitions; p++) if (preferenceList(ring, p, n).replicas.includes(node)) out.push(p);
  return out;
}

/** How many partitions changed owner between two rings of the same partition count. */
export function ownersChanged(before: Ring, after: Ring): number {
  if (before.partitions !== after.partitions) throw new RangeError(`ring: partition counts differ (${before.partitions} vs ${after.partitions})`);
  let changed = 0;
  for (let p = 0; p < before.partitions; p++) if (before.owners[p] !== after.owners[p]) changed++;
  return changed;
}
