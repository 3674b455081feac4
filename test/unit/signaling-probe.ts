/**
 * Raw WebSocket clients of the signaling server for its tests: every frame recorded, the close awaited,
 * frames waited for by predicate, and the room's presence as a client would rebuild it from the chunked
 * list and the join/leave deltas.
 */
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../signaling/server.js';

const running: RunningServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

export async function server(opts: ServerOptions = {}): Promise<RunningServer> {
  const s = await startServer({ port: 0, host: '127.0.0.1', ...opts });
  running.push(s);
  return s;
}

export type Frame = Record<string, unknown>;

/** A raw client that records every frame and its close. */
export interface Probe {
  readonly ws: WebSocket;
  readonly frames: Frame[];
  /** The largest frame received, in bytes. */
  largestFrameBytes(): number;
  readonly closed: Promise<{ code: number; reason: string }>;
  send(m: unknown): void;
  /** Resolves with the first frame (already received or future) matching `pred`. */
  next(pred: (m: Frame) => boolean): Promise<Frame>;
  /** The members as rebuilt from presence chunks and deltas so far (sorted). */
  members(): string[];
}

export interface ProbeOptions extends ClientOptions {
  readonly room?: string;
}

export async function probe(s: RunningServer | { readonly signalUrl: string }, opts: ProbeOptions = {}): Promise<Probe> {
  const { room, ...wsOptions } = opts;
  const ws = new WebSocket(`${s.signalUrl}${room === undefined ? '' : `?room=${room}`}`, wsOptions);
  sockets.push(ws);
  const frames: Frame[] = [];
  let largest = 0;
  const waiters: Array<{ pred: (m: Frame) => boolean; resolve: (m: Frame) => void }> = [];
  ws.on('message', (data) => {
    const text = String(data);
    largest = Math.max(largest, Buffer.byteLength(text));
    const m = JSON.parse(text) as Frame;
    frames.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return {
    ws, frames, closed,
    largestFrameBytes: () => largest,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: (pred) => {
      const found = frames.find(pred);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    members: () => rebuild(frames),
  };
}

function rebuild(frames: readonly Frame[]): string[] {
  let members = new Set<string>();
  let pending: string[] = [];
  for (const m of frames) {
    if (m.type === 'welcome') pending = [];
    if (m.type === 'presence') {
      pending.push(...(m.members as string[]));
      if (m.last === true) { members = new Set(pending); pending = []; }
    }
    if (m.type === 'join') members.add(m.id as string);
    if (m.type === 'leave') members.delete(m.id as string);
  }
  return [...members].sort();
}

/** A secret for tests: deterministic per name, valid for the protocol. */
export const secretOf = (name: string): string => `secret-of-${name}-0123456789`;

export interface HelloExtras { readonly secret?: string; readonly teacher?: string; readonly room?: string }

/** Says hello as `nodeId` (undefined: let the server name it) and waits for the full presence list. */
export async function member(s: RunningServer | { readonly signalUrl: string }, nodeId: string | undefined, extras: HelloExtras = {}): Promise<Probe> {
  const p = await probe(s, extras.room === undefined ? {} : { room: extras.room });
  p.send({
    type: 'hello', secret: extras.secret ?? secretOf(nodeId ?? 'unnamed'),
    ...(nodeId !== undefined ? { nodeId } : {}), ...(extras.teacher !== undefined ? { teacher: extras.teacher } : {}),
  });
  await p.next((m) => m.type === 'presence' && m.last === true);
  return p;
}

/** Waits until `p` sees exactly `ids` as present. */
export async function until(what: string, cond: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sees = (p: Probe, ids: string[]) => until(`members ${ids.join(',')}`, () => p.members().join(',') === [...ids].sort().join(','));
