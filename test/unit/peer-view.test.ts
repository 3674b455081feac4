/**
 * The one view (runtime/peer-view.ts): what is reachable and how many messages were dropped are computed
 * once, here, from a real transport's figures: the in-memory transport under the room's fault rules
 * (fault-transport.ts), as a tab's WebRTC transport is.
 */
import { describe, expect, it } from 'vitest';
import * as faults from '../../src/protocol/faults.js';
import * as kvView from '../../src/runtime/kv-view.js';
import * as memoryTransport from '../../src/runtime/memory-transport.js';
import * as peerView from '../../src/runtime/peer-view.js';
import { withFaults } from '../../src/runtime/fault-transport.js';
import { noDrops, type TransportStats } from '../../src/runtime/transport.js';
import { partsOf, runtimeViewOf } from './peer-view-parts.js';

const zeroStats = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, openChannels: 0 };

/** Four nodes on one in-memory network, n1's transport under `rules` (the others deliver everything). */
function cluster(rules: faults.FaultRules) {
  const network = memoryTransport.createNetwork();
  const inner = ['n1', 'n2', 'n3', 'n4'].map((id) => network.join(id));
  // The memory twin keeps no stats of its own: every drop counted here is the fault rules'.
  const n1 = withFaults(Object.assign(inner[0]!, { stats: (): TransportStats => ({ ...zeroStats, messagesDropped: noDrops() }) }), { rules, random: () => 0.5 });
  return { n1, others: inner.slice(1) };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

function viewOf(n1: ReturnType<typeof cluster>['n1'], rules: faults.FaultRules, runtimeDropped = 0, nodeDropped = 0): peerView.PeerView {
  const rt = runtimeViewOf('n1');
  return peerView.build(partsOf({
    ...rt, counters: { ...rt.counters, messagesDropped: runtimeDropped },
    node: { ...rt.node, counters: { ...rt.node.counters, messagesDropped: nodeDropped } },
  }, { connected: n1.connectedPeers(), faults: rules, transport: n1.stats() }));
}

describe('peerView.build', () => {
  it('reachable: itself and every open channel the rules block in neither direction', () => {
    const rules: faults.FaultRules = { ...faults.noFaults, groups: [['n1', 'n2']], cuts: [{ from: 'n4', to: 'n1', oneWay: true }] };
    const { n1 } = cluster(rules);
    const view = viewOf(n1, rules);
    expect(view.network.connected).toEqual(['n2', 'n3', 'n4']); // a partition keeps the channels open ...
    expect(view.network.reachable).toEqual(['n1', 'n2']); // ... but n3 is in the other group and n4 cut one way
  });

  it('counts what the rules dropped, by reason, in one sum with the runtime and the core', async () => {
    const rules: faults.FaultRules = { ...faults.noFaults, groups: [['n1', 'n2', 'n4']], isolated: [], cuts: [{ from: 'n1', to: 'n4', oneWay: false }], lossRate: 1 };
    const { n1, others } = cluster(rules);
    n1.send('n3', new Uint8Array([1])); // partitioned
    n1.send('n4', new Uint8Array([2])); // cut
    n1.send('n2', new Uint8Array([3])); // same group: lost (lossRate 1)
    others[2]!.send('n1', new Uint8Array([4])); // n4 -> n1: the receiver re-checks the cut
    await flush();
    const view = viewOf(n1, rules, 2, 1);
    expect(view.network.transport?.messagesDropped).toMatchObject({ partitioned: 1, cut: 2, lost: 1 });
    expect(view.derived.messagesDropped).toEqual({ total: 4 + 2 + 1, byFaults: 4 });
    expect(kvView.stats(view).messagesDropped).toBe(7); // kv.stats() shows the same sum
  });

  it('before the loop starts: no node, loop or storage, and kv reads its defaults', () => {
    const view = peerView.build(partsOf(undefined, { phase: { kind: 'starting', step: 'loading storage' } }));
    expect([view.ready, view.node, view.loop, view.storage, view.network.reachable]).toEqual([false, undefined, undefined, undefined, ['n1']]);
    expect(kvView.members(view)).toEqual([]);
    expect(kvView.config(view)).toEqual({ n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: 120 });
    expect(kvView.snapshot(view).runtime).toBeUndefined();
  });

  it('kv.snapshot() keeps its old runtime part beside the grouped view', () => {
    const rt = { ...runtimeViewOf('n1'), lastStorageError: 'QuotaExceededError' };
    const snap = kvView.snapshot(peerView.build(partsOf(rt)));
    expect(snap.runtime).toEqual(rt);
    expect(snap.storage?.lastError).toBe('QuotaExceededError');
  });
});

describe('messagesDropped', () => {
  const stats = (drops: Partial<ReturnType<typeof noDrops>>): TransportStats => ({
    messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, openChannels: 0,
    messagesDropped: { ...noDrops(), ...drops },
  });
  it.each([
    ['nothing dropped', 0, stats({}), 0, { total: 0, byFaults: 0 }],
    ['every fault verdict counts as a fault', 0, stats({ partitioned: 1, isolated: 2, cut: 3, lost: 4 }), 0, { total: 10, byFaults: 10 }],
    ['queues and links are not faults', 0, stats({ queueFull: 2, closed: 1, unreachable: 1 }), 0, { total: 4, byFaults: 0 }],
    ['runtime, transport and core add up', 3, stats({ isolated: 5, stale: 1 }), 2, { total: 11, byFaults: 5 }],
    ['no transport yet', 1, undefined, 1, { total: 2, byFaults: 0 }],
  ] as const)('%s', (_name, runtime, transport, node, want) => {
    expect(peerView.messagesDropped(runtime, transport, node)).toEqual(want);
  });
});
