/**
 * Two zones in placement (src/core/placement.ts): tabs and always-on peers. With no peer the lists are those
 * of a tab-only ring (checked against a reference walk written here from the rule's text); with one or two
 * peers every list holds one; a peer's join or leave moves only what the tab-only ring moves, plus the
 * peer's own slots.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as placement from '../../src/core/placement.js';
import * as ring from '../../src/core/ring.js';
import type { NodeId, RingMember } from '../../src/core/types.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261201);
const runs = { seed: fcSeed, numRuns: 60 };
const q = 64;

const tab = (id: string, host = `host-${id}`, capacity = 1): RingMember => ({ id, host, capacity });
const peer = (id: string, host = `peer-${id}`, capacity = 1): RingMember => ({ id, host, capacity, zone: 'peer' });
const tabs = (count: number) => Array.from({ length: count }, (_, i) => tab(`t${i}`));
const zoneFree = (members: readonly RingMember[]) => members.map((m) => ({ id: m.id, host: m.host, capacity: m.capacity }));
const isPeer = (members: readonly RingMember[]) => (id: NodeId) => members.some((m) => m.id === id && m.zone === 'peer');

/** The tab-only rule, straight from its description: clockwise distinct owners, distinct hosts first. */
function referenceReplicas(r: ring.Ring, partition: number, n: number): NodeId[] {
  const walk: NodeId[] = [];
  for (let k = 0; k < r.partitions; k++) {
    const owner = r.owners[(partition + k) % r.partitions] as NodeId;
    if (!walk.includes(owner)) walk.push(owner);
  }
  for (const m of r.members) if (!walk.includes(m.id)) walk.push(m.id);
  const host = (id: NodeId) => r.members.find((m) => m.id === id)?.host;
  const picked: NodeId[] = [];
  for (const id of walk) if (picked.length < n && !picked.some((p) => host(p) === host(id))) picked.push(id);
  for (const id of walk) if (picked.length < n && !picked.includes(id)) picked.push(id);
  return walk.filter((id) => picked.includes(id));
}

const replicasOf = (members: readonly RingMember[], n: number) => {
  const r = ring.build(members, q);
  return Array.from({ length: q }, (_, p) => placement.preferenceList(r, p, n).replicas);
};
const added = (after: readonly NodeId[], before: readonly NodeId[]) => after.filter((id) => !before.includes(id));

/** A member set of 1..16 members on 1..6 hosts, some of them peers. */
const membersArb = (peersMin: number) => fc
  .uniqueArray(fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,5}$/), host: fc.integer({ min: 0, max: 5 }), peer: fc.boolean() }), {
    minLength: Math.max(1, peersMin), maxLength: 16, selector: (m) => m.id,
  })
  .map((ms) => ms.map((m, i) => (m.peer || i < peersMin ? peer(m.id, `h${m.host}`) : tab(m.id, `h${m.host}`))));

describe('placement: two zones', () => {
  it('with no peer, every list is the tab-only walk', () => {
    fc.assert(fc.property(membersArb(0).map((ms) => zoneFree(ms)), fc.integer({ min: 1, max: 5 }), (members, n) => {
      const r = ring.build(members, q);
      for (let p = 0; p < q; p++) expect(placement.preferenceList(r, p, n).replicas).toEqual(referenceReplicas(r, p, n));
    }), runs);
  });

  it('with any peer, every list holds one; a list whose walk already held one is unchanged; others change one slot', () => {
    fc.assert(fc.property(membersArb(1), fc.integer({ min: 1, max: 5 }), (members, n) => {
      const r = ring.build(members, q);
      const peerId = isPeer(members);
      for (let p = 0; p < q; p++) {
        const { replicas, fallbacks } = placement.preferenceList(r, p, n);
        const plain = referenceReplicas(r, p, n);
        expect(replicas.some(peerId)).toBe(true);
        expect(replicas).toHaveLength(plain.length);
        expect(new Set([...replicas, ...fallbacks]).size).toBe(members.length);
        if (plain.some(peerId)) expect(replicas).toEqual(plain);
        else expect(added(replicas, plain)).toHaveLength(1);
      }
    }), runs);
  });

  it.each([
    { cluster: '3 tabs + 1 peer', members: [...tabs(3), peer('p1')], n: 3 },
    { cluster: '5 tabs + 1 peer', members: [...tabs(5), peer('p1')], n: 3 },
    { cluster: '5 tabs + 2 peers', members: [...tabs(5), peer('p1'), peer('p2')], n: 3 },
    { cluster: '8 tabs + 2 peers, N = 2', members: [...tabs(8), peer('p1'), peer('p2')], n: 2 },
    { cluster: '12 tabs + 1 peer, N = 1', members: [...tabs(12), peer('p1')], n: 1 },
    { cluster: '2 tabs of one host + 1 peer', members: [tab('a', 'h'), tab('b', 'h'), peer('p1')], n: 2 },
  ])('$cluster: every partition lists a peer', ({ members, n }) => {
    for (const replicas of replicasOf(members, n)) expect(replicas.some(isPeer(members))).toBe(true);
  });

  it('is the same on every node: built from the members in any order', () => {
    const members = [...tabs(6), peer('p1'), peer('p2')];
    expect(replicasOf([...members].reverse(), 3)).toEqual(replicasOf(members, 3));
  });

  // What a move must cost: the tab-only ring's own moves (ownership does not depend on zones), plus, per
  // list, at most two slots for the zone rule: another peer taking the zone slot, and the tab a peer once
  // displaced coming back when the walk itself now holds a peer (or its displacer moved).
  it.each([
    { move: 'the first peer joins 6 tabs', before: tabs(6), after: [...tabs(6), peer('p1')] },
    { move: 'a second peer joins', before: [...tabs(6), peer('p1')], after: [...tabs(6), peer('p1'), peer('p2')] },
    { move: 'a peer leaves, one stays', before: [...tabs(6), peer('p1'), peer('p2')], after: [...tabs(6), peer('p1')] },
    { move: 'a tab joins beside a peer', before: [...tabs(6), peer('p1')], after: [...tabs(7), peer('p1')] },
    { move: 'a tab leaves beside two peers', before: [...tabs(6), peer('p1'), peer('p2')], after: [...tabs(5), peer('p1'), peer('p2')] },
  ])('$move: moves what the tab-only ring moves, plus at most two slots per list', ({ before, after }) => {
    const [old, now] = [replicasOf(before, 3), replicasOf(after, 3)];
    const [oldPlain, nowPlain] = [replicasOf(zoneFree(before), 3), replicasOf(zoneFree(after), 3)];
    let [moves, plainMoves] = [0, 0];
    for (let p = 0; p < q; p++) {
      const [m, pm] = [added(now[p] ?? [], old[p] ?? []).length, added(nowPlain[p] ?? [], oldPlain[p] ?? []).length];
      expect(m).toBeLessThanOrEqual(pm + 2);
      moves += m;
      plainMoves += pm;
    }
    // Entering every list is the least a first peer must do (q slots); later moves add a third of that at
    // most (measured: 6 tabs + peers, q = 64: +15 slots for a peer's join or leave, -10..+8 for a tab's).
    const firstPeer = !before.some((m) => m.zone === 'peer');
    if (firstPeer) expect(moves).toBeGreaterThanOrEqual(q);
    expect(moves).toBeLessThanOrEqual(plainMoves + (firstPeer ? q : q / 3));
  });

  it('the first peer enters every list and moves little else', () => {
    const before = tabs(6);
    const after = [...tabs(6), peer('p1')];
    const [old, now] = [replicasOf(before, 3), replicasOf(after, 3)];
    const others = now.reduce((sum, list, p) => sum + added(list, old[p] ?? []).filter((id) => id !== 'p1').length, 0);
    const plainOthers = replicasOf(zoneFree(after), 3).reduce((sum, list, p) => sum + added(list, old[p] ?? []).filter((id) => id !== 'p1').length, 0);
    expect(now.every((list) => list.includes('p1'))).toBe(true);
    expect(others).toBeLessThanOrEqual(plainOthers);
  });
});
