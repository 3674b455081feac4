/**
 * Serves the built Yjs page and speaks y-webrtc's signaling protocol (topic pub/sub: subscribe,
 * unsubscribe, publish, ping), bound to 127.0.0.1 only. A stand-in for node_modules/y-webrtc/bin/server.js,
 * which listens on every interface; messages are capped in size and relayed only within a topic.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface YjsServer {
  readonly url: string;
  readonly signalUrl: string;
  close(): Promise<void>;
}

const messageBytesMax = 64 * 1024;
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

export async function startYjsServer(staticDir: string): Promise<YjsServer> {
  const topics = new Map<string, Set<WebSocket>>();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const file = path.join(staticDir, pathname === '/' ? 'index.html' : path.normalize(pathname));
    if (!file.startsWith(staticDir)) { res.writeHead(403).end(); return; }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  const wss = new WebSocketServer({ server, maxPayload: messageBytesMax });
  wss.on('connection', (ws) => {
    const mine = new Set<string>();
    ws.on('close', () => { for (const t of mine) topics.get(t)?.delete(ws); });
    ws.on('message', (data) => {
      let message: { type?: string; topics?: unknown[]; topic?: unknown; clients?: number };
      try {
        message = JSON.parse(String(data)) as typeof message;
      } catch (error) {
        ws.close(1003, `bad JSON: ${(error as Error).message}`);
        return;
      }
      switch (message.type) {
        case 'subscribe':
          for (const t of message.topics ?? []) {
            if (typeof t !== 'string') continue;
            if (!topics.has(t)) topics.set(t, new Set());
            topics.get(t)?.add(ws);
            mine.add(t);
          }
          break;
        case 'unsubscribe':
          for (const t of message.topics ?? []) if (typeof t === 'string') { topics.get(t)?.delete(ws); mine.delete(t); }
          break;
        case 'publish': {
          const receivers = typeof message.topic === 'string' ? topics.get(message.topic) : undefined;
          if (!receivers) break;
          message.clients = receivers.size;
          const text = JSON.stringify(message);
          for (const r of receivers) if (r.readyState === r.OPEN) r.send(text);
          break;
        }
        case 'ping':
          ws.send(JSON.stringify({ type: 'pong' }));
          break;
        default:
          break; // y-webrtc sends nothing else; unknown types are ignored like the reference server does
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    signalUrl: `ws://127.0.0.1:${port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
