/**
 * An always-on headless peer: `npm run peer -- --server http://HOST:8080 --room R --node p1 --data DIR`.
 * It joins the room like a tab (the same signaling client over Node's `ws`, which sends no Origin header;
 * the same WebRTC data channels through simple-peer with @roamhq/wrtc; the same core through
 * runtime/peer.ts), persists to LevelDB in DIR, and shows in every tab's Members view as "always-on"
 * (zone 'peer': placement keeps one in every preference list, and writes wait for a peer's copy).
 *
 * It prints its status as it starts and a one-line summary every --status-seconds. SIGINT or SIGTERM stops
 * it cleanly (exit 0): it tells its peers it is going (the goodbye a tab sends on pagehide, so they stop
 * choosing it at once instead of after the suspicion timeout), takes no new requests, lets the commit in
 * flight finish and closes the store. Acknowledged
 * writes are on disk before they are acknowledged (one synced LevelDB batch per commit), so even SIGKILL
 * loses none of them.
 */
import wrtc from '@roamhq/wrtc';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebSocket } from 'ws';
import { createWebRtcTransport } from '../browser/webrtc-transport.js';
import { createPeer, type Peer } from '../runtime/peer.js';
import { createSignalingClient, signalUrlFor } from '../runtime/signaling-client.js';
import * as args from './args.js';
import * as dataDir from './data-dir.js';
import * as levelStore from './level-store.js';
import * as status from './status.js';

/** How long a stop may take before the process gives up on it (a hung close must not keep a lab's machine busy). */
const stopTimeoutMs = 15_000;

const log = (line: string) => process.stdout.write(`${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`peer: ${line}\n`);
  process.exit(2);
};

async function main(): Promise<void> {
  const parsed = args.parse(process.argv.slice(2));
  if (!parsed.ok) fail(`${parsed.error}\n${args.usage}`);
  const a = (parsed as Extract<args.Parsed, { ok: true }>).args;
  const claimed = await dataDir.claim(a.dataDir, { nodeId: a.nodeId, room: a.room });
  if (!claimed.ok) fail(claimed.error);
  const dbPath = (claimed as Extract<dataDir.Claimed, { ok: true }>).dbPath;
  const hostId = a.hostId ?? args.hostIdFor(os.hostname());
  const signalUrl = signalUrlFor(a.server);
  log(`tabdynamo always-on peer ${a.nodeId}: server ${a.server} (${signalUrl}), room ${a.room}, host ${hostId}, capacity ${a.capacity}`);
  log(`data ${a.dataDir}${(claimed as { fresh: boolean }).fresh ? ' (new)' : ''}; ICE servers: ${a.iceServers.length === 0 ? 'none (LAN only)' : a.iceServers.map((s) => s.urls).join(', ')}`);

  const peer: Peer = createPeer({
    identity: { nodeId: a.nodeId, hostId, capacity: a.capacity, room: a.room, zone: 'peer' },
    createSignaling: (me) => createSignalingClient({
      url: signalUrl, room: me.room, nodeId: me.nodeId, secret: signalingSecret(a.dataDir),
      WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    }),
    createTransport: (signaling) => createWebRtcTransport({ self: a.nodeId, signaling, iceServers: a.iceServers.map((s) => ({ urls: s.urls })), wrtc }),
    openStore: () => levelStore.open({ location: dbPath }),
    random: () => crypto.randomInt(2 ** 32) / 2 ** 32,
  });

  let lastSignaling = '';
  peer.view.subscribe((snap) => {
    const now = `${snap.network.signaling}${snap.network.signalingDetail ? ` (${snap.network.signalingDetail})` : ''}`;
    if (now !== lastSignaling) log(`signaling ${now}`);
    lastSignaling = now;
  });
  log('waiting for the signaling server...');
  peer.started.then(
    () => log(status.loaded(peer.view.current(), a.dataDir)),
    (error: unknown) => log(`cannot start: ${error instanceof Error ? error.message : String(error)}`),
  );
  peer.kv.ready().then(() => {
    const members = peer.kv.members().filter((m) => m.status === 'alive').map((m) => (m.zone === 'peer' ? `${m.id} (always-on)` : m.id));
    log(`ready: in the ring with ${members.join(', ')}`);
  }, () => undefined);

  let before = status.rates(peer.view.current(), performance.now());
  const summaryTimer = a.statusSeconds > 0 ? setInterval(() => {
    const snap = peer.view.current();
    const now = status.rates(snap, performance.now());
    log(status.summary(snap, before, now));
    before = now;
  }, a.statusSeconds * 1000) : undefined;

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log(`${signal} again: exiting at once`);
      process.exit(1);
    }
    stopping = true;
    if (summaryTimer) clearInterval(summaryTimer);
    log(`${signal}: stopping (goodbye to the peers; no new requests; the commit in flight finishes; closing the store)`);
    const force = setTimeout(() => {
      log(`stop did not finish within ${stopTimeoutMs / 1000} s: exiting`);
      process.exit(1);
    }, stopTimeoutMs);
    // goodbye() sends the goodbye gossip, then stops exactly as stop() does.
    peer.goodbye().then(() => {
      clearTimeout(force);
      log(`stopped: ${a.dataDir} closed`);
      process.exit(0);
    }, (error: unknown) => {
      log(`stop failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => fail(error instanceof Error ? error.stack ?? error.message : String(error)));

/**
 * The secret that binds this node id to this peer at the signaling server, kept in the data directory: a
 * peer restarted after a crash (SIGKILL) reconnects with the same secret and so takes its id back at once,
 * even while the server still holds its dead socket; another process cannot take the id while it is live.
 */
function signalingSecret(dir: string): string {
  const file = path.join(dir, 'signaling-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = crypto.randomBytes(16).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}
