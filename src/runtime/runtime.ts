/**
 * The loop that drives the pure core in a tab. It owns every timer, promise and IO call; the core only
 * ever sees one Input at a time and answers with Effects (see core/node-io.ts for the contract).
 *
 * Group commit: steps go into the open batch; the records of a batch are written in ONE transaction.
 * While a batch commits, the loop keeps stepping into the next one, up to batchStepsMax steps or
 * batchBytesMax bytes of records (back-pressure: then it stops stepping until the commit ends). When a
 * batch commits, its steps' effects are released in step order: sends, replies, then loads (which see the
 * batch's records), traces. Batches commit strictly one after the other, and a step without records is
 * released only after every earlier batch, so sends leave in step order and an acknowledgement is never
 * ahead of the disk.
 * If a batch's transaction fails, nothing of its steps is sent, their replies fail with the storage error,
 * and `storage-failed` naming exactly the batch's persisting steps is fed back before any other input.
 *
 * Time: a timer fires every tickMs, but hidden tabs clamp timers to 1 s and may throttle harder, so the
 * tick is derived from elapsed time (floor(elapsedMs / tickMs)) and fed as ONE absolute `now`: the core
 * catches up by itself however late the timer was.
 */
import { limits } from '../core/limits.js';
import type { ClientRequest, ClientResult, Effect, Input, StoredState, TraceEvent } from '../core/node-io.js';
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import { systemClock, type Clock } from './clock.js';
import * as commitBatch from './commit-batch.js';
import * as inputQueue from './input-queue.js';
import * as requestCheck from './request-check.js';
import * as slowMotion from './slow-motion.js';
import type { TimeSetting } from '../protocol/time-control.js';
import { defaults, type NodeHandle, type Runtime, type RuntimeOptions, type RuntimeView } from './runtime-types.js';

export * from './runtime-types.js';

/** Loads the stored state, creates the node and starts the loop. */
export async function start<Snap>(options: RuntimeOptions<Snap>): Promise<Runtime<Snap>> {
  const { state: stored, corrupt } = await options.store.loadAll();
  return new Loop(options, stored, corrupt);
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

class Loop<Snap> implements Runtime<Snap> {
  readonly nodeId: NodeId;
  private readonly clock: Clock;
  private readonly tickMs: number;
  private readonly traceMax: number;
  private readonly replyTimeoutMs: number;
  private readonly batchStepsMax: number;
  private readonly batchBytesMax: number;
  private readonly counters = {
    steps: 0, batches: 0, backPressureStalls: 0, messagesSent: 0, messagesReceived: 0, messagesDropped: 0, malformedMessages: 0,
    sendsRefused: 0, inputsRefused: 0, storageErrors: 0, corruptVersions: 0, requestTimeouts: 0, rebuilds: 0,
  };
  private readonly queue: inputQueue.InputQueue;
  private readonly pending = new Map<number, { resolve: (result: ClientResult) => void; cancelTimer: () => void }>();
  /** Trace events, oldest first; trimmed to traceMax only once it doubles, so recording is O(1) amortised. */
  private trace: TraceEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private node: NodeHandle<Snap>;
  /** Room-wide time control: ticks come from its virtual clock; peer messages wait in it while slowed. */
  private readonly slow: slowMotion.SlowMotion<{ readonly from: NodeId; readonly message: Message }>;
  private readonly stopTimer: () => void;
  private tick = 0;
  private nextRequestId = 1;
  /** The batch steps go into now. */
  private open: commitBatch.Batch = commitBatch.create();
  /** True while a batch's transaction is in flight (at most one: batches commit in order). */
  private committing = false;
  /** True while the loop steps or releases effects: a re-entrant pump (a message to itself) returns at once. */
  private pumping = false;
  private closed = false;
  private crashed: string | undefined;
  /**
   * Rebuild from storage (node-io.ts, "Reload after a storage failure"): 'wanted' once a storage-failed
   * input named failed steps (the core's index may hold records the disk lacks), 'loading' while storage is
   * read back; inputs wait in the queue meanwhile and go to the recreated node.
   */
  private rebuild: 'none' | 'wanted' | 'loading' = 'none';
  /** The id of the last client request fed to the node: those at or below it die with a rebuilt node. */
  private lastSteppedRequestId = 0;
  private lastStorageError: string | undefined;

  constructor(private readonly options: RuntimeOptions<Snap>, stored: StoredState, corruptAtStart: number) {
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? systemClock;
    this.tickMs = options.tickMs ?? defaults.tickMs;
    this.traceMax = options.traceMax ?? defaults.traceMax;
    this.replyTimeoutMs = options.replyTimeoutMs ?? defaults.replyTimeoutMs;
    this.batchStepsMax = options.batchStepsMax ?? defaults.batchStepsMax;
    this.batchBytesMax = options.batchBytesMax ?? defaults.batchBytesMax;
    this.queue = inputQueue.create(options.inputQueueMax ?? defaults.inputQueueMax);
    this.counters.corruptVersions = corruptAtStart;
    this.slow = slowMotion.create(this.clock, this.tickMs, this.queue.max, options.time);
    const created = options.createNode({ stored, seeds: options.transport.presentPeers(), now: 0 });
    this.node = created.node;
    this.stopTimer = this.clock.every(this.tickMs, () => this.timeMoved());
    options.transport.onMessage((from, bytes) => this.receive(from, bytes));
    options.transport.onReachability((peer, reachable) => this.enqueueInternal({ type: 'peer-reachable', peer, reachable }));
    // The node's first effects (e.g. a new epoch, its join gossip) are the first entry of the first batch:
    // everything a later step does is released after them.
    commitBatch.add(this.open, created.effects);
    this.pump();
  }

  request(clientRequest: ClientRequest): Promise<ClientResult> {
    const refusal = this.closed ? 'the node has stopped' : this.crashed ?? requestCheck.problem(clientRequest)
      ?? (this.pending.size >= limits.pendingRequestsMax ? `too many requests in flight (pendingRequestsMax ${limits.pendingRequestsMax})` : undefined);
    if (refusal !== undefined) return Promise.resolve({ ok: false, error: refusal, indeterminate: false });
    const requestId = this.nextRequestId++;
    if (!this.queue.pushExternal({ type: 'request', requestId, request: clientRequest })) {
      this.counters.inputsRefused++;
      return Promise.resolve({ ok: false, error: `the node is overloaded: its input queue is full (${this.queue.max} inputs)`, indeterminate: false });
    }
    return new Promise((resolve) => {
      const cancelTimer = this.clock.after(this.replyTimeoutMs, () => {
        this.counters.requestTimeouts++;
        this.resolveRequest(requestId, { ok: false, error: `no reply from the node within ${this.replyTimeoutMs / 1000} s`, indeterminate: true });
      });
      this.pending.set(requestId, { resolve, cancelTimer });
      this.pump();
    });
  }

  view(): RuntimeView<Snap> {
    return {
      nodeId: this.nodeId, tick: this.tick, node: this.node.snapshot(), counters: { ...this.counters },
      storage: this.options.store.stats(),
      ...(this.lastStorageError !== undefined ? { lastStorageError: this.lastStorageError } : {}),
      ...(this.crashed !== undefined ? { crashed: this.crashed } : {}),
      time: { ...this.slow.setting(), heldMessages: this.slow.held() },
      queueLength: this.queue.length(), pendingRequests: this.pending.size, trace: this.trace.slice(-this.traceMax),
    };
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setTime(setting: TimeSetting): void {
    this.slow.set(setting);
    this.timeMoved();
  }

  setSuspended(peers: readonly NodeId[]): void {
    this.enqueueInternal({ type: 'suspended', peers: [...peers] });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopTimer();
    this.failPending('the node has stopped');
    this.options.transport.close();
    this.options.store.close();
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private note(category: string, text: string): void {
    this.record({ tick: this.tick, node: this.nodeId, category, text });
  }

  private record(event: TraceEvent): void {
    this.trace.push(event);
    if (this.trace.length > 2 * this.traceMax) this.trace = this.trace.slice(-this.traceMax);
  }

  private currentTick(): number {
    return Math.max(this.tick, Math.floor(this.slow.nowMs() / this.tickMs));
  }

  /** Timer or time setting: messages whose flight ended go in (before the tick, as they arrived first), then the tick. */
  private timeMoved(): void {
    if (this.closed || this.crashed) return;
    for (const { from, message } of this.slow.due()) this.admit(from, message);
    if (this.currentTick() > this.tick && this.queue.queueTick()) this.pump();
  }

  private resolveRequest(requestId: number, result: ClientResult): void {
    const entry = this.pending.get(requestId);
    if (!entry) return; // answered after the safety-net timeout, or after close
    this.pending.delete(requestId);
    entry.cancelTimer();
    entry.resolve(result);
  }

  private failPending(error: string): void {
    for (const requestId of [...this.pending.keys()]) this.resolveRequest(requestId, { ok: false, error, indeterminate: true });
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
        if (this.rebuild === 'wanted' && !this.committing && this.open.steps.length === 0) {
          this.startRebuild();
          break;
        }
        if (this.rebuild === 'none' && !this.stepWhileRoom()) break;
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
      const input: Input = item === 'tick' ? { type: 'tick', now: (this.tick = this.currentTick()) } : item;
      let effects: readonly Effect[];
      try {
        effects = this.node.step(input);
      } catch (error) {
        this.crash(error);
        return false;
      }
      this.counters.steps++;
      commitBatch.add(this.open, effects);
      if (input.type === 'request') this.lastSteppedRequestId = input.requestId;
      if (input.type === 'storage-failed' && input.steps.length > 0) {
        // Stop feeding this node: once the batch holding its answer is out, it is recreated from storage.
        this.rebuild = 'wanted';
        return true;
      }
    }
  }

  /**
   * Recreates the node from what storage really holds, as a restart would (same epoch: nothing is wiped),
   * so read repair and anti-entropy can see and fix what the failed batch lost. Requests the old node had
   * taken die with it: they may or may not have taken effect (indeterminate).
   */
  private startRebuild(): void {
    this.rebuild = 'loading';
    this.note('error', 'recreating the node from storage after a failed write');
    for (const requestId of [...this.pending.keys()]) {
      if (requestId > this.lastSteppedRequestId) continue;
      this.resolveRequest(requestId, { ok: false, error: 'storage failed while this request was in progress: the node reloaded from storage; the write may or may not have taken effect', indeterminate: true });
    }
    this.options.store.loadAll().then(({ state: stored, corrupt }) => {
      if (this.closed || this.crashed) return;
      this.counters.corruptVersions += corrupt;
      let created: ReturnType<typeof this.options.createNode>;
      try {
        created = this.options.createNode({ stored, seeds: this.options.transport.presentPeers(), now: this.tick });
      } catch (error) {
        this.crash(error);
        return;
      }
      this.node = created.node;
      this.counters.rebuilds++;
      this.rebuild = 'none';
      commitBatch.add(this.open, created.effects);
      this.changed();
      this.pump();
    }, (error: unknown) => {
      // Storage cannot even be read: the node cannot serve safely any more. Say so, visibly.
      this.crash(new Error(`storage failed and could not be read back: ${errorText(error)}`));
    });
  }

  /** Writes a batch's records in one transaction; when it ends, releases the batch and pumps again. */
  private commit(batch: commitBatch.Batch): void {
    this.committing = true;
    let written: Promise<void>;
    try {
      written = this.options.store.apply(batch.records);
    } catch (error) {
      written = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    written.then(() => undefined, (error: unknown) => (error instanceof Error ? error : new Error(String(error)))).then((persistError) => {
      this.committing = false;
      if (this.closed || this.crashed) return;
      let after: commitBatch.Batch | undefined;
      if (persistError) {
        this.counters.storageErrors++;
        this.lastStorageError = persistError.message;
        this.note('error', `storage write failed, ${batch.records.length} records of ${batch.steps.length} steps not written: ${persistError.message}`);
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
    this.note('error', this.crashed);
    this.failPending(this.crashed);
    this.changed();
  }

  /** Carries out a batch's effects after its commit (or its failure), step by step, in order. */
  private release(batch: commitBatch.Batch, persistError: Error | undefined): void {
    this.counters.batches++;
    for (const effects of batch.steps) for (const effect of effects) this.perform(effect, persistError);
  }

  private perform(effect: Effect, persistError: Error | undefined): void {
    switch (effect.type) {
      case 'persist':
        return;
      case 'send':
        if (!persistError) this.send(effect.to, effect.message);
        return;
      case 'reply':
        // A write's answer becomes indeterminate (other replicas may hold it); a failure that was already
        // indeterminate stays so: "failed" promises that nothing was written anywhere.
        this.resolveRequest(effect.requestId, persistError
          ? { ok: false, error: persistError.message, indeterminate: effect.result.ok ? effect.result.op !== 'get' : effect.result.indeterminate }
          : effect.result);
        return;
      case 'load':
        // Reads run even after a failed write: the core waits for their answers, and they see the truth.
        this.load(effect.loadId, effect.key, effect.hintFor);
        return;
      case 'trace':
        this.record(effect.event);
        return;
      default: {
        const never: never = effect;
        throw new Error(`runtime: unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  private send(to: NodeId, message: Message): void {
    const encoded = this.options.codec.encode(message);
    if (!encoded.ok) {
      // The core produced a message its own schema refuses: a programmer error, made visible, not thrown.
      this.counters.messagesDropped++;
      this.note('error', `could not encode a message to ${to}: ${encoded.reason}`);
      return;
    }
    if (to === this.nodeId) {
      // The transport carries messages between nodes only; one to itself (a coordinator that is also a
      // replica) goes back through the decoder and the queue like any other.
      const decoded = this.options.codec.decode(encoded.bytes);
      if (decoded.ok) this.enqueueInternal({ type: 'message', from: this.nodeId, message: decoded.value });
      else this.note('error', `could not decode a message to itself: ${decoded.reason}`);
      return;
    }
    if (this.options.transport.send(to, encoded.bytes)) {
      this.counters.messagesSent++;
      this.options.onSend?.(to, message, encoded.bytes.length);
    } else {
      this.counters.sendsRefused++;
      this.counters.messagesDropped++;
    }
  }

  private load(loadId: number, key: string, hintFor: NodeId | undefined): void {
    const { store } = this.options;
    (hintFor === undefined ? store.load(key) : store.loadHints(hintFor, key)).then(
      (loaded) => {
        this.counters.corruptVersions += loaded.corrupt;
        if (loaded.corrupt > 0) this.note('repair', `${loaded.corrupt} damaged version(s) of "${key}" ignored; replicas will repair them`);
        this.enqueueInternal({ type: 'loaded', loadId, key, versions: loaded.versions, corrupt: loaded.corrupt });
      },
      (error: unknown) => {
        this.counters.storageErrors++;
        this.lastStorageError = errorText(error);
        this.note('error', `storage read of "${key}" failed: ${errorText(error)}`);
        this.enqueueInternal({ type: 'storage-failed', error: errorText(error), steps: [] });
      },
    );
  }

  private receive(from: NodeId, bytes: Uint8Array): void {
    if (this.closed || this.crashed) return;
    const decoded = this.options.codec.decode(bytes);
    if (!decoded.ok) {
      this.counters.malformedMessages++;
      this.counters.messagesDropped++;
      this.note('error', `dropped a malformed message from ${from}: ${decoded.reason}`);
      this.changed();
      return;
    }
    this.counters.messagesReceived++;
    const held = this.slow.hold({ from, message: decoded.value });
    if (held === 'full') {
      this.counters.inputsRefused++;
      this.counters.messagesDropped++;
    } else if (held === 'now') {
      this.admit(from, decoded.value);
    }
  }

  private admit(from: NodeId, message: Message): void {
    if (!this.queue.pushExternal({ type: 'message', from, message })) {
      this.counters.inputsRefused++;
      this.counters.messagesDropped++;
      return;
    }
    this.pump();
  }

  /** Inputs that answer the node's own effects or report the transport: never refused. */
  private enqueueInternal(input: Input): void {
    if (this.closed || this.crashed) return;
    this.queue.pushInternal(input);
    this.pump();
  }
}
