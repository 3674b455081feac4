/**
 * What the views show of the one view (src/ui/view-format.ts): the members a tab lists, heartbeat ages from
 * ticks, the banner's fault text, the activity counters, hints per destination and the timeline's times.
 * Each is read from a PeerView built by the runtime's own builder (peer-view.ts) over a real node's snapshot.
 */
import { describe, expect, it } from 'vitest';
import * as node from '../../src/core/node.js';
import { noFaults, type FaultRules } from '../../src/protocol/faults.js';
import * as peerView from '../../src/runtime/peer-view.js';
import type { RuntimeView } from '../../src/runtime/runtime-types.js';
import { noDrops } from '../../src/runtime/transport.js';
import * as viewFormat from '../../src/ui/view-format.js';
import { member, partsOf, runtimeViewOf } from './peer-view-parts.js';

const build = (rt: RuntimeView<node.NodeSnapshot> | undefined, faults: FaultRules = noFaults) => peerView.build(partsOf(rt, { faults }));

describe('members', () => {
  it('lists every member but those removed, except this tab itself (so a removed tab shows why it serves nothing)', () => {
    const members = [member('n1', 'removed'), member('n2', 'alive'), member('n3', 'removed'), member('n4', 'left')];
    expect(viewFormat.members(build(runtimeViewOf('n1', { members }))).map((m) => m.id)).toEqual(['n1', 'n2', 'n4']);
    expect(viewFormat.members(build(runtimeViewOf('n2', { members }))).map((m) => m.id)).toEqual(['n2', 'n4']);
    expect(viewFormat.activeIds(build(runtimeViewOf('n2', { members })))).toEqual(['n2']);
  });

  it('sorts alive ids by name, n2 before n10', () => {
    const members = ['n1', 'n10', 'n2', 'n3'].map((id) => member(id, id === 'n3' ? 'suspect' : 'alive'));
    expect(viewFormat.aliveIds(build(runtimeViewOf('n1', { members })))).toEqual(['n1', 'n2', 'n10']);
  });

  it('heartbeat age: ticks since the heartbeat last advanced times the loop\'s tickMs, 0 for itself, never negative', () => {
    const members = [member('n1', 'alive', { lastHeardTick: 3 }), member('n2', 'alive', { lastHeardTick: 40 }), member('n3', 'alive', { lastHeardTick: 55 })];
    const rt = { ...runtimeViewOf('n1', { members, tick: 50 }), tickMs: 100 };
    const view = build(rt);
    expect(members.map((m) => viewFormat.heartbeatAgeMs(view, m))).toEqual([0, 1000, 0]);
    expect(viewFormat.heartbeatAgeMs(build({ ...rt, tickMs: 250 }), members[1]!)).toBe(2500);
  });

  it('partitions owned and reachability come from the view as the core and the runtime said them', () => {
    const view = peerView.build(partsOf(runtimeViewOf('n1', { partitionsOwned: { n1: 3, n2: 5 } }), { connected: ['n2', 'n3'] }));
    expect(['n1', 'n2', 'n3'].map((id) => viewFormat.partitionsOwned(view, id))).toEqual([3, 5, 0]);
    expect(['n1', 'n2', 'n4'].map((id) => viewFormat.reachable(view, id))).toEqual([true, true, false]);
  });

  it('the core counts each member\'s partitions from its ring', () => {
    const snap = runtimeViewOf('n1').node;
    const counted = new Map<string, number>();
    for (const o of snap.owners) counted.set(o, (counted.get(o) ?? 0) + 1);
    expect(snap.owners.length).toBeGreaterThan(0);
    expect(snap.partitionsOwned).toEqual(Object.fromEntries(counted));
  });
});

describe('fault text', () => {
  const members = ['n1', 'n2', 'n3'].map((id) => member(id, 'alive'));

  it('is empty when the network is healthy', () => {
    expect(viewFormat.faultText(build(runtimeViewOf('n1', { members })))).toBe('');
    expect(viewFormat.bannerText(build(runtimeViewOf('n1', { members })))).toBe('');
  });

  it('names only the groups of members this tab lists', () => {
    const view = build(runtimeViewOf('n1', { members }), { ...noFaults, groups: [['n1']] });
    expect(viewFormat.faultText(view)).toBe('partitioned: {n1} | {n2, n3}');
  });

  it('the banner says "this tab" where an isolated tab\'s own id stands, and only there', () => {
    const rules = { ...noFaults, isolated: ['n1', 'n3'] };
    expect(viewFormat.faultText(build(runtimeViewOf('n1', { members }), rules))).toBe('isolated: n1, n3');
    expect(viewFormat.bannerText(build(runtimeViewOf('n1', { members }), rules))).toBe('isolated: this tab, n3');
    expect(viewFormat.bannerText(build(runtimeViewOf('n2', { members }), rules))).toBe('isolated: n1, n3');
  });
});

describe('activity', () => {
  it('counters: named, in name order, each from the layer that counts it', () => {
    const rt = runtimeViewOf('n1', { hints: { count: 7, entries: [] } });
    const view = peerView.build(partsOf({ ...rt, counters: { ...rt.counters, messagesSent: 12, messagesDropped: 1 } }, {
      transport: { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, openChannels: 0, messagesDropped: { ...noDrops(), partitioned: 2 } },
    }));
    const counters = viewFormat.counters(view);
    expect(counters.map(([name]) => name)).toEqual([...counters.map(([name]) => name)].sort((a, b) => a.localeCompare(b)));
    expect(Object.fromEntries(counters)).toMatchObject({ 'messages sent': 12, 'messages dropped': 3, 'dropped by faults': 2, 'hints held': 7 });
    expect(viewFormat.counters(build(undefined)).every(([, n]) => n === 0)).toBe(true);
  });

  it('hints: how many versions wait for each owner', () => {
    const entries = [{ owner: 'n2', key: 'a' }, { owner: 'n3', key: 'b' }, { owner: 'n2', key: 'c' }];
    expect(viewFormat.hintQueues(build(runtimeViewOf('n1', { hints: { count: 3, entries } })))).toEqual([
      { destination: 'n2', versions: 2 }, { destination: 'n3', versions: 1 },
    ]);
  });

  it('timeline: each trace event timed back from the arrival of the view, tickMs per tick', () => {
    const trace = [{ tick: 90, node: 'n1', category: 'put', text: 'put a' }, { tick: 100, node: 'n2', category: 'ack', text: 'ack a' }];
    const view = build({ ...runtimeViewOf('n1'), tick: 100, tickMs: 50, trace });
    expect(viewFormat.timeline(view, 10_000)).toEqual([
      { atMs: 9_500, node: 'n1', category: 'put', text: 'put a' }, { atMs: 10_000, node: 'n2', category: 'ack', text: 'ack a' },
    ]);
    expect(viewFormat.timeline(build(undefined), 10_000)).toEqual([]);
  });
});
