/**
 * The gossip storm the simulator found (seeds 94, 98, 106, 113 of `npm run sim`): two nodes that have
 * both left each saw the other as 'left', so each gossip from one was "a sender this node still sees as not
 * alive" to the other, which answered it; the answer was such a gossip too, so the pair answered each
 * other's answers for ever. Every duplicated message started one more endless chain: a run reached 1,250
 * gossip messages a tick, and real tabs on a lossy, duplicating link would do the same. The rule now
 * (gossip.onGossip): an unrequested answer goes only to a sender that does not already say as much of
 * itself, and an answer is never answered unless it asks (`wantReply`), so a chain of answers is at most
 * one message long.
 */
import { describe, expect, it } from 'vitest';
import * as membership from '../../src/core/membership.js';
import type { Message } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import { Cluster } from '../sim/cluster.js';

const ids = (k: number) => Array.from({ length: k }, (_, i) => `n${i + 1}`);

function cluster(k: number, duplicateRate: number): Cluster {
  const c = new Cluster({ seed: 9, config: { n: 3, r: 2, w: 2, partitions: 16 }, network: { lossRate: 0, duplicateRate, delayMinTicks: 1, jitterTicks: 0 } });
  for (const id of ids(k)) c.addNode(id, { seeds: ['n1'] });
  c.run(150);
  return c;
}

const stateOf = (c: Cluster, id: string) => c.get(id).state as node.NodeState;

function ask(c: Cluster, id: string, request: ClientRequest): ClientResult | undefined {
  let result: ClientResult | undefined;
  c.request(id, request, (r) => { result = r; });
  for (let t = 0; t < 400 && result === undefined; t++) c.run(1);
  return result;
}

/** The gossip messages `to` sends `from` when it is handed `message` from `from`. */
function answers(c: Cluster, to: string, from: string, message: Message): Message[] {
  return node.step(stateOf(c, to), { type: 'message', from, message }).flatMap((e) => (e.type === 'send' && e.to === from && e.message.type === 'gossip' ? [e.message] : []));
}

const gossipSent = (c: Cluster) => c.byType.get('gossip')?.messages ?? 0;

describe('gossip answers cannot feed on each other', { timeout: 60_000 }, () => {
  it('two nodes that both left: a gossip from one gets no answer chain from the other (was: an answer to every answer)', () => {
    const c = cluster(5, 0);
    expect(ask(c, 'n4', { op: 'leave' })).toEqual({ ok: true, op: 'leave' });
    expect(ask(c, 'n5', { op: 'leave' })).toEqual({ ok: true, op: 'leave' });
    c.run(100);
    expect([stateOf(c, 'n4').left, stateOf(c, 'n5').left]).toEqual([true, true]);
    expect([stateOf(c, 'n4').members.get('n5')?.status, stateOf(c, 'n5').members.get('n4')?.status]).toEqual(['left', 'left']);
    // Hand the messages back and forth by hand, as a network would, for up to 20 hops.
    let message: Message = membership.gossipMessage(stateOf(c, 'n4'), false);
    let [from, to] = ['n4', 'n5'];
    let hops = 0;
    for (; hops < 20; hops++) {
      const next: Message | undefined = answers(c, to, from, message)[0];
      if (next === undefined) break;
      message = next;
      [from, to] = [to, from];
    }
    expect(hops).toBeLessThanOrEqual(1);
  });

  it('an answer still reaches a sender that is behind about itself, and that sender refutes instead of answering back', () => {
    const c = cluster(4, 0);
    // n1 sees n4 as dead while n4 still says alive of itself: n1 answers n4's gossip so it can refute.
    const n1 = stateOf(c, 'n1');
    const seen = n1.members.get('n4');
    if (seen === undefined) throw new Error('n1 does not know n4');
    n1.members.set('n4', { ...seen, status: 'dead' });
    const reply = answers(c, 'n1', 'n4', membership.gossipMessage(stateOf(c, 'n4'), false));
    expect(reply).toHaveLength(1);
    const before = stateOf(c, 'n4').members.get('n4')?.incarnation ?? -1;
    expect(answers(c, 'n4', 'n1', reply[0] as Message)).toEqual([]);
    expect(stateOf(c, 'n4').members.get('n4')?.incarnation).toBe(before + 1);
  });

  it('with 30 % duplicated messages while two nodes leave, gossip stays within its rounds: at most 3 messages per round message', () => {
    const c = cluster(6, 0.3);
    const before = gossipSent(c);
    const results: ClientResult[] = [];
    for (const id of ['n5', 'n6']) c.request(id, { op: 'leave' }, (r) => results.push(r));
    const ticks = 500;
    const { gossipFanout, gossipIntervalTicks } = stateOf(c, 'n1').tuning;
    // Each node's round sends to at most fanout live peers plus one dead one, a few more for the leave
    // announcements; every other gossip is an answer (or a duplicate of a message).
    const roundMessages = 6 * (gossipFanout + 1) * (ticks / gossipIntervalTicks);
    // Tick by tick, stopping early once past the bound: a storm grows without end and would never return.
    for (let t = 0; t < ticks && gossipSent(c) - before <= 3 * roundMessages; t++) c.run(1);
    expect(gossipSent(c) - before).toBeLessThanOrEqual(3 * roundMessages);
    expect(results).toEqual([{ ok: true, op: 'leave' }, { ok: true, op: 'leave' }]);
    expect([stateOf(c, 'n5').left, stateOf(c, 'n6').left]).toEqual([true, true]);
  });
});
