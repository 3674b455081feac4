/**
 * The signaling server's projector side (signaling/observers.ts): observers get the members' events of their
 * own room only, members never see events, the time setting is teacher-only and reaches every member and
 * observer (and each newcomer), and a malformed events frame closes the sender's socket.
 */
import { describe, expect, it } from 'vitest';
import { closeCodes } from '../../src/protocol/signaling.js';
import type { NodeStatus } from '../../src/protocol/projector.js';
import { normalTime } from '../../src/protocol/time-control.js';
import { member, probe, secretOf, server, type Probe } from './signaling-probe.js';

const status: NodeStatus = { zone: 'tab', state: 'alive', ready: true, tick: 3, partitions: 4, primary: [1, 2], ringSize: 16, hints: 0, keys: 1, repairs: 0, time: normalTime };
const events = { type: 'events', status, events: [{ kind: 'store', to: 'b', bytes: 120, key: 'apple' }], dropped: 0 };

async function observer(s: Parameters<typeof probe>[0], room: string, teacher?: string): Promise<Probe> {
  const p = await probe(s, { room });
  p.send({ type: 'hello', secret: secretOf(`observer-${room}`), observe: true, ...(teacher !== undefined ? { teacher } : {}) });
  await p.next((m) => m.type === 'time');
  return p;
}

describe('signaling server: observers and time control', () => {
  it('relays a member\'s events, stamped, to the observers of its room only', async () => {
    const s = await server();
    const watcher = await observer(s, 'r1');
    const otherRoom = await observer(s, 'r2');
    const a = await member(s, 'a', { room: 'r1' });
    const b = await member(s, 'b', { room: 'r1' });
    await watcher.next((m) => m.type === 'join' && m.id === 'b');
    a.send(events);
    expect(await watcher.next((m) => m.type === 'events')).toEqual({ ...events, from: 'a' });
    // b's own frame reaching the watcher after a's proves a's had its chance to reach b and r2: it did not.
    b.send(events);
    await watcher.next((m) => m.type === 'events' && m.from === 'b');
    expect(b.frames.some((m) => m.type === 'events')).toBe(false);
    expect(otherRoom.frames.some((m) => m.type === 'events')).toBe(false);
    expect(watcher.members()).toEqual(['a', 'b']);
  });

  it('time control is the teacher\'s: a student is refused, a teacher\'s setting reaches members, observers and newcomers', async () => {
    const s = await server({ teacherToken: 'tok' });
    const watcher = await observer(s, 'r');
    const student = await member(s, 'st', { room: 'r' });
    const teacher = await member(s, 't', { room: 'r', teacher: 'tok' });
    const paused = { paused: true, speed: 0.1, steps: 2 };
    student.send({ type: 'time', setting: paused });
    expect(await student.next((m) => m.type === 'refused')).toMatchObject({ command: 'time', reason: expect.stringContaining('teacher only') });
    teacher.send({ type: 'time', setting: paused });
    for (const p of [watcher, student, teacher]) expect(await p.next((m) => m.type === 'time' && m.from === 't')).toEqual({ type: 'time', from: 't', setting: paused });
    const late = await member(s, 'late', { room: 'r' });
    expect(await late.next((m) => m.type === 'time')).toEqual({ type: 'time', from: '', setting: paused });
  });

  it('a teacher\'s fault rules reach the observers as they change, not only at hello', async () => {
    const s = await server({ teacherToken: 'tok' });
    const watcher = await observer(s, 'r');
    const teacher = await member(s, 't', { room: 'r', teacher: 'tok' });
    const rules = { groups: [['t']], isolated: [], cuts: [], lossRate: 0 };
    teacher.send({ type: 'faults', rules });
    expect(await watcher.next((m) => m.type === 'faults' && m.from === 't')).toEqual({ type: 'faults', from: 't', rules });
  });

  it('refuses a bad speed, and an events frame from an observer', async () => {
    const s = await server({ teacherToken: 'tok' });
    const teacher = await member(s, 't', { room: 'r', teacher: 'tok' });
    teacher.send({ type: 'time', setting: { paused: false, speed: 0.01, steps: 0 } });
    expect((await teacher.closed).code).toBe(closeCodes.badMessage);
    const watcher = await observer(s, 'r2');
    watcher.send(events);
    expect(await watcher.closed).toEqual({ code: closeCodes.badMessage, reason: 'an observer sends no events' });
  });
});
