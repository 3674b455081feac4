/**
 * The composition root: who this tab is (identity), how it finds peers (signaling + WebRTC transport),
 * where it keeps data (IndexedDB), the loop that drives the pure core (runtime), and the page API
 * (window.kv). Start-up order: identity -> signaling (wait for the room's presence list: the seeds)
 * -> storage -> node -> loop. window.kv is installed at once, so a script may call kv.ready() early.
 */
import * as codec from './core/codec.js';
import { messageSchema } from './core/messages.js';
import * as node from './core/node.js';
import * as faults from './protocol/faults.js';
import * as identity from './browser/identity.js';
import * as idbStore from './browser/idb-store.js';
import * as pageApi from './runtime/page-api.js';
import * as runtime from './runtime/runtime.js';
import * as snapshot from './runtime/snapshot.js';
import { suspendedBy } from './runtime/suspension.js';
import { createSignalingClient, signalUrlFor, type SignalingClient } from './runtime/signaling-client.js';
import { createWebRtcTransport, type WebRtcTransport } from './browser/webrtc-transport.js';
import './ui/dynamo-app.js';
import { createRuntimeBackend } from './ui/runtime-backend.js';

type NodeSnapshot = ReturnType<typeof node.snapshot>;
export type TabSnapshot = snapshot.AppSnapshot<NodeSnapshot>;


const wireCodec: runtime.WireCodec = {
  encode: (message) => codec.tryEncode(messageSchema, message),
  decode: (bytes) => codec.decode(messageSchema, bytes),
};

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] ?? 1;
}

/**
 * Resolves when the signaling server first reports the room. There is no time-out on purpose: the room's
 * presence list is the node's seeds (the core takes them at creation only), and without the signaling
 * server no data channel can be opened anyway, so a node started alone would stay alone.
 */
function firstPresence(signaling: SignalingClient): Promise<void> {
  return new Promise((resolve) => signaling.onPresence(() => resolve()));
}

function createNodeFactory(me: identity.Identity): runtime.NodeFactory<NodeSnapshot> {
  return (init) => {
    const created = node.create({
      id: me.nodeId, host: me.hostId, capacity: me.capacity, seeds: init.seeds, rngSeed: randomSeed(),
      now: init.now, stored: init.stored,
    });
    return {
      node: { step: (input) => node.step(created.state, input), snapshot: () => node.snapshot(created.state) },
      effects: created.effects,
    };
  };
}

function nodeFacts(view: runtime.RuntimeView<NodeSnapshot> | undefined): pageApi.NodeFacts {
  if (!view) return { members: [], config: { n: 3, r: 2, w: 2, partitions: 256 } };
  return { members: view.node.members, config: view.node.config };
}

function kvStats(view: runtime.RuntimeView<NodeSnapshot> | undefined, transport: WebRtcTransport): pageApi.KvStats {
  const t = transport.stats();
  const faultDrops = Object.values(t.messagesDropped).reduce((sum, n) => sum + n, 0);
  const c = view?.counters;
  return {
    hintsHeld: view?.node.hints.count ?? 0,
    messagesSent: c?.messagesSent ?? 0,
    messagesReceived: c?.messagesReceived ?? 0,
    // Runtime drops (malformed, refused) + transport drops (faults, queues) + the node's (stale, wrong).
    messagesDropped: (c?.messagesDropped ?? 0) + faultDrops + (view?.node.counters.messagesDropped ?? 0),
    repairs: view?.node.counters.repairs ?? 0,
    storageErrors: c?.storageErrors ?? 0,
    malformedMessages: c?.malformedMessages ?? 0,
    corruptVersions: c?.corruptVersions ?? 0,
    requestTimeouts: c?.requestTimeouts ?? 0,
    hintsHandedOff: view?.node.counters.hintsHandedOff ?? 0,
    openChannels: t.openChannels,
    bytesSent: t.bytesSent,
    bytesReceived: t.bytesReceived,
    lastStorageError: view?.lastStorageError,
  };
}

function showStatus(snap: TabSnapshot): void {
  const status = document.getElementById('status');
  const nodeIdEl = document.getElementById('node-id');
  if (nodeIdEl) nodeIdEl.textContent = snap.identity.nodeId;
  if (!status) return;
  const phase = snap.phase.kind === 'starting' ? `starting: ${snap.phase.step}` : snap.phase.kind === 'failed' ? `failed: ${snap.phase.error}` : 'running';
  const members = snap.runtime?.node.members.filter((m) => m.status === 'alive').length ?? 0;
  status.textContent = `${phase} | ${snap.ready ? 'ready' : 'not ready'} | signaling ${snap.network.signaling} | `
    + `${snap.network.connected.length} channels | ${members} alive members | ${faults.describe(snap.network.faults)}`;
}

/** Puts the classroom UI on the page: into the page's <dynamo-app> if it has one, else a new one. */
function mountUi(backend: ReturnType<typeof createRuntimeBackend>): void {
  const app = document.querySelector('dynamo-app') ?? document.body.appendChild(document.createElement('dynamo-app'));
  app.backend = backend;
}

function showFatal(message: string): void {
  const status = document.getElementById('status');
  if (status) status.textContent = `cannot start: ${message}`;
}

async function main(): Promise<void> {
  const env = identity.browserEnvironment();
  const resolved = identity.resolve(env);
  if (!resolved.ok) {
    showFatal(resolved.error);
    return;
  }
  const idChannel = identity.browserIdChannel();
  const unique = await identity.deduplicate(env, resolved.identity, idChannel, (ms) => new Promise((r) => setTimeout(r, ms)));
  if (!unique.ok) {
    showFatal(unique.error);
    return;
  }
  const me = unique.identity;
  identity.guardId(idChannel, me.nodeId);
  const signaling = createSignalingClient({ url: signalUrlFor(location.href), room: me.room, nodeId: me.nodeId });
  const transport = createWebRtcTransport({ self: me.nodeId, signaling, iceServers: me.iceServers.map((s) => ({ urls: s.urls })) });
  let phase: snapshot.Phase = { kind: 'starting', step: 'waiting for the signaling server' };
  let rt: runtime.Runtime<NodeSnapshot> | undefined;
  let signalingDetail = '';

  const read = (): TabSnapshot => {
    const view = rt?.view();
    return {
      identity: { nodeId: me.nodeId, hostId: me.hostId, capacity: me.capacity, room: me.room },
      phase, ready: view?.node.ready === true,
      network: {
        signaling: signaling.state, signalingDetail, presence: signaling.presence(), connected: transport.connectedPeers(),
        faults: signaling.faults(), transport: transport.stats(),
      },
      runtime: view,
    };
  };
  const publisher = snapshot.createPublisher(read);
  publisher.subscribe(showStatus);
  signaling.onState((_state, detail) => { signalingDetail = detail; publisher.changed(); });
  signaling.onPresence(() => publisher.changed());
  signaling.onFaults(() => publisher.changed());
  transport.onReachability(() => publisher.changed());

  const readyWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const settleReady = () => {
    if (readyWaiters.length === 0) return; // runs after every committed batch: skip the snapshot when nobody waits
    const snap = read();
    if (snap.phase.kind === 'failed') for (const w of readyWaiters.splice(0)) w.reject(new Error(snap.phase.error));
    else if (snap.ready) for (const w of readyWaiters.splice(0)) w.resolve();
  };
  const started = (async () => {
    await firstPresence(signaling);
    phase = { kind: 'starting', step: 'loading storage' };
    publisher.changed();
    const store = await idbStore.open({ nodeId: me.nodeId, requestPersistence: true });
    rt = await runtime.start({ nodeId: me.nodeId, store, transport, codec: wireCodec, createNode: createNodeFactory(me) });
    const running = rt;
    // Fault rules suspend automatic removal of the nodes they isolate or partition (core/removal.ts).
    const suspend = (rules: faults.FaultRules) => {
      const known = new Set([...signaling.presence(), ...running.view().node.members.map((m) => m.id)]);
      running.setSuspended(suspendedBy(rules, [...known]));
    };
    suspend(signaling.faults());
    signaling.onFaults(suspend);
    phase = { kind: 'running' };
    rt.onChange(() => { publisher.changed(); settleReady(); });
    settleReady();
    return rt;
  })();
  started.catch((error: unknown) => {
    phase = { kind: 'failed', error: error instanceof Error ? error.message : String(error) };
    publisher.changed();
    settleReady();
  });

  const kv = pageApi.create({
    nodeId: me.nodeId,
    request: async (request) => (await started).request(request),
    ready: () => new Promise<void>((resolve, reject) => { readyWaiters.push({ resolve, reject }); settleReady(); }),
    facts: () => nodeFacts(rt?.view()),
    stats: () => kvStats(rt?.view(), transport),
    faults: { current: () => signaling.faults(), publish: (rules) => signaling.publishFaults(rules), onRules: (h) => signaling.onFaults(h) },
    snapshot: read,
    onChange: (listener) => publisher.subscribe(() => listener()),
    rememberCapacity: (capacity) => { identity.setCapacity(env.local, capacity); },
    wipe: async () => {
      // Close our own connection first, or deleting the database would wait for it ("blocked").
      rt?.close();
      signaling.close();
      await idbStore.wipe(me.nodeId);
      window.location.reload(); // sessionStorage keeps the node id
    },
  });
  pageApi.install(window as unknown as { kv?: pageApi.Kv }, kv);
  mountUi(createRuntimeBackend({
    kv, request: async (request) => (await started).request(request), snapshot: read,
    subscribe: (listener) => publisher.subscribe(listener), tickMs: runtime.defaults.tickMs,
  }));
  // A closing tab tells its peers at once (best effort: a goodbye gossip, sent synchronously when no
  // commit is in flight; its channels closing marks it unreachable anyway). Not a leave, not a removal.
  window.addEventListener('pagehide', () => {
    void rt?.request({ op: 'goodbye' });
    rt?.close();
    signaling.close();
  });
}

void main();
