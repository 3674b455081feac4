/**
 * The link transport (src/runtime/link-transport.ts: the driver around the link machine) over in-memory data
 * links and signaling, in virtual time (no WebRTC, no real timers): delivery in order across frame sizes,
 * a glare leaving one link per side, idle close and reopen on the injected clock, close() leaving no timer
 * and no link; then the fault decorator (src/runtime/fault-transport.ts) over the in-memory transport
 * (src/runtime/memory-transport.ts), as the issue asks: it wraps any transport.
 */
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as faults from '../../src/protocol/faults.js';
import type { RtcSignal, SignalPayload } from '../../src/protocol/signaling.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { DataLink, DataLinkEvents, DataLinkFactory } from '../../src/runtime/data-link.js';
import { withFaults } from '../../src/runtime/fault-transport.js';
import { createLinkTransport, type LinkSignaling, type LinkTransport } from '../../src/runtime/link-transport.js';
import * as memoryTransport from '../../src/runtime/memory-transport.js';
import { noDrops } from '../../src/runtime/transport.js';

/** Virtual time: timers fire in time order as `run` moves the clock; `pending` counts live timers. */
function virtualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    nowMs: () => now,
    every(ms, fn) {
      let cancel = () => {};
      const again = () => { cancel = clock.after(ms, () => { fn(); again(); }); };
      again();
      return () => cancel();
    },
    after(ms, fn) {
      const id = seq++;
      timers.set(id, { at: now + Math.max(0, ms), fn });
      return () => void timers.delete(id);
    },
  };
  function run(ms: number): void {
    const until = now + ms;
    for (;;) {
      const next = [...timers].sort(([ia, a], [ib, b]) => a.at - b.at || ia - ib)[0];
      if (!next || next[1].at > until) break;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = until;
  }
  return { clock, run, pending: () => timers.size };
}

/**
 * A room: signaling relay and data links between named nodes, each hop one virtual millisecond. With
 * `cachedFrames` n > 0, an answering end hands its first frames over as @roamhq/wrtc can: the first n are
 * cached (the JS channel does not exist yet) and come after frame n + 1 (which arrived while it was built).
 */
function room(clock: Clock, ids: readonly string[], cachedFrames = 0) {
  const onSignal = new Map<string, (from: string, data: SignalPayload) => void>();
  const ends = new Map<string, { events: DataLinkEvents; open: boolean; closed: boolean; receive: (frame: Uint8Array) => void }>();
  let created = 0;
  const signaling = (self: string): LinkSignaling => ({
    state: 'open',
    onState: () => {},
    presence: () => ids,
    onPresence: () => {},
    signal(to, data) {
      clock.after(1, () => onSignal.get(to)?.(self, data as SignalPayload));
      return true;
    },
    onSignal: (h) => void onSignal.set(self, h),
  });
  /** Links of `self`: the end of link L from `self` to `peer` is `${self}/${peer}/${L}`. */
  const links = (self: string): DataLinkFactory => ({ peer, link: name, initiator }, events) => {
    created += 1;
    const cache: Uint8Array[] = [];
    let built = initiator || cachedFrames === 0;
    const receive = (frame: Uint8Array) => {
      if (built) return events.onFrame(frame);
      if (cache.length < cachedFrames) return void cache.push(frame);
      built = true;
      events.onFrame(frame);
      for (const cached of cache) events.onFrame(cached);
    };
    const end = { events, open: false, closed: false, receive };
    const key = `${self}/${peer}/${name}`;
    const farEnd = () => ends.get(`${peer}/${self}/${name}`);
    ends.set(key, end);
    if (initiator) clock.after(1, () => { if (!end.closed) events.onSignal({ type: 'offer', sdp: name }); });
    return {
      signal(s: RtcSignal) {
        if (s.type === 'offer') clock.after(1, () => { if (!end.closed) events.onSignal({ type: 'answer', sdp: s.sdp }); });
        if (s.type !== 'answer') return;
        for (const e of [end, farEnd()]) clock.after(1, () => { if (e && !e.closed) { e.open = true; e.events.onOpen(); } });
      },
      send(frame) {
        if (!end.open || end.closed) return false;
        clock.after(1, () => { const e = farEnd(); if (e && !e.closed) e.receive(frame); });
        return true;
      },
      bufferedAmount: () => 0,
      whenDrained: (_low, then) => then(),
      destroy() {
        end.closed = true;
        clock.after(1, () => { const e = farEnd(); if (e && !e.closed) { e.closed = true; e.events.onClose('far end closed'); } });
      },
    } satisfies DataLink;
  };
  return { signaling, links, created: () => created, ends };
}

function pair(ids = ['a', 'b'], idleCloseMs = 60_000, cachedFrames = 0) {
  const v = virtualClock();
  const r = room(v.clock, ids, cachedFrames);
  const nodes = new Map<string, { t: LinkTransport; inbox: string[]; reach: string[] }>();
  for (const id of ids) {
    const t = createLinkTransport({ self: id, signaling: r.signaling(id), createLink: r.links(id), clock: v.clock, random: () => 0.5, config: { idleCloseMs } });
    const node = { t, inbox: [] as string[], reach: [] as string[] };
    t.onMessage((from, bytes) => node.inbox.push(`${from}:${bytes.length}:${bytes[0]}`));
    t.onReachability((peer, up) => node.reach.push(`${peer} ${up ? 'up' : 'down'}`));
    nodes.set(id, node);
  }
  const get = (id: string) => nodes.get(id) as { t: LinkTransport; inbox: string[]; reach: string[] };
  return { v, r, get };
}

const bytes = (n: number, first: number) => { const b = new Uint8Array(n); if (n > 0) b[0] = first; return b; };

describe('link transport (driver) over in-memory links, virtual time', () => {
  it('delivers whole messages of every size in order, both ways, and reports the link up once', () => {
    const { v, get } = pair();
    const sizes = [0, 1, limits.dataChannelChunkBytes, limits.dataChannelChunkBytes * 3 + 5, limits.messageBytesMax];
    sizes.forEach((n, i) => expect(get('a').t.send('b', bytes(n, i + 1))).toBe(true));
    sizes.forEach((n, i) => expect(get('b').t.send('a', bytes(n, i + 10))).toBe(true));
    v.run(100);
    expect(get('b').inbox).toEqual(sizes.map((n, i) => `a:${n}:${n > 0 ? i + 1 : undefined}`));
    expect(get('a').inbox).toEqual(sizes.map((n, i) => `b:${n}:${n > 0 ? i + 10 : undefined}`));
    expect([get('a').reach, get('b').reach]).toEqual([['b up'], ['a up']]);
    expect(get('a').t.stats()).toMatchObject({ messagesSent: sizes.length, messagesReceived: sizes.length, openChannels: 1 });
  });

  it('delivers in order a burst the answering side\'s wrtc hands over out of order (3, 1, 2), both ways', () => {
    const { v, get } = pair(['a', 'b'], 60_000, 2);
    [1, 2, 3].forEach((i) => get('a').t.send('b', bytes(100, i))); // a dials: b answers, and its wrtc reorders
    v.run(100);
    expect(get('b').inbox).toEqual(['a:100:1', 'a:100:2', 'a:100:3']);
    [4, 5, 6].forEach((i) => get('b').t.send('a', bytes(100, i)));
    v.run(100);
    expect(get('a').inbox).toEqual(['b:100:4', 'b:100:5', 'b:100:6']);
  });

  it('a glare (both send at the same instant) leaves one open link on each side', () => {
    const { v, r, get } = pair();
    get('a').t.send('b', bytes(3, 1));
    get('b').t.send('a', bytes(3, 2));
    v.run(100);
    expect(r.created()).toBe(2); // a's dial and b's answer: b, the larger, asked a to dial instead of dialling
    expect([...r.ends.values()].filter((e) => e.open && !e.closed).length).toBe(2); // one link, two ends
    expect([get('a').inbox, get('b').inbox]).toEqual([['b:3:2'], ['a:3:1']]);
  });

  it('closes an idle link on the clock without reporting the peer gone, and reopens it on the next send', () => {
    const { v, get } = pair(['a', 'b'], 1000);
    get('a').t.send('b', bytes(1, 1));
    v.run(100);
    expect(get('a').t.connectedPeers()).toEqual(['b']);
    v.run(1000);
    expect([get('a').t.connectedPeers(), get('b').t.connectedPeers()]).toEqual([[], []]);
    expect(get('a').reach).toEqual(['b up']);
    get('a').t.send('b', bytes(1, 2));
    v.run(100);
    expect(get('b').inbox).toEqual(['a:1:1', 'a:1:2']);
  });

  it('close() cancels every timer and destroys every link; later sends are refused and counted', () => {
    const { v, r, get } = pair();
    get('a').t.send('b', bytes(1, 1));
    v.run(100);
    get('a').t.close();
    get('b').t.close();
    v.run(10); // let the far-end notices run out
    expect(v.pending()).toBe(0);
    expect([...r.ends.values()].every((e) => e.closed)).toBe(true);
    expect(get('a').t.send('b', bytes(1, 1))).toBe(false);
    expect(get('a').t.stats().messagesDropped.closed).toBe(1);
  });
});

describe('link transport: close() from inside a handler', () => {
  it('starts nothing after it: no timer left, every link closed', () => {
    const { v, r, get } = pair();
    get('b').t.onMessage(() => get('b').t.close());
    get('a').t.send('b', bytes(1, 1));
    v.run(100);
    get('a').t.close();
    v.run(10);
    expect(get('b').inbox).toEqual(['a:1:1']);
    expect(v.pending()).toBe(0);
    expect([...r.ends.values()].every((e) => e.closed)).toBe(true);
  });
});

describe('fault decorator over the in-memory transport', () => {
  const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
  const stats = (t: memoryTransport.MemoryTransport) => ({ ...t, stats: () => ({ messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, openChannels: 0, messagesDropped: noDrops() }) });

  it('drops at the sender (send() still true) and at the receiver, counts each, and reports reachability by the rules', async () => {
    const net = memoryTransport.createNetwork();
    const a = withFaults(stats(net.join('a')), { random: () => 0.5 });
    const b = withFaults(stats(net.join('b')), { random: () => 0.5 });
    const inbox: string[] = [];
    const reach: string[] = [];
    b.onMessage((from, m) => inbox.push(`${from}:${m[0]}`));
    a.onReachability((peer, up) => reach.push(`${peer} ${up ? 'up' : 'down'}`));
    await flush();
    expect(reach).toEqual(['b up']);
    a.setFaults({ ...faults.noFaults, groups: [['a'], ['b']] });
    expect(reach).toEqual(['b up', 'b down']);
    expect(a.send('b', new Uint8Array([1]))).toBe(true);
    expect(a.stats().messagesDropped.partitioned).toBe(1);
    b.setFaults({ ...faults.noFaults, cuts: [{ from: 'a', to: 'b', oneWay: true }] }); // only the receiver knows
    a.setFaults(faults.noFaults);
    expect(reach).toEqual(['b up', 'b down', 'b up']);
    a.send('b', new Uint8Array([2]));
    await flush();
    expect(b.stats().messagesDropped.cut).toBe(1);
    b.setFaults({ ...faults.noFaults, lossRate: 0.4 }); // draw 0.5 >= 0.4: delivered
    a.setFaults({ ...faults.noFaults, lossRate: 0.6 }); // draw 0.5 < 0.6: lost
    a.send('b', new Uint8Array([3]));
    b.setFaults(faults.noFaults);
    a.setFaults(faults.noFaults);
    a.send('b', new Uint8Array([4]));
    await flush();
    expect(inbox).toEqual(['a:4']);
    expect(a.stats().messagesDropped.lost).toBe(1);
    expect(() => a.setFaults({ ...faults.noFaults, lossRate: 2 })).toThrow(/invalid fault rules/);
  });
});
