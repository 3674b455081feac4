/**
 * The signaling server under people who do not play by the rules: web pages elsewhere (Origin), too many
 * sockets (per IP, in all, rooms), slow consumers, huge rooms (presence within the frame cap), and a
 * bounded abuse run whose server memory is measured in its own process. Static files carry the security
 * headers and no source maps.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { RunningServer } from '../../signaling/server.js';
import { closeCodes, frameBytesMax } from '../../src/protocol/signaling.js';
import { member, probe, secretOf, server, until, type Probe } from './signaling-probe.js';

/** Opens a raw socket and reports how the upgrade ended: 'open', or the HTTP status it was refused with. */
function upgrade(url: string, headers: Record<string, string> = {}): Promise<{ outcome: 'open' | number; ws: WebSocket }> {
  const ws = new WebSocket(url, { headers });
  return new Promise((resolve) => {
    ws.once('open', () => resolve({ outcome: 'open', ws }));
    ws.once('unexpected-response', (_req, res) => { resolve({ outcome: res.statusCode ?? 0, ws }); res.resume(); ws.terminate(); });
    ws.once('error', () => undefined); // the refusal is reported above
  });
}

const opened: WebSocket[] = [];
afterEach(() => { for (const ws of opened.splice(0)) ws.terminate(); });

async function outcome(s: RunningServer, headers: Record<string, string> = {}): Promise<'open' | number> {
  const r = await upgrade(s.signalUrl, headers);
  opened.push(r.ws);
  return r.outcome;
}

describe('signaling server: who may connect', () => {
  it('refuses a foreign Origin and "null"; accepts its own origin, an allowed one, and no Origin (Node peers)', async () => {
    const s = await server({ allowedOrigins: ['http://localhost:5173'] });
    expect(await outcome(s, { origin: 'http://evil.example' })).toBe(403);
    expect(await outcome(s, { origin: 'null' })).toBe(403);
    expect(await outcome(s, { origin: `http://127.0.0.1:${s.port + 1}` })).toBe(403); // another port is another origin
    expect(await outcome(s, { origin: s.url })).toBe('open');
    expect(await outcome(s, { origin: 'http://localhost:5173' })).toBe('open');
    expect(await outcome(s)).toBe('open');
  });

  it('caps connections per IP, and frees a slot when a socket closes', async () => {
    const s = await server({ connectionsPerIpMax: 3 });
    for (let i = 0; i < 3; i++) expect(await outcome(s)).toBe('open');
    expect(await outcome(s)).toBe(503);
    const first = opened[0] as WebSocket;
    const closed = new Promise((resolve) => first.once('close', resolve));
    first.close();
    await closed;
    let again: 'open' | number = 503;
    // The server learns of the close a moment after the client: retry until the slot is released (bounded).
    for (let i = 0; i < 100 && again !== 'open'; i++) {
      again = await outcome(s);
      if (again !== 'open') await new Promise((r) => setTimeout(r, 10));
    }
    expect(again).toBe('open');
  });

  it('caps connections in all, and rooms', async () => {
    const s = await server({ connectionsMax: 2 });
    expect(await outcome(s)).toBe('open');
    expect(await outcome(s)).toBe('open');
    expect(await outcome(s)).toBe(503);
    const t = await server({ roomsMax: 2 });
    await member(t, 'a', { room: 'r1' });
    await member(t, 'a', { room: 'r2' });
    await member(t, 'b', { room: 'r2' }); // an existing room is not a new one
    const third = await probe(t, { room: 'r3' });
    third.send({ type: 'hello', nodeId: 'a', secret: secretOf('a') });
    expect(await third.closed).toEqual({ code: closeCodes.tooManyRooms, reason: 'server holds its maximum of 2 rooms' });
  });
});

describe('signaling server: bounded output', () => {
  it('closes a member that stops reading once its outgoing buffer passes the cap; the room sees it leave', async () => {
    const s = await server({ sendBufferBytesMax: 64 * 1024, rate: { burst: 100_000, perSecond: 100_000 } });
    const stuck = await member(s, 'stuck');
    const sender = await member(s, 'sender');
    (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const big = { kind: 'rtc', link: 'L1', signal: { type: 'offer', sdp: 'x'.repeat(frameBytesMax - 200) } };
    // The kernel's socket buffers take a few MB first; 40 MB is far past them and the cap.
    for (let i = 0; i < 5000 && !sender.frames.some((m) => m.type === 'leave'); i++) {
      sender.send({ type: 'signal', to: 'stuck', data: big });
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 1));
    }
    await sender.next((m) => m.type === 'leave' && m.id === 'stuck');
    expect(sender.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('keeps every presence frame within the frame cap in a room of 512 members with the longest ids', async () => {
    const s = await server({ roomMembersMax: 600, connectionsPerIpMax: 600, rate: { burst: 10, perSecond: 10 } });
    const id = (i: number) => `${String(i).padStart(4, '0')}${'x'.repeat(60)}`;
    const members: Probe[] = [];
    for (let i = 0; i < 512; i++) members.push(await member(s, id(i), { room: 'big' }));
    const last = members[511] as Probe;
    expect(last.members()).toHaveLength(512);
    expect(last.frames.filter((m) => m.type === 'presence').length).toBeGreaterThan(1); // chunked
    const first = members[0] as Probe;
    await until('the first member has seen every join', () => first.members().length === 512);
    for (const p of members) expect(p.largestFrameBytes()).toBeLessThanOrEqual(frameBytesMax);
    // Deltas: the first member got one small frame per join, not a whole list per join.
    const firstBytes = first.frames.reduce((sum, m) => sum + JSON.stringify(m).length, 0);
    expect(firstBytes).toBeLessThan(512 * 200);
  }, 60_000);
});

describe('signaling server: abuse, measured', () => {
  let child: ChildProcess | undefined;
  afterEach(() => { child?.kill(); child = undefined; });

  function startChild(options: object): Promise<{ signalUrl: string; baselineBytes: number; mem: () => Promise<number> }> {
    const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'signaling-child.ts');
    child = fork(script, [JSON.stringify(options)], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: 'inherit' });
    const c = child;
    const next = () => new Promise<{ signalUrl?: string; retainedBytes: number }>((resolve) => c.once('message', (m) => resolve(m as { retainedBytes: number })));
    return next().then((hello) => ({
      signalUrl: hello.signalUrl as string,
      baselineBytes: hello.retainedBytes,
      mem: async () => { const reply = next(); c.send('mem'); return (await reply).retainedBytes; },
    }));
  }

  it('20 members that stop reading, flooded by 300 sockets that join their room: server memory grows < 50 MiB', async () => {
    // No pings during the run: only back-pressure may cut the stuck members off (a ping timeout would too).
    const srv = await startChild({
      connectionsPerIpMax: 1000, roomMembersMax: 400, pingIntervalMs: 600_000,
      ...(process.env.ABUSE_NO_CAP ? { sendBufferBytesMax: 1e12 } : {}), // to check that this test can fail
    });
    const room = 'abuse';
    const observer = await member(srv, 'observer', { room });
    const stuck: Probe[] = [];
    for (let i = 0; i < 20; i++) {
      const p = await member(srv, `stuck${i}`, { room });
      (p.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      stuck.push(p);
    }
    const big = { kind: 'rtc', link: 'L1', signal: { type: 'offer', sdp: 'x'.repeat(frameBytesMax - 200) } };
    let peakBytes = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakBytes = Math.max(peakBytes, (await srv.mem()) - srv.baselineBytes);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    // 300 flooders, 30 at a time: each joins, sends 100 frames of ~8 KB to the stuck members (about 12 MB
    // for each of them, well past what the kernel's socket buffers hold), then a marker to the observer.
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 30 }, async (_, j) => {
        const flooder = await member(srv, `flood${batch * 30 + j}`, { room });
        opened.push(flooder.ws);
        for (let i = 0; i < 100; i++) flooder.send({ type: 'signal', to: `stuck${i % 20}`, data: big });
        flooder.send({ type: 'signal', to: 'observer', data: { kind: 'connect' } }); // "my flood is processed"
      }));
    }
    await until('every flood processed', () => observer.frames.filter((m) => m.type === 'signal').length === 300, 120_000);
    sampling = false;
    await sampler;
    peakBytes = Math.max(peakBytes, (await srv.mem()) - srv.baselineBytes);
    expect(peakBytes).toBeLessThan(50 * 1024 * 1024);
    const stuckLeft = () => observer.frames.filter((m) => m.type === 'leave' && String(m.id).startsWith('stuck')).length;
    await until('every slow consumer cut off', () => stuckLeft() === 20, 10_000);
  }, 180_000);
});

describe('signaling server: static files carry security headers', () => {
  let dir = '';
  afterEach(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('sends CSP, frame-ancestors, X-Frame-Options, Referrer-Policy, nosniff; serves no source map', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tabdynamo-headers-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<html>app</html>');
    writeFileSync(path.join(dir, 'assets', 'app.js.map'), '{}');
    const s = await server({ staticDir: dir });
    const page = await fetch(`${s.url}/?room=r`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'self'", "script-src 'self'", "connect-src 'self' ws: wss:", "frame-ancestors 'none'", "object-src 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await fetch(`${s.url}/assets/app.js.map`)).status).toBe(404);
  });
});
