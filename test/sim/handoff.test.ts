/**
 * Hinted handoff when the ring moved while the owner was down: the owner refuses a copy of a key it no
 * longer replicates (replica.placementProblem), so the hint must go to the key's current replicas instead
 * (handoff.ts `destination`), or the holder keeps it and asks the owner again for ever.
 */
import { describe, expect, it } from 'vitest';
import * as membership from '../../src/core/membership.js';
import * as node from '../../src/core/node.js';
import * as storeIndex from '../../src/core/store-index.js';
import * as version from '../../src/core/version.js';
import { Cluster } from './cluster.js';

const st = (c: Cluster, id: string) => c.get(id).state as node.NodeState;

/** The position of `id` in the key's preference list (replicas, then fallbacks) by `viewer`'s ring. */
function rank(c: Cluster, viewer: string, id: string, key: string): number {
  const s = st(c, viewer);
  const { replicas, fallbacks } = membership.preferenceList(s, storeIndex.partitionOf(s.index, key));
  const at = [...replicas, ...fallbacks].indexOf(id);
  return at < 0 ? Infinity : at;
}

describe('hinted handoff across a ring change', () => {
  it('hints for an owner that joins came to replicate none of their keys reach the keys\' current replicas', () => {
    const c = new Cluster({ seed: 7, config: { n: 3, r: 2, w: 2, partitions: 32 } });
    for (const id of ['n1', 'n2', 'n3', 'n4']) c.addNode(id, { seeds: ['n1'] });
    c.run(100);
    c.crash('n3');
    c.run(400); // n3 is dead to the others: its writes go to fallbacks as hints
    const keys: string[] = [];
    for (let i = 0; keys.length < 40; i++) if (rank(c, 'n1', 'n3', `k${i}`) < 3) keys.push(`k${i}`);
    const acked: string[] = [];
    for (const key of keys) c.request('n1', { op: 'put', key, value: version.stringValue(`v-${key}`) }, (r) => r.ok && acked.push(key));
    c.run(200);
    expect(acked.length).toBe(keys.length);
    const hinted = keys.filter((key) => ['n1', 'n2', 'n4'].some((id) => storeIndex.hintsFor(st(c, id).index, 'n3', key).length > 0));
    expect(hinted.length).toBeGreaterThan(0);

    // Six nodes join: most partitions move, and n3 falls out of the first 2N of some hinted keys.
    for (let i = 5; i <= 10; i++) c.addNode(`n${i}`, { seeds: ['n1'] });
    c.run(600);
    const displaced = hinted.filter((key) => rank(c, 'n1', 'n3', key) >= 6);
    expect(displaced.length, 'some hinted key no longer lists n3 in its first 2N').toBeGreaterThan(0);

    c.restart('n3');
    c.run(1500);
    for (const id of c.nodes.keys()) expect(storeIndex.counts(st(c, id).index).hints, `hints left on ${id}`).toBe(0);
    for (const key of displaced) {
      const s1 = st(c, 'n1');
      const { replicas } = membership.preferenceList(s1, storeIndex.partitionOf(s1.index, key));
      for (const id of replicas) expect(storeIndex.get(st(c, id).index, key).length, `${key} on ${id}`).toBe(1);
    }
  });
});
