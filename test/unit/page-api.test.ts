// window.kv against a scripted node: value conversion, errors as Errors, and fault rules that resolve only
// when the signaling server echoes them.
import { describe, expect, it } from 'vitest';
import * as pageApi from '../../src/runtime/page-api.js';
import * as faults from '../../src/protocol/faults.js';
import * as version from '../../src/core/version.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as peerView from '../../src/runtime/peer-view.js';
import { member, partsOf, runtimeViewOf } from './peer-view-parts.js';

function setup(answer: (request: ClientRequest) => ClientResult, options: { echo?: boolean; connected?: boolean; authority?: pageApi.Authority } = {}) {
  const requests: ClientRequest[] = [];
  let rules = faults.noFaults;
  const handlers: ((r: faults.FaultRules) => void)[] = [];
  const published: faults.FaultRules[] = [];
  const kv = pageApi.create({
    nodeId: 'n1',
    authority: () => options.authority ?? 'teacher',
    request: async (request) => { requests.push(request); return answer(request); },
    ready: async () => undefined,
    // A member as the core lists it: kv.members() passes on only id, host, status, capacity and zone.
    view: () => peerView.build(partsOf(runtimeViewOf('n1', {
      members: [member('n1', 'alive', { host: 'h' })],
      config: { n: 3, r: 2, w: 2, partitions: 256 },
    }))),
    faults: {
      current: () => rules,
      publish(next) {
        if (options.connected === false) return false;
        published.push(next);
        // The server echoes to every member, this one included, a moment later.
        if (options.echo !== false) setTimeout(() => { rules = next; for (const h of handlers) h(next); }, 1);
        return true;
      },
      onRules: (h) => void handlers.push(h),
    },
    onChange: () => () => undefined,
    faultEchoTimeoutMs: 50,
  });
  return { kv, requests, published };
}

const clock = [{ actor: 'a@1', counter: 2 }, { actor: 'b@1', counter: 1 }];
const dot = { actor: 'a@1', counter: 2 };

describe('window.kv', () => {
  it('put sends a string value as UTF-8 with its context and w, and returns the new context', async () => {
    const { kv, requests } = setup(() => ({ ok: true, op: 'put', context: 'c1.x', warnings: [] }));
    expect(await kv.put('k', 'héllo', { context: 'c1.W10', w: 3 })).toEqual({ context: 'c1.x' });
    expect(requests).toEqual([{ op: 'put', key: 'k', value: version.stringValue('héllo'), context: 'c1.W10', w: 3 }]);
  });

  it('get returns values (strings and bytes) and versions with actor clocks; tombstones are not values', async () => {
    const { kv } = setup(() => ({
      ok: true, op: 'get', context: 'ctx', warnings: [],
      versions: [
        { value: version.stringValue('one'), clock, dot, replicas: ['n1'] },
        { value: version.bytesValue(new Uint8Array([1, 2])), clock: [dot], dot, replicas: ['n2'] },
        { value: version.tombstone(), clock, dot, replicas: ['n3'] },
      ],
    }));
    const got = await kv.get('k');
    expect(got).toEqual({
      values: ['one', new Uint8Array([1, 2])],
      context: 'ctx',
      versions: [{ value: 'one', clock: { 'a@1': 2, 'b@1': 1 } }, { value: new Uint8Array([1, 2]), clock: { 'a@1': 2 } }],
    });
  });

  it('a missing key reads as values: []', async () => {
    const { kv } = setup(() => ({ ok: true, op: 'get', context: 'c', warnings: [], versions: [] }));
    expect((await kv.get('nope')).values).toEqual([]);
  });

  it('rejects with the node\'s error message', async () => {
    const { kv } = setup(() => ({ ok: false, error: 'write quorum not reached: 1 of 2 acknowledged', indeterminate: true }));
    await expect(kv.put('k', 'v')).rejects.toThrow('write quorum not reached: 1 of 2 acknowledged');
    await expect(kv.delete('k')).rejects.toThrow('write quorum not reached');
  });

  it.each([
    [() => ['x'.repeat(513), 'v'], 'key too large: 513 bytes exceeds keyBytesMax (512 bytes)'],
    [() => ['k', 'é'.repeat(32 * 1024 + 1)], 'value too large: 65538 bytes exceeds valueBytesMax (65536 bytes)'],
    [() => ['k', 42], 'value must be a string or a Uint8Array, got number'],
  ])('refuses bad input before it reaches the node (%#)', async (args, message) => {
    const { kv, requests } = setup(() => { throw new Error('must not be called'); });
    const [key, value] = args();
    await expect(kv.put(key as string, value as string)).rejects.toThrow(message);
    expect(requests).toEqual([]);
  });

  it('members and config come from the node, with exactly the documented fields', () => {
    const { kv } = setup(() => ({ ok: true, op: 'leave' }));
    expect(kv.members()).toEqual([{ id: 'n1', host: 'h', status: 'alive', capacity: 1, zone: 'tab' }]);
    expect(kv.config()).toEqual({ n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: 120 });
  });

  it('configure, leave and setCapacity go to the node', async () => {
    const { kv, requests } = setup((r) => ({ ok: true, op: r.op as 'configure' }));
    await kv.configure({ n: 5, w: 3 });
    await kv.leave();
    await kv.setCapacity(2);
    expect(requests).toEqual([{ op: 'configure', n: 5, w: 3 }, { op: 'leave' }, { op: 'set-capacity', capacity: 2 }]);
  });

  it('partition, isolate, cut, setLoss and heal resolve once the server echoes the rules', async () => {
    const { kv, published } = setup(() => ({ ok: true, op: 'leave' }));
    await kv.partition([['a', 'b'], ['c']]);
    await kv.isolate('d');
    await kv.cut('a', 'c', true);
    await kv.setLoss(0.25);
    expect(kv.faults()).toEqual({ groups: [['a', 'b'], ['c']], isolated: ['d'], cuts: [{ from: 'a', to: 'c', oneWay: true }], lossRate: 0.25 });
    await kv.heal();
    expect(kv.faults()).toEqual(faults.noFaults);
    expect(published).toHaveLength(5);
  });

  it('fault changes fail clearly when the server is away or never echoes', async () => {
    await expect(setup(() => ({ ok: true, op: 'leave' }), { connected: false }).kv.heal()).rejects.toThrow('the signaling server is not connected');
    await expect(setup(() => ({ ok: true, op: 'leave' }), { echo: false }).kv.heal()).rejects.toThrow('did not confirm the fault rules within 0.05 s');
    await expect(setup(() => ({ ok: true, op: 'leave' })).kv.partition([['bad id']])).rejects.toThrow('invalid fault rules: rules.groups[0]');
  });

  it('a class-link tab (student) may not change the room: faults, configure and remove reject, nothing is sent', async () => {
    const { kv, requests, published } = setup(() => ({ ok: true, op: 'configure' }), { authority: 'student' });
    for (const call of [() => kv.partition([['a'], ['b']]), () => kv.isolate('a'), () => kv.cut('a', 'b'), () => kv.setLoss(1), () => kv.heal(), () => kv.configure({ n: 1 }), () => kv.remove('n2')]) {
      await expect(call()).rejects.toThrow(pageApi.teacherOnlyMessage);
    }
    expect(published).toEqual([]);
    expect(requests).toEqual([]);
    expect(kv.role()).toBe('student');
    const unknown = setup(() => ({ ok: true, op: 'leave' }), { authority: 'unknown' });
    await expect(unknown.kv.heal()).rejects.toThrow('not yet connected to the signaling server');
  });

  it('a student may still join and leave: they act on the caller only', async () => {
    const { kv, requests } = setup((r) => ({ ok: true, op: r.op === 'join' ? 'join' : 'leave' }), { authority: 'student' });
    await kv.join();
    await kv.leave();
    expect(requests).toEqual([{ op: 'join' }, { op: 'leave' }]);
  });

  it('a rule set past one signaling frame is refused at validation, naming the limit', async () => {
    const { kv, published } = setup(() => ({ ok: true, op: 'leave' }));
    // 100 groups of one 55-character id each fit (about 5.8 KB); 100 two-way cuts between such ids do not.
    const id = (i: number) => `node-with-a-long-name-${i}-${'x'.repeat(30)}`;
    await kv.partition(Array.from({ length: 100 }, (_, i) => [id(i)]));
    await kv.heal();
    let failure = '';
    let sent = 0;
    for (; sent < 100 && failure === ''; sent++) await kv.cut(id(sent), id(sent + 1)).catch((e: Error) => { failure = e.message; });
    expect(failure).toMatch(new RegExp(`^invalid fault rules: rules: \\d+ bytes of rules exceed the ${faults.rulesBytesMax}-byte limit`));
    expect(sent).toBeGreaterThan(10); // some cuts fit; the one past the limit is refused before it is sent
    expect(published).toHaveLength(2 + sent - 1);
  });
});
