/**
 * The signaling server: one HTTP server on one port that serves the built app and, at `/signal?room=<id>`,
 * a small strict WebSocket relay (protocol in src/runtime/signaling-protocol.ts).
 *
 * - Rooms: members are the sockets that said hello; presence (sorted ids) goes to the whole room on every
 *   join and leave. Signals are relayed only to a member of the sender's room, with `from` stamped here.
 * - Duplicate node id in a room: the NEWER socket wins and the older one is closed with 4409 "replaced"
 *   (a reloaded tab reconnects before its old socket's ping times out; refusing the newer would lock it out).
 * - Validation: frames over frameBytesMax close with 4413 (past 4x that, `ws` closes with 1009); malformed JSON, unknown shapes,
 *   invalid ids, binary frames, a second hello or a frame before hello close with 4400; a full room with 4403;
 *   more frames than the token bucket allows with 4429; no hello within helloTimeoutMs with 4408.
 * - Dead sockets: every pingIntervalMs each socket must have answered the previous ping, or it is terminated.
 * - State: nothing but each room's CURRENT fault rules, sent to every newcomer (noFaults if none) and
 *   forgotten when the room empties or the server stops.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { limits } from '../src/core/limits.js';
import * as faults from '../src/protocol/faults.js';
import * as protocol from '../src/protocol/signaling.js';
import { serveStatic } from './static.js';

export interface ServerOptions {
  /** 0 (the default) picks any free port. */
  readonly port?: number;
  /** Default 127.0.0.1; signaling/main.ts passes 0.0.0.0 so other machines can reach it. */
  readonly host?: string;
  /** The built app to serve; without it, HTTP requests get 404 (the WebSocket still works). */
  readonly staticDir?: string;
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
  helloTimeoutMs: 10_000,
  rate: { burst: 400, perSecond: 100 },
} as const;

interface Client {
  readonly ws: WebSocket;
  readonly room: string;
  nodeId: string | undefined;
  alive: boolean;
  tokens: number;
  refilledAtMs: number;
  helloTimer: ReturnType<typeof setTimeout> | undefined;
}

interface Room {
  readonly members: Map<string, Client>;
  rules: faults.FaultRules;
}

export async function startServer(opts: ServerOptions = {}): Promise<RunningServer> {
  const pingIntervalMs = opts.pingIntervalMs ?? defaults.pingIntervalMs;
  const helloTimeoutMs = opts.helloTimeoutMs ?? defaults.helloTimeoutMs;
  const rate = opts.rate ?? defaults.rate;
  const roomMembersMax = opts.roomMembersMax ?? limits.membersMax;
  const log = opts.log ?? (() => undefined);
  const rooms = new Map<string, Room>();
  const clients = new Set<Client>();

  const http = createServer((req, res) => {
    if (!opts.staticDir) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('404 not found\n');
    serveStatic(opts.staticDir, req, res).catch((e: unknown) => {
      log(`static: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  });
  // The hard cap bounds memory; frames between the two caps get a clear close reason from onFrame.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * protocol.frameBytesMax });

  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== protocol.signalPath) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, url.searchParams.get('room') ?? protocol.defaultRoom));
  });

  function accept(ws: WebSocket, room: string): void {
    const client: Client = { ws, room, nodeId: undefined, alive: true, tokens: rate.burst, refilledAtMs: performance.now(), helloTimer: undefined };
    clients.add(client);
    ws.on('pong', () => { client.alive = true; });
    ws.on('error', (e) => log(`socket error (${client.nodeId ?? 'no hello'}): ${e.message}`));
    ws.on('close', () => leave(client));
    if (!protocol.isNodeId(room)) return reject(client, protocol.closeCodes.badMessage, 'room id must match [A-Za-z0-9_-]{1,64}');
    client.helloTimer = setTimeout(() => reject(client, protocol.closeCodes.helloTimeout, 'no hello in time'), helloTimeoutMs);
    ws.on('message', (data, isBinary) => onFrame(client, data, isBinary));
  }

  function onFrame(client: Client, data: RawData, isBinary: boolean): void {
    if (!takeToken(client)) return reject(client, protocol.closeCodes.rateLimited, 'rate limit exceeded');
    if (isBinary) return reject(client, protocol.closeCodes.badMessage, 'binary frames are not accepted');
    const bytes = rawBytes(data);
    if (bytes.length > protocol.frameBytesMax) {
      return reject(client, protocol.closeCodes.tooLarge, `frame of ${bytes.length} bytes exceeds ${protocol.frameBytesMax}`);
    }
    const parsed = protocol.parseClientMessage(bytes.toString('utf8'));
    if (!parsed.ok) return reject(client, protocol.closeCodes.badMessage, parsed.reason);
    const m = parsed.value;
    if (m.type !== 'hello' && client.nodeId === undefined) return reject(client, protocol.closeCodes.badMessage, 'hello first');
    switch (m.type) {
      case 'hello': return hello(client, m.nodeId);
      case 'signal': {
        const target = rooms.get(client.room)?.members.get(m.to);
        // A target that just left is a race, not a violation: the signal is dropped.
        if (target) send(target, { type: 'signal', from: client.nodeId as string, data: m.data });
        return;
      }
      case 'faults': {
        const room = rooms.get(client.room);
        if (!room) return;
        room.rules = m.rules;
        log(`room ${client.room}: ${client.nodeId} set faults: ${faults.describe(m.rules)}`);
        for (const member of room.members.values()) send(member, { type: 'faults', from: client.nodeId as string, rules: m.rules });
        return;
      }
      default: {
        const never: never = m;
        return never;
      }
    }
  }

  function hello(client: Client, nodeId: string): void {
    if (client.nodeId !== undefined) return reject(client, protocol.closeCodes.badMessage, 'hello twice');
    const room = rooms.get(client.room) ?? { members: new Map<string, Client>(), rules: faults.noFaults };
    const older = room.members.get(nodeId);
    if (!older && room.members.size >= roomMembersMax) return reject(client, protocol.closeCodes.roomFull, `room is full (${roomMembersMax} members)`);
    rooms.set(client.room, room);
    clearTimeout(client.helloTimer);
    client.nodeId = nodeId;
    room.members.set(nodeId, client);
    if (older) reject(older, protocol.closeCodes.replaced, 'replaced by a newer connection with the same node id');
    log(`room ${client.room}: ${nodeId} joined (${room.members.size} present)`);
    broadcastPresence(room);
    send(client, { type: 'faults', from: '', rules: room.rules });
  }

  function leave(client: Client): void {
    clients.delete(client);
    clearTimeout(client.helloTimer);
    const room = rooms.get(client.room);
    if (client.nodeId === undefined || room?.members.get(client.nodeId) !== client) return;
    room.members.delete(client.nodeId);
    log(`room ${client.room}: ${client.nodeId} left (${room.members.size} present)`);
    if (room.members.size === 0) rooms.delete(client.room);
    else broadcastPresence(room);
  }

  function broadcastPresence(room: Room): void {
    const members = [...room.members.keys()].sort();
    for (const member of room.members.values()) send(member, { type: 'presence', members });
  }

  function takeToken(client: Client): boolean {
    const nowMs = performance.now();
    client.tokens = Math.min(rate.burst, client.tokens + ((nowMs - client.refilledAtMs) / 1000) * rate.perSecond);
    client.refilledAtMs = nowMs;
    if (client.tokens < 1) return false;
    client.tokens -= 1;
    return true;
  }

  function reject(client: Client, code: number, reason: string): void {
    log(`closing ${client.nodeId ?? 'socket'} in room ${client.room}: ${code} ${reason}`);
    client.ws.close(code, reason.slice(0, 120)); // a close reason is at most 123 bytes
  }

  const pinger = setInterval(() => {
    for (const client of clients) {
      if (!client.alive) {
        log(`dropping dead socket ${client.nodeId ?? ''} in room ${client.room}`);
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      client.ws.ping();
    }
  }, pingIntervalMs);

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
        clearInterval(pinger);
        for (const client of clients) {
          clearTimeout(client.helloTimer);
          client.ws.terminate();
        }
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      });
      return closing;
    },
  };
}

function send(client: Client, message: protocol.ServerMessage): void {
  if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(message));
}

function rawBytes(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}
