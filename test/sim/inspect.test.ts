/**
 * The read-only inspection behind the UI's per-key replica table (core/read.ts, get with inspect: true):
 * it names what every replica and every hinted holder holds, and changes no data (no read repair).
 */
import { describe, expect, it } from 'vitest';
import * as hash from '../../src/core/hash.js';
import * as node from '../../src/core/node.js';
import type { ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import { Cluster } from './cluster.js';

const text = (s: string) => ({ kind: 'string' as const, bytes: new TextEncoder().encode(s) });
const state = (c: Cluster, id: string) => c.get(id).state as node.NodeState;
const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Hinted handoff and anti-entropy held back, so only a read could bring a missed write to a replica. */
function cluster(quiet = false): Cluster {
  const tuning = quiet ? { handoffIntervalTicks: 1_000_000, antiEntropyIntervalTicks: 1_000_000 } : {};
  const c = new Cluster({ seed: 7, config: { n: 3, r: 2, w: 2, partitions: 16 }, tuning });
  for (const id of ids) c.addNode(id, { seeds: ['n1'] });
  c.run(100);
  return c;
}

function inspect(c: Cluster, from: string, key: string): ClientResult | undefined {
  let got: ClientResult | undefined;
  c.request(from, { op: 'get', key, inspect: true }, (r) => { got = r; });
  c.run(100);
  return got;
}

const summary = (r: ClientResult | undefined) => (r?.ok && r.op === 'get' ? (r.holders ?? []).map((h) => ({ node: h.node, replica: h.replica, versions: h.versions.length })) : r);

describe('inspecting a key (simulated)', () => {
  it('lists the N replicas with their versions, in preference order', () => {
    const c = cluster();
    c.request('n1', { op: 'put', key: 'k', value: text('v1') }, () => undefined);
    c.run(100);
    const replicas = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3).replicas;
    expect(summary(inspect(c, 'n4', 'k'))).toEqual(replicas.map((id) => ({ node: id, replica: true, versions: 1 })));
  });

  it('names a fallback that holds a hint (replica: false) beside the replicas that hold the write', () => {
    const c = cluster();
    const replicas = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3).replicas;
    const away = replicas[2] as string;
    const coordinator = replicas[0] as string;
    c.partition([away], ids.filter((id) => id !== away));
    c.run(400); // `away` is declared dead: the write goes to a fallback with a hint
    let put: ClientResult | undefined;
    c.request(coordinator, { op: 'put', key: 'k', value: text('v1') }, (r) => { put = r; });
    c.run(100);
    expect(put).toMatchObject({ ok: true });
    const result = summary(inspect(c, coordinator, 'k'));
    const fallbacks = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3).fallbacks;
    expect(result).toEqual([
      { node: replicas[0], replica: true, versions: 1 },
      { node: replicas[1], replica: true, versions: 1 },
      { node: fallbacks[0], replica: false, versions: 1 },
    ]);
  });

  it('changes no data: a replica that missed a write still lacks it after an inspection, and gets it from an ordinary read', () => {
    const c = cluster(true);
    const replicas = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3).replicas;
    const away = replicas[2] as string;
    const coordinator = replicas[0] as string;
    c.partition([away], ids.filter((id) => id !== away));
    c.run(400);
    c.request(coordinator, { op: 'put', key: 'k', value: text('v1') }, () => undefined);
    c.run(100);
    c.heal();
    c.run(100); // `away` is alive again for everyone
    const held = () => state(c, away).index.versions.get('k')?.length ?? 0;
    expect(summary(inspect(c, coordinator, 'k'))).toContainEqual({ node: away, replica: true, versions: 0 });
    expect(held()).toBe(0);
    // The control: an ordinary read repairs it, so the check above can fail.
    c.request(coordinator, { op: 'get', key: 'k', r: 3 }, () => undefined);
    c.run(100);
    expect(held()).toBe(1);
  });
});

describe('locating a key (simulated)', () => {
  function locate(c: Cluster, from: string, key: string): ClientResult | undefined {
    let got: ClientResult | undefined;
    c.request(from, { op: 'locate', key }, (r) => { got = r; });
    c.run(1);
    return got;
  }

  it('names the partition and the preference list, and no stand-in while every replica is healthy', () => {
    const c = cluster();
    const list = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3);
    const partition = hash.partitionOf('k', 16);
    expect(locate(c, 'n4', 'k')).toEqual({ ok: true, op: 'locate', partition, replicas: list.replicas, fallbacks: [] });
  });

  it('names the first healthy fallback in place of a replica this node cannot reach, as a read would ask it', () => {
    const c = cluster();
    const list = ring.preferenceListForKey(state(c, 'n1').ring, 'k', 3);
    const away = list.replicas[2] as string;
    const asker = list.replicas[0] as string;
    c.partition([away], ids.filter((id) => id !== away));
    c.run(400);
    expect(locate(c, asker, 'k')).toMatchObject({ ok: true, replicas: list.replicas, fallbacks: [list.fallbacks[0]] });
  });
});

describe('previewing a removal (simulated)', () => {
  it('names the partitions the member owns and their owners in the ring without it, and changes nothing', () => {
    const c = cluster();
    const before = state(c, 'n1').ring;
    const owned = before.owners.filter((o) => o === 'n3').length;
    expect(owned).toBeGreaterThan(0);
    const after = ring.build(before.members.filter((m) => m.id !== 'n3'), 16);
    const expected = new Map<string, number>();
    before.owners.forEach((o, p) => { if (o === 'n3') expected.set(after.owners[p] as string, (expected.get(after.owners[p] as string) ?? 0) + 1); });
    let got: ClientResult | undefined;
    c.request('n1', { op: 'removal-preview', id: 'n3' }, (r) => { got = r; });
    c.run(1);
    expect(got).toEqual({
      ok: true, op: 'removal-preview', partitions: 16, owned,
      moves: [...expected].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([to, partitions]) => ({ to, partitions })),
    });
    // Read-only: n3 is still a member and still owns its partitions everywhere.
    for (const id of ids) expect(state(c, id).ring.owners.filter((o) => o === 'n3').length, id).toBe(owned);
  });
});
