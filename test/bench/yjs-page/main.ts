/**
 * The Yjs baseline page (benchmark only): one Y.Doc with a Y.Map, synced by y-webrtc through OUR local
 * signaling server (never the public default) with no ICE servers (never simple-peer's public STUN
 * default), persisted by y-indexeddb. The bench drives it through window.yb.
 * Query: ?room=<room>&signal=<ws://127.0.0.1:port>
 */
import * as Y from 'yjs';
import { WebrtcProvider } from 'y-webrtc';
import { IndexeddbPersistence } from 'y-indexeddb';

const params = new URLSearchParams(location.search);
const room = params.get('room') ?? 'bench-yjs';
const signal = params.get('signal') ?? '';
if (!/^ws:\/\/127\.0\.0\.1:\d+$/.test(signal)) throw new Error(`refusing signaling url ${JSON.stringify(signal)}: loopback only`);

const doc = new Y.Doc();
const map = doc.getMap<string>('kv');
const persistence = new IndexeddbPersistence(`bench-${room}-${doc.clientID}`, doc);
const provider = new WebrtcProvider(room, doc, {
  signaling: [signal],
  peerOpts: { config: { iceServers: [] } },
});

const yb = {
  /** Resolves when y-indexeddb has loaded (an empty database here). */
  ready: () => persistence.whenSynced.then(() => undefined),
  /** Number of peers with an open WebRTC connection. */
  peers: () => provider.room?.webrtcConns.size ?? 0,
  size: () => map.size,
  /** Sets `count` keys, one transaction (one update, like one put) each; returns the ms it took. */
  write: (prefix: string, count: number, valueBytes: number): number => {
    const value = 'v'.repeat(valueBytes);
    const t0 = performance.now();
    for (let i = 0; i < count; i++) map.set(`${prefix}-${i}`, value);
    return performance.now() - t0;
  },
};
(window as unknown as { yb: typeof yb }).yb = yb;
const status = document.getElementById('status');
if (status) status.textContent = `room ${room}`;
