/**
 * The runtime's contracts: the node as the loop drives it, the wire codec, the options, counters and the
 * view the UI and kv.stats() read. Split from runtime.ts (the loop itself); runtime.ts re-exports them.
 */
import type { ClientRequest, ClientResult, Effect, Input, StoredState, TraceEvent } from '../core/node-io.js';
import type { Message } from '../core/messages.js';
import type { NodeId, RoomCommand } from '../core/types.js';
import type { TimeSetting } from '../protocol/time-control.js';
import type { Clock } from './clock.js';
import type { Store, StoreStats } from './store.js';
import type { Transport } from './transport.js';

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
  /** Most steps in one batch (one storage transaction); past it the loop waits for the commit in flight. */
  readonly batchStepsMax?: number;
  /**
   * Most bytes of records (estimated) in one batch; past it the loop waits for the commit in flight. A
   * single step is always taken, so a batch may exceed it by one step's records.
   */
  readonly batchBytesMax?: number;
  /**
   * Pipelined writes (commit-batch.ts `pipelined`): send a step's `store`s, `forward`s and `read`s before
   * its batch, and the batches before it, commit.
   * Default: defaults.pipelineStores; false keeps every send behind the commit.
   */
  readonly pipelineStores?: boolean;
  /**
   * Store batching (store-coalescer.ts): the stores and store-acks of one run of the loop to one peer
   * leave as one message. ON by default (defaults.batchStores); false sends each alone.
   */
  readonly batchStores?: boolean;
  /** The room's time setting at start (protocol/time-control.ts); normal speed when absent. */
  readonly time?: TimeSetting;
  /** Told of every message handed to the transport (the projector feed summarises them; keep it cheap). */
  readonly onSend?: (to: NodeId, message: Message, bytes: number) => void;
  /**
   * Carries an `authorize` effect to the room's authority (the signaling server; peer.ts): undefined once
   * sent (its answer comes back through `hostInput`), or why it could not be. Absent: every one is refused.
   */
  readonly authorize?: (command: RoomCommand) => string | undefined;
}

/** What the host tells the node of the room: fault suspensions, stamped room-wide commands and refusals (node-io.ts). */
export type HostInput = Extract<Input, { readonly type: 'suspended' | 'stamped' | 'refused' }>;

export interface RuntimeCounters {
  readonly steps: number;
  /** Batches released (each at most one storage transaction, none when its steps wrote nothing). */
  readonly batches: number;
  /** Times the loop stopped stepping because the open batch was full while the previous one committed. */
  readonly backPressureStalls: number;
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
  /** Times the node was recreated from storage after a failed write (node-io.ts). */
  readonly rebuilds: number;
  /** `store` messages sent at step time, before their batch committed (runtime.ts, pipelined writes). */
  readonly storesPipelined: number;
  /** Stores and store-acks that left inside a `store-batch` / `store-ack-batch` of two or more (store-coalescer.ts). */
  readonly storesBatched: number;
}

/** The loop's own, writable copy of its counters. */
export type MutableCounters = { -readonly [K in keyof RuntimeCounters]: number };

export function zeroCounters(): MutableCounters {
  return {
    steps: 0, batches: 0, backPressureStalls: 0, messagesSent: 0, messagesReceived: 0, messagesDropped: 0, malformedMessages: 0,
    sendsRefused: 0, inputsRefused: 0, storageErrors: 0, corruptVersions: 0, requestTimeouts: 0, rebuilds: 0, storesPipelined: 0,
    storesBatched: 0,
  };
}

export interface RuntimeView<Snap> {
  readonly nodeId: NodeId;
  /** The last tick fed to the node. */
  readonly tick: number;
  /** Milliseconds of the runtime's clock per tick (RuntimeOptions.tickMs): turns tick counts into ages. */
  readonly tickMs: number;
  readonly node: Snap;
  readonly counters: RuntimeCounters;
  readonly storage: StoreStats;
  readonly lastStorageError?: string;
  /** Set when the core threw: the node has stopped and every request fails. */
  readonly crashed?: string;
  /** The room's time setting as this node applies it, and the peer messages waiting out their flight. */
  readonly time: TimeSetting & { readonly heldMessages: number };
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
  /**
   * Called after every released batch of steps and every counted event (unthrottled, but once per batch
   * rather than per step: keep listeners cheap).
   */
  onChange(listener: () => void): () => void;
  /**
   * Tells the node of the room (HostInput): which members the fault rules isolate or partition (suspension.ts:
   * none of them is removed automatically while named), and the authority's stamps and refusals.
   */
  hostInput(input: HostInput): void;
  /** Adopts the room's time setting: speed, pause, single steps (protocol/time-control.ts). */
  setTime(setting: TimeSetting): void;
  /** Stops the timer, fails pending requests, closes the transport and the store. */
  close(): void;
}

export const defaults = {
  tickMs: 100, inputQueueMax: 10_000, traceMax: 500, replyTimeoutMs: 30_000, batchStepsMax: 256, batchBytesMax: 4 * 1024 * 1024,
  // Pipelined writes are ON (issue 13): the seeds that once lost a write with them on (383, 630, 726, 815) were
  // gaps in the simulator's nemesis, fixed since; 3,700 seeds with --pipeline and a chaos run then passed.
  pipelineStores: true, batchStores: true,
} as const;
