/**
 * A whole cluster in one process: real core nodes (src/core/node.ts), in-memory stores, virtual time in
 * ticks, and a seeded network that delays, reorders, drops, duplicates and partitions messages. Every
 * message crosses the network encoded with the real codec, so the wire format is exercised too.
 * Everything random comes from the one seed given (rng.fork per component): a run replays exactly.
 */
import * as codec from '../../src/core/codec.js';
import type { Tuning } from '../../src/core/config.js';
import { messageSchema, type Message } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import type { ClientRequest, ClientResult, Effect, Input } from '../../src/core/node-io.js';
import * as rngModule from '../../src/core/rng.js';
import type { ClusterConfig, NodeId } from '../../src/core/types.js';
import { MemoryStore } from './memory-store.js';

export interface NetworkParams {
  readonly lossRate: number;
  readonly duplicateRate: number;
  readonly delayMinTicks: number;
  readonly jitterTicks: number;
}

export interface ClusterOptions {
  readonly seed: number;
  readonly config: ClusterConfig;
  readonly tuning?: Partial<Tuning>;
  readonly conflictMode?: 'vclock' | 'lww';
  readonly network?: NetworkParams;
  /** Keep every node's trace lines and every network event (for transcripts and replay comparison). */
  readonly trace?: boolean;
}

export interface SimNode {
  readonly id: NodeId;
  readonly host: string;
  store: MemoryStore;
  state: node.NodeState | undefined;
  lives: number;
  readonly seeds: readonly NodeId[];
  readonly clockSkewTicks: number;
}

type Event = () => void;

export const calmNetwork: NetworkParams = { lossRate: 0, duplicateRate: 0, delayMinTicks: 1, jitterTicks: 0 };

export class Cluster {
  now = 0;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly traceLines: string[] = [];
  network: NetworkParams;
  /** Directed links that drop everything: `${from}>${to}`. */
  readonly cut = new Set<string>();
  readonly stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, decodeFailures: 0, bytes: 0, steps: 0 };
  /** Encoded bytes and message counts per message type. */
  readonly byType = new Map<string, { messages: number; bytes: number; versions: number }>();
  private readonly events = new Map<number, Event[]>();
  private readonly rngNet: rngModule.Rng;
  private readonly rngNodes: rngModule.Rng;
  private readonly replies = new Map<string, (result: ClientResult) => void>();
  private nextRequestId = 1;
  /** Called for each persist (tests use it to watch records). */
  onPersist: ((id: NodeId, count: number) => void) | undefined;
  /** Called for each message sent (the fuzz test collects real messages to mutate). */
  onSend: ((from: NodeId, to: NodeId, message: Message) => void) | undefined;

  constructor(readonly options: ClusterOptions) {
    const root = rngModule.create(options.seed);
    this.rngNet = root.fork('network');
    this.rngNodes = root.fork('nodes');
    this.network = options.network ?? calmNetwork;
  }

  log(line: string): void {
    if (this.options.trace) this.traceLines.push(line);
  }

  at(tick: number, event: Event): void {
    const when = Math.max(tick, this.now + 1);
    let list = this.events.get(when);
    if (list === undefined) {
      list = [];
      this.events.set(when, list);
    }
    list.push(event);
  }

  addNode(id: NodeId, options: { host?: string; seeds?: readonly NodeId[]; clockSkewTicks?: number; store?: MemoryStore } = {}): SimNode {
    const sim: SimNode = { id, host: options.host ?? `host-${id}`, store: options.store ?? new MemoryStore(), state: undefined, lives: 0, seeds: options.seeds ?? [], clockSkewTicks: options.clockSkewTicks ?? 0 };
    this.nodes.set(id, sim);
    this.start(sim);
    return sim;
  }

  private start(sim: SimNode): void {
    sim.lives++;
    const { state, effects } = node.create({
      id: sim.id, host: sim.host, capacity: 1, seeds: sim.seeds, rngSeed: this.rngNodes.int(2 ** 31), now: this.now,
      stored: sim.store.stored(), config: this.options.config, tuning: { trace: this.options.trace ?? false, ...this.options.tuning },
      conflictMode: this.options.conflictMode ?? 'vclock', clockSkewTicks: sim.clockSkewTicks,
    });
    sim.state = state;
    this.handle(sim, effects);
  }

  crash(id: NodeId): void {
    const sim = this.get(id);
    if (sim.state === undefined) return;
    sim.state = undefined;
    for (const k of [...this.replies.keys()]) if (k.startsWith(`${id}#`)) this.replies.delete(k);
    this.log(`${this.now} ${id} CRASH`);
  }

  /**
   * Restarts a node, its storage kept or wiped. `keepEpoch` (a control for the amnesia scenario) wipes the
   * data but keeps the epoch record: the KV679 bug, where a node reuses clock counters it issued before.
   */
  restart(id: NodeId, options: { wipe?: boolean; keepEpoch?: boolean } = {}): void {
    const sim = this.get(id);
    this.crash(id);
    if (options.wipe) {
      const epoch = sim.store.stored().epoch;
      sim.store = new MemoryStore();
      if (options.keepEpoch && epoch !== undefined) sim.store.apply([{ kind: 'epoch', epoch }]);
    }
    this.log(`${this.now} ${id} RESTART${options.wipe ? ' with wiped storage' : ''}`);
    this.start(sim);
  }

  get(id: NodeId): SimNode {
    const sim = this.nodes.get(id);
    if (sim === undefined) throw new Error(`sim: no node ${id}`);
    return sim;
  }

  up(id: NodeId): boolean {
    return this.nodes.get(id)?.state !== undefined;
  }

  /** Sends a client request to a node; `done` gets the result, or nothing if the node crashes first. */
  request(id: NodeId, request: ClientRequest, done: (result: ClientResult) => void): void {
    const sim = this.get(id);
    const state = sim.state;
    if (state === undefined) return;
    const requestId = this.nextRequestId++;
    this.replies.set(`${id}#${requestId}`, done);
    this.stepNode(sim, { type: 'request', requestId, request });
  }

  /** Feeds a node an input the runtime would (peer-reachable, suspended), as a test scripts it. */
  feed(id: NodeId, input: Input): void {
    this.stepNode(this.get(id), input);
  }

  private stepNode(sim: SimNode, input: Input): void {
    const state = sim.state;
    if (state === undefined) return;
    this.stats.steps++;
    this.handle(sim, node.step(state, input));
  }

  private handle(sim: SimNode, effects: readonly Effect[]): void {
    const life = sim.state;
    for (const e of effects) {
      switch (e.type) {
        case 'persist':
          sim.store.apply(e.records);
          this.onPersist?.(sim.id, e.records.length);
          break;
        case 'send':
          this.transmit(sim.id, e.to, e.message);
          break;
        case 'reply': {
          const key = `${sim.id}#${e.requestId}`;
          const done = this.replies.get(key);
          this.replies.delete(key);
          done?.(e.result);
          break;
        }
        case 'load':
          this.at(this.now + 1, () => {
            if (sim.state !== life || life === undefined) return;
            const { versions, corrupt } = sim.store.load(e.key, e.hintFor);
            this.stepNode(sim, { type: 'loaded', loadId: e.loadId, key: e.key, versions, corrupt });
          });
          break;
        case 'trace':
          this.log(`${e.event.tick} ${e.event.node} ${e.event.category}: ${e.event.text}`);
          break;
        default:
          throw new Error(`sim: unknown effect ${JSON.stringify(e satisfies never)}`);
      }
    }
  }

  private transmit(from: NodeId, to: NodeId, message: Message): void {
    this.stats.sent++;
    this.onSend?.(from, to, message);
    const bytes = codec.encode(messageSchema, message);
    this.stats.bytes += bytes.length;
    const tally = this.byType.get(message.type) ?? { messages: 0, bytes: 0, versions: 0 };
    tally.messages++;
    tally.bytes += bytes.length;
    if (message.type === 'store' || message.type === 'ae-push' || message.type === 'read-reply') tally.versions += message.versions.length;
    this.byType.set(message.type, tally);
    if (this.cut.has(`${from}>${to}`) || this.rngNet.next() < this.network.lossRate) {
      this.stats.lost++;
      return;
    }
    const copies = this.rngNet.next() < this.network.duplicateRate ? 2 : 1;
    if (copies === 2) this.stats.duplicated++;
    for (let c = 0; c < copies; c++) {
      const delay = this.network.delayMinTicks + (this.network.jitterTicks > 0 ? this.rngNet.int(this.network.jitterTicks + 1) : 0);
      this.at(this.now + delay, () => this.deliver(from, to, bytes));
    }
  }

  private deliver(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    const sim = this.nodes.get(to);
    if (sim?.state === undefined) return;
    const decoded = codec.decode(messageSchema, bytes);
    if (!decoded.ok) {
      this.stats.decodeFailures++;
      return;
    }
    this.stats.delivered++;
    this.stepNode(sim, { type: 'message', from, message: decoded.value });
  }

  /** Advances virtual time: every live node gets a tick, then the events due run in order. */
  run(ticks: number): void {
    const end = this.now + ticks;
    while (this.now < end) {
      this.now++;
      for (const sim of this.nodes.values()) if (sim.state !== undefined) this.stepNode(sim, { type: 'tick', now: this.now });
      const due = this.events.get(this.now);
      if (due !== undefined) {
        for (let i = 0; i < due.length; i++) (due[i] as Event)();
        this.events.delete(this.now);
      }
    }
  }

  /** Cuts every link between the two groups (both ways unless oneWay: then only a -> b). */
  partition(a: readonly NodeId[], b: readonly NodeId[], oneWay = false): void {
    for (const x of a) for (const y of b) {
      this.cut.add(`${x}>${y}`);
      if (!oneWay) this.cut.add(`${y}>${x}`);
    }
    this.log(`${this.now} NET partition ${a.join(',')} ${oneWay ? '->' : '|'} ${b.join(',')}`);
  }

  heal(): void {
    this.cut.clear();
    this.log(`${this.now} NET heal`);
  }

  live(): SimNode[] {
    return [...this.nodes.values()].filter((s) => s.state !== undefined);
  }
}
