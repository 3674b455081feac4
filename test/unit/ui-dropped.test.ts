/**
 * The one dropped-messages sum (runtime/snapshot.ts messagesDropped), read by kv.stats() and the activity
 * view alike: what a partition drops at the transport counts, as it did not in the activity view before.
 */
import { describe, expect, it } from 'vitest';
import { messagesDropped } from '../../src/runtime/snapshot.js';
import { noDrops, type TransportStats } from '../../src/runtime/transport.js';

const stats = (drops: Partial<ReturnType<typeof noDrops>>): TransportStats => ({
  messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, openChannels: 0,
  messagesDropped: { ...noDrops(), ...drops },
});

describe('messagesDropped', () => {
  it.each([
    ['nothing dropped', 0, stats({}), 0, { total: 0, byFaults: 0 }],
    ['a partition drops at the transport', 0, stats({ partitioned: 7 }), 0, { total: 7, byFaults: 7 }],
    ['every fault verdict counts as a fault', 0, stats({ partitioned: 1, isolated: 2, cut: 3, lost: 4 }), 0, { total: 10, byFaults: 10 }],
    ['queues and links are not faults', 0, stats({ queueFull: 2, closed: 1, unreachable: 1 }), 0, { total: 4, byFaults: 0 }],
    ['runtime, transport and core add up', 3, stats({ isolated: 5, stale: 1 }), 2, { total: 11, byFaults: 5 }],
    ['no transport yet', 1, undefined, 1, { total: 2, byFaults: 0 }],
  ] as const)('%s', (_name, runtime, transport, node, want) => {
    expect(messagesDropped(runtime, transport, node)).toEqual(want);
  });
});
