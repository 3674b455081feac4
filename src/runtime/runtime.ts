/**
 * The loop that drives the pure core in a tab. It and its outbox (outbox.ts: replies, sends, loads) own every
 * timer, promise and IO call; the core only ever sees one Input at a time and answers with Effects (node-io.ts).
 *
 * Group commit: steps go into the open batch; the records of a batch are written in ONE transaction.
 * While a batch commits, the loop keeps stepping into the next one, up to batchStepsMax steps or
 * batchBytesMax bytes of records (back-pressure: then it stops stepping until the commit ends). When a
 * batch commits, its steps' effects are released in step order: sends, replies, then loads (which see the
 * batch's records), traces. Batches commit strictly one after the other, and a step without records is
 * released only after every earlier batch, so an acknowledgement is never ahead of the disk (with
 * pipelineStores, `store`s, `forward`s and `read`s leave at once: commit-batch.ts `pipelined`). If a batch fails, nothing else of its steps is sent, their
 * replies fail with the storage error, and `storage-failed` naming its persisting steps is fed back first.
 *
 * Time: a timer fires every tickMs, but hidden tabs clamp timers to 1 s and may throttle harder, so the
 * tick is derived from elapsed time (floor(elapsedMs / tickMs)) and fed as ONE absolute `now`: the core
 * catches up by itself however late the timer was.
 */
import { limits } from '../core/limits.js';
import type { ClientRequest, ClientResult, Effect, Input, StoredState } from '../core/node-io.js';
import type { NodeId } from '../core/types.js';
import { systemClock, type Clock } from './clock.js';
import * as commitBatch from './commit-batch.js';
import { createInbox, type HeldMessage, type Inbox } from './inbox.js';
import * as inputQueue from './input-queue.js';
import * as rebuilding from './rebuild.js';
import { errorText, Outbox } from './outbox.js';
import * as requestCheck from './request-check.js';
import * as slowMotion from './slow-motion.js';
import type { TimeSetting } from '../protocol/time-control.js';
import { defaults, zeroCounters, type HostInput, type NodeHandle, type Runtime, type RuntimeOptions, type RuntimeView } from './runtime-types.js';

// The loop's types, but not RuntimeView: outside the runtime, the one view is PeerView (peer-view.ts builds it).
export { defaults, zeroCounters } from './runtime-types.js';
export type { HostInput, MutableCounters, NodeFactory, NodeHandle, NodeInit, Runtime, RuntimeCounters, RuntimeOptions, WireCodec } from './runtime-types.js';

/** Loads the stored state, creates the node and starts the loop. */
export async function start<Snap>(options: RuntimeOptions<Snap>): Promise<Runtime<Snap>> {
  const { state: stored, corrupt } = await options.store.loadAll();
  return new Loop(options, stored, corrupt);
}

class Loop<Snap> implements Runtime<Snap> {
  readonly nodeId: NodeId = this.options.nodeId;
  private readonly clock: Clock = this.options.clock ?? systemClock;
  private readonly tickMs = this.options.tickMs ?? defaults.tickMs;
  private readonly batchStepsMax = this.options.batchStepsMax ?? defaults.batchStepsMax;
  private readonly batchBytesMax = this.options.batchBytesMax ?? defaults.batchBytesMax;
  private readonly counters = zeroCounters();
  private readonly queue = inputQueue.create(this.options.inputQueueMax ?? defaults.inputQueueMax);
  /** Replies, sends, loads and traces: where released effects go; also the requests waiting for replies. */
  private readonly out = new Outbox({
    nodeId: this.nodeId, io: this.options, clock: this.clock, counters: this.counters, tick: () => this.tick,
    replyTimeoutMs: this.options.replyTimeoutMs ?? defaults.replyTimeoutMs, traceMax: this.options.traceMax ?? defaults.traceMax,
    enqueueInternal: (input) => this.enqueueInternal(input), batchStores: this.options.batchStores ?? defaults.batchStores,
  });
  private readonly listeners = new Set<() => void>();
  private node: NodeHandle<Snap>;
  /** Room-wide time control: ticks come from its virtual clock; peer messages wait in it while slowed. */
  private readonly slow: slowMotion.SlowMotion<HeldMessage>;
  /** Peer messages: decoded, held while time is slowed, then queued (inbox.ts). */
  private readonly inbox: Inbox;
  private readonly stopTimer: () => void;
  private tick = 0;
  /** The presence last handed to the node (feedPresence), joined; undefined before the first. */
  private presenceFed: string | undefined;
  private nextRequestId = 1;
  /** The batch steps go into now. */
  private open: commitBatch.Batch = commitBatch.create();
  /** True while a batch's transaction is in flight (at most one: batches commit in order). */
  private committing = false;
  /** True while a microtask is due to send the queued stores and acks (scheduleFlush). */
  private flushScheduled = false;
  /** True while the loop steps or releases effects: a re-entrant pump (a message to itself) returns at once. */
  private pumping = false;
  private closed = false;
  private crashed: string | undefined;
  /** Rebuild from storage after a failed batch (rebuild.ts). */
  private readonly rebuild: rebuilding.RebuildState = { phase: 'none', lastSteppedRequestId: 0 };

  constructor(private readonly options: RuntimeOptions<Snap>, stored: StoredState, corruptAtStart: number) {
    this.counters.corruptVersions = corruptAtStart;
    this.slow = slowMotion.create(this.clock, this.tickMs, this.queue.max, options.time);
    this.inbox = createInbox({
      codec: options.codec, counters: this.counters, slow: this.slow, queue: this.queue, pump: () => this.pump(),
      malformed: (text) => { this.out.note('error', text); this.changed(); },
    });
    const created = options.createNode({ stored, seeds: options.transport.presentPeers(), now: 0 });
    this.node = created.node;
    this.stopTimer = this.clock.every(this.tickMs, () => this.timeMoved());
    options.transport.onMessage((from, bytes) => { if (!this.closed && !this.crashed) this.inbox.receive(from, bytes); });
    options.transport.onReachability((peer, reachable) => this.enqueueInternal({ type: 'peer-reachable', peer, reachable }));
    // The node's first effects (e.g. a new epoch, its join gossip) are the first entry of the first batch:
    // everything a later step does is released after them.
    commitBatch.add(this.open, created.effects);
    this.pump();
  }

  request(clientRequest: ClientRequest): Promise<ClientResult> {
    const refusal = this.closed ? 'the node has stopped' : this.crashed ?? requestCheck.problem(clientRequest)
      ?? (this.out.pendingRequests >= limits.pendingRequestsMax ? `too many requests in flight (pendingRequestsMax ${limits.pendingRequestsMax})` : undefined);
    if (refusal !== undefined) return Promise.resolve({ ok: false, error: refusal, indeterminate: false });
    const requestId = this.nextRequestId++;
    if (clientRequest.op === 'goodbye' && !this.pumping && this.rebuild.phase === 'none') return this.goodbyeNow(requestId);
    if (!this.queue.pushExternal({ type: 'request', requestId, request: clientRequest })) {
      this.counters.inputsRefused++;
      return Promise.resolve({ ok: false, error: `the node is overloaded: its input queue is full (${this.queue.max} inputs)`, indeterminate: false });
    }
    const reply = this.out.waitFor(requestId);
    this.pump();
    return reply;
  }

  /**
   * The page or process is going away (pagehide, SIGTERM) and its host stops the loop right after
   * (peer.ts goodbye), failing whatever still waits for a commit. So the goodbye is stepped at once, ahead
   * of queued inputs, and its gossip leaves now, not after the commit in flight: behind one, it was never
   * sent, and the other nodes saw this one suspect, then dead, instead of dead at once (peer-goodbye.spec
   * on a loaded machine). That gossip only says this node is going; it promises nothing about its disk.
   * Its reply and traces wait for the commit as usual.
   */
  private goodbyeNow(requestId: number): Promise<ClientResult> {
    const reply = this.out.waitFor(requestId);
    let effects: readonly Effect[];
    try {
      effects = this.node.step({ type: 'request', requestId, request: { op: 'goodbye' } });
    } catch (error) {
      this.crash(error);
      return reply;
    }
    this.counters.steps++;
    for (const effect of effects) if (effect.type === 'send') this.out.perform(effect, undefined);
    commitBatch.add(this.open, effects.filter((effect) => effect.type !== 'send'));
    this.pump(); // releases the reply when nothing is in flight (the gossip is not batched: it left above)
    return reply;
  }

  view(): RuntimeView<Snap> {
    return {
      nodeId: this.nodeId, tick: this.tick, tickMs: this.tickMs, node: this.node.snapshot(), counters: { ...this.counters },
      storage: this.options.store.stats(),
      ...(this.out.lastStorageError !== undefined ? { lastStorageError: this.out.lastStorageError } : {}),
      ...(this.crashed !== undefined ? { crashed: this.crashed } : {}),
      time: { ...this.slow.setting(), heldMessages: this.slow.held() },
      queueLength: this.queue.length(), pendingRequests: this.out.pendingRequests, trace: this.out.recentTrace(),
    };
  }

  onChange(listener: () => void): () => void { this.listeners.add(listener); return () => this.listeners.delete(listener); }

  /** The room's time setting (protocol/time-control.ts): ticks and held messages follow it at once. */
  setTime(setting: TimeSetting): void { this.slow.set(setting); this.timeMoved(); }

  hostInput(input: HostInput): void { this.enqueueInternal(input); }

  close(): void {
    if (this.closed) return;
    this.out.flush(); // stores and acks a microtask would have sent (scheduleFlush)
    this.closed = true;
    this.stopTimer();
    this.out.failPending({ ok: false, error: 'the node has stopped', indeterminate: true });
    this.options.transport.close();
    this.options.store.close();
  }

  private changed(): void { for (const listener of this.listeners) listener(); }

  /** The tick from elapsed time (module comment, "Time"), never behind the last one fed. */
  private currentTick(): number { return Math.max(this.tick, Math.floor(this.slow.nowMs() / this.tickMs)); }

  /** Timer or time setting: messages whose flight ended go in (before the tick, as they arrived first), then the tick. */
  private timeMoved(): void {
    if (this.closed || this.crashed) return;
    this.inbox.releaseDue();
    if (this.currentTick() > this.tick && this.queue.queueTick()) this.pump();
  }

  /**
   * Steps queued inputs into the open batch and starts committing it when no batch is in flight; a batch
   * without records and nothing in flight before it is released at once. Synchronous; re-entrant calls
   * return at once (the running pump sees what they queued).
   */
  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    let released = false;
    try {
      while (!this.closed && !this.crashed) {
        if (this.rebuild.phase === 'wanted' && !this.committing && this.open.steps.length === 0) {
          this.startRebuild();
          break;
        }
        if (this.rebuild.phase === 'none' && !this.stepWhileRoom()) break;
        if (this.committing || this.open.steps.length === 0) break;
        const batch = this.open;
        this.open = commitBatch.create();
        if (batch.records.length > 0) {
          this.commit(batch);
        } else {
          this.release(batch, undefined);
          released = true;
        }
      }
    } finally {
      this.pumping = false;
      this.scheduleFlush();
    }
    if (released) this.changed();
  }

  /** Steps queued inputs until the queue is empty or the open batch is full; false when the core threw. */
  private stepWhileRoom(): boolean {
    for (;;) {
      if (commitBatch.full(this.open, this.batchStepsMax, this.batchBytesMax)) {
        if (this.committing && !this.open.stalled && this.queue.length() > 0) {
          this.open.stalled = true;
          this.counters.backPressureStalls++;
        }
        return true;
      }
      const item = this.queue.shift();
      if (item === undefined) return true;
      if (item === 'tick') this.feedPresence();
      const input: Input = item === 'tick' ? { type: 'tick', now: (this.tick = this.currentTick()) } : item;
      let effects: readonly Effect[];
      try {
        effects = this.node.step(input);
      } catch (error) {
        this.crash(error);
        return false;
      }
      this.counters.steps++;
      const { now, afterCommit } = commitBatch.pipelined(effects, this.options.pipelineStores ?? defaults.pipelineStores);
      for (const effect of now) {
        this.out.perform(effect, undefined);
        if (effect.type === 'send' && effect.message.type === 'store') this.counters.storesPipelined++;
      }
      commitBatch.add(this.open, afterCommit);
      if (input.type === 'request') this.rebuild.lastSteppedRequestId = input.requestId;
      if (input.type === 'storage-failed' && input.steps.length > 0) {
        // Stop feeding this node: once the batch holding its answer is out, it is recreated from storage.
        this.rebuild.phase = 'wanted';
        return true;
      }
    }
  }

  /**
   * Hands the node the room's presence (admission.ts: gossip may not invent members) before a tick when it
   * changed since it was last given; a presence step has no effects.
   */
  private feedPresence(): void {
    const peers = this.options.transport.presentPeers();
    const signature = peers.join('\n');
    if (signature === this.presenceFed) return;
    this.presenceFed = signature;
    this.node.step({ type: 'presence', peers });
  }

  /**
   * The stores and acks queued by this run leave in a microtask, batched per peer (store-coalescer.ts):
   * a page that fires many kv.put calls in one go (64 in flight, each answered in one released batch, each
   * answer's continuation calling kv.put again) runs one pump per call, and flushing at the end of each
   * sent each put's stores alone. A microtask costs no timer: it runs before the page yields.
   */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.closed) this.out.flush();
    });
  }

  /** Recreates the node from what storage holds (rebuild.ts); its first effects join the open batch. */
  private startRebuild(): void {
    rebuilding.start({
      store: this.options.store, createNode: this.options.createNode, out: this.out, stopped: () => this.closed || this.crashed !== undefined,
      init: () => ({ seeds: this.options.transport.presentPeers(), now: this.tick }), crash: (error) => this.crash(error),
      adopt: (created, corrupt) => {
        this.counters.corruptVersions += corrupt;
        this.node = created.node;
        this.presenceFed = undefined;
        this.counters.rebuilds++;
        this.rebuild.phase = 'none';
        commitBatch.add(this.open, created.effects);
        this.changed();
        this.pump();
      },
    }, this.rebuild);
  }

  /** Writes a batch's records in one transaction; when it ends, releases the batch and pumps again. */
  private commit(batch: commitBatch.Batch): void {
    this.committing = true;
    commitBatch.write(this.options.store, batch).then((persistError) => {
      this.committing = false;
      if (this.closed || this.crashed) return;
      let after: commitBatch.Batch | undefined;
      if (persistError) {
        this.counters.storageErrors++;
        this.out.lastStorageError = persistError.message;
        this.out.note('error', `storage write failed, ${batch.records.length} records of ${batch.steps.length} steps not written: ${persistError.message}`);
        // Steps already taken into the open batch ran on the failed batch's state (e.g. a duplicate forward
        // answered "ok" from the remembered answer of a write that never reached the disk): they fail with
        // it, unsent and unwritten. The node is rebuilt from storage, so their records are not needed.
        after = this.open;
        this.open = commitBatch.create();
        this.queue.pushFirst({ type: 'storage-failed', error: persistError.message, steps: [...batch.persistSteps, ...after.persistSteps] });
      }
      this.pumping = true;
      try {
        this.release(batch, persistError);
        if (after) this.release(after, persistError);
      } finally {
        this.pumping = false;
      }
      this.changed();
      this.pump();
    });
  }

  /** A throw from the core is a programmer error: the node stops, visibly, rather than run on corrupt state. */
  private crash(error: unknown): void {
    this.crashed = `the node crashed: ${errorText(error)}`;
    this.out.note('error', this.crashed);
    this.out.failPending({ ok: false, error: this.crashed, indeterminate: true });
    this.changed();
  }

  /** Carries out a batch's effects after its commit (or its failure), step by step, in order. */
  private release(batch: commitBatch.Batch, persistError: Error | undefined): void {
    this.counters.batches++;
    for (const effects of batch.steps) for (const effect of effects) this.out.perform(effect, persistError);
  }

  /** Inputs that answer the node's own effects or report the transport: never refused. */
  private enqueueInternal(input: Input): void {
    if (this.closed || this.crashed) return;
    this.queue.pushInternal(input);
    this.pump();
  }
}
