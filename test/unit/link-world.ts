/**
 * A seeded world for link machines (src/runtime/link-machine.ts): it carries out their effects the way the
 * driver and a real network would, in virtual time, and checks the machine's invariants after every effect.
 * - Signals between two nodes travel in order (one signaling socket), with a delay, and may be lost.
 * - An offer fed to an answering link makes it answer; an answer fed to the dialling link connects the pair
 *   if both ends are still alive when it arrives; then each end hears `opened` after a delay.
 * - Frames travel in order per link and are lost if either end is gone when they arrive; a destroyed end
 *   makes the other end hear `closed`. A drain watch is answered with 0 buffered bytes after a delay.
 * Invariants (thrown as errors naming the seed): at most one live link per pair of nodes; every timer set is
 * not already set, and is later cancelled or fires; retry delays stay within the backoff bounds; queues
 * stay within their limits; two ends both `open` name the same link; messages arrive in the order sent,
 * each at most once.
 */
import * as rng from '../../src/core/rng.js';
import * as linkMachine from '../../src/runtime/link-machine.js';

type Ev = { readonly at: number; readonly seq: number; readonly run: () => void };

export interface Node {
  readonly id: string;
  readonly m: linkMachine.LinkMachine;
  /** Live links per peer (created by dial/accept, gone on destroy or a `closed` fed to the machine). */
  readonly alive: Map<string, Set<string>>;
  /** Timers set and not yet cancelled or fired, with a token per setting. */
  readonly timers: Map<string, number>;
  /** Last message number delivered from each peer. */
  readonly lastFrom: Map<string, number>;
  readonly delivered: number[];
}

export class World {
  now = 0;
  private seq = 0;
  private token = 0;
  private readonly events: Ev[] = [];
  readonly r: rng.Rng;
  readonly nodes = new Map<string, Node>();
  private readonly connected = new Set<string>();
  private readonly lastSignalAt = new Map<string, number>();
  private readonly lastFrameAt = new Map<string, number>();
  signalLoss = 0;
  /** Dials or asks made while the far side's own dial or ask was pending: glares the run exercised. */
  glares = 0;
  private sent = 0;

  constructor(readonly seed: number, readonly config: (self: string) => linkMachine.LinkConfig, ids: readonly string[]) {
    this.r = rng.create(seed);
    for (const id of ids) {
      const random = this.r.fork(id);
      this.nodes.set(id, {
        id, m: linkMachine.create(config(id), () => random.next()), alive: new Map(), timers: new Map(), lastFrom: new Map(), delivered: [],
      });
    }
    for (const id of ids) this.input(id, { kind: 'presence', peers: ids, signalingOpen: true });
  }

  fail(what: string): never {
    throw new Error(`seed ${this.seed} at ${this.now} ms: ${what}`);
  }

  node(id: string): Node {
    return this.nodes.get(id) ?? this.fail(`no node ${id}`);
  }

  private at(delayMs: number, run: () => void): void {
    const ev = { at: this.now + delayMs, seq: this.seq++, run };
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.events[mid] as Ev).at <= ev.at) lo = mid + 1;
      else hi = mid;
    }
    this.events.splice(lo, 0, ev); // after every event at the same time: ties run in the order they were made
  }

  /** A delay after `last` (per channel), so the channel stays in order. */
  private ordered(channel: Map<string, number>, key: string, run: () => void): void {
    const at = Math.max(this.now + 1 + this.r.int(30), channel.get(key) ?? 0);
    channel.set(key, at);
    this.at(at - this.now, run);
  }

  pending(): number {
    return this.events.length;
  }

  /** Runs the next event; false when there is none. */
  runNext(): boolean {
    const ev = this.events.shift();
    if (!ev) return false;
    this.now = Math.max(this.now, ev.at);
    ev.run();
    return true;
  }

  /** Sends message number n (its bytes start with n) of `size` bytes from `from` to `to`. */
  send(from: string, to: string, size: number): boolean {
    const bytes = new Uint8Array(Math.max(4, size));
    const n = ++this.sent;
    new DataView(bytes.buffer).setUint32(0, n);
    return !this.input(from, { kind: 'send', peer: to, bytes }).some((e) => e.kind === 'refused');
  }

  /** A link that is up fails: both ends hear `closed`. */
  breakLink(a: string, b: string): void {
    for (const link of this.node(a).alive.get(b) ?? []) {
      if (!this.connected.has(link)) continue;
      this.connected.delete(link);
      this.closeEnd(a, b, link);
      this.closeEnd(b, a, link);
    }
  }

  private closeEnd(self: string, peer: string, link: string): void {
    this.at(1 + this.r.int(20), () => {
      if (this.node(self).alive.get(peer)?.delete(link)) this.input(self, { kind: 'closed', peer, link, reason: 'test' });
    });
  }

  input(id: string, input: linkMachine.LinkInput): linkMachine.LinkEffect[] {
    const node = this.node(id);
    const effects = linkMachine.step(node.m, input, this.now);
    for (const effect of effects) this.carryOut(node, effect);
    this.check(node);
    return effects;
  }

  private signal(from: string, to: string, payload: { link: string; type: 'offer' | 'answer' }): void {
    if (this.r.next() < this.signalLoss) return;
    this.ordered(this.lastSignalAt, `${from}>${to}`, () => {
      this.input(to, { kind: 'signal', peer: from, payload: { kind: 'rtc', link: payload.link, signal: { type: payload.type, sdp: payload.link } } });
    });
  }

  private countGlare(self: string, peer: string): void {
    const far = this.nodes.get(peer)?.m.peers.get(self)?.phase;
    if (far === 'dialing' || far === 'asking') this.glares += 1;
  }

  private isAlive(self: string, peer: string, link: string): boolean {
    return this.node(self).alive.get(peer)?.has(link) ?? false;
  }

  private carryOut(node: Node, e: linkMachine.LinkEffect): void {
    const self = node.id;
    switch (e.kind) {
      case 'dial':
      case 'accept': {
        const set = node.alive.get(e.peer) ?? new Set<string>();
        set.add(e.link);
        node.alive.set(e.peer, set);
        if (set.size > 1) this.fail(`${self} holds ${set.size} live links to ${e.peer}`);
        if (e.kind !== 'dial') return;
        this.countGlare(self, e.peer);
        this.signal(self, e.peer, { link: e.link, type: 'offer' });
        return;
      }
      case 'ask':
        this.countGlare(self, e.peer);
        if (this.r.next() < this.signalLoss) return;
        this.ordered(this.lastSignalAt, `${self}>${e.peer}`, () => this.input(e.peer, { kind: 'signal', peer: self, payload: { kind: 'connect' } }));
        return;
      case 'feed': {
        if (!this.isAlive(self, e.peer, e.link)) this.fail(`${self} fed a signal to a link it does not hold`);
        if (e.signal.type === 'offer') return this.signal(self, e.peer, { link: e.link, type: 'answer' });
        if (e.signal.type !== 'answer' || !this.isAlive(e.peer, self, e.link)) return;
        this.connected.add(e.link);
        for (const [end, far] of [[self, e.peer], [e.peer, self]] as const) {
          this.at(1 + this.r.int(20), () => {
            if (this.connected.has(e.link) && this.isAlive(end, far, e.link)) this.input(end, { kind: 'opened', peer: far, link: e.link });
          });
        }
        return;
      }
      case 'destroy':
        if (!node.alive.get(e.peer)?.delete(e.link)) this.fail(`${self} destroyed a link it does not hold`);
        if (this.connected.delete(e.link)) this.closeEnd(e.peer, self, e.link);
        return;
      case 'write':
        if (!this.connected.has(e.link)) return; // written before the far end connected: lost, as on a real channel
        for (const frame of e.frames) {
          this.ordered(this.lastFrameAt, `${self}>${e.link}`, () => {
            if (this.connected.has(e.link) && this.isAlive(e.peer, self, e.link)) this.input(e.peer, { kind: 'frame', peer: self, link: e.link, frame });
          });
        }
        return;
      case 'watchDrain':
        this.at(1 + this.r.int(20), () => {
          if (this.isAlive(self, e.peer, e.link)) this.input(self, { kind: 'drained', peer: e.peer, link: e.link, bufferedBytes: 0 });
        });
        return;
      case 'setTimer': {
        const key = `${e.peer}/${e.timer}`;
        if (node.timers.has(key)) this.fail(`${self} set timer ${key} again before it fired or was cancelled`);
        if (e.timer === 'retry') {
          const c = node.m.config;
          const delay = e.atMs - this.now;
          if (delay < c.backoffInitialMs / 2 || delay > c.backoffMaxMs) this.fail(`retry delay ${delay} ms outside the backoff bounds`);
        }
        const token = ++this.token;
        node.timers.set(key, token);
        this.at(e.atMs - this.now, () => {
          if (node.timers.get(key) !== token) return;
          node.timers.delete(key);
          this.input(self, { kind: 'timer', peer: e.peer, timer: e.timer });
        });
        return;
      }
      case 'cancelTimer':
        if (!node.timers.delete(`${e.peer}/${e.timer}`)) this.fail(`${self} cancelled timer ${e.peer}/${e.timer} that was not set`);
        return;
      case 'deliver': {
        const n = new DataView(e.message.buffer, e.message.byteOffset).getUint32(0);
        if (n <= (node.lastFrom.get(e.peer) ?? 0)) this.fail(`${self} got message ${n} from ${e.peer} after ${node.lastFrom.get(e.peer)}`);
        node.lastFrom.set(e.peer, n);
        node.delivered.push(n);
        return;
      }
      case 'reachable':
      case 'refused':
        return;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  private check(node: Node): void {
    const q = node.m.config.queue;
    for (const [peer, p] of node.m.peers) {
      if (p.queue.messages.length > q.messagesMax || p.queue.bytes > q.bytesMax) this.fail(`${node.id}'s queue to ${peer} is over its bound`);
      const far = this.nodes.get(peer)?.m.peers.get(node.id);
      if (p.phase === 'open' && far?.phase === 'open' && far.link !== p.link) this.fail(`${node.id} and ${peer} are open on different links`);
    }
  }
}
