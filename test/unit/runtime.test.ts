// The runtime loop against a scripted fake node, the in-memory transport and in-memory stores: the order
// of effects (persist before send/reply), group commit (batches, their order and bounds), storage
// failures, tick derivation, malformed input and bounds.
import { describe, expect, it } from 'vitest';
import * as runtime from '../../src/runtime/runtime.js';
import type { Clock } from '../../src/runtime/clock.js';
import * as snapshot from '../../src/runtime/snapshot.js';
import * as memoryTransport from '../../src/runtime/memory-transport.js';
import * as version from '../../src/core/version.js';
import type { ClientResult, Effect, Input, StoreRecord, StoredState } from '../../src/core/node-io.js';
import type { Message } from '../../src/core/messages.js';
import type { Loaded, Store, StoreStats } from '../../src/browser/idb-store.js';

/** JSON on the wire: enough for a fake node whose messages are not real protocol messages. */
const jsonCodec: runtime.WireCodec = {
  encode: (message) => ({ ok: true, bytes: new TextEncoder().encode(JSON.stringify(message)) }),
  decode(bytes) {
    try {
      return { ok: true, value: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Message };
    } catch (error) {
      return { ok: false, reason: String(error) };
    }
  },
};
const msg = (x: object) => x as unknown as Message;

/** A hand-cranked clock: `advance` moves time and fires the repeating timer ONCE, like a throttled tab. */
function manualClock() {
  let now = 0;
  const repeating: (() => void)[] = [];
  const timers: { at: number; fn: () => void; done: boolean }[] = [];
  const clock: Clock = {
    nowMs: () => now,
    every(_ms, fn) { repeating.push(fn); return () => repeating.splice(repeating.indexOf(fn), 1); },
    after(ms, fn) { const t = { at: now + ms, fn, done: false }; timers.push(t); return () => { t.done = true; }; },
  };
  return {
    clock,
    advance(ms: number) {
      now += ms;
      for (const t of timers) if (!t.done && t.at <= now) { t.done = true; t.fn(); }
      for (const fn of [...repeating]) fn();
    },
  };
}

/** A store in memory whose writes can be held back or made to fail. */
function memoryStore(stored: StoredState = { versions: [], hints: [] }) {
  const applied: StoreRecord[][] = [];
  let gate: Promise<void> = Promise.resolve();
  let failWith: Error | undefined;
  const store: Store = {
    async apply(records) {
      await gate;
      if (failWith) throw failWith;
      applied.push([...records]);
    },
    load: async (key): Promise<Loaded> => ({ versions: stored.versions.filter((x) => x.key === key).flatMap((x) => ('value' in x.version ? [x.version] : [])), corrupt: 1 }),
    loadHints: async () => ({ versions: [], corrupt: 0 }),
    loadAll: async () => ({ state: stored, corrupt: 2 }),
    stats: () => ({ transactions: applied.length }) as unknown as StoreStats,
    close: () => undefined,
  };
  return {
    store, applied,
    hold() { let release!: () => void; gate = new Promise((r) => { release = r; }); return release; },
    fail(error: Error | undefined) { failWith = error; },
  };
}

/**
 * A store whose every apply() waits until the test settles it by hand: `writes[i].commit()` or
 * `.abort(error)`, in any order the test likes (the runtime must never have two in flight).
 */
function manualStore() {
  const writes: { records: StoreRecord[]; commit: () => void; abort: (error: Error) => void }[] = [];
  let inFlight = 0;
  let inFlightMax = 0;
  const store: Store = {
    apply(records) {
      inFlightMax = Math.max(inFlightMax, ++inFlight);
      return new Promise((resolve, reject) => {
        writes.push({
          records: [...records],
          commit: () => { inFlight--; resolve(); },
          abort: (error) => { inFlight--; reject(error); },
        });
      });
    },
    load: async (): Promise<Loaded> => ({ versions: [], corrupt: 0 }),
    loadHints: async () => ({ versions: [], corrupt: 0 }),
    loadAll: async () => ({ state: { versions: [], hints: [] }, corrupt: 0 }),
    stats: () => ({ transactions: writes.length }) as unknown as StoreStats,
    close: () => undefined,
  };
  return { store, writes, inFlightMax: () => inFlightMax };
}

/** A fake node: records every input and answers with whatever `script` returns for it and its step number (1, 2, ...). */
function fakeNode(script: (input: Input, step: number) => Effect[] = () => [], initial: Effect[] = []) {
  const inputs: Input[] = [];
  const inits: runtime.NodeInit[] = [];
  const factory: runtime.NodeFactory<{ inputs: number }> = (init) => {
    inits.push(init);
    return { node: { step: (input) => { inputs.push(input); return script(input, inputs.length); }, snapshot: () => ({ inputs: inputs.length }) }, effects: initial };
  };
  return { factory, inputs, inits };
}

const flush = async () => { for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 0)); };
const putRecord: StoreRecord = { kind: 'epoch', epoch: 1 };

interface SetupOptions {
  readonly initial?: Effect[];
  readonly stored?: StoredState;
  /** A store to use instead of memoryStore's. */
  readonly store?: Store;
  readonly batchStepsMax?: number;
  readonly batchBytesMax?: number;
  readonly pipelineStores?: boolean;
}

async function setup(script?: (input: Input, step: number) => Effect[], options: SetupOptions = {}) {
  const network = memoryTransport.createNetwork();
  const peer = network.join('peer');
  const received: unknown[] = [];
  peer.onMessage((_from, bytes) => received.push(JSON.parse(new TextDecoder().decode(bytes))));
  const transport = network.join('self');
  const store = memoryStore(options.stored);
  const node = fakeNode(script, options.initial);
  const { clock, advance } = manualClock();
  const bounds = { batchStepsMax: options.batchStepsMax, batchBytesMax: options.batchBytesMax, pipelineStores: options.pipelineStores };
  const rt = await runtime.start({ nodeId: 'self', store: options.store ?? store.store, transport, createNode: node.factory, codec: jsonCodec, clock, replyTimeoutMs: 5000, ...bounds });
  await flush();
  return { network, peer, received, store, node, rt, advance };
}

const putRequest = { op: 'put', key: 'k', value: version.stringValue('v') } as const;
const ackStep = (input: Input, step: number): Effect[] => input.type === 'request'
  ? [{ type: 'persist', records: [putRecord], step }, { type: 'send', to: 'peer', message: msg({ type: 'hello' }) },
    { type: 'reply', requestId: input.requestId, result: { ok: true, op: 'put', context: 'c', warnings: [] } }]
  : [];

describe('runtime', () => {
  it('creates the node from the stored state with the present peers as seeds, and counts corrupt versions', async () => {
    const stored: StoredState = { epoch: 3, versions: [], hints: [] };
    const { node, rt } = await setup(undefined, { stored });
    expect(node.inits).toEqual([{ stored, seeds: ['peer'], now: 0 }]);
    expect(rt.view().counters.corruptVersions).toBe(2);
  });

  it('sends nothing and resolves nothing of a step until its records are durable', async () => {
    const { rt, store, received } = await setup(ackStep);
    const release = store.hold();
    let answered = false;
    const reply = rt.request(putRequest).then((r) => { answered = true; return r; });
    await flush();
    expect([answered, received.length, store.applied.length]).toEqual([false, 0, 0]);
    release();
    expect(await reply).toEqual({ ok: true, op: 'put', context: 'c', warnings: [] });
    await flush();
    expect(received).toEqual([{ type: 'hello' }]);
    expect(store.applied).toEqual([[putRecord]]);
    expect(rt.view().counters.messagesSent).toBe(1);
  });

  it('on a failed persist: sends nothing, fails the reply with the storage error, feeds storage-failed first', async () => {
    const { rt, store, received, node } = await setup(ackStep);
    store.fail(new Error('storage full: QuotaExceededError while writing 1 records: quota'));
    const result = await rt.request(putRequest);
    expect(result).toEqual({ ok: false, error: 'storage full: QuotaExceededError while writing 1 records: quota', indeterminate: true });
    await flush();
    expect(received).toEqual([]);
    expect(node.inputs.map((i) => i.type)).toEqual(['request', 'storage-failed']);
    expect(node.inputs[1]).toEqual({ type: 'storage-failed', error: result.ok ? '' : result.error, steps: [1] });
    expect(rt.view()).toMatchObject({ counters: { storageErrors: 1 }, lastStorageError: expect.stringContaining('QuotaExceededError') });
  });

  it('after a failed persist, recreates the node from what storage holds; requests it had taken fail as indeterminate, later ones reach the new node', async () => {
    // The first request's step persists and never answers; the batch fails: the node must be rebuilt.
    const silentThenAck = (input: Input, step: number): Effect[] => input.type === 'request' && step === 1
      ? [{ type: 'persist', records: [putRecord], step }]
      : ackStep(input, step);
    const stored: StoredState = { epoch: 7, versions: [], hints: [] };
    const { rt, store, node } = await setup(silentThenAck, { stored });
    store.fail(new Error('disk gone'));
    const first = rt.request(putRequest);
    await flush();
    store.fail(undefined);
    expect(await first).toEqual({ ok: false, indeterminate: true, error: expect.stringContaining('reloaded from storage') });
    expect(node.inits).toHaveLength(2);
    expect(node.inits[1]).toEqual({ stored, seeds: ['peer'], now: 0 });
    expect(rt.view().counters.rebuilds).toBe(1);
    expect(await rt.request(putRequest)).toEqual({ ok: true, op: 'put', context: 'c', warnings: [] });
  });

  it('derives the tick from elapsed time: one late timer fire feeds one tick with the absolute now', async () => {
    const { rt, node, advance } = await setup();
    advance(50);
    await flush();
    expect(node.inputs).toEqual([]); // tick 0 is where the node started
    advance(1000); // a hidden tab's timer, 1 s late
    await flush();
    advance(30);
    await flush();
    advance(170);
    await flush();
    expect(node.inputs.filter((i) => i.type !== 'presence')).toEqual([{ type: 'tick', now: 10 }, { type: 'tick', now: 12 }]);
    expect(rt.view().tick).toBe(12);
  });

  it('hands the node the room presence before a tick, once per change (core/admission.ts)', async () => {
    const { node, advance } = await setup();
    advance(100);
    await flush();
    advance(100);
    await flush();
    expect(node.inputs.filter((i) => i.type === 'presence')).toEqual([{ type: 'presence', peers: ['peer'] }]);
    expect(node.inputs.findIndex((i) => i.type === 'presence')).toBeLessThan(node.inputs.findIndex((i) => i.type === 'tick'));
  });

  it('drops and counts malformed bytes; they never reach the node', async () => {
    const { rt, node, peer } = await setup();
    peer.send('self', new Uint8Array([0xff, 0xfe]));
    peer.send('self', new TextEncoder().encode(JSON.stringify({ type: 'gossip' })));
    await flush();
    expect(node.inputs).toEqual([{ type: 'message', from: 'peer', message: { type: 'gossip' } }]);
    expect(rt.view().counters).toMatchObject({ malformedMessages: 1, messagesDropped: 1, messagesReceived: 1 });
    expect(rt.view().trace.at(-1)?.text).toMatch(/dropped a malformed message from peer/);
  });

  it('delivers a message to itself through the codec and the queue, not the transport', async () => {
    const { rt, node, received } = await setup((input) => (input.type === 'request' ? [{ type: 'send', to: 'self', message: msg({ type: 'me' }) }] : []));
    void rt.request(putRequest);
    await flush();
    expect(received).toEqual([]);
    expect(node.inputs.at(-1)).toEqual({ type: 'message', from: 'self', message: { type: 'me' } });
  });

  it('feeds reachability changes as peer-reachable inputs', async () => {
    const { network, node } = await setup();
    network.setLink('self', 'peer', false);
    network.setLink('self', 'peer', true);
    await flush();
    expect(node.inputs.filter((i) => i.type === 'peer-reachable').slice(-2)).toEqual([
      { type: 'peer-reachable', peer: 'peer', reachable: false },
      { type: 'peer-reachable', peer: 'peer', reachable: true },
    ]);
  });

  it('performs loads after the step and feeds back loaded with the versions and the corrupt count', async () => {
    const v = version.make({ dot: { actor: 'w@1', counter: 1 }, past: [], value: version.stringValue('x'), timestamp: 0 });
    const stored: StoredState = { versions: [{ key: 'k', version: v }], hints: [] };
    const { rt, node } = await setup((input) => (input.type === 'request' ? [{ type: 'load', loadId: 7, key: 'k' }] : []), { stored });
    void rt.request({ op: 'get', key: 'k' });
    await flush();
    expect(node.inputs.at(-1)).toEqual({ type: 'loaded', loadId: 7, key: 'k', versions: [v], corrupt: 1 });
  });

  it.each([
    [{ op: 'put', key: 'k'.repeat(513), value: version.stringValue('v') }, 'key too large: 513 bytes exceeds keyBytesMax (512 bytes)'],
    [{ op: 'put', key: 'k', value: version.bytesValue(new Uint8Array(64 * 1024 + 1)) }, 'value too large: 65537 bytes exceeds valueBytesMax (65536 bytes)'],
    [{ op: 'get', key: '' }, 'key must not be empty'],
    [{ op: 'get', key: 'k', r: 0 }, 'r must be an integer from 1 to 512, got 0'],
    [{ op: 'delete', key: 'k', context: 'nonsense' }, 'invalid context: unknown context format'],
    [{ op: 'set-capacity', capacity: 0 }, 'capacity must be a number in (0, 100], got 0'],
    [{ op: 'configure', n: 1.5 }, 'n must be an integer from 1 to 512, got 1.5'],
  ] as const)('refuses %j before it reaches the node', async (request, error) => {
    const { rt, node } = await setup();
    expect(await rt.request(request)).toEqual({ ok: false, error, indeterminate: false });
    expect(node.inputs).toEqual([]);
  });

  it('fails a request the node never answers after the reply timeout', async () => {
    const { rt, advance } = await setup();
    const reply = rt.request(putRequest);
    await flush();
    advance(5000);
    expect(await reply).toEqual({ ok: false, error: 'no reply from the node within 5 s', indeterminate: true });
    expect(rt.view().counters.requestTimeouts).toBe(1);
  });

  it('stops and fails every request when the core throws (a programmer error made visible)', async () => {
    const { rt } = await setup((input) => { if (input.type === 'request') throw new Error('bug'); return []; });
    expect(await rt.request(putRequest)).toMatchObject({ ok: false, error: 'the node crashed: bug' });
    expect(await rt.request(putRequest)).toMatchObject({ ok: false, error: 'the node crashed: bug' });
    expect(rt.view().crashed).toBe('the node crashed: bug');
  });

  it('carries out the node\'s initial effects before any step', async () => {
    const { store, received } = await setup(undefined, { initial: [{ type: 'persist', records: [putRecord], step: 0 }, { type: 'send', to: 'peer', message: msg({ type: 'join' }) }] });
    expect(store.applied).toEqual([[putRecord]]);
    expect(received).toEqual([{ type: 'join' }]);
  });

  it('close() fails pending requests and refuses new ones', async () => {
    const { rt } = await setup();
    const reply = rt.request(putRequest);
    rt.close();
    expect(await reply).toMatchObject({ ok: false, error: 'the node has stopped' });
    expect(await rt.request(putRequest)).toMatchObject({ ok: false, error: 'the node has stopped' });
  });

  it('keeps only the most recent trace events', async () => {
    const { rt, peer } = await setup();
    for (let i = 0; i < runtime.defaults.traceMax + 5; i++) peer.send('self', new Uint8Array([0xff, i % 256]));
    await flush();
    expect(rt.view().trace).toHaveLength(runtime.defaults.traceMax);
    expect(rt.view().counters.malformedMessages).toBe(runtime.defaults.traceMax + 5);
  });
});

/**
 * A node for group commit: a request for key "w..." persists a record naming its step, sends `{ step }`
 * to the peer and replies; any other request does the same without persisting.
 */
const batchStep = (input: Input, step: number): Effect[] => {
  if (input.type !== 'request' || !('key' in input.request)) return [];
  const persists = input.request.key.startsWith('w');
  return [
    ...(persists ? [{ type: 'persist', records: [{ kind: 'epoch', epoch: step }], step } as const] : []),
    { type: 'send', to: 'peer', message: msg({ type: 'step', step }) },
    { type: 'reply', requestId: input.requestId, result: persists ? { ok: true, op: 'put', context: `${step}`, warnings: [] } : { ok: true, op: 'get', versions: [], context: `${step}`, warnings: [] } },
  ];
};

describe('runtime: group commit', () => {
  /** Sends requests and keeps what each one answered in `answers` (undefined while unanswered), in order. */
  function ask(rt: runtime.Runtime<unknown>, keys: readonly string[], answers: (ClientResult | undefined)[] = []) {
    for (const key of keys) {
      const i = answers.push(undefined) - 1;
      const request = key.startsWith('w') ? { ...putRequest, key } : { op: 'get', key } as const;
      void rt.request(request).then((r) => { answers[i] = r; });
    }
    return answers;
  }
  const stepsSent = (received: unknown[]) => received.map((m) => (m as { step: number }).step);
  const epochs = (records: readonly StoreRecord[]) => records.map((r) => (r.kind === 'epoch' ? r.epoch : -1));

  it('keeps stepping while a commit is in flight, releases each batch only once it commits, and sends in step order', async () => {
    const manual = manualStore();
    const { rt, node, received } = await setup(batchStep, { store: manual.store });
    const answers = ask(rt, ['w1']);
    await flush();
    expect([manual.writes.length, node.inputs.length]).toEqual([1, 1]);
    ask(rt, ['w2', 'w3', 'r4'], answers);
    await flush();
    // Steps 2..4 were taken while step 1's transaction was in flight; nothing of any step has left.
    expect([manual.writes.length, node.inputs.length, received, answers.filter(Boolean).length]).toEqual([1, 4, [], 0]);
    manual.writes[0]?.commit();
    await flush();
    expect(stepsSent(received)).toEqual([1]);
    expect(answers.map((a) => a?.ok)).toEqual([true, undefined, undefined, undefined]);
    // Steps 2 and 3 go to storage in ONE transaction; step 4 (no records) waits for it.
    expect(manual.writes.map((w) => epochs(w.records))).toEqual([[1], [2, 3]]);
    manual.writes[1]?.commit();
    await flush();
    expect(stepsSent(received)).toEqual([1, 2, 3, 4]);
    expect(answers.map((a) => (a?.ok && 'context' in a ? a.context : a))).toEqual(['1', '2', '3', '4']);
    expect(manual.inFlightMax()).toBe(1);
    expect(rt.view().counters).toMatchObject({ steps: 4, batches: 3 }); // the initial effects are a batch too
  });

  it('a step without records and nothing in flight before it is released at once, without a transaction', async () => {
    const manual = manualStore();
    const { rt, received } = await setup(batchStep, { store: manual.store });
    const answers = ask(rt, ['r1', 'r2']);
    await flush();
    expect([manual.writes.length, stepsSent(received), answers.map((a) => a?.ok)]).toEqual([0, [1, 2], [true, true]]);
  });

  it('a failed batch sends nothing of its steps nor of the steps taken after it, fails their replies and feeds storage-failed with exactly those steps', async () => {
    const manual = manualStore();
    const { rt, node, received } = await setup(batchStep, { store: manual.store });
    const answers = ask(rt, ['w1']);
    await flush();
    ask(rt, ['w2', 'r3', 'w4'], answers);
    await flush();
    manual.writes[0]?.commit();
    await flush();
    ask(rt, ['w5'], answers);
    await flush();
    expect(manual.writes.map((w) => epochs(w.records))).toEqual([[1], [2, 4]]);
    manual.writes[1]?.abort(new Error('storage full: QuotaExceededError'));
    await flush();
    const failed = { ok: false, error: 'storage full: QuotaExceededError' };
    // Step 5 was taken before the failure was known, on a state holding the failed records (a duplicate
    // forward there answers "ok" from the remembered answer of a write that never reached the disk: sim
    // seed 31): it fails with the batch, unsent and unwritten, and the failure names it too.
    expect(answers).toEqual([
      expect.objectContaining({ ok: true }), { ...failed, indeterminate: true }, { ...failed, indeterminate: false },
      { ...failed, indeterminate: true }, { ...failed, indeterminate: true },
    ]);
    expect(stepsSent(received)).toEqual([1]);
    expect(node.inputs.slice(5)).toEqual([{ type: 'storage-failed', error: 'storage full: QuotaExceededError', steps: [2, 4, 5] }]);
    expect(manual.writes.map((w) => epochs(w.records))).toEqual([[1], [2, 4]]);
    expect(rt.view().counters.storageErrors).toBe(1);
  });

  /** A coordinator's put: persist, a `store` to the peer and another message, and the reply (W = 1). */
  const storeStep = (input: Input, step: number): Effect[] => input.type !== 'request' ? [] : [
    { type: 'persist', records: [{ kind: 'epoch', epoch: step }], step },
    { type: 'send', to: 'peer', message: msg({ type: 'store', step }) },
    { type: 'send', to: 'peer', message: msg({ type: 'store-ack', step }) },
    { type: 'reply', requestId: input.requestId, result: { ok: true, op: 'put', context: `${step}`, warnings: [] } },
  ];
  const typesSent = (received: unknown[]) => received.map((m) => {
    const { type, step, stores } = m as { type: string; step?: number; stores?: { step: number }[] };
    return `${type} ${stores ? stores.map((x) => x.step).join(',') : step}`;
  });

  it('pipelined writes: a step\'s store leaves before its batch commits; its other messages and its reply wait for the commit', async () => {
    const manual = manualStore();
    const { rt, received } = await setup(storeStep, { store: manual.store, pipelineStores: true });
    const answers = ask(rt, ['w1', 'w2']);
    await flush();
    // Step 1 commits alone, step 2 waits in the open batch: both stores are on the wire already, in one
    // message since both puts were asked in one task (scheduleFlush).
    expect([manual.writes.length, typesSent(received), answers.filter(Boolean).length]).toEqual([1, ['store-batch 1,2'], 0]);
    manual.writes[0]?.commit();
    await flush();
    expect([typesSent(received), answers.map((a) => a?.ok)]).toEqual([['store-batch 1,2', 'store-ack 1'], [true, undefined]]);
    manual.writes[1]?.commit();
    await flush();
    expect([typesSent(received), answers.map((a) => a?.ok)]).toEqual([['store-batch 1,2', 'store-ack 1', 'store-ack 2'], [true, true]]);
    expect(rt.view().counters).toMatchObject({ storesPipelined: 2, storesBatched: 2, messagesSent: 3 });
  });

  it('pipelined writes: when the batch fails, its stores have left but nothing else has, and the write\'s answer is indeterminate', async () => {
    const manual = manualStore();
    const { rt, node, received } = await setup(storeStep, { store: manual.store, pipelineStores: true });
    const answers = ask(rt, ['w1']);
    await flush();
    manual.writes[0]?.abort(new Error('disk gone'));
    await flush();
    expect(typesSent(received)).toEqual(['store 1']);
    expect(answers).toEqual([{ ok: false, error: 'disk gone', indeterminate: true }]);
    expect(node.inputs[1]).toEqual({ type: 'storage-failed', error: 'disk gone', steps: [1] });
  });

  it('pipelined asks: a forward and a read leave while an earlier batch commits; a gossip of the same step waits for it', async () => {
    const manual = manualStore();
    // Step 1 writes (its batch commits slowly); step 2, with no records, forwards a put and asks a replica for a key.
    const steps = (input: Input, step: number): Effect[] => input.type !== 'request' ? [] : step === 1 ? storeStep(input, step) : [
      { type: 'send', to: 'peer', message: msg({ type: 'forward', step }) },
      { type: 'send', to: 'peer', message: msg({ type: 'read', step }) },
      { type: 'send', to: 'peer', message: msg({ type: 'gossip', step }) },
    ];
    const { rt, received } = await setup(steps, { store: manual.store, pipelineStores: true });
    ask(rt, ['w1']);
    await flush();
    ask(rt, ['g2']);
    await flush();
    // Before, the forward and the read waited behind step 1's commit like the gossip.
    expect(typesSent(received)).toEqual(['store 1', 'forward 2', 'read 2']);
    manual.writes[0]?.commit();
    await flush();
    // The rest after the commit (acks leave in the coalescer's flush, so their order with the gossip is free).
    expect(typesSent(received).slice(3).sort()).toEqual(['gossip 2', 'store-ack 1']);
    expect(rt.view().counters).toMatchObject({ storesPipelined: 1 });
  });

  /** A step with two stores to one peer (as a write's replica copy and a hint can be). */
  const twoStoresStep = (input: Input, step: number): Effect[] => input.type !== 'request' ? [] : [
    { type: 'persist', records: [{ kind: 'epoch', epoch: step }], step },
    { type: 'send', to: 'peer', message: msg({ type: 'store', step, n: 1 }) },
    { type: 'send', to: 'peer', message: msg({ type: 'store', step, n: 2 }) },
    { type: 'reply', requestId: input.requestId, result: { ok: true, op: 'put', context: `${step}`, warnings: [] } },
  ];

  it('store batching: a step\'s stores to one peer leave as one store-batch; with the commit failed, the answer is never ok', async () => {
    const manual = manualStore();
    const { rt, received } = await setup(twoStoresStep, { store: manual.store, pipelineStores: true });
    const answers = ask(rt, ['w1']);
    await flush();
    expect(received).toEqual([{ type: 'store-batch', stores: [{ step: 1, n: 1 }, { step: 1, n: 2 }] }]);
    manual.writes[0]?.abort(new Error('disk gone'));
    await flush();
    expect([received.length, answers]).toEqual([1, [{ ok: false, error: 'disk gone', indeterminate: true }]]);
    expect(rt.view().counters).toMatchObject({ storesPipelined: 2, storesBatched: 2, messagesSent: 1 });
  });

  it('store batching across requests: the stores of puts asked in one task leave as one message, those of a later task in another', async () => {
    const { rt, received } = await setup(storeStep, { pipelineStores: true });
    const first = ask(rt, ['w1', 'w2', 'w3']);
    await flush();
    ask(rt, ['w4']);
    await flush();
    // Before scheduleFlush, each request's pump sent its store alone: store 1, store 2, store 3, store 4.
    expect(typesSent(received).filter((t) => t.startsWith('store-batch') || t.startsWith('store '))).toEqual(['store-batch 1,2,3', 'store 4']);
    expect(first.map((a) => a?.ok)).toEqual([true, true, true]);
  });

  it.each([
    ['batchStepsMax 3', { batchStepsMax: 3 }, 3],
    // Epoch records count 256 bytes: the third step reaches 768 >= 600 (a batch may pass the bound by one step).
    ['batchBytesMax 600', { batchBytesMax: 600 }, 3],
  ])('back-pressure: with %s, stepping stops while the open batch is full and a commit is in flight', async (_name, bounds, perBatch) => {
    const manual = manualStore();
    const { rt, node } = await setup(batchStep, { store: manual.store, ...bounds });
    ask(rt, ['w1']);
    await flush();
    ask(rt, Array.from({ length: 10 }, (_, i) => `w${i + 2}`));
    await flush();
    expect([node.inputs.length, rt.view().queueLength, rt.view().counters.backPressureStalls]).toEqual([1 + perBatch, 10 - perBatch, 1]);
    for (let i = 0; manual.writes[i]; i++) {
      manual.writes[i]?.commit();
      await flush();
    }
    expect(node.inputs).toHaveLength(11);
    expect(manual.writes.map((w) => w.records.length)).toEqual([1, 3, 3, 3, 1]);
    expect(manual.writes.flatMap((w) => epochs(w.records))).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
  });
  it('a goodbye leaves at once, ahead of the commit in flight (the host stops right after); its reply still waits for the commit', async () => {
    const manual = manualStore();
    const goodbyeStep = (input: Input, step: number): Effect[] => input.type === 'request' && input.request.op === 'goodbye'
      ? [{ type: 'send', to: 'peer', message: msg({ type: 'goodbye', step }) }, { type: 'reply', requestId: input.requestId, result: { ok: true, op: 'goodbye' } }]
      : batchStep(input, step);
    const { rt, received } = await setup(goodbyeStep, { store: manual.store });
    const answers = ask(rt, ['w1']);
    await flush();
    expect(manual.writes).toHaveLength(1); // w1's commit is in flight
    let bye: ClientResult | undefined;
    void rt.request({ op: 'goodbye' }).then((r) => { bye = r; });
    await flush();
    // Before: the goodbye waited behind w1's commit, and the host's stop right after failed it unsent.
    expect([received, bye]).toEqual([[{ type: 'goodbye', step: 2 }], undefined]);
    manual.writes[0]?.commit();
    await flush();
    expect([stepsSent(received), answers[0]?.ok, bye]).toEqual([[2, 1], true, { ok: true, op: 'goodbye' }]);
  });
});

describe('snapshot publisher', () => {
  function manualScheduler() {
    const timers: { ms: number; fn: () => void; cancelled: boolean }[] = [];
    return {
      timers,
      scheduler: { after(ms: number, fn: () => void) { const t = { ms, fn, cancelled: false }; timers.push(t); return () => { t.cancelled = true; }; } },
      fire() { for (const t of timers.splice(0)) if (!t.cancelled) t.fn(); },
    };
  }

  it('coalesces a burst of changes into one publication per interval, reading the latest state', () => {
    const { scheduler, timers, fire } = manualScheduler();
    let state = 0;
    const publisher = snapshot.createPublisher(() => state, scheduler);
    const seen: number[] = [];
    publisher.subscribe((s) => seen.push(s));
    for (let i = 1; i <= 50; i++) { state = i; publisher.changed(); }
    expect(timers).toHaveLength(1);
    expect(timers[0]?.ms).toBe(snapshot.publishIntervalMs);
    fire();
    expect(seen).toEqual([0, 50]); // the current picture on subscribe, then one publication
    publisher.changed();
    fire();
    expect(seen).toEqual([0, 50, 50]);
  });

  it('stops publishing to an unsubscribed listener and after close', () => {
    const { scheduler, fire } = manualScheduler();
    const publisher = snapshot.createPublisher(() => 'x', scheduler);
    const seen: string[] = [];
    const unsubscribe = publisher.subscribe((s) => seen.push(s));
    unsubscribe();
    publisher.changed();
    fire();
    publisher.subscribe((s) => seen.push(`again ${s}`));
    publisher.changed();
    publisher.close();
    fire();
    expect(seen).toEqual(['x', 'again x']);
  });
});
