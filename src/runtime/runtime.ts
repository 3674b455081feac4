/**
 * The loop that drives the pure core in a tab. It owns every timer, promise and IO call; the core only
 * ever sees one Input at a time and answers with Effects (see core/node-io.ts for the contract).
 *
 * Per step, in order:
 *   1. all `persist` records of the step go to storage in ONE transaction, and the loop waits for it;
 *   2. only then are the step's messages sent, its replies resolved and its loads started.
 * If the persist fails, nothing of the step is sent, its replies fail with the storage error, and a
 * `storage-failed` input is fed back before anything else.
 *
 * Time: a timer fires every tickMs, but hidden tabs clamp timers to 1 s and may throttle harder, so the
 * tick is derived from elapsed time (floor(elapsedMs / tickMs)) and fed as ONE absolute `now`: the core
 * catches up by itself however late the timer was.
 */
import { limits } from '../core/limits.js';
import type { ClientRequest, ClientResult, Effect, Input, StoreRecord, StoredState, TraceEvent } from '../core/node-io.js';
import type { Message } from '../core/messages.js';
import type { NodeId } from '../core/types.js';
import type { Store, StoreStats } from './idb-store.js';
import type { Transport } from './transport.js';
import { systemClock, type Clock } from './clock.js';
import * as inputQueue from './input-queue.js';
import * as requestCheck from './request-check.js';

/** The node as the runtime drives it: a step function over its own state, and a snapshot for display. */
export interface NodeHandle<Snap> {
  step(input: Input): readonly Effect[];
  snapshot(): Snap;
}

export interface NodeInit {
  readonly stored: StoredState;
  /** Peers present in the room at start: where the node looks for the ring. */
  readonly seeds: readonly NodeId[];
  /** The tick at creation (0: ticks count from the runtime's start). */
  readonly now: number;
}

export type NodeFactory<Snap> = (init: NodeInit) => { readonly node: NodeHandle<Snap>; readonly effects: readonly Effect[] };

/** Peer messages to and from bytes (codec + messageSchema in the app; anything in tests). */
export interface WireCodec {
  encode(message: Message): { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: string };
  decode(bytes: Uint8Array): { readonly ok: true; readonly value: Message } | { readonly ok: false; readonly reason: string };
}

export interface RuntimeOptions<Snap> {
  readonly nodeId: NodeId;
  readonly store: Store;
  readonly transport: Transport;
  readonly createNode: NodeFactory<Snap>;
  readonly codec: WireCodec;
  readonly clock?: Clock;
  readonly tickMs?: number;
  /** Most inputs from outside (peer messages, client requests) waiting for the node; past it they are refused. */
  readonly inputQueueMax?: number;
  /** Most recent trace events kept for the activity timeline. */
  readonly traceMax?: number;
  /** A request the node has not answered after this long fails (a safety net; the core has its own timeouts). */
  readonly replyTimeoutMs?: number;
}

export interface RuntimeCounters {
  readonly steps: number;
  readonly messagesSent: number;
  readonly messagesReceived: number;
  /** Malformed incoming messages + sends the transport refused + messages refused by a full queue. */
  readonly messagesDropped: number;
  readonly malformedMessages: number;
  readonly sendsRefused: number;
  readonly inputsRefused: number;
  /** Failed storage transactions (writes and reads). */
  readonly storageErrors: number;
  /** Versions that failed their integrity check when read (at start and on loads). */
  readonly corruptVersions: number;
  readonly requestTimeouts: number;
}

export interface RuntimeView<Snap> {
  readonly nodeId: NodeId;
  /** The last tick fed to the node. */
  readonly tick: number;
  readonly node: Snap;
  readonly counters: RuntimeCounters;
  readonly storage: StoreStats;
  readonly lastStorageError?: string;
  /** Set when the core threw: the node has stopped and every request fails. */
  readonly crashed?: string;
  readonly queueLength: number;
  readonly pendingRequests: number;
  /** The most recent trace events, oldest first. */
  readonly trace: readonly TraceEvent[];
}

export interface Runtime<Snap> {
  readonly nodeId: NodeId;
  /** Sends a client request through the node; resolves with its result (failures are results, never rejections). */
  request(request: ClientRequest): Promise<ClientResult>;
  view(): RuntimeView<Snap>;
  /** Called after every step and every counted event (unthrottled: keep listeners cheap). */
  onChange(listener: () => void): () => void;
  /** Stops the timer, fails pending requests, closes the transport and the store. */
  close(): void;
}

export const defaults = { tickMs: 100, inputQueueMax: 10_000, traceMax: 500, replyTimeoutMs: 30_000 } as const;

/** Loads the stored state, creates the node and starts the loop. */
export async function start<Snap>(options: RuntimeOptions<Snap>): Promise<Runtime<Snap>> {
  const { state: stored, corrupt } = await options.store.loadAll();
  return createLoop(options, stored, corrupt);
}

function createLoop<Snap>(options: RuntimeOptions<Snap>, stored: StoredState, corruptAtStart: number): Runtime<Snap> {
  const clock = options.clock ?? systemClock;
  const tickMs = options.tickMs ?? defaults.tickMs;
  const traceMax = options.traceMax ?? defaults.traceMax;
  const replyTimeoutMs = options.replyTimeoutMs ?? defaults.replyTimeoutMs;
  const { store, transport, codec, nodeId } = options;
  const counters = {
    steps: 0, messagesSent: 0, messagesReceived: 0, messagesDropped: 0, malformedMessages: 0, sendsRefused: 0,
    inputsRefused: 0, storageErrors: 0, corruptVersions: corruptAtStart, requestTimeouts: 0,
  };
  const queue = inputQueue.create(options.inputQueueMax ?? defaults.inputQueueMax);
  const pending = new Map<number, { resolve: (result: ClientResult) => void; cancelTimer: () => void }>();
  const trace: TraceEvent[] = [];
  const listeners = new Set<() => void>();
  const startMs = clock.nowMs();
  let tick = 0;
  let nextRequestId = 1;
  let draining = false;
  let closed = false;
  let crashed: string | undefined;
  let lastStorageError: string | undefined;

  const created = options.createNode({ stored, seeds: transport.presentPeers(), now: 0 });
  const node = created.node;

  function changed(): void {
    for (const listener of listeners) listener();
  }

  function note(category: string, text: string): void {
    record({ tick, node: nodeId, category, text });
  }

  function record(event: TraceEvent): void {
    trace.push(event);
    if (trace.length > traceMax) trace.splice(0, trace.length - traceMax);
  }

  function resolveRequest(requestId: number, result: ClientResult): void {
    const entry = pending.get(requestId);
    if (!entry) return; // answered after the safety-net timeout, or after close
    pending.delete(requestId);
    entry.cancelTimer();
    entry.resolve(result);
  }

  /** Carries out one step's effects: persist first, then everything else (or the failure path). */
  async function carryOut(effects: readonly Effect[]): Promise<void> {
    const records: StoreRecord[] = [];
    for (const effect of effects) if (effect.type === 'persist') records.push(...effect.records);
    let persistError: Error | undefined;
    if (records.length > 0) {
      try {
        await store.apply(records);
      } catch (error) {
        persistError = error instanceof Error ? error : new Error(String(error));
      }
    }
    if (persistError) {
      counters.storageErrors++;
      lastStorageError = persistError.message;
      note('error', `storage write failed, ${records.length} records not written: ${persistError.message}`);
      queue.pushFirst({ type: 'storage-failed', error: persistError.message });
    }
    for (const effect of effects) perform(effect, persistError);
  }

  function perform(effect: Effect, persistError: Error | undefined): void {
    switch (effect.type) {
      case 'persist':
        return;
      case 'send':
        if (!persistError) send(effect.to, effect.message);
        return;
      case 'reply':
        resolveRequest(effect.requestId, persistError
          ? { ok: false, error: persistError.message, indeterminate: effect.result.ok && effect.result.op !== 'get' }
          : effect.result);
        return;
      case 'load':
        load(effect.loadId, effect.key, effect.hintFor);
        return;
      case 'trace':
        record(effect.event);
        return;
      default: {
        const never: never = effect;
        throw new Error(`runtime: unknown effect ${JSON.stringify(never)}`);
      }
    }
  }

  function send(to: NodeId, message: Message): void {
    const encoded = codec.encode(message);
    if (!encoded.ok) {
      // The core produced a message its own schema refuses: a programmer error, made visible, not thrown.
      counters.messagesDropped++;
      note('error', `could not encode a message to ${to}: ${encoded.reason}`);
      return;
    }
    if (to === nodeId) {
      // The transport carries messages between nodes only; one to itself (a coordinator that is also a
      // replica) goes back through the decoder and the queue like any other.
      const decoded = codec.decode(encoded.bytes);
      if (decoded.ok) enqueueInternal({ type: 'message', from: nodeId, message: decoded.value });
      else note('error', `could not decode a message to itself: ${decoded.reason}`);
      return;
    }
    if (transport.send(to, encoded.bytes)) {
      counters.messagesSent++;
    } else {
      counters.sendsRefused++;
      counters.messagesDropped++;
    }
  }

  function load(loadId: number, key: string, hintFor: NodeId | undefined): void {
    (hintFor === undefined ? store.load(key) : store.loadHints(hintFor, key)).then(
      (loaded) => {
        counters.corruptVersions += loaded.corrupt;
        if (loaded.corrupt > 0) note('repair', `${loaded.corrupt} damaged version(s) of "${key}" ignored; replicas will repair them`);
        enqueueInternal({ type: 'loaded', loadId, key, versions: loaded.versions, corrupt: loaded.corrupt });
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        counters.storageErrors++;
        lastStorageError = message;
        note('error', `storage read of "${key}" failed: ${message}`);
        enqueueInternal({ type: 'storage-failed', error: message });
      },
    );
  }

  /** Inputs that answer the node's own effects or report the transport: never refused. */
  function enqueueInternal(input: Input): void {
    if (closed || crashed) return;
    queue.pushInternal(input);
    void drain();
  }

  async function drain(): Promise<void> {
    if (draining) return;
    draining = true;
    try {
      for (let item = queue.shift(); item && !closed && !crashed; item = queue.shift()) {
        const input: Input = item === 'tick' ? { type: 'tick', now: (tick = currentTick()) } : item;
        let effects: readonly Effect[];
        try {
          effects = node.step(input);
        } catch (error) {
          crash(error);
          break;
        }
        counters.steps++;
        await carryOut(effects);
        changed();
      }
    } finally {
      draining = false;
    }
  }

  function crash(error: unknown): void {
    crashed = `the node crashed: ${error instanceof Error ? error.message : String(error)}`;
    note('error', crashed);
    for (const requestId of [...pending.keys()]) resolveRequest(requestId, { ok: false, error: crashed, indeterminate: true });
    changed();
  }

  function currentTick(): number {
    return Math.max(tick, Math.floor((clock.nowMs() - startMs) / tickMs));
  }

  const stopTimer = clock.every(tickMs, () => {
    if (currentTick() > tick && queue.queueTick()) void drain();
  });

  transport.onMessage((from, bytes) => {
    if (closed || crashed) return;
    const decoded = codec.decode(bytes);
    if (!decoded.ok) {
      counters.malformedMessages++;
      counters.messagesDropped++;
      note('error', `dropped a malformed message from ${from}: ${decoded.reason}`);
      changed();
      return;
    }
    counters.messagesReceived++;
    if (!queue.pushExternal({ type: 'message', from, message: decoded.value })) {
      counters.inputsRefused++;
      counters.messagesDropped++;
      return;
    }
    void drain();
  });

  transport.onReachability((peer, reachable) => enqueueInternal({ type: 'peer-reachable', peer, reachable }));

  function request(clientRequest: ClientRequest): Promise<ClientResult> {
    const refusal = closed ? 'the node has stopped' : crashed ?? requestCheck.problem(clientRequest)
      ?? (pending.size >= limits.pendingRequestsMax ? `too many requests in flight (pendingRequestsMax ${limits.pendingRequestsMax})` : undefined);
    if (refusal !== undefined) return Promise.resolve({ ok: false, error: refusal, indeterminate: false });
    const requestId = nextRequestId++;
    if (!queue.pushExternal({ type: 'request', requestId, request: clientRequest })) {
      counters.inputsRefused++;
      return Promise.resolve({ ok: false, error: `the node is overloaded: its input queue is full (${queue.max} inputs)`, indeterminate: false });
    }
    return new Promise((resolve) => {
      const cancelTimer = clock.after(replyTimeoutMs, () => {
        counters.requestTimeouts++;
        resolveRequest(requestId, { ok: false, error: `no reply from the node within ${replyTimeoutMs / 1000} s`, indeterminate: true });
      });
      pending.set(requestId, { resolve, cancelTimer });
      void drain();
    });
  }

  // The node's first effects (e.g. a new epoch, its join gossip) go through the same path as any step's,
  // and no step runs before they are carried out: `draining` holds the loop until then.
  draining = true;
  void carryOut(created.effects).finally(() => {
    draining = false;
    changed();
    void drain();
  });

  return {
    nodeId,
    request,
    view: () => ({
      nodeId, tick, node: node.snapshot(), counters: { ...counters }, storage: store.stats(),
      ...(lastStorageError !== undefined ? { lastStorageError } : {}), ...(crashed !== undefined ? { crashed } : {}),
      queueLength: queue.length(), pendingRequests: pending.size, trace: trace.slice(),
    }),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      if (closed) return;
      closed = true;
      stopTimer();
      for (const requestId of [...pending.keys()]) resolveRequest(requestId, { ok: false, error: 'the node has stopped', indeterminate: true });
      transport.close();
      store.close();
    },
  };
}
