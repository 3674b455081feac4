/**
 * set-capacity: a node changes its capacity weight at run time. It raises its incarnation so gossip
 * carries the new weight past every peer's merge, and every ring is rebuilt: the node owns partitions in
 * proportion to its new weight, and anti-entropy moves the data to the new owners.
 */
import { describe, expect, it } from 'vitest';
import * as node from '../../src/core/node.js';
import type { ClientResult, Effect } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import * as storeIndex from '../../src/core/store-index.js';
import { convergence } from '../sim/checker.js';
import { Script } from '../sim/script.js';

function solo() {
  return node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: [], rngSeed: 1, now: 0, stored: { versions: [], hints: [], epoch: 3 }, config: { n: 3, r: 2, w: 2, partitions: 8 } }).state;
}

function reply(effects: readonly Effect[]): ClientResult | undefined {
  return effects.flatMap((e) => (e.type === 'reply' ? [e.result] : []))[0];
}

describe('set-capacity on one node', () => {
  it.each([
    ['zero', 0], ['negative', -1], ['not a number', Number.NaN], ['infinite', Number.POSITIVE_INFINITY], ['above capacityMax', 101],
  ])('refuses a capacity that is %s, and changes nothing', (_name, capacity) => {
    const state = solo();
    const result = reply(node.step(state, { type: 'request', requestId: 1, request: { op: 'set-capacity', capacity } }));
    expect(result).toMatchObject({ ok: false, indeterminate: false });
    expect(result && !result.ok && result.error).toMatch(/capacity must be a number in \(0, 100\]/);
    expect(node.snapshot(state).members.find((m) => m.id === 'a')).toMatchObject({ capacity: 1, incarnation: 0 });
  });

  it('accepts a new capacity: raises the incarnation and persists the membership', () => {
    const state = solo();
    const effects = node.step(state, { type: 'request', requestId: 1, request: { op: 'set-capacity', capacity: 2.5 } });
    expect(reply(effects)).toEqual({ ok: true, op: 'set-capacity' });
    expect(node.snapshot(state).members.find((m) => m.id === 'a')).toMatchObject({ capacity: 2.5, incarnation: 1 });
    const records = effects.flatMap((e) => (e.type === 'persist' ? e.records : []));
    expect(records.some((r) => r.kind === 'membership' && r.members.some((m) => m.id === 'a' && m.capacity === 2.5))).toBe(true);
  });

  it('the same capacity again is a no-op (no new incarnation)', () => {
    const state = solo();
    expect(reply(node.step(state, { type: 'request', requestId: 1, request: { op: 'set-capacity', capacity: 1 } }))).toEqual({ ok: true, op: 'set-capacity' });
    expect(node.snapshot(state).members.find((m) => m.id === 'a')).toMatchObject({ capacity: 1, incarnation: 0 });
  });
});

describe('set-capacity in a simulated cluster (seed 21)', () => {
  it('spreads by gossip; every ring gives the node about its share; the data follows', () => {
    const s = new Script({ seed: 21, nodes: 4, partitions: 32, tuning: { antiEntropyIntervalTicks: 5 } });
    s.putMany('n1', Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`] as [string, string]));
    s.run(100);
    const st = (id: string) => {
      const x = s.cluster.get(id).state;
      if (x === undefined) throw new Error(`${id} is down`);
      return x;
    };
    const before = st('n1').ring;
    const owned = (r: ring.Ring, id: string) => r.owners.filter((o) => o === id).length;
    expect(owned(before, 'n2')).toBe(8);
    expect(s.request('n2', { op: 'set-capacity', capacity: 3 }, 'set-capacity n2 3')).toEqual({ ok: true, op: 'set-capacity' });
    s.run(600);
    for (const id of ['n1', 'n2', 'n3', 'n4']) {
      // 32 partitions shared 3:1:1:1: n2 owns half of them, on every node's ring.
      expect(owned(st(id).ring, 'n2'), `n2's partitions on ${id}'s ring`).toBe(16);
      expect(st(id).members.get('n2')?.capacity).toBe(3);
    }
    expect(ring.ownersChanged(before, st('n1').ring)).toBeGreaterThanOrEqual(8);
    const after = st('n1').ring;
    const misplaced = Array.from({ length: 40 }, (_, i) => `k${i}`)
      .filter((k) => !ring.preferenceListForKey(after, k, 3).replicas.every((id) => storeIndex.get(st(id).index, k).length === 1));
    expect(misplaced).toEqual([]);
    expect(convergence(s.cluster).ok).toBe(true);
  });
});
