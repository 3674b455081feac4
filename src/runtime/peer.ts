/**
 * One assembly of a storage node, for every platform: identity + signaling + transport + store + the runtime
 * loop over the pure core, exposed as `kv` (page-api.ts) and ONE view (`PeerView`, peer-view.ts, throttled).
 * A tab (src/main.ts) and an always-on headless peer (src/node/main.ts) differ only in the pieces they pass:
 * IndexedDB or LevelDB, the browser's WebSocket and WebRTC or Node's `ws` and @roamhq/wrtc.
 *
 * Start-up order: signaling (wait for the room's presence list: the node's seeds) -> storage -> node -> loop.
 * `kv` exists at once, so a caller may await kv.ready() early. Platform-neutral: imports only core, protocol
 * and runtime (lint-enforced).
 */
import * as codec from '../core/codec.js';
import { messageSchema } from '../core/messages.js';
import * as node from '../core/node.js';
import type { ClientRequest, ClientResult } from '../core/node-io.js';
import type { Zone } from '../core/types.js';
import type * as projector from '../protocol/projector.js';
import { systemClock, type Clock } from './clock.js';
import * as drainingStore from './draining-store.js';
import { keepFaults } from './fault-keeper.js';
import * as pageApi from './page-api.js';
import * as peerView from './peer-view.js';
import * as projectorFeed from './projector-feed.js';
import * as roomStamps from './room-stamps.js';
import * as runtime from './runtime.js';
import type { SignalingClient } from './signaling-client.js';
import * as snapshot from './snapshot.js';
import type { Store } from './store.js';
import { suspendedBy } from './suspension.js';
import type { Transport, TransportStats } from './transport.js';

export type NodeSnapshot = node.NodeSnapshot;
export type { PeerIdentity } from './peer-view.js';
type PeerIdentity = peerView.PeerIdentity;

export type PeerTransport = Transport & { stats(): TransportStats };

export interface PeerOptions {
  readonly identity: PeerIdentity;
  readonly createSignaling: (identity: PeerIdentity) => SignalingClient;
  readonly createTransport: (signaling: SignalingClient) => PeerTransport;
  /** Opens the node's durable storage; its close() may return a promise (awaited by stop()). */
  readonly openStore: () => Promise<Omit<Store, 'close'> & { close(): void | Promise<void> }>;
  /** In [0, 1): seeds the core's own generator (crypto in the app; a fixed function in tests). */
  readonly random: () => number;
  readonly clock?: Clock;
  readonly runtimeOptions?: Partial<Pick<runtime.RuntimeOptions<NodeSnapshot>, 'tickMs' | 'replyTimeoutMs' | 'inputQueueMax' | 'traceMax'>>;
  /** Keeps a new capacity weight for the next start (localStorage in a tab). */
  readonly rememberCapacity?: (capacity: number) => void;
  /** Deletes this node's storage, after stop(), and restarts it (a tab reloads). Without it kv.wipe() rejects. */
  readonly wipeStorage?: () => Promise<void>;
}

export interface Peer {
  readonly kv: pageApi.Kv;
  readonly view: snapshot.Publisher<peerView.PeerView>;
  /** A client request through the node, as kv's calls make them (failures are results, never rejections). */
  request(request: ClientRequest): Promise<ClientResult>;
  /** Resolves with the running loop; rejects if start-up failed. */
  readonly started: Promise<runtime.Runtime<NodeSnapshot>>;
  /**
   * Stops cleanly: refuses new requests, stops the loop (the commit in flight still reaches the disk whole),
   * closes the transport, the signaling socket and the store; resolves once the store has closed.
   */
  stop(): Promise<void>;
  /**
   * The page (or process) is going away: a best-effort goodbye gossip to the live members (sent at once,
   * even while a commit is in flight; it is not a leave and not a removal, see core/life.ts), then stop().
   */
  goodbye(): Promise<void>;
}

const wireCodec: runtime.WireCodec = {
  encode: (message) => codec.tryEncode(messageSchema, message),
  decode: (bytes) => codec.decode(messageSchema, bytes),
};

/**
 * Resolves when the signaling server first reports the room. No time-out on purpose: the room's presence
 * list is the node's seeds (the core takes them at creation only), and without the signaling server no data
 * channel can be opened anyway, so a node started alone would stay alone.
 */
function firstPresence(signaling: SignalingClient): Promise<void> {
  return new Promise((resolve, reject) => {
    signaling.onPresence(() => resolve());
    // Refused for good (e.g. 4409: another client holds this node id): say so instead of waiting for ever.
    signaling.onState((state, detail) => { if (state === 'closed') reject(new Error(`the signaling server refused this node: ${detail}`)); });
  });
}

/** What the projector view shows of this node (protocol/projector.ts). */
function projectorStatus(n: NodeSnapshot, tick: number, time: peerView.LoopView['time'], zone: Zone): projector.NodeStatus {
  const primary: number[] = [];
  for (const [p, owner] of n.owners.entries()) if (owner === n.id && primary.length < 512) primary.push(p);
  const { paused, speed, steps } = time;
  return {
    zone, state: n.left ? 'left' : n.members.find((m) => m.id === n.id)?.status ?? 'starting', ready: n.ready, tick,
    partitions: n.replicated.length, primary, ringSize: n.owners.length, hints: n.hints.count, keys: n.keys,
    repairs: n.counters.repairs, time: { paused, speed, steps },
  };
}

function createNodeFactory(me: PeerIdentity, random: () => number): runtime.NodeFactory<NodeSnapshot> {
  return (init) => {
    const created = node.create({
      id: me.nodeId, host: me.hostId, capacity: me.capacity, ...(me.zone === 'peer' ? { zone: me.zone } : {}),
      seeds: init.seeds, rngSeed: Math.floor(random() * 2 ** 32) >>> 0 || 1, now: init.now, stored: init.stored,
      stamps: true, // configure and remove go through the signaling server (room-stamps.ts)
    });
    return {
      node: { step: (input) => node.step(created.state, input), snapshot: () => node.snapshot(created.state) },
      effects: created.effects,
    };
  };
}

export function createPeer(options: PeerOptions): Peer {
  const me = options.identity;
  const signaling = options.createSignaling(me);
  keepFaults(signaling); // the teacher's tab re-asserts the room's fault rules after a signaling restart
  const transport = options.createTransport(signaling);
  let phase: peerView.Phase = { kind: 'starting', step: 'waiting for the signaling server' };
  let rt: runtime.Runtime<NodeSnapshot> | undefined;
  let store: drainingStore.DrainingStore | undefined;
  let signalingDetail = '';
  let stopping: Promise<void> | undefined;
  const feed = projectorFeed.create({
    observe: () => {
      const v = rt?.view(); // one node snapshot per frame, and nothing of the network the status does not show
      return v && { status: projectorStatus(v.node, v.tick, v.time, me.zone), hintedKeys: new Set(v.node.hints.entries.map((h) => h.key)) };
    },
    publish: (frame) => signaling.publishEvents(frame),
  }, options.clock ?? systemClock);

  const read = (): peerView.PeerView => peerView.build({
    identity: me, phase, runtime: rt?.view(), signaling: signaling.state, signalingDetail, presence: signaling.presence(),
    connected: transport.connectedPeers(), faults: signaling.faults(), transport: transport.stats(),
  });
  const view = snapshot.createPublisher(read);
  signaling.onState((_state, detail) => { signalingDetail = detail; view.changed(); });
  signaling.onPresence(() => view.changed());
  signaling.onFaults(() => view.changed());
  transport.onReachability(() => view.changed());

  const readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const settleReady = () => {
    if (readyWaiters.length === 0) return; // runs after every committed batch: skip the snapshot when nobody waits
    const snap = read();
    if (snap.phase.kind === 'failed') for (const w of readyWaiters.splice(0)) w.reject(new Error(snap.phase.error));
    else if (snap.ready) for (const w of readyWaiters.splice(0)) w.resolve();
  };
  const started = (async () => {
    await firstPresence(signaling);
    if (stopping) throw new Error('the node stopped before it started');
    phase = { kind: 'starting', step: 'loading storage' };
    view.changed();
    store = drainingStore.wrap(await options.openStore());
    if (stopping) {
      store.close();
      throw new Error('the node stopped before it started');
    }
    rt = await runtime.start({
      nodeId: me.nodeId, store, transport, codec: wireCodec, createNode: createNodeFactory(me, options.random),
      ...(options.clock ? { clock: options.clock } : {}), ...options.runtimeOptions,
      time: signaling.time(), onSend: (to, message, bytes) => feed.sent(to, message, bytes),
      authorize: (command) => roomStamps.authorize(signaling, command),
    });
    const running = rt;
    roomStamps.feed(signaling, running); // the server's stamps and refusals to the core; a teacher re-asserts the config
    // The room's time control (teacher-only, through the server): this node's ticks and deliveries follow it.
    signaling.onTime((setting) => running.setTime(setting));
    running.setTime(signaling.time()); // a change that arrived while storage was loading
    // Fault rules suspend automatic removal of the nodes they isolate or partition (core/removal.ts); here,
    // so that tabs and headless peers alike get it. Presence changes re-run it: a partition covers newcomers.
    const suspend = () => {
      const known = new Set([...signaling.presence(), ...running.view().node.members.map((m) => m.id)]);
      running.hostInput({ type: 'suspended', peers: suspendedBy(signaling.faults(), [...known]) });
    };
    suspend();
    signaling.onFaults(suspend);
    signaling.onPresence(suspend);
    phase = { kind: 'running' };
    rt.onChange(() => { view.changed(); settleReady(); });
    settleReady();
    return rt;
  })();
  started.catch((error: unknown) => {
    phase = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
    view.changed();
    settleReady();
  });

  async function request(clientRequest: ClientRequest): Promise<ClientResult> {
    if (stopping) return { ok: false, error: 'the node is stopping', indeterminate: false };
    if (clientRequest.op === 'put' || clientRequest.op === 'delete' || clientRequest.op === 'get') feed.request(clientRequest.op, clientRequest.key, me.nodeId);
    return (await started).request(clientRequest);
  }

  function stop(): Promise<void> {
    stopping ??= (async () => {
      feed.close();
      rt?.close(); // fails pending requests, closes the transport and (once its commit in flight ends) the store
      if (!rt) transport.close();
      signaling.close();
      phase = { kind: 'failed', error: 'the node has stopped' };
      settleReady();
      view.close();
      await store?.closed;
    })();
    return stopping;
  }

  function goodbye(): Promise<void> {
    // Synchronous up to the send: the loop steps a goodbye at once and sends its gossip even while a commit is in flight (runtime.ts goodbyeNow).
    if (rt !== undefined && !stopping) void rt.request({ op: 'goodbye' });
    return stop();
  }

  const kv = pageApi.create({
    nodeId: me.nodeId,
    request,
    ready: () => new Promise<void>((resolve, reject) => { readyWaiters.push({ resolve, reject }); settleReady(); }),
    view: read,
    faults: { current: () => signaling.faults(), publish: (rules) => signaling.publishFaults(rules), onRules: (h) => signaling.onFaults(h) },
    time: { current: () => signaling.time(), publish: (setting) => signaling.publishTime(setting), onSetting: (h) => signaling.onTime(h) },
    authority: () => signaling.role() ?? 'unknown',
    onChange: (listener) => view.subscribe(() => listener()),
    ...(options.rememberCapacity ? { rememberCapacity: options.rememberCapacity } : {}),
    ...(options.wipeStorage ? {
      wipe: async () => {
        await stop(); // close our own connection first, or deleting the storage would wait for it
        await options.wipeStorage?.();
      },
    } : {}),
  });
  return { kv, view, request, started, stop, goodbye };
}
