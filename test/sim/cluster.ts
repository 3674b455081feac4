/**
 * A whole cluster in one process: real core nodes (src/core/node.ts), in-memory stores, virtual time in
 * ticks, and a seeded network that delays, reorders, drops, duplicates and partitions messages. Every
 * message crosses the network encoded with the real codec, so the wire format is exercised too.
 * Nodes die as tabs do: a crash (restart later from storage), a wipe (restart with empty storage), a
 * restart from a stale disk image, a death for good (never restarts), and a storage failure (a batch
 * is not written; the node host then rebuilds the node from storage before it serves again).
 * With `clocks.local`, each node life counts its own ticks from 0 at its own rate (node-clock.ts).
 * Everything random comes from the one seed given (rng.fork per component): a run replays exactly.
 */
import * as codec from '../../src/core/codec.js';
import type { Tuning } from '../../src/core/config.js';
import { messageSchema, type Message } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import type { ClientRequest, ClientResult, Effect, Input } from '../../src/core/node-io.js';
import * as rngModule from '../../src/core/rng.js';
import type { ClusterConfig, NodeId } from '../../src/core/types.js';
import * as timeControl from '../../src/protocol/time-control.js';
import { MemoryStore, type WrittenValue } from './memory-store.js';
import * as nodeClock from './node-clock.js';
import { RuntimeHost, type HostWorld } from './runtime-host.js';

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
  /** Per-node clocks (default: one global clock, as transcripts assume). */
  readonly clocks?: nodeClock.ClockModel;
  /**
   * Controls: options passed as they are to node.create (e.g. { epochPolicy: 'max-plus-one' } or
   * { clockPolicy: 'plain-vv' } from the dvv core), so each control is one known-bad node option.
   */
  readonly controls?: Readonly<Record<string, string>>;
  /**
   * Seeds from presence, as tabs get them from the signaling server: each life starts with every node
   * that is up as its seeds (default: the fixed seeds given to addNode).
   */
  readonly seedsFromPresence?: boolean;
  /**
   * Step hosting: hand every node the room's presence (the nodes that are up), as the runtime hands it the
   * signaling server's, so gossip may not invent members (core/admission.ts). Runtime hosting always does.
   */
  readonly presence?: boolean;
  /**
   * 'step' (default): the cluster steps node.step itself, one step one batch. 'runtime': each node runs
   * the real runtime loop (runtime-host.ts); time then advances only through `advance` (async).
   */
  readonly host?: 'step' | 'runtime';
  /** 'runtime' hosting: RuntimeOptions.pipelineStores (stores leave before the coordinator's commit). */
  readonly pipelineStores?: boolean;
  /** 'runtime' hosting: RuntimeOptions.batchStores (stores to one peer in one run of the loop leave as one message). */
  readonly batchStores?: boolean;
  /**
   * At most this many messages put on the network in the whole run: past it, nothing more is carried and
   * the next tick throws Runaway (a message storm must fail its seed, not hang or eat the memory).
   */
  readonly messagesMax?: number;
}

/** A run that used up its message budget: the message names the count, the tick and the top kinds. */
export class Runaway extends Error {
  constructor(readonly messages: number, readonly tick: number, readonly topKinds: readonly (readonly [string, number])[]) {
    super(`runaway: ${messages} messages by tick ${tick} (top kinds ${topKinds.map(([k, n]) => `${k} ${n}`).join(', ')})`);
  }
}

export interface SimNode {
  readonly id: NodeId;
  readonly host: string;
  store: MemoryStore;
  state: node.NodeState | undefined;
  lives: number;
  seeds: readonly NodeId[];
  readonly clockSkewTicks: number;
  /** This life's clock, and the last local tick fed to it. */
  clock: nodeClock.NodeClock;
  lastTick: number;
  /** Dead for good: it never restarts, and its storage is gone with it. */
  dead: boolean;
  /** The runtime host of this life ('runtime' hosting only). */
  runtime: RuntimeHost | undefined;
  /** The presence last handed to this life (the `presence` option), joined. */
  presenceFed?: string | undefined;
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
  readonly stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, decodeFailures: 0, bytes: 0, steps: 0, storageFailures: 0 };
  /** Encoded bytes and message counts per message type (step hosting: from the message). */
  readonly byType = new Map<string, { messages: number; bytes: number; versions: number }>();
  /** Messages put on the network per kind, either hosting (from the wire tag, after the magic and version bytes). */
  readonly sentByKind = new Map<string, number>();
  /** The key and dot of every string value any node's storage ever wrote (memory-store.ts; the nemesis's guard reads it). */
  readonly writtenDots = new Map<string, WrittenValue>();
  private readonly events = new Map<number, Event[]>();
  private readonly rngNet: rngModule.Rng;
  private readonly rngNodes: rngModule.Rng;
  private readonly rngClocks: rngModule.Rng;
  private readonly clockModel: nodeClock.ClockModel;
  private readonly replies = new Map<string, (result: ClientResult) => void>();
  private nextRequestId = 1;
  /** Called for each persist (tests use it to watch records). */
  onPersist: ((id: NodeId, count: number) => void) | undefined;
  /** Called for each message sent (the fuzz test collects real messages to mutate). */
  onSend: ((from: NodeId, to: NodeId, message: Message) => void) | undefined;
  /** The room's time control (runtime hosting only): every runtime follows it, as tabs do (time-control.ts). */
  private time: timeControl.TimeSetting = timeControl.normalTime;

  constructor(readonly options: ClusterOptions) {
    const root = rngModule.create(options.seed);
    this.rngNet = root.fork('network');
    this.rngNodes = root.fork('nodes');
    this.rngClocks = root.fork('clocks');
    this.clockModel = options.clocks ?? nodeClock.globalClock;
    this.network = options.network ?? calmNetwork;
  }

  /** Sets the room's time (pause, speed, steps) for every runtime-hosted node, now and at each later start. */
  setTime(setting: timeControl.TimeSetting): void {
    this.time = setting;
    for (const sim of this.nodes.values()) sim.runtime?.runtime?.setTime(setting);
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
    const sim: SimNode = {
      id, host: options.host ?? `host-${id}`, store: options.store ?? new MemoryStore(this.writtenDots), state: undefined, lives: 0, seeds: options.seeds ?? [],
      clockSkewTicks: options.clockSkewTicks ?? 0, clock: nodeClock.start(nodeClock.globalClock, 0, this.rngClocks), lastTick: 0, dead: false, runtime: undefined,
    };
    this.nodes.set(id, sim);
    this.start(sim);
    return sim;
  }

  /** A new life: a new clock from 0 (a tab's ticks count from its page load), the node made from storage. */
  private start(sim: SimNode): void {
    sim.lives++;
    if (this.options.seedsFromPresence) sim.seeds = this.live().map((s) => s.id).filter((id) => id !== sim.id);
    sim.clock = nodeClock.start(this.clockModel, this.now, this.rngClocks);
    sim.lastTick = nodeClock.tickAt(sim.clock, this.now);
    this.create(sim);
  }

  /** Makes the node from what its storage holds (a restart, or a rebuild after a storage failure). */
  private create(sim: SimNode): void {
    if (this.options.host === 'runtime') {
      const host: RuntimeHost = new RuntimeHost(this.world(), {
        time: () => this.time, ...(this.options.pipelineStores !== undefined ? { pipelineStores: this.options.pipelineStores } : {}),
        ...(this.options.batchStores !== undefined ? { batchStores: this.options.batchStores } : {}),
        id: sim.id, store: sim.store, clock: sim.clock, create: (stored, seeds, now) => this.make(sim, stored, seeds, now),
        onState: (state) => {
          if (sim.runtime === host) sim.state = state;
        },
      });
      sim.runtime = host;
      host.start();
      return;
    }
    const { state, effects } = this.make(sim, sim.store.stored(), sim.seeds, sim.lastTick);
    sim.state = state;
    sim.presenceFed = undefined;
    this.handle(sim, effects);
  }

  private make(sim: SimNode, stored: node.NodeOptions['stored'], seeds: readonly NodeId[], now: number): { state: node.NodeState; effects: Effect[] } {
    // A variable, not a literal: the controls are node options this core may not know (yet).
    const options: node.NodeOptions = {
      id: sim.id, host: sim.host, capacity: 1, seeds, rngSeed: this.rngNodes.int(2 ** 31), now,
      stored, config: this.options.config, tuning: { trace: this.options.trace ?? false, ...this.options.tuning },
      conflictMode: this.options.conflictMode ?? 'vclock', clockSkewTicks: sim.clockSkewTicks, ...this.options.controls,
    };
    return node.create(options);
  }

  private world(): HostWorld {
    return {
      now: () => this.now,
      at: (tick, event) => this.at(tick, event),
      send: (from, to, bytes) => this.carry(from, to, bytes),
      presentPeers: (self) => this.live().map((s) => s.id).filter((id) => id !== self),
      log: (line) => this.log(line),
      rebuilt: () => this.stats.storageFailures++,
    };
  }

  crash(id: NodeId): void {
    const sim = this.get(id);
    if (sim.state === undefined && sim.runtime === undefined) return;
    sim.runtime?.close();
    sim.runtime = undefined;
    sim.state = undefined;
    this.dropReplies(id);
    this.log(`${this.now} ${id} CRASH`);
  }

  /** Its clients never hear back (they time out: indeterminate). */
  private dropReplies(id: NodeId): void {
    for (const k of [...this.replies.keys()]) if (k.startsWith(`${id}#`)) this.replies.delete(k);
  }

  /** Dies for good: never restarts; its storage is gone, so nothing may count on its copies. */
  kill(id: NodeId): void {
    const sim = this.get(id);
    this.crash(id);
    sim.dead = true;
    sim.store = new MemoryStore(this.writtenDots);
    this.log(`${this.now} ${id} DEAD for good`);
  }

  /** Restarts a node from an older image of its disk (an older epoch, older data). */
  restartFrom(id: NodeId, image: MemoryStore): void {
    const sim = this.get(id);
    if (sim.dead) return;
    this.crash(id);
    sim.store = image.clone();
    this.log(`${this.now} ${id} RESTART from a stale disk image`);
    this.start(sim);
  }

  /** The next `batches` storage transactions of the node fail whole. */
  failStorage(id: NodeId, batches: number): void {
    this.get(id).store.failNextApplies += batches;
    this.log(`${this.now} ${id} STORAGE will fail ${batches} batch(es)`);
  }

  /**
   * Restarts a node, its storage kept or wiped. `keepEpoch` (a control for the amnesia scenario) wipes the
   * data but keeps the epoch record: the KV679 bug, where a node reuses clock counters it issued before.
   */
  restart(id: NodeId, options: { wipe?: boolean; keepEpoch?: boolean } = {}): void {
    const sim = this.get(id);
    if (sim.dead) return;
    this.crash(id);
    if (options.wipe) {
      const epoch = sim.store.stored().epoch;
      sim.store = new MemoryStore(this.writtenDots);
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
    if (sim.runtime !== undefined) {
      void sim.runtime.runtime?.request(request).then(done);
      return;
    }
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

  /**
   * Carries out one step's effects in order: its persist first (one batch), then sends, replies and loads.
   * If the persist fails, as the runtime does: nothing of the step is sent, its replies fail with the
   * storage error (a write's may have taken effect elsewhere: indeterminate), and the node is rebuilt from
   * storage, whose index no longer matches what the node believes it holds.
   */
  private handle(sim: SimNode, effects: readonly Effect[]): void {
    const life = sim.state;
    let failed: string | undefined;
    for (const e of effects) {
      if (failed !== undefined && e.type !== 'reply' && e.type !== 'trace') continue;
      switch (e.type) {
        case 'persist':
          try {
            sim.store.apply(e.records);
          } catch (error) {
            failed = error instanceof Error ? error.message : String(error);
            break;
          }
          this.onPersist?.(sim.id, e.records.length);
          break;
        case 'send':
          this.transmit(sim.id, e.to, e.message);
          break;
        case 'reply': {
          const key = `${sim.id}#${e.requestId}`;
          const done = this.replies.get(key);
          this.replies.delete(key);
          const r = e.result;
          done?.(failed === undefined ? r : { ok: false, error: failed, indeterminate: r.ok ? r.op !== 'get' : r.indeterminate });
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
        case 'authorize':
          throw new Error('sim: its nodes run without stamps (NodeOptions.stamps), so none asks for one');
        default:
          throw new Error(`sim: unknown effect ${JSON.stringify(e satisfies never)}`);
      }
    }
    if (failed !== undefined && sim.state === life) this.rebuild(sim, failed);
  }

  private rebuild(sim: SimNode, error: string): void {
    this.stats.storageFailures++;
    this.log(`${this.now} ${sim.id} STORAGE FAILED (${error}): rebuilt from storage`);
    this.dropReplies(sim.id);
    this.create(sim);
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
    if (message.type === 'store-batch') for (const store of message.stores) tally.versions += store.versions.length;
    this.byType.set(message.type, tally);
    this.carry(from, to, bytes);
  }

  /** The faulty network: cuts, loss, duplication, delay. */
  private carry(from: NodeId, to: NodeId, bytes: Uint8Array): void {
    const kind = messageSchema.tags[bytes[2] ?? -1] ?? 'unknown'; // after the magic and version bytes
    this.sentByKind.set(kind, (this.sentByKind.get(kind) ?? 0) + 1);
    if (this.options.host === 'runtime') {
      this.stats.sent++;
      this.stats.bytes += bytes.length;
    }
    // Over budget: carry nothing more (the next tick ends the run), so a storm cannot grow within a tick.
    if (this.options.messagesMax !== undefined && this.stats.sent > this.options.messagesMax) return;
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
    if (sim?.runtime !== undefined) {
      this.stats.delivered++;
      sim.runtime.deliver(from, bytes);
      return;
    }
    if (sim?.state === undefined) return;
    const decoded = codec.decode(messageSchema, bytes);
    if (!decoded.ok) {
      this.stats.decodeFailures++;
      return;
    }
    this.stats.delivered++;
    this.stepNode(sim, { type: 'message', from, message: decoded.value });
  }

  /** Advances virtual time: every live node whose own clock moved gets a tick, then the events due run in order. */
  run(ticks: number): void {
    if (this.options.host === 'runtime') throw new Error('sim: a runtime-hosted cluster advances with `await advance(ticks)`');
    const end = this.now + ticks;
    while (this.now < end) this.tickOnce();
  }

  /** Advances virtual time; with runtime hosting, drains the runtimes' promises after every tick. */
  async advance(ticks: number): Promise<void> {
    if (this.options.host !== 'runtime') {
      this.run(ticks);
      return;
    }
    // What the caller started before advancing (a request's pump, whose stores the runtime sends in a
    // microtask: runtime.ts scheduleFlush) settles at the current tick, as it would in a tab, before time moves.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const end = this.now + ticks;
    while (this.now < end) {
      this.tickOnce();
      // Every promise chain the tick started settles before the next tick (no other timers exist here).
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private tickOnce(): void {
    const max = this.options.messagesMax;
    if (max !== undefined && this.stats.sent > max) {
      throw new Runaway(this.stats.sent, this.now, [...this.sentByKind].sort((a, b) => b[1] - a[1]).slice(0, 3));
    }
    this.now++;
    if (this.options.presence === true) this.feedPresence();
    for (const sim of this.nodes.values()) {
      if (sim.runtime !== undefined) {
        sim.runtime.tick();
        continue;
      }
      if (sim.state === undefined) continue;
      const local = nodeClock.tickAt(sim.clock, this.now);
      if (local <= sim.lastTick) continue;
      sim.lastTick = local;
      this.stepNode(sim, { type: 'tick', now: local });
    }
    const due = this.events.get(this.now);
    if (due !== undefined) {
      for (let i = 0; i < due.length; i++) (due[i] as Event)();
      this.events.delete(this.now);
    }
  }

  /** Step hosting: each live node whose presence is not the room's now is handed it (the runtime's feedPresence). */
  private feedPresence(): void {
    const up = this.live().map((s) => s.id);
    for (const sim of this.nodes.values()) {
      if (sim.runtime !== undefined || sim.state === undefined) continue;
      const peers = up.filter((id) => id !== sim.id);
      const signature = peers.join('\n');
      if (sim.presenceFed === signature) continue;
      sim.presenceFed = signature;
      this.stepNode(sim, { type: 'presence', peers });
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

  /** Opens the link between two nodes, both ways, leaving every other cut in place. */
  link(a: NodeId, b: NodeId): void {
    this.cut.delete(`${a}>${b}`);
    this.cut.delete(`${b}>${a}`);
    this.log(`${this.now} NET link ${a} - ${b}`);
  }

  live(): SimNode[] {
    return [...this.nodes.values()].filter((s) => s.state !== undefined);
  }
}
