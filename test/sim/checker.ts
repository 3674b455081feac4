/**
 * The checker: after faults heal and the cluster is quiet, it asserts DESIGN.md's properties against what
 * the clients saw (history.ts) and what the replicas hold.
 *   1. No acknowledged write is lost: each is held (same clock) or replaced by a version whose clock
 *      descends it (a later write whose context covered it).
 *   2. Siblings are exactly the concurrent writes: the final versions of a key are pairwise concurrent, and
 *      none is older than an acknowledged write (it would have been replaced). For add-to-set keys, every
 *      acknowledged element is in the union of the final siblings.
 *   3. Convergence: every replica of every partition has the same Merkle root, and no hint is left.
 *   4. (strict runs) A read that starts after a write was acknowledged returns it or a descendant.
 *   5. Amnesia safety follows from 1 in runs that restart a node with wiped storage.
 */
import * as hash from '../../src/core/hash.js';
import * as node from '../../src/core/node.js';
import * as ring from '../../src/core/ring.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { NodeId, Version } from '../../src/core/types.js';
import * as dvv from '../../src/core/dvv.js';
import type { Cluster } from './cluster.js';
import type { History } from './history.js';
import { parseSet } from './workload.js';

export interface Convergence {
  readonly ok: boolean;
  readonly reason: string;
  readonly hintsLeft: number;
  readonly rootsEqual: boolean;
}

/** True when every live node agrees on the ring, every replica set agrees on its Merkle roots, and no hints are left. */
export function convergence(cluster: Cluster): Convergence {
  const live = cluster.live().filter((s) => !s.state?.left);
  const states = live.map((s) => s.state as node.NodeState);
  const hintsLeft = states.reduce((sum, s) => sum + s.index.hintCount, 0);
  const first = states[0];
  if (first === undefined) return { ok: false, reason: 'no live node', hintsLeft, rootsEqual: false };
  const owners = first.ring.owners.join(',');
  const disagree = states.find((s) => s.ring.owners.join(',') !== owners);
  if (disagree !== undefined) return { ok: false, reason: `${disagree.id} sees another ring than ${first.id}`, hintsLeft, rootsEqual: false };
  const byId = new Map(states.map((s) => [s.id, s]));
  const n = Math.min(first.config.n, first.ring.members.length);
  for (let p = 0; p < first.config.partitions; p++) {
    const replicas = ring.preferenceList(first.ring, p, n).replicas;
    const roots = replicas.map((r) => {
      const s = byId.get(r);
      return s === undefined ? 'down' : storeIndex.root(s.index, p);
    });
    if (new Set(roots).size > 1) return { ok: false, reason: `partition ${p}: replicas ${replicas.join(',')} differ`, hintsLeft, rootsEqual: false };
  }
  if (hintsLeft > 0) return { ok: false, reason: `${hintsLeft} hint(s) left`, hintsLeft, rootsEqual: true };
  return { ok: true, reason: 'converged', hintsLeft, rootsEqual: true };
}

/** The versions the replicas of a key hold (merged: after convergence they are equal anyway). */
export function finalVersions(cluster: Cluster, key: string): Version[] {
  const live = cluster.live().filter((s) => !s.state?.left);
  const first = live[0]?.state;
  if (first === undefined) return [];
  const replicas = new Set<NodeId>(ring.preferenceListForKey(first.ring, key, Math.min(first.config.n, first.ring.members.length)).replicas);
  const byDigest = new Map<string, Version>();
  for (const s of live) if (replicas.has(s.id)) for (const v of s.store.allVersions().get(key)?.values() ?? []) byDigest.set(v.digest, v);
  return [...byDigest.values()];
}

export interface Verdict {
  readonly acknowledged: number;
  readonly lost: number;
  readonly indeterminate: number;
  readonly failed: number;
  readonly staleSiblings: number;
  readonly missingElements: number;
  readonly staleReads: number;
  readonly problems: readonly string[];
}

export function check(cluster: Cluster, history: History, options: { strict?: boolean } = {}): Verdict {
  const problems: string[] = [];
  const keys = new Set(history.writes.map((w) => w.key));
  const finals = new Map([...keys].map((k) => [k, finalVersions(cluster, k)]));
  const acked = history.writes.filter((w) => w.outcome === 'ok');
  let lost = 0;
  for (const w of acked) {
    const clock = w.clock as NonNullable<typeof w.clock>;
    const held = finals.get(w.key) ?? [];
    if (held.some((v) => dvv.descends(dvv.clockOf(v), clock))) continue;
    lost++;
    if (problems.length < 20) problems.push(`LOST ${w.op} ${w.key}=${JSON.stringify(w.value.slice(0, 40))} by client ${w.client} acked at ${w.endTick} clock ${JSON.stringify(clock)}`);
  }
  let staleSiblings = 0;
  for (const [key, held] of finals) {
    for (const v of held) {
      const newer = acked.find((w) => w.key === key && w.clock !== undefined && dvv.covers(w.clock, v.dot) && dvv.compare(w.clock, dvv.clockOf(v)) !== 'equal');
      if (newer === undefined) continue;
      staleSiblings++;
      if (problems.length < 20) problems.push(`STALE sibling of ${key} ${JSON.stringify(dvv.clockOf(v))} survives acknowledged ${JSON.stringify(newer.clock)}`);
    }
    for (let i = 0; i < held.length; i++) for (let j = i + 1; j < held.length; j++) {
      const order = dvv.compareVersions(held[i] as Version, held[j] as Version);
      if (order !== 'concurrent' && cluster.options.conflictMode !== 'lww') problems.push(`NOT CONCURRENT siblings of ${key}: ${order}`);
    }
  }
  let missingElements = 0;
  for (const w of acked) {
    if (w.element === undefined) continue;
    const union = new Set((finals.get(w.key) ?? []).filter((v) => v.value.kind === 'string').flatMap((v) => parseSet(hash.fromUtf8(v.value.bytes))));
    if (union.has(w.element)) continue;
    missingElements++;
    if (problems.length < 20) problems.push(`MISSING element ${w.element} of ${w.key}`);
  }
  let staleReads = 0;
  if (options.strict) {
    for (const r of history.reads) {
      for (const w of acked) {
        if (w.key !== r.key || w.endTick >= r.startTick || w.clock === undefined) continue;
        // The read's context merges every version it found, tombstones included.
        if (dvv.descends(r.context, w.clock)) continue;
        staleReads++;
        if (problems.length < 20) problems.push(`STALE READ of ${r.key} at ${r.startTick} misses ${w.op} acked at ${w.endTick}`);
      }
    }
  }
  return {
    acknowledged: acked.length, lost,
    indeterminate: history.writes.filter((w) => w.outcome === 'indeterminate' || w.outcome === 'pending').length,
    failed: history.writes.filter((w) => w.outcome === 'failed').length,
    staleSiblings, missingElements, staleReads, problems,
  };
}
