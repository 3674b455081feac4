/**
 * Runs one simulated node through the REAL runtime loop (src/runtime/runtime.ts: serial input queue, ticks
 * from elapsed time, group commit, persist-before-send, storage-failed), as a tab does, instead of
 * stepping node.step directly. The host supplies the runtime's three edges as twins:
 *   - a virtual Clock: the node's own time (node-clock.ts: from 0 at each life, its own rate), whose
 *     `every` callbacks fire once per global tick and whose `after` timers are cluster events;
 *   - a Store over the node's MemoryStore (promises; an injected failure rejects a whole batch);
 *   - a Transport into the simulated network (the runtime encodes and decodes with the real codec).
 * Promises resolve in microtasks, which the cluster drains after every global tick, so a run stays a
 * pure function of its seed.
 *
 * After a failed batch the runtime feeds `storage-failed`; the core then holds versions its storage never
 * wrote, and the runtime recreates the node from what storage holds (runtime.ts startRebuild), as tabs do.
 */
import * as codec from '../../src/core/codec.js';
import { messageSchema } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import type { Effect, Input, StoreRecord } from '../../src/core/node-io.js';
import type { NodeId } from '../../src/core/types.js';
import type { Clock } from '../../src/runtime/clock.js';
import * as runtime from '../../src/runtime/runtime.js';
import type { Store } from '../../src/runtime/store.js';
import type { Transport } from '../../src/runtime/transport.js';
import type { TimeSetting } from '../../src/protocol/time-control.js';
import type { MemoryStore } from './memory-store.js';
import * as nodeClock from './node-clock.js';

/** Milliseconds per tick in the virtual clock (as in a tab). */
export const tickMs = 100;

export const wireCodec: runtime.WireCodec = {
  encode: (message) => {
    const bytes = codec.encode(messageSchema, message);
    return { ok: true, bytes };
  },
  decode: (bytes) => {
    const decoded = codec.decode(messageSchema, bytes);
    return decoded.ok ? { ok: true, value: decoded.value } : { ok: false, reason: decoded.reason };
  },
};

/** What the host needs from the cluster. */
export interface HostWorld {
  now(): number;
  at(tick: number, event: () => void): void;
  /** Puts bytes on the simulated network (faults apply there). */
  send(from: NodeId, to: NodeId, bytes: Uint8Array): void;
  presentPeers(self: NodeId): NodeId[];
  log(line: string): void;
  /** A node was rebuilt from storage after a failed batch. */
  rebuilt(id: NodeId): void;
}

export interface HostOptions {
  readonly id: NodeId;
  readonly store: MemoryStore;
  readonly clock: nodeClock.NodeClock;
  /** Makes the node from storage: node.create's options but for stored, seeds and now. */
  readonly create: (stored: ReturnType<MemoryStore['stored']>, seeds: readonly NodeId[], now: number) => { state: node.NodeState; effects: Effect[] };
  /** The room's time setting when the runtime starts (protocol/time-control.ts). */
  readonly time?: () => TimeSetting;
  /** RuntimeOptions.pipelineStores (the runtime's default when absent). */
  readonly pipelineStores?: boolean;
  /** RuntimeOptions.batchStores (the runtime's default when absent). */
  readonly batchStores?: boolean;
  /** Told of each new node state (the checker's convergence reads it). */
  readonly onState: (state: node.NodeState) => void;
}

export class RuntimeHost {
  private readonly tickers = new Set<() => void>();
  private handler: ((from: NodeId, bytes: Uint8Array) => void) | undefined;
  private closed = false;
  /** Records the node produced that the runtime has not handed to storage yet, in step order. */
  private readonly unwritten = new Set<StoreRecord>();
  runtime: runtime.Runtime<unknown> | undefined;

  constructor(private readonly world: HostWorld, private readonly options: HostOptions) {}

  /** Starts the runtime (asynchronously: it reads the store first). */
  start(): void {
    void runtime.start({
      nodeId: this.options.id, store: this.store(), transport: this.transport(), codec: wireCodec, clock: this.clock(), tickMs,
      createNode: (init) => this.createNode(init), ...(this.options.time ? { time: this.options.time() } : {}),
      ...(this.options.pipelineStores !== undefined ? { pipelineStores: this.options.pipelineStores } : {}),
      ...(this.options.batchStores !== undefined ? { batchStores: this.options.batchStores } : {}),
    }).then((rt) => {
      if (this.closed) {
        rt.close();
        return;
      }
      this.runtime = rt;
      if (this.options.time) rt.setTime(this.options.time()); // a change made while storage was loading
    });
  }

  /** One global tick passed: the runtime's interval timer fires (it reads its own clock). */
  tick(): void {
    for (const fn of [...this.tickers]) fn();
  }

  deliver(from: NodeId, bytes: Uint8Array): void {
    if (!this.closed) this.handler?.(from, bytes);
  }

  /** The tab dies: pending requests fail (indeterminate), nothing more is sent or written. */
  close(): void {
    this.closed = true;
    this.runtime?.close();
    this.tickers.clear();
  }

  private createNode(init: runtime.NodeInit): ReturnType<runtime.NodeFactory<unknown>> {
    const made = this.options.create(init.stored, init.seeds, init.now);
    const state = made.state;
    this.options.onState(state);
    const step = (input: Input): readonly Effect[] => {
      if (input.type === 'storage-failed' && input.steps.length > 0) {
        // The runtime recreates the node from storage next (runtime.ts startRebuild), through createNode.
        this.world.rebuilt(this.options.id);
        this.world.log(`${this.world.now()} ${this.options.id} STORAGE FAILED (${input.error}): the runtime rebuilds it from storage`);
      }
      return this.traced(node.step(state, input));
    };
    return { node: { step, snapshot: () => node.snapshot(state) }, effects: this.traced(made.effects) };
  }

  /** Copies the node's trace events into the cluster's trace (as they are made, not when released). */
  private traced(effects: readonly Effect[]): readonly Effect[] {
    for (const e of effects) if (e.type === 'persist') for (const r of e.records) this.unwritten.add(r);
    for (const e of effects) if (e.type === 'trace') this.world.log(`${e.event.tick} ${e.event.node} ${e.event.category}: ${e.event.text}`);
    return effects;
  }

  private clock(): Clock {
    const c = this.options.clock;
    const world = this.world;
    const nowMs = () => (c.phase + (world.now() - c.startGlobal) * c.rate) * tickMs;
    return {
      nowMs,
      every: (_ms, fn) => {
        this.tickers.add(fn);
        return () => this.tickers.delete(fn);
      },
      after: (ms, fn) => {
        let cancelled = false;
        const due = c.startGlobal + Math.ceil(((nowMs() + ms) / tickMs - c.phase) / c.rate);
        world.at(due, () => {
          if (!cancelled && !this.closed) fn();
        });
        return () => {
          cancelled = true;
        };
      },
    };
  }

  private store(): Store {
    const mem = this.options.store;
    let transactions = 0;
    let errors = 0;
    return {
      apply: (records) => {
        transactions++;
        for (const r of records) this.unwritten.delete(r);
        try {
          mem.apply(records);
          return Promise.resolve();
        } catch (error) {
          errors++;
          return Promise.reject(error instanceof Error ? error : new Error(String(error)));
        }
      },
      load: (key) => Promise.resolve(mem.load(key)),
      loadHints: (owner, key) => Promise.resolve(mem.load(key, owner)),
      loadAll: () => Promise.resolve({ state: mem.stored(), corrupt: 0 }),
      stats: () => ({ transactions, recordsWritten: 0, reads: 0, cacheHits: 0, cacheMisses: 0, cacheBytes: 0, cacheEntries: 0, corrupt: 0, errors }),
      close: () => undefined,
    };
  }

  private transport(): Transport {
    const id = this.options.id;
    return {
      self: id,
      send: (to, bytes) => {
        if (this.closed) return false;
        this.world.send(id, to, bytes);
        return true;
      },
      onMessage: (handler) => {
        this.handler = handler;
      },
      onReachability: () => undefined,
      presentPeers: () => this.world.presentPeers(id),
      connectedPeers: () => this.world.presentPeers(id),
      close: () => undefined,
    };
  }
}
