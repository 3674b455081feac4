/**
 * The assembled WebRTC transport in Node (@roamhq/wrtc, iceServers []: simple-peer links driven by the link
 * machine, under the fault decorator), through a real signaling server on 127.0.0.1: on-demand channels
 * dialled by either side and a real glare, sizes around the chunk size up to 1 MiB arriving intact and in
 * order, fault rules dropping at sender and receiver, idle close and reopen, the bounded queue, and the ring
 * surviving a signaling server restart. The machine's own rules are specified in link-machine.test.ts and the
 * driver's in link-transport.test.ts (virtual time); this file checks that the real WebRTC edge keeps them.
 * Waits are for events (with generous time limits so a hang fails); nothing asserts on timing.
 */
import wrtc from '@roamhq/wrtc';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../signaling/server.js';
import { limits } from '../../src/core/limits.js';
import * as faults from '../../src/protocol/faults.js';
import { createSignalingClient, type SignalingClient } from '../../src/runtime/signaling-client.js';
import { createWebRtcTransport, type WebRtcTransport, type WebRtcTransportOptions } from '../../src/browser/webrtc-transport.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function server(port = 0): Promise<RunningServer> {
  const s = await startServer({ port, host: '127.0.0.1', teacherToken: 'test-teacher' });
  cleanups.push(() => s.close());
  return s;
}

interface Node {
  readonly id: string;
  readonly signaling: SignalingClient;
  readonly transport: WebRtcTransport;
  readonly inbox: Array<{ from: string; bytes: Uint8Array }>;
  readonly reach: string[];
}

function node(s: RunningServer, id: string, extra: Partial<WebRtcTransportOptions> = {}): Node {
  const signaling = createSignalingClient({
    // Every node holds the teacher token: the fault-rule tests publish rules from any of them.
    url: s.signalUrl, room: 'test', nodeId: id, teacherToken: 'test-teacher', WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  const transport = createWebRtcTransport({ self: id, signaling, wrtc, iceServers: [], ...extra });
  const inbox: Node['inbox'] = [];
  const reach: string[] = [];
  transport.onMessage((from, bytes) => inbox.push({ from, bytes }));
  transport.onReachability((peer, up) => reach.push(`${peer} ${up ? 'up' : 'down'}`));
  cleanups.push(() => { transport.close(); signaling.close(); });
  return { id, signaling, transport, inbox, reach };
}

/** Polls `cond` until true; fails (naming `what`) after limitMs so a hang is a failure, not a stuck run. */
async function until(what: string, cond: () => boolean, limitMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const allPresent = (nodes: Node[]) => () => nodes.every((n) => n.signaling.presence().length === nodes.length);

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 131 + seed * 7) & 0xff;
  return out;
}

const sizes = [1, 16 * 1024, 16 * 1024 + 1, 0, limits.dataChannelChunkBytes - 8, limits.messageBytesMax];

describe('webrtc transport (Node, wrtc)', () => {
  it('delivers 1 B .. 1 MiB intact and in order, both ways (the larger id dials first here)', async () => {
    const s = await server();
    const a = node(s, 'a');
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    sizes.forEach((n, i) => expect(b.transport.send('a', pattern(n, i))).toBe(true)); // b dials
    sizes.forEach((n, i) => expect(a.transport.send('b', pattern(n, i + 100))).toBe(true));
    await until('all messages', () => a.inbox.length === sizes.length && b.inbox.length === sizes.length, 30_000);
    a.inbox.forEach((m, i) => {
      expect(m.from).toBe('b');
      expect(Buffer.from(m.bytes).equals(pattern(sizes[i] as number, i))).toBe(true);
    });
    b.inbox.forEach((m, i) => expect(Buffer.from(m.bytes).equals(pattern(sizes[i] as number, i + 100))).toBe(true));
    expect(a.reach).toEqual(['b up']);
    expect(a.transport.connectedPeers()).toEqual(['b']);
    expect(a.transport.stats()).toMatchObject({ messagesSent: sizes.length, messagesReceived: sizes.length, openChannels: 1 });
  }, 60_000);

  it('a glare (both want a link at once) leaves one open channel on each side, and both messages arrive', async () => {
    const s = await server();
    const a = node(s, 'a');
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    expect([a.transport.send('b', pattern(10, 1)), b.transport.send('a', pattern(10, 2))]).toEqual([true, true]);
    await until('both delivered', () => a.inbox.length === 1 && b.inbox.length === 1);
    await until('b sees the link up', () => b.reach.length === 1);
    expect([a.transport.connectedPeers(), b.transport.connectedPeers()]).toEqual([['b'], ['a']]);
    expect([a.reach, b.reach]).toEqual([['b up'], ['a up']]);
    expect([a.transport.stats().openChannels, b.transport.stats().openChannels]).toEqual([1, 1]);
  }, 30_000);

  it('refuses at once: oneself, an absent peer, an oversize message; counts each', async () => {
    const s = await server();
    const a = node(s, 'a');
    await until('presence', allPresent([a]));
    expect(a.transport.send('a', pattern(1, 1))).toBe(false);
    expect(a.transport.send('ghost', pattern(1, 1))).toBe(false);
    expect(a.transport.send('ghost', new Uint8Array(limits.messageBytesMax + 1))).toBe(false);
    expect(a.transport.stats().messagesDropped).toMatchObject({ unknownPeer: 2, tooLarge: 1 });
  });

  it('applies fault rules from the signaling server: partition drops, channels stay open, heal is instant, reachability follows the rules', async () => {
    const s = await server();
    const [a, b, c] = [node(s, 'a'), node(s, 'b'), node(s, 'c')];
    await until('presence', allPresent([a, b, c]));
    a.transport.send('b', pattern(10, 1));
    await until('a -> b', () => b.inbox.length === 1);
    c.signaling.publishFaults({ ...faults.noFaults, groups: [['a'], ['b', 'c']] });
    await until('rules everywhere', () => [a, b, c].every((n) => n.transport.faults().groups.length === 2));
    expect(a.transport.send('b', pattern(10, 2))).toBe(true); // the network drops it, not the sender
    expect(a.transport.stats().messagesDropped.partitioned).toBe(1);
    b.transport.send('c', pattern(10, 3));
    await until('b -> c within a group', () => c.inbox.length === 1);
    expect(a.transport.connectedPeers()).toEqual(['b']);
    expect(a.reach).toEqual(['b up', 'b down']); // the channel is open, but the core must stop choosing b at once
    b.signaling.publishFaults(faults.noFaults);
    await until('healed everywhere', () => [a, b, c].every((n) => faults.isHealthy(n.transport.faults())));
    a.transport.send('b', pattern(10, 4));
    await until('a -> b after heal', () => b.inbox.length === 2);
    expect(b.inbox.map((m) => m.bytes[0])).toEqual([pattern(10, 1)[0], pattern(10, 4)[0]]);
    expect(a.reach).toEqual(['b up', 'b down', 'b up']);
  }, 30_000);

  it('drops at the receiver a message its own rules block (one-way cut), and loses by the injected draw', async () => {
    const s = await server();
    const a = node(s, 'a', { random: () => 0 });
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    a.transport.send('b', pattern(5, 1));
    await until('open', () => b.inbox.length === 1);
    // The responder may receive the first message before simple-peer reports its side connected: wait for it.
    await until('b sees the link up', () => b.reach.length === 1);
    b.transport.setFaults({ ...faults.noFaults, cuts: [{ from: 'a', to: 'b', oneWay: true }] });
    expect(b.reach).toEqual(['a up', 'a down']); // a link that loses one direction is no usable replica link
    a.transport.send('b', pattern(5, 2));
    await until('dropped at b', () => b.transport.stats().messagesDropped.cut === 1);
    b.transport.send('a', pattern(5, 3)); // the other direction still flows
    await until('b -> a', () => a.inbox.length === 1);
    a.transport.setFaults({ ...faults.noFaults, lossRate: 0.5 });
    a.transport.send('b', pattern(5, 4));
    expect(a.transport.stats().messagesDropped.lost).toBe(1);
    expect(b.inbox.length).toBe(1);
  }, 30_000);

  it('closes an idle channel (without telling the core the peer went away) and reopens it on the next send', async () => {
    const s = await server();
    const a = node(s, 'a', { idleCloseMs: 150 });
    const b = node(s, 'b', { idleCloseMs: 150 });
    await until('presence', allPresent([a, b]));
    b.transport.send('a', pattern(3, 1));
    await until('first', () => a.inbox.length === 1);
    await until('idle close', () => a.transport.connectedPeers().length === 0 && b.transport.connectedPeers().length === 0);
    expect(b.reach).toEqual(['a up']); // idle is not gone: the peer is reachable on demand
    b.transport.send('a', pattern(3, 2));
    await until('second', () => a.inbox.length === 2);
  }, 30_000);

  it('reports an idle-closed peer as gone once it leaves the room', async () => {
    const s = await server();
    const a = node(s, 'a', { idleCloseMs: 150 });
    const b = node(s, 'b', { idleCloseMs: 150 });
    await until('presence', allPresent([a, b]));
    a.transport.send('b', pattern(3, 1));
    await until('first', () => b.inbox.length === 1);
    await until('idle close', () => a.transport.connectedPeers().length === 0);
    expect(a.reach).toEqual(['b up']);
    b.transport.close();
    b.signaling.close();
    await until('b gone', () => a.reach.length === 2);
    expect(a.reach).toEqual(['b up', 'b down']);
  }, 30_000);

  it('reports a peer unreachable at once when its channel closes while in use, though it is still in the room', async () => {
    const s = await server();
    const a = node(s, 'a');
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    a.transport.send('b', pattern(3, 1));
    await until('first', () => b.inbox.length === 1);
    expect(a.reach).toEqual(['b up']);
    b.transport.close(); // the tab's channels die; its signaling socket (presence) has not gone yet
    await until('b down', () => a.reach.length === 2);
    expect(a.reach).toEqual(['b up', 'b down']);
    expect(a.signaling.presence()).toContain('b');
  }, 30_000);

  it('bounds the per-peer queue: past it send() is false and counted', async () => {
    const s = await server();
    const a = node(s, 'a', { queueMessagesMax: 3 });
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    const accepted = [1, 2, 3, 4, 5].map((i) => a.transport.send('b', pattern(100, i))); // queued until the channel opens
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(a.transport.stats().messagesDropped.queueFull).toBe(2);
    await until('queued ones', () => b.inbox.length === 3);
    expect(b.inbox.map((m) => m.bytes[0])).toEqual([1, 2, 3].map((i) => pattern(100, i)[0]));
  }, 30_000);

  it('pauses on back-pressure and still delivers a burst larger than the high-water mark, in order', async () => {
    const s = await server();
    const a = node(s, 'a', { highWaterBytes: 64 * 1024, lowWaterBytes: 16 * 1024 });
    const b = node(s, 'b');
    await until('presence', allPresent([a, b]));
    const count = 12;
    for (let i = 0; i < count; i++) expect(a.transport.send('b', pattern(256 * 1024, i))).toBe(true);
    await until('burst', () => b.inbox.length === count, 30_000);
    b.inbox.forEach((m, i) => expect(Buffer.from(m.bytes).equals(pattern(256 * 1024, i))).toBe(true));
  }, 60_000);

  it('keeps working over open channels while the signaling server restarts, then reconnects to it', async () => {
    const first = await server();
    const port = first.port;
    const a = node(first, 'a');
    const b = node(first, 'b');
    await until('presence', allPresent([a, b]));
    a.transport.send('b', pattern(10, 1));
    await until('open', () => b.inbox.length === 1);
    await first.close();
    await until('signaling lost', () => a.signaling.state === 'connecting' && b.signaling.state === 'connecting');
    b.transport.send('a', pattern(10, 2));
    a.transport.send('b', pattern(10, 3));
    await until('data over the old channel', () => a.inbox.length === 1 && b.inbox.length === 2);
    const second = await server(port);
    await until('reconnected', () => a.signaling.state === 'open' && b.signaling.state === 'open');
    const c = node(second, 'c');
    await until('presence', allPresent([a, b, c]));
    c.transport.send('a', pattern(10, 4));
    a.transport.send('c', pattern(10, 5));
    await until('new channel', () => a.inbox.length === 2 && c.inbox.length === 1);
    expect(a.reach).toEqual(['b up', 'c up']);
  }, 60_000);
});
