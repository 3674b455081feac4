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
import type { NodeId, Ring } from './types.js';

export interface PreferenceList {
  /** The N nodes that hold the partition's replicas, in clockwise order (the first owns the partition). */
  readonly replicas: readonly NodeId[];
  /** Every other member, in clockwise order: where a sloppy quorum looks when replicas are unreachable. */
  readonly fallbacks: readonly NodeId[];
}

/** Most distinct N values cached per ring (N is a cluster setting; a few values at most are in use). */
const cachedNsMax = 8;
const cache = new WeakMap<Ring, Map<number, Array<PreferenceList | undefined>>>();

/** What every list of a ring reads: each member's host, the peers, and the members by id. Cached per ring. */
interface RingFacts {
  readonly hostOf: ReadonlyMap<NodeId, string>;
  readonly peers: ReadonlySet<NodeId>;
}
const facts = new WeakMap<Ring, RingFacts>();

function factsOf(ring: Ring): RingFacts {
  let f = facts.get(ring);
  if (f === undefined) {
    f = { hostOf: new Map(ring.members.map((m) => [m.id, m.host])), peers: new Set(ring.members.filter((m) => m.zone === 'peer').map((m) => m.id)) };
    facts.set(ring, f);
  }
  return f;
}

/**
 * Members in clockwise order from a partition: distinct owners as first met, then members owning nothing (by
 * id). Produced on demand: a list usually needs only its first few (with S members and Q partitions the whole
 * walk is O(Q + S), and every list of a ring walking it whole made each membership change O(Q x (Q + S))).
 */
class Walk {
  readonly order: NodeId[] = [];
  private readonly seen = new Set<NodeId>();
  private k = 0;
  private m = 0;
  constructor(private readonly ring: Ring, private readonly partition: number) {}

  /** The walk's i-th member, or undefined past its end. */
  at(i: number): NodeId | undefined {
    while (this.order.length <= i && this.grow());
    return this.order[i];
  }

  private grow(): boolean {
    const { ring } = this;
    while (this.k < ring.partitions && this.seen.size < ring.members.length) {
      const id = ring.owners[(this.partition + this.k++) % ring.partitions] as NodeId;
      if (!this.seen.has(id)) return this.take(id);
    }
    while (this.m < ring.members.length) {
      const id = (ring.members[this.m++] as { id: NodeId }).id;
      if (!this.seen.has(id)) return this.take(id);
    }
    return false;
  }

  private take(id: NodeId): true {
    this.seen.add(id);
    this.order.push(id);
    return true;
  }
}

/** The first n of the walk, one node per host first, then nodes of repeated hosts (both clockwise). */
function pickDistinctHosts(f: RingFacts, walk: Walk, n: number): NodeId[] {
  const picked: NodeId[] = [];
  const hosts = new Set<string>();
  for (let i = 0, id = walk.at(0); id !== undefined && picked.length < n; id = walk.at(++i)) {
    const host = f.hostOf.get(id) as string;
    if (!hosts.has(host)) {
      hosts.add(host);
      picked.push(id);
    }
  }
  for (let i = 0, id = walk.at(0); id !== undefined && picked.length < n; id = walk.at(++i)) if (!picked.includes(id)) picked.push(id);
  return picked;
}

/** Step 2: when the picks hold no peer but the walk does, the last pick gives its place to the first peer. */
function withPeer(f: RingFacts, walk: Walk, picked: NodeId[]): NodeId[] {
  if (f.peers.size === 0 || picked.some((id) => f.peers.has(id)) || picked.length === 0) return picked;
  let firstPeer: NodeId | undefined;
  for (let i = 0, id = walk.at(0); id !== undefined && firstPeer === undefined; id = walk.at(++i)) if (f.peers.has(id)) firstPeer = id;
  if (firstPeer === undefined) return picked;
  return [...picked.slice(0, -1), firstPeer];
}

function computePreferenceList(ring: Ring, partition: number, n: number): PreferenceList {
  if (ring.members.length === 0) return { replicas: [], fallbacks: [] };
  const f = factsOf(ring);
  const walk = new Walk(ring, partition);
  const picked = new Set(withPeer(f, walk, pickDistinctHosts(f, walk, n)));
  // Every pick lies within the part of the walk already produced, so the replicas keep clockwise order.
  const replicas = walk.order.filter((id) => picked.has(id));
  let fallbacks: readonly NodeId[] | undefined;
  return {
    replicas,
    // Fallbacks name every other member (O(S)): computed when a sloppy quorum first asks for them.
    get fallbacks() {
      if (fallbacks === undefined) {
        walk.at(ring.members.length);
        fallbacks = walk.order.filter((id) => !picked.has(id));
      }
      return fallbacks;
    },
  };
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
