/**
 * The link machine (src/runtime/link-machine.ts) as a specification: a table of state x event -> state and
 * effects, the backoff and back-pressure bounds, then seeded random event sequences between two and three
 * machines (link-world.ts) checking the invariants after every effect and that exactly one link survives a
 * glare. A failing seed is named in the error; `LINK_SEED=n` replays one.
 */
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as rng from '../../src/core/rng.js';
import * as inOrder from '../../src/runtime/in-order.js';
import * as linkMachine from '../../src/runtime/link-machine.js';
import * as sendQueue from '../../src/runtime/send-queue.js';
import { World } from './link-world.js';

const config = (self: string): linkMachine.LinkConfig => ({
  ...linkMachine.defaultConfig(self), idleCloseMs: 5000, connectTimeoutMs: 1000, connectAttemptsMax: 4, backoffInitialMs: 100, backoffMaxMs: 2000,
  queue: { messagesMax: 4, bytesMax: 64 * 1024, highWaterBytes: 40 * 1024, lowWaterBytes: 10 * 1024 },
});

const offer = (link: string) => ({ kind: 'signal', peer: 'b', payload: { kind: 'rtc', link, signal: { type: 'offer', sdp: 'o' } } }) as const;
const candidate = (link: string) => ({ kind: 'signal', peer: 'b', payload: { kind: 'rtc', link, signal: { type: 'candidate', candidate: { candidate: 'c', sdpMLineIndex: 0, sdpMid: '0' } } } }) as const;
const msg = (n = 10) => new Uint8Array(n);

type Start = 'none' | 'dialing' | 'accepting' | 'open' | 'backoff' | 'closedIdle' | 'closed';

/** A machine for `self` whose link to peer b is in `start`, at time 0 + what it took to get there. */
function machineIn(self: string, start: Start): { m: linkMachine.LinkMachine; link: string | undefined; now: number } {
  const r = rng.create(7);
  const m = linkMachine.create(config(self), () => r.next());
  const step = (input: linkMachine.LinkInput, now: number) => linkMachine.step(m, input, now);
  step({ kind: 'presence', peers: [self, 'b'], signalingOpen: true }, 0);
  const linkOf = () => m.peers.get('b')?.link;
  if (start === 'none') return { m, link: undefined, now: 0 };
  if (start === 'closed') {
    step({ kind: 'close' }, 0);
    return { m, link: undefined, now: 0 };
  }
  if (start === 'accepting') {
    step(offer('theirs'), 0);
    return { m, link: 'theirs', now: 0 };
  }
  step({ kind: 'send', peer: 'b', bytes: msg() }, 0);
  if (start === 'dialing') return { m, link: linkOf(), now: 0 };
  if (start === 'backoff') {
    step({ kind: 'timer', peer: 'b', timer: 'connect' }, 1000);
    return { m, link: undefined, now: 1000 };
  }
  step({ kind: 'opened', peer: 'b', link: linkOf() as string }, 10);
  if (start === 'open') return { m, link: linkOf(), now: 10 };
  step({ kind: 'timer', peer: 'b', timer: 'idle' }, 5010);
  return { m, link: undefined, now: 5010 };
}

interface Row {
  readonly self?: string;
  readonly start: Start;
  readonly event: string;
  readonly input: (link: string | undefined) => linkMachine.LinkInput;
  readonly dt?: number;
  readonly phase: linkMachine.Phase | 'forgotten';
  readonly effects: readonly string[];
}

const rows: readonly Row[] = [
  { start: 'none', event: 'send', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'dialing', effects: ['dial', 'setTimer connect'] },
  { start: 'none', event: 'send to oneself', input: () => ({ kind: 'send', peer: 'a', bytes: msg() }), phase: 'forgotten', effects: ['refused unknownPeer'] },
  { start: 'none', event: 'send to an absent peer', input: () => ({ kind: 'send', peer: 'z', bytes: msg() }), phase: 'forgotten', effects: ['refused unknownPeer'] },
  { start: 'none', event: 'send too large', input: () => ({ kind: 'send', peer: 'b', bytes: msg(limits.messageBytesMax + 1) }), phase: 'forgotten', effects: ['refused tooLarge'] },
  { start: 'none', event: 'offer', input: () => offer('theirs'), phase: 'accepting', effects: ['accept', 'feed', 'setTimer connect'] },
  { start: 'closed', event: 'send', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'forgotten', effects: ['refused closed'] },
  { start: 'dialing', event: 'send', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'dialing', effects: [] },
  { start: 'dialing', event: 'opened', input: (l) => ({ kind: 'opened', peer: 'b', link: l as string }), phase: 'open', effects: ['cancelTimer connect', 'reachable up', 'setTimer idle', 'write'] },
  { start: 'dialing', event: 'opened (old link)', input: () => ({ kind: 'opened', peer: 'b', link: 'old' }), phase: 'dialing', effects: [] },
  { start: 'dialing', event: 'answer fed', input: (l) => ({ kind: 'signal', peer: 'b', payload: { kind: 'rtc', link: l as string, signal: { type: 'answer', sdp: 'x' } } }), phase: 'dialing', effects: ['feed'] },
  { self: 'a', start: 'dialing', event: 'glare: offer, we are smaller', input: () => offer('theirs'), phase: 'dialing', effects: [] },
  { self: 'c', start: 'none', event: 'send, we are larger', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'asking', effects: ['ask', 'setTimer connect'] },
  { self: 'c', start: 'dialing', event: 'offer while asking', input: () => offer('theirs'), phase: 'accepting', effects: ['cancelTimer connect', 'accept', 'feed', 'setTimer connect'] },
  { self: 'c', start: 'dialing', event: 'ask timeout', input: () => ({ kind: 'timer', peer: 'b', timer: 'connect' }), dt: 1000, phase: 'backoff', effects: ['setTimer retry'] },
  { self: 'c', start: 'dialing', event: 'asked while asking (both ask)', input: () => ({ kind: 'signal', peer: 'b', payload: { kind: 'connect' } }), phase: 'dialing', effects: ['cancelTimer connect', 'dial', 'setTimer connect'] },
  { start: 'none', event: 'asked to dial', input: () => ({ kind: 'signal', peer: 'b', payload: { kind: 'connect' } }), phase: 'dialing', effects: ['dial', 'setTimer connect'] },
  { start: 'dialing', event: 'glare: asked while dialing', input: () => ({ kind: 'signal', peer: 'b', payload: { kind: 'connect' } }), phase: 'dialing', effects: [] },
  { start: 'open', event: 'asked while open (the far side lost it)', input: () => ({ kind: 'signal', peer: 'b', payload: { kind: 'connect' } }), phase: 'dialing', effects: ['destroy', 'cancelTimer idle', 'reachable down', 'dial', 'setTimer connect'] },
  { start: 'dialing', event: 'connect timeout', input: () => ({ kind: 'timer', peer: 'b', timer: 'connect' }), dt: 1000, phase: 'backoff', effects: ['destroy', 'setTimer retry'] },
  { start: 'dialing', event: 'link fails', input: (l) => ({ kind: 'closed', peer: 'b', link: l as string, reason: 'x' }), phase: 'backoff', effects: ['cancelTimer connect', 'setTimer retry'] },
  { start: 'backoff', event: 'retry timer', input: () => ({ kind: 'timer', peer: 'b', timer: 'retry' }), dt: 200, phase: 'dialing', effects: ['dial', 'setTimer connect'] },
  { start: 'backoff', event: 'offer', input: () => offer('theirs'), phase: 'accepting', effects: ['cancelTimer retry', 'accept', 'feed', 'setTimer connect'] },
  { start: 'backoff', event: 'peer leaves the room', input: () => ({ kind: 'presence', peers: ['a'], signalingOpen: true }), phase: 'backoff', effects: [] },
  { start: 'accepting', event: 'connect timeout (no messages)', input: () => ({ kind: 'timer', peer: 'b', timer: 'connect' }), dt: 1000, phase: 'forgotten', effects: ['destroy'] },
  { start: 'accepting', event: 'frame before opened', input: (l) => ({ kind: 'frame', peer: 'b', link: l as string, frame: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 1, 42]) }), phase: 'accepting', effects: ['deliver'] },
  { start: 'open', event: 'send', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'open', effects: ['write'] },
  { start: 'open', event: 'late candidate of another link', input: () => candidate('old'), phase: 'open', effects: [] },
  { start: 'open', event: 'offer of a new link', input: () => offer('theirs'), phase: 'accepting', effects: ['destroy', 'cancelTimer idle', 'reachable down', 'accept', 'feed', 'setTimer connect'] },
  { start: 'open', event: 'closes while in use', input: (l) => ({ kind: 'closed', peer: 'b', link: l as string, reason: 'x' }), dt: 100, phase: 'forgotten', effects: ['cancelTimer idle', 'reachable down'] },
  { start: 'open', event: 'far side closes it idle', input: (l) => ({ kind: 'closed', peer: 'b', link: l as string, reason: 'x' }), dt: 4000, phase: 'none', effects: ['cancelTimer idle'] },
  { start: 'open', event: 'idle timer, idle', input: () => ({ kind: 'timer', peer: 'b', timer: 'idle' }), dt: 5000, phase: 'none', effects: ['destroy'] },
  { start: 'open', event: 'idle timer, active since', input: () => ({ kind: 'timer', peer: 'b', timer: 'idle' }), dt: 3000, phase: 'open', effects: ['setTimer idle'] },
  { start: 'open', event: 'close', input: () => ({ kind: 'close' }), phase: 'forgotten', effects: ['cancelTimer idle', 'destroy', 'reachable down'] },
  { start: 'closedIdle', event: 'send (reopens)', input: () => ({ kind: 'send', peer: 'b', bytes: msg() }), phase: 'dialing', effects: ['dial', 'setTimer connect'] },
  { start: 'closedIdle', event: 'peer leaves the room', input: () => ({ kind: 'presence', peers: ['a'], signalingOpen: true }), phase: 'forgotten', effects: ['reachable down'] },
];

const describeEffect = (e: linkMachine.LinkEffect): string => {
  switch (e.kind) {
    case 'setTimer': case 'cancelTimer': return `${e.kind} ${e.timer}`;
    case 'reachable': return `reachable ${e.up ? 'up' : 'down'}`;
    case 'refused': return `refused ${e.reason}`;
    default: return e.kind;
  }
};

describe('link machine: state x event -> state, effects', () => {
  it.each(rows)('$start + $event -> $phase', (row) => {
    const { m, link, now } = machineIn(row.self ?? 'a', row.start);
    const effects = linkMachine.step(m, row.input(link), now + (row.dt ?? 0));
    expect(effects.map(describeEffect)).toEqual(row.effects);
    expect(m.peers.get('b')?.phase ?? 'forgotten').toBe(row.phase);
  });

  it('gives up after connectAttemptsMax failures: the waiting messages are dropped as unreachable, and counted', () => {
    const { m } = machineIn('a', 'dialing');
    let now = 0;
    for (let attempt = 1; attempt <= 4; attempt++) {
      now += 1000;
      expect(linkMachine.step(m, { kind: 'timer', peer: 'b', timer: 'connect' }, now).map(describeEffect)).toEqual(['destroy', 'setTimer retry']);
      now += 2000;
      linkMachine.step(m, { kind: 'timer', peer: 'b', timer: 'retry' }, now);
    }
    now += 1000;
    expect(linkMachine.step(m, { kind: 'timer', peer: 'b', timer: 'connect' }, now).map(describeEffect)).toEqual(['destroy']);
    expect(m.dropped.unreachable).toBe(1);
    expect(m.peers.has('b')).toBe(false);
  });

  it('drops the waiting messages at once when signaling says the peer left the room', () => {
    const { m, link } = machineIn('a', 'dialing');
    linkMachine.step(m, { kind: 'presence', peers: ['a'], signalingOpen: true }, 5);
    linkMachine.step(m, { kind: 'closed', peer: 'b', link: link as string, reason: 'x' }, 10);
    expect(m.dropped.unreachable).toBe(1);
  });
});

describe('backoff', () => {
  it.each([0, 1, 2, 3, 4, 5, 10, 40, 1000])('attempt %i stays within [initial/2, max] and doubles until the cap', (attempt) => {
    const c = config('a');
    const low = linkMachine.backoffMs(c, attempt, 0);
    const high = linkMachine.backoffMs(c, attempt, 0.999999);
    expect(low).toBe(Math.min(c.backoffMaxMs, c.backoffInitialMs * 2 ** attempt) / 2);
    expect(high).toBeLessThanOrEqual(c.backoffMaxMs);
    expect(low).toBeGreaterThanOrEqual(c.backoffInitialMs / 2);
  });
});

describe('send queue: bounds and watermarks', () => {
  const limitsQ = { messagesMax: 3, bytesMax: 100_000, highWaterBytes: 40_000, lowWaterBytes: 10_000 };

  it('refuses past messagesMax or bytesMax, and keeps what it accepted', () => {
    const q = sendQueue.create();
    expect([1, 2, 3, 4].map(() => sendQueue.offer(q, limitsQ, msg(10)))).toEqual([true, true, true, false]);
    const q2 = sendQueue.create();
    expect([sendQueue.offer(q2, limitsQ, msg(60_000)), sendQueue.offer(q2, limitsQ, msg(60_000))]).toEqual([true, false]);
    expect(q2.bytes).toBe(60_000);
  });

  it('writes until past the high-water mark, then waits for a drain report; a restart rewrites the head whole', () => {
    const q = sendQueue.create();
    for (let i = 0; i < 3; i++) sendQueue.offer(q, limitsQ, msg(30_000)); // two frames each
    const first = sendQueue.take(q, limitsQ);
    expect([first.frames.length, first.messagesDone, first.watchDrain]).toEqual([3, 1, true]); // 16 + 14 + 16 KiB > 40_000
    expect(sendQueue.take(q, limitsQ).frames.length).toBe(0); // paused: nothing until drained
    sendQueue.restart(q); // the link dropped mid-message
    const again = sendQueue.take(q, limitsQ);
    expect([again.frames.length, again.messagesDone]).toEqual([3, 1]);
    sendQueue.drained(q, 0);
    expect(sendQueue.take(q, limitsQ)).toMatchObject({ messagesDone: 1, watchDrain: false });
    expect(q.messages.length).toBe(0);
  });
});

const seedCount = Number(process.env.LINK_SEEDS ?? 100);
const seeds = process.env.LINK_SEED ? [Number(process.env.LINK_SEED)] : Array.from({ length: seedCount }, (_, i) => i + 1);

/** Random sends, link failures, lost signals and presence flaps; then quiet, and one more message each way. */
function run(seed: number, ids: readonly string[]): World {
  const w = new World(seed, config, ids);
  w.signalLoss = 0.05;
  const pick = () => w.r.pick(ids);
  for (let i = 0; i < 300; i++) {
    const roll = w.r.next();
    const [from, to] = [pick(), pick()];
    if (roll < 0.3 && from !== to) w.send(from, to, w.r.pick([4, 100, 20_000, 40_000]));
    else if (roll < 0.35 && from !== to) w.breakLink(from, to);
    else if (roll < 0.37) w.input(from, { kind: 'presence', peers: ids.filter((id) => id !== to), signalingOpen: true });
    else if (roll < 0.4) w.input(from, { kind: 'presence', peers: ids, signalingOpen: true });
    else w.runNext();
  }
  w.signalLoss = 0;
  for (const id of ids) w.input(id, { kind: 'presence', peers: ids, signalingOpen: true });
  for (let i = 0; i < 2000 && w.runNext(); i++); // let the past settle (retries, timeouts)
  const finals = ids.flatMap((from) => ids.filter((to) => to !== from).map((to) => ({ from, to, accepted: w.send(from, to, 100) })));
  for (let i = 0; i < 100_000 && w.runNext(); i++); // until nothing is left: idle links close, timers end
  if (w.pending() > 0) w.fail('the world never went quiet');
  for (const f of finals) if (f.accepted && w.node(f.to).lastFrom.get(f.from) === undefined) w.fail(`${f.from} -> ${f.to}: the last message never arrived`);
  for (const id of ids) w.input(id, { kind: 'close' });
  for (const node of w.nodes.values()) {
    if (node.timers.size > 0) w.fail(`${node.id} left timers set after close: ${[...node.timers.keys()]}`);
    if ([...node.alive.values()].some((s) => s.size > 0)) w.fail(`${node.id} left links alive after close`);
  }
  return w;
}

describe('link machine: seeded event sequences keep the invariants', () => {
  it(`two nodes, ${seeds.length} seeds: one link per pair, bounded queues and backoff, timers end, glare agreed, order kept`, () => {
    let delivered = 0;
    let glares = 0;
    for (const seed of seeds) {
      const w = run(seed, ['a', 'b']);
      delivered += [...w.nodes.values()].reduce((n, node) => n + node.delivered.length, 0);
      glares += w.glares;
    }
    // The runs moved messages (not only refused them) and exercised glares.
    expect(delivered).toBeGreaterThan(seeds.length);
    if (seeds.length > 10) expect(glares).toBeGreaterThan(0);
  }, 120_000);

  it(`three nodes, ${Math.ceil(seeds.length / 4)} seeds`, () => {
    for (const seed of seeds.slice(0, Math.ceil(seeds.length / 4))) run(seed, ['a', 'b', 'c']);
  }, 120_000);

  it('a glare (both sides want a link at once) leaves exactly one link, the smaller id\'s, on both sides', () => {
    const w = new World(1, config, ['a', 'b']);
    w.send('a', 'b', 10);
    w.send('b', 'a', 10);
    const dials = { a: w.node('a').m.peers.get('b')?.link, b: w.node('b').m.peers.get('a')?.link };
    while (w.runNext() && !(w.node('a').m.peers.get('b')?.phase === 'open' && w.node('b').m.peers.get('a')?.phase === 'open'));
    expect(w.node('a').m.peers.get('b')?.link).toBe(dials.a);
    expect(w.node('b').m.peers.get('a')?.link).toBe(dials.a);
    expect([w.node('a').alive.get('b')?.size, w.node('b').alive.get('a')?.size]).toEqual([1, 1]);
    expect(dials.b).not.toBe(dials.a);
  });
});

describe('link machine: each link\'s messages are delivered in the sender\'s order', () => {
  const frameId = (f: Uint8Array) => new DataView(f.buffer, f.byteOffset).getUint32(0);
  const writes = (effects: readonly linkMachine.LinkEffect[]) => effects.flatMap((e) => (e.kind === 'write' ? e.frames : []));
  const delivered = (effects: readonly linkMachine.LinkEffect[]) => effects.flatMap((e) => (e.kind === 'deliver' ? [e.message[0]] : []));

  /** Sender b (the smaller id, so it dials) to receiver c: b queues `count` one-frame messages 1, 2, ... before its link opens. */
  function burst(count: number) {
    const r = rng.create(3);
    const b = linkMachine.create(config('b'), () => r.next());
    linkMachine.step(b, { kind: 'presence', peers: ['b', 'c'], signalingOpen: true }, 0);
    for (let i = 1; i <= count; i++) linkMachine.step(b, { kind: 'send', peer: 'c', bytes: new Uint8Array([i, 0, 0]) }, 0);
    const link = b.peers.get('c')?.link as string;
    const frames = writes(linkMachine.step(b, { kind: 'opened', peer: 'c', link }, 10));
    const { m: c } = machineIn('c', 'accepting'); // c answers b's link 'theirs'
    const feed = (order: readonly number[]) => order.flatMap((i) => delivered(linkMachine.step(c, { kind: 'frame', peer: 'b', link: 'theirs', frame: frames[i] as Uint8Array }, 20)));
    return { b, c, link, frames, feed };
  }

  it('a burst the answering side\'s wrtc hands over tail first (3, 1, 2: webrtc-transport.test.ts under load) is delivered 1, 2, 3', () => {
    const { frames, feed } = burst(3);
    expect(frames.map(frameId)).toEqual([0, 1, 2]);
    expect(feed([2, 0, 1])).toEqual([1, 2, 3]);
  });

  it('holds nothing back when frames come in order, and releases the held ones the moment the missing one comes', () => {
    const { feed } = burst(4);
    expect(feed([0])).toEqual([1]);
    expect(feed([3])).toEqual([]);
    expect(feed([2])).toEqual([]);
    expect(feed([1])).toEqual([2, 3, 4]);
  });

  it('numbers each new link\'s messages from 0 again (the far side\'s turn restarts with the link)', () => {
    const { b, link } = burst(2);
    linkMachine.step(b, { kind: 'timer', peer: 'c', timer: 'idle' }, 10 + 5000); // closed idle: the peer's state is kept
    expect(b.peers.get('c')?.link).toBeUndefined();
    linkMachine.step(b, { kind: 'send', peer: 'c', bytes: new Uint8Array([9]) }, 6000);
    const again = b.peers.get('c')?.link as string;
    expect(again).not.toBe(link);
    expect(writes(linkMachine.step(b, { kind: 'opened', peer: 'c', link: again }, 6010)).map(frameId)).toEqual([0]);
  });

  it('a new link starts a new turn: what the old link held is forgotten with it', () => {
    const { c, frames } = burst(2);
    linkMachine.step(c, { kind: 'frame', peer: 'b', link: 'theirs', frame: frames[1] as Uint8Array }, 20); // held for id 0
    linkMachine.step(c, offer('newer'), 30);
    const effects = linkMachine.step(c, { kind: 'frame', peer: 'b', link: 'newer', frame: frames[0] as Uint8Array }, 40);
    expect(delivered(effects)).toEqual([1]);
  });
});

describe('in-order: bounded holding', () => {
  const limitsO = { heldMax: 2, heldBytesMax: 100 };
  const m = (n: number, size = 1) => new Uint8Array(size).fill(n);
  const firsts = (ms: Uint8Array[]) => ms.map((x) => x[0]);

  it('past heldMax it gives up waiting: the held ones in id order, then a late one as it comes; nothing is dropped', () => {
    const s = inOrder.create();
    expect(firsts(inOrder.accept(s, limitsO, 3, m(3)))).toEqual([]);
    expect(firsts(inOrder.accept(s, limitsO, 1, m(1)))).toEqual([]);
    expect(firsts(inOrder.accept(s, limitsO, 2, m(2)))).toEqual([1, 2, 3]); // id 0 never came
    expect(firsts(inOrder.accept(s, limitsO, 4, m(4)))).toEqual([4]);
    expect(firsts(inOrder.accept(s, limitsO, 0, m(0)))).toEqual([0]); // late: its turn was given up
    expect([s.held.size, s.heldBytes]).toEqual([0, 0]);
  });

  it('past heldBytesMax it gives up too', () => {
    const s = inOrder.create();
    expect(firsts(inOrder.accept(s, limitsO, 1, m(1, 60)))).toEqual([]);
    expect(firsts(inOrder.accept(s, limitsO, 2, m(2, 60)))).toEqual([1, 2]);
  });

  it('ids wrap at 2^32, and a duplicate of a held id is ignored', () => {
    const s = inOrder.create();
    s.next = 0xffffffff;
    expect(firsts(inOrder.accept(s, limitsO, 0, m(0)))).toEqual([]);
    expect(firsts(inOrder.accept(s, limitsO, 0, m(7)))).toEqual([]);
    expect(firsts(inOrder.accept(s, limitsO, 0xffffffff, m(9)))).toEqual([9, 0]);
    expect(s.next).toBe(1);
  });
});
