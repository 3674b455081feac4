/**
 * The signaling server, spoken to over real WebSockets on 127.0.0.1: presence, relay within a room only,
 * sender stamping, every validation rule closing the socket with its code and reason, fault rules, the
 * ping that drops dead sockets, and the static file server.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer, type ServerOptions } from '../../signaling/server.js';
import { noFaults, type FaultRules } from '../../src/protocol/faults.js';
import { closeCodes, frameBytesMax } from '../../src/protocol/signaling.js';

const running: RunningServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function server(opts: ServerOptions = {}): Promise<RunningServer> {
  const s = await startServer({ port: 0, host: '127.0.0.1', ...opts });
  running.push(s);
  return s;
}

/** A raw client that records every frame and its close. */
interface Probe {
  readonly ws: WebSocket;
  readonly frames: Array<Record<string, unknown>>;
  readonly closed: Promise<{ code: number; reason: string }>;
  send(m: unknown): void;
  /** Resolves with the first frame (already received or future) matching `pred`. */
  next(pred: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

async function probe(s: RunningServer, room?: string, opts: { autoPong?: boolean } = {}): Promise<Probe> {
  const ws = new WebSocket(`${s.signalUrl}${room === undefined ? '' : `?room=${room}`}`, opts);
  sockets.push(ws);
  const frames: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }> = [];
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Record<string, unknown>;
    frames.push(m);
    for (const w of [...waiters]) if (w.pred(m)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(m); }
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise<void>((resolve, reject) => { ws.once('open', () => resolve()); ws.once('error', reject); });
  return {
    ws, frames, closed,
    send: (m) => ws.send(typeof m === 'string' ? m : JSON.stringify(m)),
    next: (pred) => {
      const found = frames.find(pred);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

async function member(s: RunningServer, nodeId: string, room?: string): Promise<Probe> {
  const p = await probe(s, room);
  p.send({ type: 'hello', nodeId });
  await p.next((m) => m.type === 'presence' && (m.members as string[]).includes(nodeId));
  return p;
}

const presenceWith = (ids: string[]) => (m: Record<string, unknown>) =>
  m.type === 'presence' && JSON.stringify(m.members) === JSON.stringify([...ids].sort());

const offer = { kind: 'rtc', link: 'L1', signal: { type: 'offer', sdp: 'v=0' } };

describe('signaling server: rooms', () => {
  it('tells the whole room who is present, on join and on leave', async () => {
    const s = await server();
    const a = await member(s, 'a');
    const b = await member(s, 'b');
    await a.next(presenceWith(['a', 'b']));
    b.ws.close();
    await a.next((m) => m.type === 'presence' && JSON.stringify(m.members) === '["a"]' && a.frames.indexOf(m) > 0);
  });

  it('relays a signal only within the room, stamping the sender', async () => {
    const s = await server();
    const a = await member(s, 'a', 'r1');
    const b = await member(s, 'b', 'r1');
    const otherB = await member(s, 'b', 'r2');
    a.send({ type: 'signal', to: 'b', data: offer });
    expect(await b.next((m) => m.type === 'signal')).toEqual({ type: 'signal', from: 'a', data: offer });
    // A round trip through r2 proves the r1 signal had every chance to arrive there, and did not.
    const c = await member(s, 'c', 'r2');
    c.send({ type: 'signal', to: 'b', data: { kind: 'connect' } });
    await otherB.next((m) => m.type === 'signal');
    expect(otherB.frames.filter((m) => m.type === 'signal')).toEqual([{ type: 'signal', from: 'c', data: { kind: 'connect' } }]);
  });

  it('never lets a client speak for another node: a forged from is refused', async () => {
    const s = await server();
    const a = await member(s, 'a');
    await member(s, 'b');
    a.send({ type: 'signal', to: 'b', from: 'mallory', data: offer });
    const closed = await a.closed;
    expect(closed).toEqual({ code: closeCodes.badMessage, reason: 'signal: expected { type, to, data }' });
  });

  it('replaces the older socket when a node id says hello again in the same room', async () => {
    const s = await server();
    const a = await member(s, 'a');
    const older = await member(s, 'b');
    const newer = await member(s, 'b');
    expect((await older.closed).code).toBe(closeCodes.replaced);
    a.send({ type: 'signal', to: 'b', data: { kind: 'connect' } });
    await newer.next((m) => m.type === 'signal');
    expect(a.frames.filter((m) => m.type === 'presence').every((m) => JSON.stringify(m.members) === '["a","b"]' || JSON.stringify(m.members) === '["a"]')).toBe(true);
  });

  it('refuses a member past the room cap', async () => {
    const s = await server({ roomMembersMax: 2 });
    await member(s, 'a');
    await member(s, 'b');
    const c = await probe(s);
    c.send({ type: 'hello', nodeId: 'c' });
    expect(await c.closed).toEqual({ code: closeCodes.roomFull, reason: 'room is full (2 members)' });
  });
});

describe('signaling server: validation closes the socket with a reason', () => {
  const cases: Array<{ name: string; frame: unknown; code: number; reason: RegExp }> = [
    { name: 'malformed JSON', frame: '{"type":', code: closeCodes.badMessage, reason: /^malformed JSON/ },
    { name: 'not an object', frame: '[1,2]', code: closeCodes.badMessage, reason: /expected a JSON object/ },
    { name: 'unknown type', frame: { type: 'shout' }, code: closeCodes.badMessage, reason: /unknown message type/ },
    { name: 'signal before hello', frame: { type: 'signal', to: 'b', data: offer }, code: closeCodes.badMessage, reason: /hello first/ },
    { name: 'invalid node id', frame: { type: 'hello', nodeId: 'a b' }, code: closeCodes.badMessage, reason: /nodeId must match/ },
    { name: 'id too long', frame: { type: 'hello', nodeId: 'x'.repeat(65) }, code: closeCodes.badMessage, reason: /nodeId must match/ },
    { name: 'oversize frame', frame: { type: 'hello', nodeId: 'a', pad: 'x'.repeat(frameBytesMax) }, code: closeCodes.tooLarge, reason: /^frame of 8\d{3} bytes exceeds 8192$/ },
    { name: 'huge frame', frame: 'x'.repeat(4 * frameBytesMax + 1), code: closeCodes.wayTooLarge, reason: /^$/ },
  ];
  it.each(cases)('$name', async ({ frame, code, reason }) => {
    const s = await server();
    const p = await probe(s);
    p.send(frame);
    const closed = await p.closed;
    expect(closed.code).toBe(code);
    expect(closed.reason).toMatch(reason);
  });

  it('closes on a payload that is not an offer, answer, candidate or connect', async () => {
    const s = await server();
    const a = await member(s, 'a');
    a.send({ type: 'signal', to: 'a', data: { kind: 'rtc', link: 'L', signal: { type: 'renegotiate', renegotiate: true } } });
    expect(await a.closed).toEqual({ code: closeCodes.badMessage, reason: 'signal: data.signal.type: expected offer, answer or candidate' });
  });

  it('closes a socket that says hello twice, and one with an invalid room id', async () => {
    const s = await server();
    const a = await member(s, 'a');
    a.send({ type: 'hello', nodeId: 'a' });
    expect((await a.closed).reason).toBe('hello twice');
    const r = await probe(s, 'bad.room');
    expect((await r.closed).code).toBe(closeCodes.badMessage);
  });

  it('closes a socket past its rate limit (refill effectively off)', async () => {
    const s = await server({ rate: { burst: 5, perSecond: 1e-9 } });
    const a = await member(s, 'a'); // 1 frame
    for (let i = 0; i < 5; i++) a.send({ type: 'signal', to: 'nobody', data: { kind: 'connect' } });
    expect(await a.closed).toEqual({ code: closeCodes.rateLimited, reason: 'rate limit exceeded' });
  });

  it('closes a socket that never says hello', async () => {
    const s = await server({ helloTimeoutMs: 20 });
    const p = await probe(s);
    expect(await p.closed).toEqual({ code: closeCodes.helloTimeout, reason: 'no hello in time' });
  });

  it('drops a dead socket (no pong) and tells the room', async () => {
    const s = await server({ pingIntervalMs: 250 });
    const a = await member(s, 'a');
    const dead = await probe(s, undefined, { autoPong: false });
    dead.send({ type: 'hello', nodeId: 'dead' });
    await a.next(presenceWith(['a', 'dead']));
    expect((await dead.closed).code).toBe(1006); // terminated without a close frame
    await a.next((m) => presenceWith(['a'])(m) && a.frames.indexOf(m) > 1);
    expect(a.ws.readyState).toBe(WebSocket.OPEN); // a live socket answers pings and stays
  });
});

describe('signaling server: fault rules', () => {
  const partition: FaultRules = { groups: [['a'], ['b', 'c']], isolated: [], cuts: [{ from: 'a', to: 'c', oneWay: true }], lossRate: 0.25 };

  it('broadcasts rules to the room (sender included) and gives the current rules to a newcomer', async () => {
    const s = await server();
    const a = await member(s, 'a');
    expect(await a.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: noFaults });
    const b = await member(s, 'b');
    a.send({ type: 'faults', rules: partition });
    const expected = { type: 'faults', from: 'a', rules: partition };
    expect(await a.next((m) => m.type === 'faults' && m.from === 'a')).toEqual(expected);
    expect(await b.next((m) => m.type === 'faults' && m.from === 'a')).toEqual(expected);
    const c = await member(s, 'c');
    expect(await c.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: partition });
    const other = await member(s, 'c', 'elsewhere');
    expect(await other.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: noFaults });
  });

  it('refuses invalid rules', async () => {
    const s = await server();
    const a = await member(s, 'a');
    a.send({ type: 'faults', rules: { ...partition, lossRate: 2 } });
    expect(await a.closed).toEqual({ code: closeCodes.badMessage, reason: 'faults: rules.lossRate: expected a number in [0, 1]' });
  });
});

describe('signaling server: static files', () => {
  let dir = '';
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  function get(s: RunningServer, rawPath: string): Promise<{ status: number; type: string; body: string }> {
    return new Promise((resolve, reject) => {
      // Raw path on purpose: `fetch` and URL would normalise away the `..` we want to send.
      const req = request({ host: '127.0.0.1', port: s.port, path: rawPath, method: 'GET' }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it.each([
    { path: '/', status: 200, type: 'text/html; charset=utf-8', body: '<html>app</html>' },
    { path: '/?room=x&node=a', status: 200, type: 'text/html; charset=utf-8', body: '<html>app</html>' },
    { path: '/some/route', status: 200, type: 'text/html; charset=utf-8', body: '<html>app</html>' },
    { path: '/assets/app.js', status: 200, type: 'text/javascript; charset=utf-8', body: 'export {};' },
    { path: '/assets/missing.js', status: 404, type: 'text/plain; charset=utf-8', body: '404 not found\n' },
    { path: '/../secret.txt', status: 403, type: 'text/plain; charset=utf-8', body: '403 forbidden\n' },
    { path: '/assets/%2e%2e/%2e%2e/secret.txt', status: 403, type: 'text/plain; charset=utf-8', body: '403 forbidden\n' },
    { path: '/assets/..%5c..%5csecret.txt', status: 403, type: 'text/plain; charset=utf-8', body: '403 forbidden\n' },
    { path: '/%E0%A4%A', status: 400, type: 'text/plain; charset=utf-8', body: '400 bad request\n' },
  ])('GET $path -> $status', async ({ path: p, status, type, body }) => {
    dir = mkdtempSync(path.join(tmpdir(), 'tabdynamo-static-'));
    const root = path.join(dir, 'dist');
    mkdirSync(path.join(root, 'assets'), { recursive: true });
    writeFileSync(path.join(root, 'index.html'), '<html>app</html>');
    writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
    writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    const s = await server({ staticDir: root });
    expect(await get(s, p)).toEqual({ status, type, body });
  });
});
