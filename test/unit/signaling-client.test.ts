/**
 * The signaling client against the real server on 127.0.0.1 (Node's `ws` as the WebSocket): joining,
 * relaying, refusing invalid payloads locally, fault rules, reconnection after a server restart, and staying
 * closed when a newer socket takes over its node id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startServer, type RunningServer } from '../../signaling/server.js';
import * as faults from '../../src/protocol/faults.js';
import { createSignalingClient, signalUrlFor, type SignalingClient, type SignalingState } from '../../src/runtime/signaling-client.js';
import type { SignalPayload } from '../../src/protocol/signaling.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const teacherToken = 'client-test-teacher';

async function server(port = 0): Promise<RunningServer> {
  const s = await startServer({ port, host: '127.0.0.1', teacherToken });
  cleanups.push(() => s.close());
  return s;
}

interface ClientExtras { readonly secret?: string; readonly teacherToken?: string }

function client(s: RunningServer, nodeId: string | undefined, extras: ClientExtras = {}): { c: SignalingClient; states: string[]; signals: Array<[string, SignalPayload]> } {
  const c = createSignalingClient({
    url: s.signalUrl, room: 'r', ...(nodeId !== undefined ? { nodeId } : {}), ...extras, WebSocketImpl: WebSocket as unknown as typeof globalThis.WebSocket,
    backoff: { initialMs: 10, maxMs: 100 },
  });
  const states: string[] = [];
  const signals: Array<[string, SignalPayload]> = [];
  c.onState((state: SignalingState) => states.push(state));
  c.onSignal((from, data) => signals.push([from, data]));
  cleanups.push(() => c.close());
  return { c, states, signals };
}

async function until(what: string, cond: () => boolean, limitMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('signaling client', () => {
  it('maps a page address to its signaling endpoint', () => {
    expect(signalUrlFor('http://192.168.1.5:8080/?room=x&node=a')).toBe('ws://192.168.1.5:8080/signal');
    expect(signalUrlFor('https://example.test/app/')).toBe('wss://example.test/signal');
  });

  it('refuses invalid ids at creation (programmer error)', () => {
    expect(() => createSignalingClient({ url: 'ws://127.0.0.1:1/signal', room: 'r', nodeId: 'no spaces' })).toThrow(/invalid node id/);
  });

  it('joins, sees presence, relays a signal, and refuses invalid payloads locally', async () => {
    const s = await server();
    const a = client(s, 'a');
    const b = client(s, 'b');
    await until('both present', () => a.c.presence().length === 2 && b.c.presence().length === 2);
    expect(a.c.state).toBe('open');
    expect(a.c.signal('b', { kind: 'rtc', link: 'L', signal: { type: 'renegotiate' } })).toBe(false);
    expect(a.c.signal('b', { kind: 'connect' })).toBe(true);
    await until('signal', () => b.signals.length === 1);
    expect(b.signals).toEqual([['a', { kind: 'connect' }]]);
    expect(a.c.state).toBe('open'); // the refused payload never reached the server
  });

  it('publishes fault rules to everyone, itself included; refuses invalid ones', async () => {
    const s = await server();
    const a = client(s, 'a', { teacherToken });
    const b = client(s, 'b');
    await until('roles', () => a.c.role() === 'teacher' && b.c.role() === 'student');
    await until('both present', () => a.c.presence().length === 2);
    expect(a.c.publishFaults({ ...faults.noFaults, lossRate: 7 })).toBe(false);
    const rules = { ...faults.noFaults, isolated: ['b'] };
    expect(a.c.publishFaults(rules)).toBe(true);
    await until('rules', () => a.c.faults().isolated.length === 1 && b.c.faults().isolated.length === 1);
    expect(b.c.faults()).toEqual(rules);
  });

  it('reconnects with backoff after the server restarts, says hello again, keeps the last presence meanwhile', async () => {
    const first = await server();
    const a = client(first, 'a');
    const b = client(first, 'b');
    await until('both present', () => a.c.presence().length === 2);
    await first.close();
    await until('connecting', () => a.c.state === 'connecting');
    expect(a.c.presence()).toEqual(['a', 'b']);
    expect(a.c.signal('b', { kind: 'connect' })).toBe(false);
    await server(first.port);
    await until('open again', () => a.c.state === 'open' && b.c.state === 'open' && a.c.presence().length === 2);
    expect(a.states.slice(0, 3)).toEqual(['open', 'connecting', 'open']);
  });

  it('a student\'s fault rules are refused by the server, with the reason, and change nothing', async () => {
    const s = await server();
    const student = client(s, 'a');
    const refusals: string[] = [];
    student.c.onRefused((reason) => refusals.push(reason));
    await until('open', () => student.c.state === 'open');
    expect(student.c.publishFaults({ ...faults.noFaults, lossRate: 1 })).toBe(true); // sent: the server decides
    await until('refused', () => refusals.length === 1);
    expect(refusals).toEqual(['teacher only: open the teacher link printed by npm start']);
    expect(student.c.faults()).toEqual(faults.noFaults);
  });

  it('is named by the server when it gives no id, and keeps that name across a reconnection', async () => {
    const first = await server();
    const a = client(first, 'n1');
    const b = client(first, undefined);
    await until('named', () => b.c.state === 'open');
    expect(b.c.nodeId()).toBe('n2');
    await first.close();
    await until('connecting', () => b.c.state === 'connecting');
    await server(first.port);
    await until('open again', () => a.c.state === 'open' && b.c.state === 'open' && b.c.presence().length === 2);
    expect(b.c.presence()).toEqual(['n1', 'n2']);
  });

  it('stays closed when another tab (another secret) holds its node id', async () => {
    const s = await server();
    const holder = client(s, 'a');
    await until('open', () => holder.c.state === 'open');
    const thief = client(s, 'a');
    await until('refused', () => thief.c.state === 'closed');
    expect(holder.c.state).toBe('open');
  });

  it('stays closed when a newer socket of the same tab (same secret) takes its node id', async () => {
    const s = await server();
    const secret = 'same-tab-secret-0123456789';
    const older = client(s, 'a', { secret });
    await until('open', () => older.c.state === 'open');
    const newer = client(s, 'a', { secret });
    await until('replaced', () => older.c.state === 'closed');
    expect(newer.c.state === 'open' || newer.c.state === 'connecting').toBe(true);
    await until('newer open', () => newer.c.state === 'open');
    expect(older.c.state).toBe('closed');
  });
});
