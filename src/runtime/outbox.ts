/**
 * Where the node's released effects go (runtime.ts releases them after their batch commits, in step order;
 * `store` sends it performs at step time, before the commit: commit-batch.ts `pipelined`):
 * replies to the client requests waiting for them, messages to peers (through the codec and the transport,
 * or back into the node's own queue), loads from storage, and trace events for the activity timeline.
 * Also holds the waiting requests, each with a safety-net timeout, and the recent trace.
 */
import type { ClientResult, Effect, Input, TraceEvent } from '../core/node-io.js';
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import type { Clock } from './clock.js';
import type { MutableCounters, RuntimeOptions } from './runtime-types.js';
import { isBatchable, StoreCoalescer } from './store-coalescer.js';

export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface OutboxOptions {
  readonly nodeId: NodeId;
  readonly io: Pick<RuntimeOptions<unknown>, 'codec' | 'transport' | 'store' | 'onSend' | 'authorize'>;
  readonly clock: Clock;
  readonly replyTimeoutMs: number;
  readonly traceMax: number;
  /** The loop's counters, shared: the outbox counts what it sends, drops and fails. */
  readonly counters: MutableCounters;
  /** The tick trace notes are stamped with. */
  readonly tick: () => number;
  /** Feeds an input that answers the node's own effects (a load's result, a message to itself). */
  readonly enqueueInternal: (input: Input) => void;
  /** Store batching (store-coalescer.ts): stores and acks to peers wait for `flush`. */
  readonly batchStores: boolean;
}

export class Outbox {
  private readonly pending = new Map<number, { resolve: (result: ClientResult) => void; cancelTimer: () => void }>();
  /** Trace events, oldest first; trimmed to traceMax only once it doubles, so recording is O(1) amortised. */
  private trace: TraceEvent[] = [];
  private readonly coalescer = new StoreCoalescer();
  lastStorageError: string | undefined;

  constructor(private readonly o: OutboxOptions) {}

  get pendingRequests(): number {
    return this.pending.size;
  }

  recentTrace(): TraceEvent[] {
    return this.trace.slice(-this.o.traceMax);
  }

  /** The answer to `requestId`, or a failure (indeterminate) when the node has not answered within replyTimeoutMs. */
  waitFor(requestId: number): Promise<ClientResult> {
    return new Promise((resolve) => {
      const cancelTimer = this.o.clock.after(this.o.replyTimeoutMs, () => {
        this.o.counters.requestTimeouts++;
        this.resolveRequest(requestId, { ok: false, error: `no reply from the node within ${this.o.replyTimeoutMs / 1000} s`, indeterminate: true });
      });
      this.pending.set(requestId, { resolve, cancelTimer });
    });
  }

  resolveRequest(requestId: number, result: ClientResult): void {
    const entry = this.pending.get(requestId);
    if (!entry) return; // answered after the safety-net timeout, or after close
    this.pending.delete(requestId);
    entry.cancelTimer();
    entry.resolve(result);
  }

  /** Fails every waiting request whose id is at most `lastId` (all of them by default). */
  failPending(result: ClientResult, lastId = Infinity): void {
    for (const requestId of [...this.pending.keys()]) if (requestId <= lastId) this.resolveRequest(requestId, result);
  }

  note(category: string, text: string): void {
    this.record({ tick: this.o.tick(), node: this.o.nodeId, category, text });
  }

  private record(event: TraceEvent): void {
    this.trace.push(event);
    if (this.trace.length > 2 * this.o.traceMax) this.trace = this.trace.slice(-this.o.traceMax);
  }

  perform(effect: Effect, persistError: Error | undefined): void {
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
      case 'authorize': {
        if (persistError) return; // the node is rebuilt from storage: the request it came from fails with it
        const problem = this.o.io.authorize ? this.o.io.authorize(effect.command) : 'no signaling server here to stamp room-wide commands';
        if (problem !== undefined) this.o.enqueueInternal({ type: 'refused', command: effect.command.kind, reason: problem });
        return;
      }
      default: {
        const never: never = effect;
        throw new Error(`runtime: unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  private send(to: NodeId, message: Message): void {
    const { codec } = this.o.io;
    const encoded = codec.encode(message);
    if (!encoded.ok) {
      // The core produced a message its own schema refuses: a programmer error, made visible, not thrown.
      this.o.counters.messagesDropped++;
      this.note('error', `could not encode a message to ${to}: ${encoded.reason}`);
      return;
    }
    if (to === this.o.nodeId) {
      // The transport carries messages between nodes only; one to itself (a coordinator that is also a
      // replica) goes back through the decoder and the queue like any other.
      const decoded = codec.decode(encoded.bytes);
      if (decoded.ok) this.o.enqueueInternal({ type: 'message', from: this.o.nodeId, message: decoded.value });
      else this.note('error', `could not decode a message to itself: ${decoded.reason}`);
      return;
    }
    if (this.o.batchStores && isBatchable(message)) {
      this.coalescer.add(to, message, encoded.bytes);
      return;
    }
    this.toTransport(to, message, encoded.bytes);
  }

  /**
   * Sends the stores and acks queued since the last flush (store-coalescer.ts). The loop calls it at the
   * end of every synchronous run that may have queued some (runtime.ts pump), so none waits for a timer.
   */
  flush(): void {
    if (this.coalescer.size === 0) return;
    this.coalescer.flush((message) => this.o.io.codec.encode(message), (to, message, bytes) => {
      if (message.type === 'store-batch') this.o.counters.storesBatched += message.stores.length;
      if (message.type === 'store-ack-batch') this.o.counters.storesBatched += message.acks.length;
      this.toTransport(to, message, bytes);
    });
  }

  private toTransport(to: NodeId, message: Message, bytes: Uint8Array): void {
    if (this.o.io.transport.send(to, bytes)) {
      this.o.counters.messagesSent++;
      this.o.io.onSend?.(to, message, bytes.length);
    } else {
      this.o.counters.sendsRefused++;
      this.o.counters.messagesDropped++;
    }
  }

  private load(loadId: number, key: string, hintFor: NodeId | undefined): void {
    const { store } = this.o.io;
    (hintFor === undefined ? store.load(key) : store.loadHints(hintFor, key)).then(
      (loaded) => {
        this.o.counters.corruptVersions += loaded.corrupt;
        if (loaded.corrupt > 0) this.note('repair', `${loaded.corrupt} damaged version(s) of "${key}" ignored; replicas will repair them`);
        this.o.enqueueInternal({ type: 'loaded', loadId, key, versions: loaded.versions, corrupt: loaded.corrupt });
      },
      (error: unknown) => {
        this.o.counters.storageErrors++;
        this.lastStorageError = errorText(error);
        this.note('error', `storage read of "${key}" failed: ${errorText(error)}`);
        this.o.enqueueInternal({ type: 'storage-failed', error: errorText(error), steps: [] });
      },
    );
  }
}
