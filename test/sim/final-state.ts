/**
 * What the cluster holds at the end, read the way the checker must see it: from each replica's STORAGE
 * (its MemoryStore), never from a node's in-memory index, with tombstones left out. A node's index can
 * believe it holds a version its storage never wrote (a failed batch) or the reverse; only storage
 * survives a tab's reload. The versions are shown as a get shows them (siblings.visible, the core's one
 * definition): a retried write's twins as one value, and a twin whose write a later write saw (through its
 * op marker, dvv.markerOf) not at all. A replica that held such a twin would never return it to a client.
 */
import * as hash from '../../src/core/hash.js';
import * as ring from '../../src/core/ring.js';
import * as siblings from '../../src/core/siblings.js';
import type { NodeId, Value } from '../../src/core/types.js';
import type { FinalState } from '../checker/history.js';
import type { Cluster, SimNode } from './cluster.js';

/** The live values among `values`, as text (tombstones left out). */
export function liveStrings(values: readonly Value[]): string[] {
  return values.filter((v) => v.kind !== 'tombstone').map((v) => hash.fromUtf8(v.bytes));
}

/** Nodes that serve as replicas at the end: up, not left, not dead for good. */
export function serving(cluster: Cluster): SimNode[] {
  return cluster.live().filter((s) => !s.dead && !s.state?.left);
}

/**
 * For each key, every serving replica of it (by the ring of the first serving node; the caller checks the
 * rings agree) with the live values its storage holds, [] when it holds none. A node dead for good is
 * left out: nothing may count on its copies.
 */
export function finalState(cluster: Cluster, keys: Iterable<string>): FinalState {
  const nodes = serving(cluster);
  const first = nodes[0]?.state;
  const replicas = new Map<string, Map<NodeId, string[]>>();
  if (first === undefined) return { replicas };
  const byId = new Map(nodes.map((s) => [s.id, s]));
  const n = Math.min(first.config.n, first.ring.members.length);
  for (const key of keys) {
    const held = new Map<NodeId, string[]>();
    for (const id of ring.preferenceListForKey(first.ring, key, n).replicas) {
      const sim = byId.get(id);
      if (sim === undefined) continue;
      const shown = siblings.visible([...(sim.store.allVersions().get(key)?.values() ?? [])]).map((twins) => twins[0]);
      held.set(id, liveStrings(shown.flatMap((v) => (v === undefined ? [] : [v.value]))));
    }
    replicas.set(key, held);
  }
  return { replicas };
}
