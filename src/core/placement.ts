/**
 * Preference lists (Dynamo sections 4.3 and 6.2) over a ring (ring.ts), with two zones in the manner of the
 * paper's replication across data centers (section 4.6): browser tabs, which close, and always-on headless
 * peers (src/node), which keep the data when the last tab is gone.
 *
 * The rule, deterministic on every node because it reads only the ring (a function of the member set):
 *   1. Walk clockwise from the partition over the owners (distinct owners as first met, then members owning
 *      nothing, by id) and take the first N, preferring distinct hosts (the paper's physical machines).
 *   2. Two zones: if some member is a peer (zone 'peer') and step 1 picked none, the last pick (a node of a
 *      repeated host if step 1 needed one, else the last clockwise) is replaced by
 *      the first peer met clockwise. The list keeps clockwise order; the displaced node becomes a fallback.
 * With no peer, step 2 does nothing: the lists are exactly those of a tab-only ring. A peer that joins
 * enters only the lists it must (its own walk positions, plus one slot in each list that had no peer).
 *
 * Lists are cached per ring object and N in a WeakMap, so a look-up is a map hit.
 */
import * as hash from './hash.js';
import type { Ring } from './ring.js';
import type { NodeId } from './types.js';

export interface PreferenceList {
  /** The N nodes that hold the partition's replicas, in clockwise order (the first owns the partition). */
  readonly replicas: readonly NodeId[];
  /** Every other member, in clockwise order: where a sloppy quorum looks when replicas are unreachable. */
  readonly fallbacks: readonly NodeId[];
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

/** The first n of the walk, one node per host first, then nodes of repeated hosts (both clockwise). */
function pickDistinctHosts(ring: Ring, walk: readonly NodeId[], n: number): NodeId[] {
  const hostOf = new Map(ring.members.map((m) => [m.id, m.host]));
  const picked: NodeId[] = [];
  const hosts = new Set<string>();
  for (const id of walk) {
    if (picked.length >= n) break;
    const host = hostOf.get(id) as string;
    if (!hosts.has(host)) {
      hosts.add(host);
      picked.push(id);
    }
  }
  for (const id of walk) {
    if (picked.length >= n) break;
    if (!picked.includes(id)) picked.push(id);
  }
  return picked;
}

/** Step 2: when the picks hold no peer but the walk does, the last pick gives its place to the first peer. */
function withPeer(ring: Ring, walk: readonly NodeId[], picked: NodeId[]): NodeId[] {
  const peers = new Set(ring.members.filter((m) => m.zone === 'peer').map((m) => m.id));
  if (peers.size === 0 || picked.some((id) => peers.has(id))) return picked;
  const firstPeer = walk.find((id) => peers.has(id));
  if (firstPeer === undefined || picked.length === 0) return picked;
  return [...picked.slice(0, -1), firstPeer];
}

function computePreferenceList(ring: Ring, partition: number, n: number): PreferenceList {
  if (ring.members.length === 0) return { replicas: [], fallbacks: [] };
  const walk = clockwise(ring, partition);
  const picked = new Set(withPeer(ring, walk, pickDistinctHosts(ring, walk, n)));
  return { replicas: walk.filter((id) => picked.has(id)), fallbacks: walk.filter((id) => !picked.has(id)) };
}

/**
 * The preference list of a partition: the first n distinct nodes clockwise from it, preferring nodes on
 * distinct hosts (if fewer than n hosts exist, the remaining places go to nodes of repeated hosts, in
 * clockwise order), with at least one always-on peer when the ring has one; then every other member as
 * fallbacks. Fewer than n members: all of them are replicas.
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
