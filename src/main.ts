/**
 * The tab's composition root: the browser's pieces (identity, IndexedDB, the browser's WebSocket and WebRTC)
 * handed to the one assembly (runtime/peer.ts), then window.kv and the classroom UI. The headless peer
 * (src/node/main.ts) builds the same node from Node's pieces.
 */
import * as faults from './protocol/faults.js';
import * as identity from './browser/identity.js';
import * as idClaim from './browser/id-claim.js';
import * as idbStore from './browser/idb-store.js';
import { createWebRtcTransport } from './browser/webrtc-transport.js';
import * as pageApi from './runtime/page-api.js';
import { createPeer } from './runtime/peer.js';
import type { PeerView } from './runtime/peer-view.js';
import { createSignalingClient, signalUrlFor, type SignalingClient } from './runtime/signaling-client.js';
import './ui/dynamo-app.js';
import { createRuntimeBackend } from './ui/runtime-backend.js';
import { mountTeacherTools } from './ui/projector-teacher-tools.js';

function showStatus(snap: PeerView): void {
  const status = document.getElementById('status');
  const nodeIdEl = document.getElementById('node-id');
  if (nodeIdEl) nodeIdEl.textContent = snap.identity.nodeId;
  if (!status) return;
  const phase = snap.phase.kind === 'starting' ? `starting: ${snap.phase.step}` : snap.phase.kind === 'failed' ? `failed: ${snap.phase.error}` : 'running';
  const members = snap.node?.members.filter((m) => m.status === 'alive').length ?? 0;
  status.textContent = `${phase} | ${snap.ready ? 'ready' : 'not ready'} | signaling ${snap.network.signaling} | `
    + `${snap.network.connected.length} channels | ${members} alive members | ${faults.describe(snap.network.faults)}`;
}

/** Puts the classroom UI on the page: into the page's <dynamo-app> if it has one, else a new one. */
function mountUi(backend: ReturnType<typeof createRuntimeBackend>): void {
  const app = document.querySelector('dynamo-app') ?? document.body.appendChild(document.createElement('dynamo-app'));
  app.backend = backend;
}

/** The node id the server confirms (for a tab without one, the first free `nN` it hands out). */
function firstWelcome(signaling: SignalingClient): Promise<string> {
  return new Promise((resolve, reject) => {
    signaling.onWelcome((nodeId) => resolve(nodeId));
    signaling.onState((state, detail) => { if (state === 'closed') reject(new Error(`the signaling server refused this tab: ${detail}`)); });
  });
}

/** A teacher link's token must not stay in the address bar (nor in history, screenshots or a shared link). */
function hideTeacherToken(): void {
  if (!location.hash.includes('teacher=')) return;
  history.replaceState(history.state, '', `${location.pathname}${location.search}`);
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
  const idChannel = idClaim.browserIdChannel();
  const idLocks = idClaim.browserIdLocks();
  const unique = await idClaim.deduplicate(env, resolved.identity, idChannel, idLocks, (ms) => new Promise((r) => setTimeout(r, ms)));
  if (!unique.ok) {
    showFatal(unique.error);
    return;
  }
  hideTeacherToken();
  // The signaling client comes first: a tab without a node id is named by the server (first free `nN`).
  const signaling = createSignalingClient({
    url: signalUrlFor(location.href), room: unique.identity.room, secret: unique.identity.secret,
    ...(unique.identity.nodeId !== undefined ? { nodeId: unique.identity.nodeId } : {}),
    ...(unique.identity.teacherToken !== undefined ? { teacherToken: unique.identity.teacherToken } : {}),
  });
  let nodeId = unique.identity.nodeId;
  if (nodeId === undefined) {
    const status = document.getElementById('status');
    if (status) status.textContent = 'asking the signaling server for a node name...';
    try {
      nodeId = await firstWelcome(signaling);
    } catch (error) {
      showFatal(error instanceof Error ? error.message : String(error));
      return;
    }
  }
  const me = { ...unique.identity, nodeId };
  identity.rememberNode(env.session, me.nodeId, me.secret);
  idClaim.guardId(idChannel, idLocks, idClaim.claimName(me.room, me.nodeId));
  const peer = createPeer({
    identity: { nodeId: me.nodeId, hostId: me.hostId, capacity: me.capacity, room: me.room, zone: 'tab' },
    createSignaling: () => signaling,
    createTransport: (client) => createWebRtcTransport({ self: me.nodeId, signaling: client, iceServers: me.iceServers.map((s) => ({ ...s })) }),
    openStore: () => idbStore.open({ nodeId: me.nodeId, room: me.room, requestPersistence: true }),
    random: () => (crypto.getRandomValues(new Uint32Array(1))[0] ?? 1) / 2 ** 32,
    rememberCapacity: (capacity) => { identity.setCapacity(env.session, capacity); },
    wipeStorage: async () => {
      await idbStore.wipe(me.nodeId, me.room);
      window.location.reload(); // sessionStorage keeps the node id
    },
  });
  peer.view.subscribe(showStatus);
  mountTeacherTools(signaling, peer.kv, me.room, me.teacherToken);
  pageApi.install(window as unknown as { kv?: pageApi.Kv }, peer.kv);
  mountUi(createRuntimeBackend({
    kv: peer.kv, request: peer.request, snapshot: () => peer.view.current(),
    subscribe: (listener) => peer.view.subscribe(listener),
  }));
  // A closing tab tells its peers at once (best effort: a goodbye gossip, sent synchronously when no
  // commit is in flight; its channels closing marks it unreachable anyway). Not a leave, not a removal.
  window.addEventListener('pagehide', () => { void peer.goodbye(); });
}

/** `/?view=class`: the projector view, an observer of the room (projector-main.ts); anything else: a storage node. */
if (new URLSearchParams(location.search).get('view') === 'class') {
  void import('./projector-main.js').then((m) => m.startProjector());
} else {
  void main();
}
