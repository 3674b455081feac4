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
import type { RunningServer } from '../../signaling/server.js';
import { noFaults, type FaultRules } from '../../src/protocol/faults.js';
import { closeCodes, frameBytesMax } from '../../src/protocol/signaling.js';
import { member, probe, secretOf, sees, server, type Probe } from './signaling-probe.js';

const presenceWith = (ids: string[]) => (p: Probe) => sees(p, ids);

const offer = { kind: 'rtc', link: 'L1', signal: { type: 'offer', sdp: 'v=0' } };

describe('signaling server: rooms', () => {
  it('tells the whole room who is present: the list after welcome, then joins and leaves', async () => {
    const s = await server();
    const a = await member(s, 'a');
    const b = await member(s, 'b');
    expect(b.frames.slice(0, 2)).toEqual([{ type: 'welcome', nodeId: 'b', role: 'student' }, { type: 'presence', members: ['a', 'b'], last: true }]);
    await a.next((m) => m.type === 'join' && m.id === 'b');
    b.ws.close();
    await a.next((m) => m.type === 'leave' && m.id === 'b');
    expect(a.members()).toEqual(['a']);
  });

  it('relays a signal only within the room, stamping the sender', async () => {
    const s = await server();
    const a = await member(s, 'a', { room: 'r1' });
    const b = await member(s, 'b', { room: 'r1' });
    const otherB = await member(s, 'b', { room: 'r2' });
    a.send({ type: 'signal', to: 'b', data: offer });
    expect(await b.next((m) => m.type === 'signal')).toEqual({ type: 'signal', from: 'a', data: offer });
    // A round trip through r2 proves the r1 signal had every chance to arrive there, and did not.
    const c = await member(s, 'c', { room: 'r2' });
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

  it('the same tab (same secret) saying hello again replaces its older socket, silently for the room', async () => {
    const s = await server();
    const a = await member(s, 'a');
    const older = await member(s, 'b');
    const newer = await member(s, 'b');
    expect(await older.closed).toEqual({ code: closeCodes.replaced, reason: 'replaced by a newer connection of the same tab' });
    a.send({ type: 'signal', to: 'b', data: { kind: 'connect' } });
    await newer.next((m) => m.type === 'signal');
    expect(a.frames.filter((m) => m.type === 'leave')).toEqual([]);
    expect(a.members()).toEqual(['a', 'b']);
  });

  it('refuses another tab (another secret) a node id held by a live socket; frees it once that socket closes', async () => {
    const s = await server();
    const a = await member(s, 'a');
    const owner = await member(s, 'n1', { secret: secretOf('owner') });
    const thief = await probe(s);
    thief.send({ type: 'hello', nodeId: 'n1', secret: secretOf('thief') });
    expect(await thief.closed).toEqual({ code: closeCodes.idInUse, reason: 'node id n1 is in use by another tab' });
    a.send({ type: 'signal', to: 'n1', data: { kind: 'connect' } });
    expect(await owner.next((m) => m.type === 'signal')).toEqual({ type: 'signal', from: 'a', data: { kind: 'connect' } });
    expect(owner.ws.readyState).toBe(WebSocket.OPEN);
    owner.ws.close();
    await a.next((m) => m.type === 'leave' && m.id === 'n1');
    const reopened = await member(s, 'n1', { secret: secretOf('new-tab') }); // a tab reopened with ?node=n1
    expect(reopened.frames[0]).toEqual({ type: 'welcome', nodeId: 'n1', role: 'student' });
  });

  it('names a node that gives no id: the first free nN of its room', async () => {
    const s = await server();
    const n1 = await member(s, undefined, { secret: secretOf('t1') });
    await member(s, 'n3');
    const n2 = await member(s, undefined, { secret: secretOf('t2') });
    const n4 = await member(s, undefined, { secret: secretOf('t4') });
    expect([n1, n2, n4].map((p) => p.frames[0]?.nodeId)).toEqual(['n1', 'n2', 'n4']);
    n2.ws.close();
    await n1.next((m) => m.type === 'leave' && m.id === 'n2');
    const again = await member(s, undefined, { secret: secretOf('t5') });
    expect(again.frames[0]?.nodeId).toBe('n2');
    const elsewhere = await member(s, undefined, { room: 'other' });
    expect(elsewhere.frames[0]?.nodeId).toBe('n1');
  });

  it('refuses a member past the room cap', async () => {
    const s = await server({ roomMembersMax: 2 });
    await member(s, 'a');
    await member(s, 'b');
    const c = await probe(s);
    c.send({ type: 'hello', nodeId: 'c', secret: secretOf('c') });
    expect(await c.closed).toEqual({ code: closeCodes.roomFull, reason: 'room is full (2 members)' });
  });
});

describe('signaling server: validation closes the socket with a reason', () => {
  const cases: Array<{ name: string; frame: unknown; code: number; reason: RegExp }> = [
    { name: 'malformed JSON', frame: '{"type":', code: closeCodes.badMessage, reason: /^malformed JSON/ },
    { name: 'not an object', frame: '[1,2]', code: closeCodes.badMessage, reason: /expected a JSON object/ },
    { name: 'unknown type', frame: { type: 'shout' }, code: closeCodes.badMessage, reason: /unknown message type/ },
    { name: 'signal before hello', frame: { type: 'signal', to: 'b', data: offer }, code: closeCodes.badMessage, reason: /hello first/ },
    { name: 'invalid node id', frame: { type: 'hello', nodeId: 'a b', secret: secretOf('a') }, code: closeCodes.badMessage, reason: /nodeId must match/ },
    { name: 'id too long', frame: { type: 'hello', nodeId: 'x'.repeat(65), secret: secretOf('a') }, code: closeCodes.badMessage, reason: /nodeId must match/ },
    { name: 'hello without a secret', frame: { type: 'hello', nodeId: 'a' }, code: closeCodes.badMessage, reason: /secret must match/ },
    { name: 'hello with a short secret', frame: { type: 'hello', nodeId: 'a', secret: 'short' }, code: closeCodes.badMessage, reason: /secret must match/ },
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
    a.send({ type: 'hello', nodeId: 'a', secret: secretOf('a') });
    expect((await a.closed).reason).toBe('hello twice');
    const r = await probe(s, { room: 'bad.room' });
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
    const dead = await probe(s, { autoPong: false });
    dead.send({ type: 'hello', nodeId: 'dead', secret: secretOf('dead') });
    await presenceWith(['a', 'dead'])(a);
    expect((await dead.closed).code).toBe(1006); // terminated without a close frame
    await a.next((m) => m.type === 'leave' && m.id === 'dead');
    expect(a.ws.readyState).toBe(WebSocket.OPEN); // a live socket answers pings and stays
  });
});

describe('signaling server: fault rules', () => {
  const partition: FaultRules = { groups: [['a'], ['b', 'c']], isolated: [], cuts: [{ from: 'a', to: 'c', oneWay: true }], lossRate: 0.25 };

  it('broadcasts a teacher\'s rules to the room (sender included), stamped, and gives the current rules to a newcomer', async () => {
    const s = await server({ teacherToken: 'the-token' });
    const a = await member(s, 'a', { teacher: 'the-token' });
    expect(a.frames[0]).toEqual({ type: 'welcome', nodeId: 'a', role: 'teacher' });
    expect(await a.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: noFaults });
    const b = await member(s, 'b');
    a.send({ type: 'faults', rules: partition });
    const expected = { type: 'faults', from: 'a', rules: partition };
    expect(await a.next((m) => m.type === 'faults' && m.from === 'a')).toEqual(expected);
    expect(await b.next((m) => m.type === 'faults' && m.from === 'a')).toEqual(expected);
    const c = await member(s, 'c');
    expect(await c.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: partition });
    const other = await member(s, 'c', { room: 'elsewhere' });
    expect(await other.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: noFaults });
  });

  it('refuses a student\'s rules (no token, a wrong token, or a server without one): nothing changes', async () => {
    for (const [serverToken, helloToken] of [['the-token', undefined], ['the-token', 'wrong-token'], [undefined, 'any-token']] as const) {
      const s = await server(serverToken === undefined ? {} : { teacherToken: serverToken });
      const student = await member(s, 'mallory', helloToken === undefined ? {} : { teacher: helloToken });
      const other = await member(s, 'b');
      expect(student.frames[0]).toEqual({ type: 'welcome', nodeId: 'mallory', role: 'student' });
      student.send({ type: 'faults', rules: { ...noFaults, lossRate: 1 } });
      expect(await student.next((m) => m.type === 'refused')).toEqual({
        type: 'refused', command: 'faults', reason: 'teacher only: open the teacher link printed by npm start',
      });
      const late = await member(s, 'late');
      expect(await late.next((m) => m.type === 'faults')).toEqual({ type: 'faults', from: '', rules: noFaults });
      expect(other.frames.filter((m) => m.type === 'faults')).toEqual([{ type: 'faults', from: '', rules: noFaults }]);
      expect(student.ws.readyState).toBe(WebSocket.OPEN);
    }
  });

  it('refuses invalid rules', async () => {
    const s = await server({ teacherToken: 'the-token' });
    const a = await member(s, 'a', { teacher: 'the-token' });
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
