// Store batching (messages.ts store-batch, runtime/store-coalescer.ts): several stores to one peer travel
// in ONE message, the replica handles them in ONE step and ONE transaction, and each is acknowledged, in
// one store-ack-batch, only once that transaction committed. A failed commit acknowledges nothing.
import { describe, expect, it } from 'vitest';
import * as codec from '../../src/core/codec.js';
import { limits } from '../../src/core/limits.js';
import { messageSchema, storesPerMessageMax, type Message, type MessageOf } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import type { Effect, MemberView, StoreRecord } from '../../src/core/node-io.js';
import * as version from '../../src/core/version.js';
import type { Loaded, Store, StoreStats } from '../../src/browser/idb-store.js';
import type { Clock } from '../../src/runtime/clock.js';
import * as memoryTransport from '../../src/runtime/memory-transport.js';
import * as runtime from '../../src/runtime/runtime.js';
import { StoreCoalescer } from '../../src/runtime/store-coalescer.js';
import { wireCodec } from '../sim/runtime-host.js';

const member = (id: string): MemberView => ({ id, host: `h-${id}`, capacity: 1, epoch: 1, life: 0, incarnation: 0, heartbeat: 1, status: 'alive', lastHeardTick: 0 });
const config = { n: 3, r: 2, w: 2, partitions: 8 };
const versionOf = (text: string, counter: number) => version.make({ dot: { actor: 'a@1', counter }, past: [], value: version.stringValue(text), timestamp: 0 });
const storeOf = (key: string, text: string, opId: number): Omit<MessageOf<'store'>, 'type'> => ({ opId, key, versions: [versionOf(text, opId)], hintFor: null });
const threeStores: Message = { type: 'store-batch', stores: [storeOf('k1', 'one', 1), storeOf('k2', 'two', 2), storeOf('k3', 'three', 3)] };

function replica() {
  return node.create({ id: 'b', host: 'h-b', capacity: 1, seeds: ['a'], rngSeed: 1, now: 0, stored: { versions: [], hints: [], epoch: 3, members: [member('a')] }, config });
}

const sends = (effects: readonly Effect[]) => effects.flatMap((e) => (e.type === 'send' ? [e] : []));
const records = (effects: readonly Effect[]) => effects.flatMap((e) => (e.type === 'persist' ? e.records : []));

describe('store-batch in the core', () => {
  it('one step stores every entry and acknowledges each, in that same step', () => {
    const { state } = replica();
    const out = node.step(state, { type: 'message', from: 'a', message: threeStores });
    expect(records(out).map((r) => (r.kind === 'put-version' ? r.key : r.kind))).toEqual(['k1', 'k2', 'k3']);
    expect(sends(out).map((s) => s.message)).toEqual([1, 2, 3].map((opId) => ({
      type: 'store-ack', opId, key: `k${opId}`, digests: [versionOf(['one', 'two', 'three'][opId - 1] ?? '', opId).digest], ok: true, error: '',
    })));
  });

  it('an entry that fails its integrity check is refused alone; the others are stored', () => {
    const { state } = replica();
    const bad = { ...storeOf('k2', 'two', 2), versions: [{ ...versionOf('two', 2), valueHash: '00' }] };
    const message: Message = { type: 'store-batch', stores: [storeOf('k1', 'one', 1), bad] };
    const out = node.step(state, { type: 'message', from: 'a', message });
    expect(records(out).map((r) => (r.kind === 'put-version' ? r.key : r.kind))).toEqual(['k1']);
    expect(sends(out).map((s) => s.message.type === 'store-ack' && [s.message.key, s.message.ok])).toEqual([['k1', true], ['k2', false]]);
  });

  it('a store-ack-batch counts each ack as a lone store-ack would (W from the digests)', async () => {
    const coordinator = node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: ['b', 'c'], rngSeed: 1, now: 0, stored: { versions: [], hints: [], epoch: 3, members: [member('b'), member('c')] }, config });
    const state = coordinator.state;
    const out = node.step(state, { type: 'request', requestId: 1, request: { op: 'put', key: 'k', value: version.stringValue('v'), w: 3 } });
    const stored = sends(out).flatMap((s) => (s.message.type === 'store' ? [{ to: s.to, message: s.message }] : []));
    expect(stored.map((s) => s.to).sort()).toEqual(['b', 'c']);
    const ackOf = (m: MessageOf<'store'>) => ({ opId: m.opId, key: m.key, digests: m.versions.map((v) => v.digest), ok: true, error: '' });
    // b answers in a batch of one real ack and one for no write; c alone: the put reaches W = 3.
    const [toB, toC] = [stored.find((s) => s.to === 'b'), stored.find((s) => s.to === 'c')];
    if (!toB || !toC) throw new Error('no stores');
    expect(node.step(state, { type: 'message', from: 'b', message: { type: 'store-ack-batch', acks: [ackOf(toB.message), { ...ackOf(toB.message), opId: 999 }] } }).some((e) => e.type === 'reply')).toBe(false);
    const replies = node.step(state, { type: 'message', from: 'c', message: { type: 'store-ack', ...ackOf(toC.message) } }).filter((e) => e.type === 'reply');
    expect(replies).toEqual([expect.objectContaining({ result: expect.objectContaining({ ok: true }) })]);
  });

  it('older single store and store-ack messages still decode as they did', () => {
    const single: Message = { type: 'store', ...storeOf('k', 'v', 7) };
    const decoded = codec.decode(messageSchema, codec.encode(messageSchema, single));
    expect(decoded).toEqual({ ok: true, value: single });
  });
});

describe('store coalescer', () => {
  const encode = (m: Message) => codec.tryEncode(messageSchema, m);
  it('sends a lone store as it was, several as one batch, and splits at storesPerMessageMax', () => {
    const sent: { to: string; type: string; entries: number }[] = [];
    const c = new StoreCoalescer();
    const add = (to: string, key: string, opId: number) => {
      const message: MessageOf<'store'> = { type: 'store', ...storeOf(key, 'x', opId) };
      c.add(to, message, codec.encode(messageSchema, message));
    };
    add('x', 'alone', 1);
    for (let i = 1; i <= storesPerMessageMax + 2; i++) add('y', `k${i}`, i);
    c.flush(encode, (to, m) => sent.push({ to, type: m.type, entries: m.type === 'store-batch' ? m.stores.length : 1 }));
    expect(sent).toEqual([{ to: 'x', type: 'store', entries: 1 }, { to: 'y', type: 'store-batch', entries: storesPerMessageMax }, { to: 'y', type: 'store-batch', entries: 2 }]);
  });

  it('keeps every batch under messageBytesMax', () => {
    const big = (opId: number): MessageOf<'store'> => ({ type: 'store', opId, key: `k${opId}`, versions: [version.make({ dot: { actor: 'a@1', counter: opId }, past: [], value: version.bytesValue(new Uint8Array(limits.valueBytesMax)), timestamp: 0 })], hintFor: null });
    const c = new StoreCoalescer();
    for (let i = 1; i <= 40; i++) c.add('y', big(i), codec.encode(messageSchema, big(i)));
    const sizes: number[] = [];
    c.flush(encode, (_to, m, bytes) => { sizes.push(bytes.length); expect(m.type).toBe('store-batch'); });
    expect(sizes.length).toBe(3);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(limits.messageBytesMax);
  });
});

/** A store whose writes wait until the test commits or aborts them. */
function manualStore() {
  const writes: { records: StoreRecord[]; commit: () => void; abort: (error: Error) => void }[] = [];
  const store: Store = {
    apply: (recs) => new Promise((resolve, reject) => { writes.push({ records: [...recs], commit: () => resolve(), abort: reject }); }),
    load: async (): Promise<Loaded> => ({ versions: [], corrupt: 0 }),
    loadHints: async () => ({ versions: [], corrupt: 0 }),
    loadAll: async () => ({ state: { versions: [], hints: [], epoch: 3, members: [member('a')] }, corrupt: 0 }),
    stats: () => ({ transactions: writes.length }) as unknown as StoreStats,
    close: () => undefined,
  };
  return { store, writes };
}

const stillClock: Clock = { nowMs: () => 0, every: () => () => undefined, after: () => () => undefined };
const flush = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0)); };

/** Replica b in the real runtime loop with the real node and codec; `a` is a bare transport that records what b sends it. */
async function replicaRuntime() {
  const network = memoryTransport.createNetwork();
  const a = network.join('a');
  const received: Message[] = [];
  a.onMessage((_from, bytes) => { const d = wireCodec.decode(bytes); if (d.ok) received.push(d.value); });
  const manual = manualStore();
  const rt = await runtime.start({
    nodeId: 'b', store: manual.store, transport: network.join('b'), codec: wireCodec, clock: stillClock,
    createNode: (init) => {
      const created = node.create({ id: 'b', host: 'h-b', capacity: 1, seeds: init.seeds, rngSeed: 1, now: init.now, stored: init.stored, config });
      return { node: { step: (input) => node.step(created.state, input), snapshot: () => node.snapshot(created.state) }, effects: created.effects };
    },
  });
  await flush();
  manual.writes[0]?.commit(); // the node's start (its new epoch)
  await flush();
  const stepsBefore = rt.view().counters.steps;
  a.send('b', codec.encode(messageSchema, threeStores));
  await flush();
  const acks = () => received.filter((m) => m.type === 'store-ack' || m.type === 'store-ack-batch');
  return { rt, manual, acks, steps: () => rt.view().counters.steps - stepsBefore };
}

describe('store-batch through the runtime loop', () => {
  it('one message, one step, one transaction; one store-ack-batch naming each store, only after the commit', async () => {
    const { rt, manual, acks, steps } = await replicaRuntime();
    expect([steps(), manual.writes.length, manual.writes[1]?.records.filter((r) => r.kind === 'put-version').length, acks().length]).toEqual([1, 2, 3, 0]);
    manual.writes[1]?.commit();
    await flush();
    const ackBatch = acks();
    expect(ackBatch.length).toBe(1);
    expect(ackBatch[0]?.type === 'store-ack-batch' && ackBatch[0].acks.map((x) => [x.opId, x.ok])).toEqual([[1, true], [2, true], [3, true]]);
    expect(rt.view().counters.storesBatched).toBe(3);
  });

  it('a failed commit acknowledges nothing', async () => {
    const { manual, acks, steps } = await replicaRuntime();
    expect(steps()).toBe(1);
    manual.writes[1]?.abort(new Error('disk gone'));
    await flush();
    expect(acks()).toEqual([]);
  });
});
