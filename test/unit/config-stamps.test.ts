// Issue 11, "A room a class can trust": under a host that supplies stamps (NodeOptions.stamps: a signaling
// server checks the teacher token), configure and remove take effect only once the server stamped them.
// A modified class-link tab drives its own core (no stamps, as on main) and gossips the result.
import { describe, expect, it } from 'vitest';
import * as membership from '../../src/core/membership.js';
import * as node from '../../src/core/node.js';
import type { ClientResult, Effect, MemberView, StoredState } from '../../src/core/node-io.js';
import type { MessageOf } from '../../src/core/messages.js';
import type { ConfigStamp } from '../../src/core/types.js';

const member = (id: string): MemberView => ({ id, host: `h-${id}`, capacity: 1, epoch: 7, life: 0, incarnation: 0, heartbeat: 1, status: 'alive', lastHeardTick: 0 });
const config = { n: 3, r: 2, w: 2, partitions: 8, removeAfterSeconds: 120 };

/** Node `id` knowing `others`; `stamps` as a tab under the signaling server has it. */
function create(id: string, others: readonly string[], stamps: boolean) {
  const stored: StoredState = { versions: [], hints: [], epoch: 7, members: [id, ...others].map(member) };
  return node.create({ id, host: `h-${id}`, capacity: 1, seeds: [...others], rngSeed: 1, now: 0, stored, config, stamps }).state;
}

const gossipTo = (effects: readonly Effect[], to: string): MessageOf<'gossip'>[] =>
  effects.flatMap((e) => (e.type === 'send' && e.to === to && e.message.type === 'gossip' ? [e.message] : []));
const replies = (effects: readonly Effect[]): ClientResult[] => effects.flatMap((e) => (e.type === 'reply' ? [e.result] : []));
const settings = (s: node.NodeState) => ({ n: s.config.n, r: s.config.r, w: s.config.w, version: s.configVersion });

/** The modified tab `m`: it configures through its own core (no page check, no stamp) and gossips the result to `to`. */
function forgedConfigGossip(to: string): MessageOf<'gossip'> {
  const m = create('m', [to], false);
  const effects = node.step(m, { type: 'request', requestId: 1, request: { op: 'configure', n: 1, r: 1, w: 1 } });
  const [gossip] = gossipTo(effects, to);
  expect(gossip?.configVersion).toBe(1);
  return gossip as MessageOf<'gossip'>;
}

describe('config stamps: only what the server stamped is adopted', () => {
  it('a node with host stamps ignores a gossiped config nobody stamped; one without stamps (simulator, unit hosts) adopts it', () => {
    const stamped = create('a', ['m'], true);
    node.step(stamped, { type: 'message', from: 'm', message: forgedConfigGossip('a') });
    expect(settings(stamped)).toEqual({ n: 3, r: 2, w: 2, version: 0 });

    const gossiping = create('a', ['m'], false);
    node.step(gossiping, { type: 'message', from: 'm', message: forgedConfigGossip('a') });
    expect(settings(gossiping)).toEqual({ n: 1, r: 1, w: 1, version: 1 });
  });

  it('adopts a stamped config when it orders after its own, persists it, and ignores an older stamp', () => {
    const a = create('a', ['b'], true);
    const stamp: ConfigStamp = { version: 4, by: 't', config: { ...config, n: 2, r: 1, w: 1 } };
    const effects = node.step(a, { type: 'stamped', command: { kind: 'configure', ...stamp } });
    expect(settings(a)).toEqual({ n: 2, r: 1, w: 1, version: 4 });
    expect(effects.some((e) => e.type === 'persist' && e.records.some((r) => r.kind === 'membership' && r.config.version === 4))).toBe(true);
    node.step(a, { type: 'stamped', command: { kind: 'configure', version: 3, by: 'z', config } });
    expect(settings(a)).toEqual({ n: 2, r: 1, w: 1, version: 4 });
  });

  it('a gossiped config is heard, not adopted: this node\'s next proposal orders after it', () => {
    const t = create('t', ['m'], true);
    node.step(t, { type: 'message', from: 'm', message: forgedConfigGossip('t') });
    const asked = node.step(t, { type: 'request', requestId: 5, request: { op: 'configure', n: 2 } });
    expect(asked.flatMap((e) => (e.type === 'authorize' && e.command.kind === 'configure' ? [e.command.version] : []))).toEqual([2]);
  });

  it('a teacher\'s configure asks for a stamp, adopts nothing before it, then waits for the members\' echoes', () => {
    const t = create('t', ['b'], true);
    const asked = node.step(t, { type: 'request', requestId: 5, request: { op: 'configure', n: 2 } });
    expect(asked.filter((e) => e.type === 'authorize')).toEqual([{ type: 'authorize', command: { kind: 'configure', version: 1, by: 't', config: { ...config, n: 2 } } }]);
    expect(settings(t)).toEqual({ n: 3, r: 2, w: 2, version: 0 });
    expect(replies(asked)).toEqual([]);

    const stampedBack = node.step(t, { type: 'stamped', command: { kind: 'configure', version: 1, by: 't', config: { ...config, n: 2 } } });
    expect(settings(t)).toEqual({ n: 2, r: 2, w: 2, version: 1 });
    expect(replies(stampedBack)).toEqual([]);
    const [ask] = gossipTo(stampedBack, 'b');
    expect(ask?.wantReply).toBe(true);

    // b got the same stamp from the server; its gossip answer shows it: confirmed.
    const b = create('b', ['t'], true);
    node.step(b, { type: 'stamped', command: { kind: 'configure', version: 1, by: 't', config: { ...config, n: 2 } } });
    const [echo] = gossipTo(node.step(b, { type: 'message', from: 't', message: ask as MessageOf<'gossip'> }), 't');
    expect(replies(node.step(t, { type: 'message', from: 'b', message: echo as MessageOf<'gossip'> }))).toEqual([{ ok: true, op: 'configure' }]);
  });

  it('a refusal (not the teacher, or a concurrent change) fails the request with the server\'s reason and changes nothing', () => {
    const s = create('s', ['b'], true);
    node.step(s, { type: 'request', requestId: 9, request: { op: 'configure', n: 1 } });
    const refused = node.step(s, { type: 'refused', command: 'configure', reason: 'teacher only: open the teacher link printed by npm start' });
    expect(replies(refused)).toEqual([{ ok: false, indeterminate: false, error: 'teacher only: open the teacher link printed by npm start' }]);
    expect(settings(s)).toEqual({ n: 3, r: 2, w: 2, version: 0 });
  });
});

describe('removal stamps: gossip alone cannot stop a live member', () => {
  /** `a` has been running past deadTimeoutTicks, so on main a removal it hears stops it. */
  function running(stamps: boolean) {
    const a = create('a', ['m'], stamps);
    for (let now = 10; now <= 400; now += 10) node.step(a, { type: 'tick', now });
    return a;
  }
  /** The modified tab, which knows `a` as it is now, force-removes it through its own core and gossips it. */
  function forgedRemoval(a: node.NodeState): MessageOf<'gossip'> {
    const m = create('m', ['a'], false);
    node.step(m, { type: 'message', from: 'a', message: membership.gossipMessage(a, false) });
    const [gossip] = gossipTo(node.step(m, { type: 'request', requestId: 1, request: { op: 'remove', id: 'a' } }), 'a');
    expect(gossip?.members.find((x) => x.id === 'a')?.status).toBe('removed');
    return gossip as MessageOf<'gossip'>;
  }
  const self = (s: node.NodeState) => s.members.get(s.id);

  it('a node with host stamps refutes an unstamped removal with a new life and keeps serving; without stamps it stops', () => {
    const a = running(true);
    node.step(a, { type: 'message', from: 'm', message: forgedRemoval(a) });
    expect({ left: a.left, status: self(a)?.status, life: a.life }).toEqual({ left: false, status: 'alive', life: 2 });

    const plain = running(false);
    node.step(plain, { type: 'message', from: 'm', message: forgedRemoval(plain) });
    expect({ left: plain.left, status: self(plain)?.status }).toEqual({ left: true, status: 'removed' });
  });

  it('a stamped removal stops the member, and removes it at every other node', () => {
    const a = running(true);
    node.step(a, { type: 'stamped', command: { kind: 'remove', id: 'a' } });
    expect({ left: a.left, status: self(a)?.status }).toEqual({ left: true, status: 'removed' });
    const b = create('b', ['a'], true);
    node.step(b, { type: 'stamped', command: { kind: 'remove', id: 'a' } });
    expect(b.members.get('a')?.status).toBe('removed');
  });

  it('kv.remove under stamps asks for a stamp first and removes nothing before it', () => {
    const t = create('t', ['b'], true);
    const asked = node.step(t, { type: 'request', requestId: 3, request: { op: 'remove', id: 'b' } });
    expect(asked.filter((e) => e.type === 'authorize')).toEqual([{ type: 'authorize', command: { kind: 'remove', id: 'b' } }]);
    expect(t.members.get('b')?.status).toBe('alive');
    node.step(t, { type: 'stamped', command: { kind: 'remove', id: 'b' } });
    expect(t.members.get('b')?.status).toBe('removed');
  });
});
