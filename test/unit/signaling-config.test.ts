// Issue 11: the cluster config and removals are room-wide commands the server stamps, like fault rules.
// A student's (or a modified tab's) is refused with the teacher-only reason and changes nothing; a
// teacher's is stamped with its id, sent to every member, and the config is kept for newcomers.
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { closeCodes } from '../../src/protocol/signaling.js';
import { member, server } from './signaling-probe.js';

const teacherOnly = 'teacher only: open the teacher link printed by npm start';
const settings = { n: 2, r: 1, w: 1, partitions: 16, removeAfterSeconds: 60 };
const stamp = { version: 3, by: 'a', config: settings };

describe('signaling server: stamped config and removals', () => {
  it('refuses a student\'s config and removal with the teacher-only reason: nothing is sent or kept', async () => {
    const s = await server({ teacherToken: 'the-token' });
    const student = await member(s, 'mallory');
    const other = await member(s, 'b');
    expect(await student.next((m) => m.type === 'config')).toEqual({ type: 'config', from: '', stamp: null });
    student.send({ type: 'config', stamp: { ...stamp, by: 'mallory' } });
    expect(await student.next((m) => m.type === 'refused')).toEqual({ type: 'refused', command: 'config', reason: teacherOnly });
    student.send({ type: 'remove', id: 'b' });
    expect(await student.next((m) => m.type === 'refused' && m.command === 'remove')).toEqual({ type: 'refused', command: 'remove', reason: teacherOnly });
    const late = await member(s, 'late');
    expect(await late.next((m) => m.type === 'config')).toEqual({ type: 'config', from: '', stamp: null });
    expect(other.frames.filter((m) => m.type === 'config' || m.type === 'removal')).toEqual([{ type: 'config', from: '', stamp: null }]);
    expect(student.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('stamps a teacher\'s config, sends it to all (sender included), keeps it for newcomers; refuses one that does not order after it', async () => {
    const s = await server({ teacherToken: 'the-token' });
    const a = await member(s, 'a', { teacher: 'the-token' });
    const b = await member(s, 'b');
    a.send({ type: 'config', stamp });
    const expected = { type: 'config', from: 'a', stamp };
    expect(await a.next((m) => m.type === 'config' && m.from === 'a')).toEqual(expected);
    expect(await b.next((m) => m.type === 'config' && m.from === 'a')).toEqual(expected);
    const c = await member(s, 'c');
    expect(await c.next((m) => m.type === 'config')).toEqual({ type: 'config', from: '', stamp });
    // A concurrent change that does not order after the room's (same version, smaller proposer id) is refused.
    a.send({ type: 'config', stamp: { ...stamp, by: '0', config: { ...settings, n: 1 } } });
    expect(await a.next((m) => m.type === 'refused')).toEqual({
      type: 'refused', command: 'config',
      reason: 'configuration changed concurrently by a: now {"n":2,"r":1,"w":1,"partitions":16,"removeAfterSeconds":60} (version 3 by a); retry',
    });
    a.send({ type: 'remove', id: 'b' });
    expect(await c.next((m) => m.type === 'removal')).toEqual({ type: 'removal', from: 'a', id: 'b' });
    const d = await member(s, 'd');
    expect(await d.next((m) => m.type === 'config')).toEqual({ type: 'config', from: '', stamp });
    expect(d.frames.some((m) => m.type === 'removal')).toBe(false); // a removal is an event, not room state
  });

  it.each([
    [{ type: 'config', stamp: { ...stamp, version: 0 } }, 'config: version must be an integer in 1..'],
    [{ type: 'config', stamp: { ...stamp, by: 'no spaces' } }, 'config: by must be a node id'],
    [{ type: 'config', stamp: { ...stamp, config: { ...settings, r: 3 } } }, 'config: config: bad config n=2 r=3 w=1: need 1 <= r, w <= n'],
    [{ type: 'config', stamp: { ...stamp, config: { ...settings, partitions: 3 } } }, 'config: config: partitions must be a power of two'],
    [{ type: 'config', stamp: { ...stamp, config: { ...settings, extra: 1 } } }, 'config: config must have exactly n, r, w, partitions, removeAfterSeconds'],
    [{ type: 'config', stamp: { ...stamp, config: { ...settings, n: 1.5 } } }, 'config: config settings must be integers'],
    [{ type: 'config', stamp, more: 1 }, 'config: expected { type, stamp }'],
    [{ type: 'remove', id: '' }, 'remove: expected { type, id } with a node id'],
  ])('closes a teacher\'s socket on a malformed frame, saying why: %j', async (frame, reason) => {
    const s = await server({ teacherToken: 'the-token' });
    const a = await member(s, 'a', { teacher: 'the-token' });
    a.send(frame);
    const closed = await a.closed;
    expect(closed.code).toBe(closeCodes.badMessage);
    expect(closed.reason.startsWith(reason)).toBe(true);
  });
});
