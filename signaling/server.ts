/**
 * The signaling server: one HTTP server on one port that serves the built app and, at `/signal?room=<id>`,
 * a small strict WebSocket relay (relay.ts; protocol in src/protocol/signaling.ts). It must hold when anyone
 * on the network, or any web page, talks to it (README, "Security model"):
 *
 * - Admission (admission.ts): same-origin upgrades only when an Origin header is present (plus
 *   `allowedOrigins`); global and per-IP connection caps; a cap on rooms.
 * - The relay (relay.ts): node ids, teacher authority, presence, back-pressure, validation, dead sockets and
 *   per-room state, each bounded.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { limits } from '../src/core/limits.js';
import * as protocol from '../src/protocol/signaling.js';
import { createAdmission } from './admission.js';
import { createRelay } from './relay.js';
import { serveStatic } from './static.js';

export interface ServerOptions {
  /** 0 (the default) picks any free port. */
  readonly port?: number;
  /** Default 127.0.0.1; signaling/main.ts passes 0.0.0.0 so other machines can reach it. */
  readonly host?: string;
  /** The built app to serve; without it, HTTP requests get 404 (the WebSocket still works). */
  readonly staticDir?: string;
  /** The teacher token; without one, no socket is a teacher and nobody can set fault rules. */
  readonly teacherToken?: string;
  /** Origins allowed besides the server's own, e.g. ['http://localhost:5173'] for `npm run dev`. */
  readonly allowedOrigins?: readonly string[];
  readonly connectionsMax?: number;
  readonly connectionsPerIpMax?: number;
  readonly roomsMax?: number;
  /** A socket whose unsent output passes this many bytes is closed as a slow consumer. */
  readonly sendBufferBytesMax?: number;
  readonly pingIntervalMs?: number;
  readonly helloTimeoutMs?: number;
  /** Token bucket per socket: `burst` frames at once, refilled at `perSecond`. */
  readonly rate?: { readonly burst: number; readonly perSecond: number };
  readonly roomMembersMax?: number;
  readonly log?: (line: string) => void;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:8080 (a wildcard host is shown as 127.0.0.1). */
  readonly url: string;
  /** e.g. ws://127.0.0.1:8080/signal */
  readonly signalUrl: string;
  readonly port: number;
  /** Terminates every socket and stops listening. */
  close(): Promise<void>;
}

export const defaults = {
  pingIntervalMs: 10_000,
  helloTimeoutMs: 5_000,
  rate: { burst: 400, perSecond: 100 },
  connectionsMax: 2048,
  connectionsPerIpMax: 128,
  roomsMax: 256,
  sendBufferBytesMax: 256 * 1024,
  /** How long a slow consumer has to take its close frame before the socket is cut. */
  slowCloseGraceMs: 1000,
} as const;

export { teacherOnly } from './relay.js';

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const log = opts.log ?? (() => undefined);
  if (opts.teacherToken !== undefined && !protocol.isTeacherToken(opts.teacherToken)) {
    throw new Error(`signaling: the teacher token must match [A-Za-z0-9_-]{1,${protocol.tokenCharsMax}}`);
  }
  const relay = createRelay({
    pingIntervalMs: opts.pingIntervalMs ?? defaults.pingIntervalMs,
    helloTimeoutMs: opts.helloTimeoutMs ?? defaults.helloTimeoutMs,
    rate: opts.rate ?? defaults.rate,
    roomMembersMax: opts.roomMembersMax ?? limits.membersMax,
    roomsMax: opts.roomsMax ?? defaults.roomsMax,
    sendBufferBytesMax: opts.sendBufferBytesMax ?? defaults.sendBufferBytesMax,
    slowCloseGraceMs: defaults.slowCloseGraceMs,
    teacherToken: opts.teacherToken,
    log,
  });
  const admission = createAdmission({
    allowedOrigins: opts.allowedOrigins ?? [],
    connectionsMax: opts.connectionsMax ?? defaults.connectionsMax,
    connectionsPerIpMax: opts.connectionsPerIpMax ?? defaults.connectionsPerIpMax,
  });

  const http = createServer((req, res) => {
    if (!opts.staticDir) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 not found\n');
    serveStatic(opts.staticDir, req, res).catch((e: unknown) => {
      log(`static: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  // Slow-loris bounds: a request's headers within 10 s, the whole request within 30 s.
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;
  // The hard cap bounds memory; frames between the two caps get a clear close reason from onFrame.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * protocol.frameBytesMax });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== protocol.signalPath) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    const admitted = admission.admit(req);
    if (!admitted.ok) {
      log(`upgrade refused: ${admitted.reason}`);
      const status = admitted.status === 403 ? '403 Forbidden' : '503 Service Unavailable';
      return void socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n${admitted.reason}\n`);
    }
    // The raw socket closes whether the upgrade succeeds (and later ends) or fails: release exactly once.
    socket.once('close', () => admission.release(admitted.ip));
    wss.handleUpgrade(req, socket, head, (ws) => relay.accept(ws, url.searchParams.get('room') ?? protocol.defaultRoom));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const port = (http.address() as AddressInfo).port;
  const shownHost = !opts.host || opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${port}`,
    signalUrl: `ws://${shownHost}:${port}${protocol.signalPath}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        relay.close();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closing;
    },
  };
}
