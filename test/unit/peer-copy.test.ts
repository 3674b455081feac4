/**
 * The always-on rule (DESIGN.md, Decisions): while a peer is reachable, a write is acknowledged only once at
 * least one peer holds a durable copy (W counts it). The pure decision as a table, then the coordinator
 * obeying it, driven step by step: a tab coordinator with one tab replica and one peer replica (N = 3, W = 2).
 */
import { describe, expect, it } from 'vitest';
import * as node from '../../src/core/node.js';
import * as quorum from '../../src/core/quorum.js';
import type { Effect, MemberView } from '../../src/core/node-io.js';
import type { MessageOf } from '../../src/core/messages.js';
import * as version from '../../src/core/version.js';
import type { Zone } from '../../src/core/types.js';

describe('quorum.peerCopyNeeded', () => {
  const isPeer = (id: string) => id.startsWith('p');
  it.each([
    { acked: ['a', 'b'], awaiting: ['p1'], needed: true, why: 'W tabs acked, a peer may still answer' },
    { acked: ['a', 'p1'], awaiting: ['b'], needed: false, why: 'a peer holds a copy' },
    { acked: ['p1'], awaiting: ['p2', 'b'], needed: false, why: 'the coordinator is a peer itself' },
    { acked: ['a', 'b'], awaiting: [], needed: false, why: 'no peer is waited for (none in the list, or it timed out)' },
    { acked: ['a'], awaiting: ['b', 'c'], needed: false, why: 'no peer at all' },
    { acked: [], awaiting: ['p1', 'p2'], needed: true, why: 'nothing durable yet' },
  ])('$why: $needed', ({ acked, awaiting, needed }) => {
    expect(quorum.peerCopyNeeded(isPeer, acked, awaiting)).toBe(needed);
  });
});

const member = (id: string, zone: Zone): MemberView => ({
  id, host: `h-${id}`, capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 1, status: 'alive', lastHeardTick: 0, ...(zone === 'peer' ? { zone } : {}),
});

function coordinatorWith(replicaZone: Zone) {
  const { state } = node.create({
    id: 'a', host: 'h-a', capacity: 1, seeds: ['b', 'p'], rngSeed: 1, now: 0,
    stored: { versions: [], hints: [], epoch: 3, members: [member('b', 'tab'), member('p', replicaZone)] },
    config: { n: 3, r: 2, w: 2, partitions: 8 },
  });
  const effects = node.step(state, { type: 'request', requestId: 1, request: { op: 'put', key: 'k', value: version.stringValue('v') } });
  const stores = effects.flatMap((e) => (e.type === 'send' && e.message.type === 'store' ? [{ to: e.to, message: e.message }] : []));
  const ack = (from: string): Effect[] => {
    const sent = stores.find((s) => s.to === from)?.message as MessageOf<'store'>;
    return node.step(state, { type: 'message', from, message: { type: 'store-ack', opId: sent.opId, key: 'k', digests: sent.versions.map((v) => v.digest), ok: true, error: '' } });
  };
  return { state, stores, ack };
}

const replied = (effects: readonly Effect[]) => effects.some((e) => e.type === 'reply' && e.result.ok);

describe('coordinator: the always-on rule', () => {
  it('a tab-only list is acknowledged at W (the rule changes nothing without peers)', () => {
    const c = coordinatorWith('tab');
    expect(c.stores.map((s) => s.to).sort()).toEqual(['b', 'p']);
    expect(replied(c.ack('b'))).toBe(true);
  });

  it('W tab copies are not enough while the peer may still answer; its copy acknowledges the write', () => {
    const c = coordinatorWith('peer');
    expect(replied(c.ack('b'))).toBe(false);
    expect(replied(c.ack('p'))).toBe(true);
  });

  it('the peer alone with the coordinator makes W', () => {
    const c = coordinatorWith('peer');
    expect(replied(c.ack('p'))).toBe(true);
  });

  it('a silent peer holds the write back only until its replica timeout; then W decides', () => {
    const c = coordinatorWith('peer');
    expect(replied(c.ack('b'))).toBe(false);
    const early = node.step(c.state, { type: 'tick', now: c.state.tuning.replicaTimeoutTicks - 1 });
    expect(replied(early)).toBe(false);
    const late = node.step(c.state, { type: 'tick', now: c.state.tuning.replicaTimeoutTicks + 1 });
    expect(replied(late)).toBe(true);
  });
});
