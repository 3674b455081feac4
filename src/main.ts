/**
 * The tab's composition root: the browser's pieces (identity, IndexedDB, the browser's WebSocket and WebRTC)
 * handed to the one assembly (runtime/peer.ts), then window.kv and the classroom UI. The headless peer
 * (src/node/main.ts) builds the same node from Node's pieces.
 */
import * as faults from './protocol/faults.js';
import * as identity from './browser/identity.js';
import * as idbStore from './browser/idb-store.js';
import { createWebRtcTransport } from './browser/webrtc-transport.js';
import * as pageApi from './runtime/page-api.js';
import { createPeer, type PeerSnapshot } from './runtime/peer.js';
import * as runtime from './runtime/runtime.js';
import { createSignalingClient, signalUrlFor } from './runtime/signaling-client.js';
import './ui/dynamo-app.js';
import { createRuntimeBackend } from './ui/runtime-backend.js';

export type TabSnapshot = PeerSnapshot;

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
  const peer = createPeer({
    identity: { nodeId: me.nodeId, hostId: me.hostId, capacity: me.capacity, room: me.room, zone: 'tab' },
    createSignaling: (id) => createSignalingClient({ url: signalUrlFor(location.href), room: id.room, nodeId: id.nodeId }),
    createTransport: (signaling) => createWebRtcTransport({ self: me.nodeId, signaling, iceServers: me.iceServers.map((s) => ({ urls: s.urls })) }),
    openStore: () => idbStore.open({ nodeId: me.nodeId, requestPersistence: true }),
    random: () => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 1) / 2 ** 32,
    rememberCapacity: (capacity) => { identity.setCapacity(env.local, capacity); },
    wipeStorage: async () => {
      await idbStore.wipe(me.nodeId);
      window.location.reload(); // sessionStorage keeps the node id
    },
  });
  peer.view.subscribe(showStatus);
  pageApi.install(window as unknown as { kv?: pageApi.Kv }, peer.kv);
  mountUi(createRuntimeBackend({
    kv: peer.kv, request: peer.request, snapshot: () => peer.view.current(),
    subscribe: (listener) => peer.view.subscribe(listener), tickMs: runtime.defaults.tickMs,
  }));
  window.addEventListener('pagehide', () => { void peer.stop(); });
}

void main();
