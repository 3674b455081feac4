/**
 * Replica-state checks of a quiet simulated cluster (DESIGN.md property 3): every serving node sees the
 * same ring, the serving replicas of every partition have the same Merkle root, no serving node holds a
 * version of a partition it does not replicate that the replicas neither hold nor replaced (a write
 * coordinated away from its owners, on its way by anti-entropy), and no hint is left for an owner that can
 * still take it. Client-visible correctness (lost writes, stale survivors, strict
 * reads) is judged by test/checker/value-checker.ts from the clients' history and the replicas' storage,
 * never from clocks.
 */
import * as ring from '../../src/core/ring.js';
import * as siblings from '../../src/core/siblings.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { Cluster } from './cluster.js';
import { serving } from './final-state.js';

export interface Convergence {
  readonly ok: boolean;
  readonly reason: string;
  readonly hintsLeft: number;
  readonly rootsEqual: boolean;
}

/**
 * True when every serving node agrees on the ring, every partition's serving replicas agree on their
 * Merkle roots, and no stored hint is left (those held for nodes dead for good included: the run removes such nodes,
 * and removal sends their hints to the keys' new replicas).
 */
export function convergence(cluster: Cluster): Convergence {
  const nodes = serving(cluster);
  const deadForGood = new Set([...cluster.nodes.values()].filter((s) => s.dead).map((s) => s.id));
  // Hints for the dead count too: the run removes them (run.ts removeTheDead), which sends their hints on.
  const hintsLeft = nodes.reduce((sum, s) => sum + s.store.allHints().length, 0);
  const first = nodes[0]?.state;
  if (first === undefined) return { ok: false, reason: 'no live node', hintsLeft, rootsEqual: false };
  const owners = first.ring.owners.join(',');
  const disagree = nodes.find((s) => s.state?.ring.owners.join(',') !== owners);
  if (disagree !== undefined) return { ok: false, reason: `${disagree.id} sees another ring than ${first.id}`, hintsLeft, rootsEqual: false };
  const byId = new Map(nodes.map((s) => [s.id, s]));
  const n = Math.min(first.config.n, first.ring.members.length);
  for (let p = 0; p < first.config.partitions; p++) {
    const replicas = ring.preferenceList(first.ring, p, n).replicas.filter((r) => !deadForGood.has(r));
    const roots = replicas.map((r) => {
      const s = byId.get(r)?.state;
      return s === undefined ? 'down' : storeIndex.root(s.index, p);
    });
    if (new Set(roots).size > 1) return { ok: false, reason: `partition ${p}: replicas ${replicas.join(',')} differ`, hintsLeft, rootsEqual: false };
  }
  const stray = strayVersion(cluster, first, byId, deadForGood, n);
  if (stray !== undefined) return { ok: false, reason: stray, hintsLeft, rootsEqual: true };
  if (hintsLeft > 0) return { ok: false, reason: `${hintsLeft} hint(s) left`, hintsLeft, rootsEqual: true };
  return { ok: true, reason: 'converged', hintsLeft, rootsEqual: true };
}

/**
 * The first version a serving node holds, in a partition it does not replicate, that the partition's first
 * serving replica neither holds nor obsoletes (the replicas agree by now), or undefined.
 */
function strayVersion(cluster: Cluster, first: NonNullable<ReturnType<typeof serving>[number]['state']>, byId: ReadonlyMap<string, ReturnType<typeof serving>[number]>, deadForGood: ReadonlySet<string>, n: number): string | undefined {
  if (first.conflictMode === 'lww') return undefined;
  const policy = first.conflictMode === 'plain-vv' ? 'plain-vv' : 'dvv';
  for (const s of serving(cluster)) {
    const state = s.state;
    if (state === undefined) continue;
    for (const p of storeIndex.nonEmptyPartitions(state.index)) {
      const replicas = ring.preferenceList(first.ring, p, n).replicas.filter((r) => !deadForGood.has(r));
      if (replicas.includes(s.id)) continue;
      const holder = replicas.map((r) => byId.get(r)?.state).find((x) => x !== undefined);
      if (holder === undefined) continue;
      for (const key of storeIndex.keysIn(state.index, p)) {
        const held = storeIndex.get(holder.index, key);
        const missing = storeIndex.get(state.index, key).find((m) => !held.some((h) => h.digest === m.digest || siblings.obsoletes(h, m, policy)));
        if (missing !== undefined) return `${s.id} holds a version of ${key} (partition ${p}) its replicas lack`;
      }
    }
  }
  return undefined;
}
