/**
 * A real one-node picture for tests of what reads the one view (peer-view.ts): a node created by the core
 * (no seeds, empty storage) and a runtime view with zero counters, which a test may then override part by part.
 */
import * as node from '../../src/core/node.js';
import type { MemberView } from '../../src/core/node-io.js';
import * as peerView from '../../src/runtime/peer-view.js';
import { zeroCounters, type RuntimeView } from '../../src/runtime/runtime-types.js';
import * as faults from '../../src/protocol/faults.js';

export const zeroStore = { transactions: 0, recordsWritten: 0, reads: 0, cacheHits: 0, cacheMisses: 0, cacheBytes: 0, cacheEntries: 0, corrupt: 0, errors: 0 };

/** The runtime view of a freshly created node `id`, with `node` fields replaced by `over`. */
export function runtimeViewOf(id: string, over: Partial<node.NodeSnapshot> = {}): RuntimeView<node.NodeSnapshot> {
  const created = node.create({ id, host: `h-${id}`, capacity: 1, seeds: [], rngSeed: 1, now: 0, stored: { versions: [], hints: [] } });
  return {
    nodeId: id, tick: 0, tickMs: 100, node: { ...node.snapshot(created.state), ...over }, counters: zeroCounters(), storage: zeroStore,
    time: { paused: false, speed: 1, steps: 0, heldMessages: 0 }, queueLength: 0, pendingRequests: 0, trace: [],
  };
}

export function partsOf(runtime: RuntimeView<node.NodeSnapshot> | undefined, over: Partial<peerView.PeerViewParts> = {}): peerView.PeerViewParts {
  return {
    identity: { nodeId: runtime?.nodeId ?? 'n1', hostId: 'h', capacity: 1, room: 'r', zone: 'tab' },
    phase: { kind: 'running' }, runtime, signaling: 'open', signalingDetail: '', presence: [], connected: [],
    faults: faults.noFaults, transport: undefined, ...over,
  };
}

/** One member as a node's snapshot lists it. */
export function member(id: string, status: MemberView['status'], over: Partial<MemberView> = {}): MemberView {
  return { id, host: `h-${id}`, capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 0, status, lastHeardTick: 0, ...over };
}
