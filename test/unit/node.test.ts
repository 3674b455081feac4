import { describe, expect, it } from 'vitest';
import * as node from '../../src/core/node.js';
import type { ClientRequest, ClientResult, Effect, MemberView, StoredState } from '../../src/core/node-io.js';
import type { Message } from '../../src/core/messages.js';
import * as dvv from '../../src/core/dvv.js';
import { limits } from '../../src/core/limits.js';
import * as storeIndex from '../../src/core/store-index.js';
import * as version from '../../src/core/version.js';
import { MemoryStore } from '../sim/memory-store.js';

const empty: StoredState = { versions: [], hints: [] };
const member = (id: string, epoch = 1): MemberView => ({ id, host: `h-${id}`, capacity: 1, epoch, life: 0, incarnation: 0, heartbeat: 1, status: 'alive', lastHeardTick: 0 });

const stores = new WeakMap<node.NodeState, MemoryStore>();

function solo() {
  return withStore(node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: [], rngSeed: 1, now: 0, stored: { ...empty, epoch: 3 }, config: { n: 3, r: 2, w: 2, partitions: 8 } }));
}

function pair(config = { n: 3, r: 2, w: 2, partitions: 8 }) {
  return withStore(node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: ['b'], rngSeed: 1, now: 0, stored: { ...empty, epoch: 3, members: [member('b')] }, config }));
}

function withStore(created: { state: node.NodeState; effects: Effect[] }) {
  const store = new MemoryStore();
  stores.set(created.state, store);
  persist(store, created.effects);
  return created;
}

function persist(store: MemoryStore | undefined, effects: readonly Effect[]): void {
  for (const e of effects) if (e.type === 'persist') store?.apply(e.records);
}

function replies(effects: readonly Effect[]): ClientResult[] {
  return effects.flatMap((e) => (e.type === 'reply' ? [e.result] : []));
}

/** Sends a request, persists and answers loads from an in-memory store, and returns the reply (a lone node needs no peer). */
function ask(state: node.NodeState, request: ClientRequest, requestId = 1): ClientResult | undefined {
  const store = stores.get(state);
  let effects = node.step(state, { type: 'request', requestId, request });
  for (let i = 0; i < 5; i++) {
    persist(store, effects);
    const found = replies(effects)[0];
    if (found) return found;
    const loads = effects.filter((e): e is Extract<Effect, { type: 'load' }> => e.type === 'load');
    effects = loads.flatMap((l) => node.step(state, { type: 'loaded', loadId: l.loadId, key: l.key, ...(store ?? new MemoryStore()).load(l.key) }));
  }
  return undefined;
}

const put = (key: string, text: string, extra: Partial<Extract<ClientRequest, { op: 'put' }>> = {}): ClientRequest => ({ op: 'put', key, value: version.stringValue(text), ...extra });

describe('node: client requests get clear errors', () => {
  it.each([
    ['a context that is not one', put('k', 'v', { context: 'nonsense' }), /^bad context: unknown context format/],
    ['w above N', put('k', 'v', { w: 4 }), /quorum must be an integer in 1\.\.1 \(N\), got 4/],
    ['w of 0', put('k', 'v', { w: 0 }), /quorum must be an integer in 1\.\.1/],
    ['an empty key', put('', 'v'), /key must be 1 to 512 bytes/],
    ['an oversize value', { op: 'put', key: 'k', value: { kind: 'bytes', bytes: new Uint8Array(64 * 1024 + 1) } } as ClientRequest, /exceeds 65536/],
    ['a bad configuration', { op: 'configure', r: 4 } as ClientRequest, /bad config n=3 r=4/],
  ])('%s', (_name, request, error) => {
    const { state } = solo();
    const result = ask(state, request);
    expect(result?.ok).toBe(false);
    if (result && !result.ok) {
      expect(result.error).toMatch(error);
      expect(result.indeterminate).toBe(false);
    }
  });

  it('refuses a write that would grow a key past siblingsMax, and accepts a reconciling one', () => {
    const { state } = solo();
    for (let i = 0; i < limits.siblingsMax; i++) expect(ask(state, put('k', `v${i}`), i + 1)?.ok).toBe(true);
    const refused = ask(state, put('k', 'one too many'), 99);
    expect(refused).toMatchObject({ ok: false, indeterminate: false });
    expect(refused && !refused.ok && refused.error).toMatch(/too many siblings: .*read the key and write back with its context to merge the 32 siblings/);
    const read = ask(state, { op: 'get', key: 'k' }, 100);
    expect(read?.ok && read.op === 'get' && read.versions.length).toBe(limits.siblingsMax);
    const context = read?.ok && read.op === 'get' ? read.context : '';
    expect(ask(state, put('k', 'merged', { context }), 101)?.ok).toBe(true);
    const after = ask(state, { op: 'get', key: 'k' }, 102);
    expect(after?.ok && after.op === 'get' && after.versions.length).toBe(1);
  });

  it('two blind writes through one coordinator are siblings; a write with their context replaces both', () => {
    const { state } = solo();
    ask(state, put('k', 'x'), 1);
    ask(state, put('k', 'y'), 2);
    const read = ask(state, { op: 'get', key: 'k' }, 3);
    if (!read?.ok || read.op !== 'get') throw new Error('get failed');
    expect(read.versions).toHaveLength(2);
    const [x, y] = read.versions;
    // One coordinator, two dots, neither in the other's clock: concurrent (classic VVs would lose one).
    expect(x?.dot.actor).toBe(y?.dot.actor);
    expect([x?.dot.counter, y?.dot.counter].sort()).toEqual([1, 2]);
    expect(dvv.compare(x?.clock ?? [], y?.clock ?? [])).not.toBe('equal');
    expect(ask(state, put('k', 'z', { context: read.context }), 4)?.ok).toBe(true);
    const after = ask(state, { op: 'get', key: 'k' }, 5);
    expect(after?.ok && after.op === 'get' ? after.versions.map((v) => v.value.bytes.length) : []).toEqual([1]);
  });

  it('warns when R + W <= N', () => {
    const { state } = pair({ n: 3, r: 1, w: 1, partitions: 8 });
    const effects = node.step(state, { type: 'request', requestId: 1, request: put('k', 'v') });
    const reply = replies(effects)[0];
    expect(reply?.ok && 'warnings' in reply ? reply.warnings : []).toEqual(['R + W <= N (1 + 1 <= 2): a read may miss the latest acknowledged write']);
  });

  it('says how far a write got when its quorum is not reached, and that it is indeterminate', () => {
    const { state } = pair();
    let all: Effect[] = node.step(state, { type: 'request', requestId: 7, request: put('k', 'v') });
    for (let t = 1; t <= 200; t++) all = all.concat(node.step(state, { type: 'tick', now: t }));
    expect(replies(all)).toEqual([{ ok: false, indeterminate: true, error: 'write quorum not reached: 1 of 2 acknowledged' }]);
  });
});

describe('node: an acknowledgement is never ahead of the disk', () => {
  const storeTo = (effects: readonly Effect[], to: string) =>
    effects.flatMap((e) => (e.type === 'send' && e.to === to && e.message.type === 'store' ? [e.message] : []))[0];
  const persistStep = (effects: readonly Effect[]) => effects.flatMap((e) => (e.type === 'persist' ? [e.step] : []))[0];

  // The runtime commits steps in batches and keeps stepping meanwhile: the failure of the put's step is
  // reported after a later step (another put) was taken, and names the failed steps by number.
  it.each([
    ['persisted', () => [], [{ ok: true }]],
    ['whose persist failed', (put: number) => [put], [{ ok: false, indeterminate: true, error: 'storage failed at a: the write was not persisted (copies may have reached other replicas)' }]],
    ['whose persist failed with the later step', (put: number, later: number) => [put, later], [{ ok: false, indeterminate: true, error: 'storage failed at a: the write was not persisted (copies may have reached other replicas)' }]],
    ['persisted while only the later step failed', (_put: number, later: number) => [later], [{ ok: true }]],
  // The runtime sends a step's stores before its batch commits (commit-batch.ts `pipelined`), so a write
  // whose own copy failed may be held by other replicas: its failure is indeterminate.
  ] as const)("a write fails (indeterminately: its stores left before the commit), never re-sent, when %s", (_name, failed, expected) => {
    const { state } = pair();
    const effects = node.step(state, { type: 'request', requestId: 7, request: put('k', 'v') });
    const laterEffects = node.step(state, { type: 'request', requestId: 8, request: put('other', 'v') });
    const store = storeTo(effects, 'b');
    const [putStep, laterStep] = [persistStep(effects), persistStep(laterEffects)];
    expect(store).toBeDefined();
    expect(putStep !== undefined && laterStep !== undefined && putStep < laterStep).toBe(true);
    const steps = failed(putStep ?? -1, laterStep ?? -1);
    let all: Effect[] = steps.length > 0 ? node.step(state, { type: 'storage-failed', error: 'storage full: QuotaExceededError', steps }) : [];
    // Re-sending would let b hold a dot this node could issue again after it reloads (dvv.ts).
    expect(all.some((e) => e.type === 'send' && e.message.type === 'store')).toBe(false);
    expect(node.snapshot(state).needsReload).toBe(steps.length > 0);
    const digests = store?.versions.map((v) => v.digest) ?? [];
    all = all.concat(node.step(state, { type: 'message', from: 'b', message: { type: 'store-ack', opId: store?.opId ?? 0, key: 'k', digests, ok: true, error: '' } }));
    for (let t = 1; t <= 200; t++) all = all.concat(node.step(state, { type: 'tick', now: t }));
    const forK = all.filter((e) => e.type === 'reply' && e.requestId === 7);
    expect(replies(forK).map((r) => (r.ok ? { ok: true } : r))).toEqual(expected);
  });
});

describe('node: wrong peer messages are dropped and counted, never thrown', () => {
  const cases: [string, Message][] = [
    ['a store-ack for no write', { type: 'store-ack', opId: 12345, key: 'k', digests: [], ok: true, error: '' }],
    ['a read-reply for no read', { type: 'read-reply', opId: 5, key: 'k', versions: [] }],
    ['anti-entropy for a partition out of range', { type: 'ae-root', sessionId: 1, partition: 999, hashes: [] }],
    ['a forward-reply for no forward', { type: 'forward-reply', forwardId: 3, ok: true, context: '', warnings: [], error: '', indeterminate: false }],
    ['a member with capacity 0', { type: 'gossip', members: [{ id: 'c', host: 'h', capacity: 0, epoch: 1, life: 0, incarnation: 0, heartbeat: 1, status: 'alive' }], config: { n: 3, r: 2, w: 2, partitions: 8 }, configVersion: 0, configBy: '', wantReply: false }],
    ['a newer config with r > n', { type: 'gossip', members: [], config: { n: 2, r: 3, w: 1, partitions: 8 }, configVersion: 9, configBy: 'b', wantReply: false }],
    ['a newer config with a partition count that is not a power of two', { type: 'gossip', members: [], config: { n: 3, r: 2, w: 2, partitions: 24 }, configVersion: 9, configBy: 'b', wantReply: false }],
  ];
  it.each(cases)('%s', (_name, message) => {
    const { state } = pair();
    expect(() => node.step(state, { type: 'message', from: 'b', message })).not.toThrow();
    expect(node.snapshot(state).counters.messagesDropped).toBe(1);
  });
});

describe('node: epochs (KV679)', () => {
  it('empty storage: a random epoch is persisted; the life is raised past an older life the cluster knows, the epoch kept', () => {
    const { state, effects } = node.create({ id: 'a', host: 'h', capacity: 1, seeds: ['b'], rngSeed: 1, now: 0, stored: empty });
    const first = state.epoch;
    expect(effects[0]).toEqual({ type: 'persist', records: [{ kind: 'epoch', epoch: first }], step: 0 });
    expect(state.ready).toBe(false);
    const gossip: Message = {
      type: 'gossip', members: [{ ...member('b'), lastHeardTick: undefined } as never, { id: 'a', host: 'h', capacity: 1, epoch: first + 10, life: 6, incarnation: 4, heartbeat: 9, status: 'dead' }].map((m) => {
        const { lastHeardTick: _drop, ...wire } = m as MemberView;
        return wire;
      }),
      config: { n: 3, r: 2, w: 2, partitions: 256 }, configVersion: 0, configBy: '', wantReply: false,
    };
    const out = node.step(state, { type: 'message', from: 'b', message: gossip });
    expect(state.epoch).toBe(first);
    expect(state.life).toBe(7);
    expect(state.ready).toBe(true);
    expect(out[0]?.type === 'persist' && out[0].records.some((r) => r.kind === 'membership' && r.members.some((m) => m.id === 'a' && m.life === 7))).toBe(true);
  });

  it('a restart from storage takes a new random epoch and the next life, persists both, and is ready at once', () => {
    // Storage may be an older image of the disk than the dots the stored epoch went on to issue (seed 89).
    const previous = { ...member('a', 3), life: 4, incarnation: 7 };
    const { state, effects } = node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: ['b'], rngSeed: 1, now: 0, stored: { ...empty, epoch: 3, members: [previous, member('b')] } });
    expect(state.epoch).not.toBe(3);
    expect(state.life).toBe(5);
    expect(state.ready).toBe(true);
    const records = effects.flatMap((e) => (e.type === 'persist' ? e.records : []));
    expect(records).toContainEqual({ kind: 'epoch', epoch: state.epoch });
    expect(records.some((r) => r.kind === 'membership' && r.members.some((m) => m.id === 'a' && m.life === 5 && m.epoch === state.epoch))).toBe(true);
  });

  it('under the max-plus-one control a restart keeps the stored epoch (the broken design, kept for the control)', () => {
    const { state } = node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: ['b'], rngSeed: 1, now: 0, stored: { ...empty, epoch: 3, members: [member('b')] }, epochPolicy: 'max-plus-one' });
    expect(state.epoch).toBe(3);
  });
});

describe('node: a node that has left answers requests with an error', () => {
  it('leave on a lone node is refused (nobody would hold the data)', () => {
    const { state } = solo();
    expect(ask(state, { op: 'leave' })).toEqual({ ok: false, indeterminate: false, error: 'cannot leave: no other member would hold the data' });
  });
});

describe('node: messages stay within limits.messageBytesMax', () => {
  it('sixteen siblings of the largest value are split into store messages that all encode', async () => {
    const codec = await import('../../src/core/codec.js');
    const { messageSchema } = await import('../../src/core/messages.js');
    const fx = await import('../../src/core/effects.js');
    const { limits } = await import('../../src/core/limits.js');
    const big = Array.from({ length: 16 }, (_, i) => {
      const past = Array.from({ length: limits.clockEntriesMax }, (_, j) => ({ actor: `${'n'.repeat(50)}${j}@${2 ** 48 - 1}`, counter: 2 ** 48 - i }))
        .sort((x, y) => (x.actor < y.actor ? -1 : 1));
      return version.make({ dot: { actor: `${'n'.repeat(60)}@${2 ** 48 - 1}`, counter: 2 ** 48 }, past, value: version.bytesValue(new Uint8Array(limits.valueBytesMax).fill(i)), timestamp: 2 ** 40 });
    });
    const groups = fx.fitVersions(big);
    expect(groups.flat()).toHaveLength(16);
    for (const group of groups) {
      const encoded = codec.tryEncode(messageSchema, { type: 'store', opId: 2 ** 50, key: 'k'.repeat(limits.keyBytesMax), versions: group, hintFor: 'h'.repeat(limits.idBytesMax) });
      expect(encoded.ok, encoded.ok ? '' : encoded.reason).toBe(true);
    }
  });
});

describe('node: a node that left stays out after a restart', () => {
  it('restarts as left, answers requests with an error, and its snapshot says so', () => {
    const self = { ...member('a', 3), status: 'left' as const };
    const { state } = node.create({ id: 'a', host: 'h-a', capacity: 1, seeds: ['b'], rngSeed: 1, now: 0, stored: { ...empty, epoch: 3, members: [self, member('b')] } });
    expect(state.left).toBe(true);
    expect(ask(state, { op: 'get', key: 'k' })).toEqual({ ok: false, indeterminate: false, error: 'a has left the ring: kv.join() brings it back' });
    expect(node.snapshot(state)).toMatchObject({ left: true, keys: 0 });
  });
});

describe('node: the cluster config is persisted with its version', () => {
  it('a restarted node keeps N/R/W and their version, so older gossip cannot undo them', () => {
    const { state } = node.create({ id: 'a', host: 'h', capacity: 1, seeds: [], rngSeed: 3, now: 0, stored: { ...empty, epoch: 9 } });
    const out = node.step(state, { type: 'request', requestId: 1, request: { op: 'configure', n: 2, r: 1, w: 1 } });
    const record = out.flatMap((e) => (e.type === 'persist' ? e.records : [])).find((r) => r.kind === 'membership');
    expect(record?.kind === 'membership' && record.config).toMatchObject({ n: 2, r: 1, w: 1, version: 1, by: 'a' });
    const config = record?.kind === 'membership' ? record.config : undefined;
    const again = node.create({ id: 'a', host: 'h', capacity: 1, seeds: [], rngSeed: 4, now: 0, stored: { ...empty, epoch: 9, ...(config ? { config } : {}) } });
    expect(node.snapshot(again.state)).toMatchObject({ configVersion: 1, config: { n: 2, r: 1, w: 1 } });
  });
});

describe('node: one client write gets exactly one dot', () => {
  // Seed 16 of the simulator: the network delivered a `forward` twice and the coordinator gave the one
  // write two dots; a client who read one of them and wrote over it left the other behind (a stale survivor).
  const forward = (forwardId: number, text: string, epoch?: number): Message => ({ type: 'forward', forwardId, op: 'put', key: 'k', value: version.stringValue(text), context: null, w: null, epoch: epoch ?? 0 });
  const dots = (state: node.NodeState) => storeIndex.get(state.index, 'k').map((v) => v.dot.counter).sort();

  it('a forward delivered twice is coordinated once; the duplicate makes no second version and sends nothing', () => {
    const { state } = pair();
    node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch) });
    const again = node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch) });
    expect(dots(state)).toEqual([1]);
    expect(again.some((e) => e.type === 'send' || e.type === 'persist')).toBe(false);
  });

  it('a late duplicate (after the forward was answered) is still not coordinated again', () => {
    const { state } = pair();
    const first = node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch) });
    const store = first.flatMap((e) => (e.type === 'send' && e.message.type === 'store' ? [e.message] : []))[0];
    node.step(state, { type: 'message', from: 'b', message: { type: 'store-ack', opId: store?.opId ?? 0, key: 'k', digests: store?.versions.map((v) => v.digest) ?? [], ok: true, error: '' } });
    for (let t = 1; t <= 30; t++) node.step(state, { type: 'tick', now: t });
    node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch) });
    expect(dots(state)).toEqual([1]);
  });

  it('a forward meant for an earlier life (a re-ask after a restart or rebuild: sim seeds 60, 84) is refused as indeterminate, not coordinated', () => {
    const { state } = pair();
    const effects = node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch + 1) });
    expect(dots(state)).toEqual([]);
    expect(effects.flatMap((e) => (e.type === 'send' && e.message.type === 'forward-reply' ? [e.message] : []))).toEqual([expect.objectContaining({ ok: false, indeterminate: true })]);
  });

  it('another forward (another id) is another write', () => {
    const { state } = pair();
    node.step(state, { type: 'message', from: 'b', message: forward(41, 'v', state.epoch) });
    node.step(state, { type: 'message', from: 'b', message: forward(42, 'v', state.epoch) });
    expect(dots(state)).toEqual([1, 2]);
  });
});

describe('node: a node restarted from an old disk image learns what became of it', () => {
  // Seeds 79, 92, 95, 138, 199 of the simulator: a node restarted from a disk image taken before it left
  // believed itself a member for ever: nobody gossips to a member that left, and nobody answered it.
  const wire = (m: MemberView) => {
    const { lastHeardTick: _drop, ...rest } = m;
    return rest;
  };
  const gossip = (members: MemberView[], wantReply = false): Message => ({ type: 'gossip', members: members.map(wire), config: { n: 3, r: 2, w: 2, partitions: 8 }, configVersion: 0, configBy: '', wantReply });

  it('told that it left (same life and epoch), it starts a new life and rejoins the ring', () => {
    const { state } = pair();
    const me = { ...member('a', state.epoch), life: state.life };
    node.step(state, { type: 'message', from: 'b', message: gossip([member('b'), { ...me, incarnation: 2, status: 'left' }]) });
    expect(state.life).toBe(me.life + 1);
    expect(state.left).toBe(false);
    expect(node.snapshot(state).members.find((m) => m.id === 'a')?.status).toBe('alive');
  });

  it('a member that knows the sender left answers its gossip, even unasked', () => {
    const { state } = pair();
    node.step(state, { type: 'message', from: 'b', message: gossip([{ ...member('b'), incarnation: 1, status: 'left' }]) });
    const out = node.step(state, { type: 'message', from: 'b', message: gossip([member('b')]) });
    const answer = out.flatMap((e) => (e.type === 'send' && e.to === 'b' && e.message.type === 'gossip' ? [e.message] : []))[0];
    expect(answer?.members.find((m) => m.id === 'b')?.status).toBe('left');
  });

  it('a member that knows another life of the sender under the same life number answers it, and the sender orders itself after', () => {
    // Seed 266: b left (life 0), was wiped, and joined again through a newcomer that knew nothing
    // of b, so it took life 0 again under a new epoch. The room saw "b left" and never gossiped to it, and
    // b asked nobody: it stayed outside every other ring for ever (was: no answer for another epoch).
    const b = node.create({ id: 'b', host: 'h-b', capacity: 1, seeds: [], rngSeed: 2, now: 0, stored: empty, config: { n: 3, r: 2, w: 2, partitions: 8 } }).state;
    const earlier = b.epoch + 1; // the earlier life's epoch wins the merge at the same life (mergeMember)
    const { state } = pair();
    node.step(state, { type: 'message', from: 'b', message: gossip([{ ...member('b', earlier), incarnation: 1, status: 'left' }]) });
    const newcomer = { ...member('b', b.epoch), life: b.life };
    const out = node.step(state, { type: 'message', from: 'b', message: gossip([newcomer]) });
    const answer = out.flatMap((e) => (e.type === 'send' && e.to === 'b' && e.message.type === 'gossip' ? [e.message] : []))[0];
    expect(answer?.members.find((m) => m.id === 'b')).toMatchObject({ epoch: earlier, life: 0, status: 'left' });
    expect(answer?.answer).toBe(true);
    // b, hearing of its id's earlier life, takes life 1; a gossip from it at life 1 is accepted as alive.
    node.step(b, { type: 'message', from: 'a', message: answer as Message });
    expect(b.life).toBe(1);
    node.step(state, { type: 'message', from: 'b', message: gossip([{ ...member('b', b.epoch), life: b.life }]) });
    expect(node.snapshot(state).members.find((m) => m.id === 'b')?.status).toBe('alive');
  });
});

describe('node: a node that left stays out when it learns a later life number', () => {
  // Seed 117: a wiped node left before gossip told it its old life; the new life it then took was
  // announced 'alive', so every ring took it back while it served nothing (partition 0 never converged).
  it('keeps announcing left in the new life', () => {
    const { state } = pair();
    const reply = node.step(state, { type: 'request', requestId: 1, request: { op: 'leave' } });
    let out: Effect[] = [...reply];
    for (let t = 1; t <= 50 && !state.left; t++) {
      out = node.step(state, { type: 'tick', now: t });
      for (const e of out) if (e.type === 'send' && e.message.type === 'store') node.step(state, { type: 'message', from: 'b', message: { type: 'store-ack', opId: e.message.opId, key: e.message.key, digests: e.message.versions.map((v) => v.digest), ok: true, error: '' } });
    }
    expect(state.left).toBe(true);
    const oldLife = { ...member('a', 999), life: state.life, incarnation: 0, status: 'alive' as const };
    const { lastHeardTick: _drop, ...wireOld } = oldLife;
    const { lastHeardTick: _dropB, ...wireB } = member('b');
    node.step(state, { type: 'message', from: 'b', message: { type: 'gossip', members: [wireB, wireOld], config: { n: 3, r: 2, w: 2, partitions: 8 }, configVersion: 0, configBy: '', wantReply: false } });
    expect(state.life).toBe(oldLife.life + 1);
    expect(node.snapshot(state).members.find((m) => m.id === 'a')?.status).toBe('left');
  });
});

describe('node: a node whose only known member died asks its seeds', () => {
  // Sim seed 1240: j1 joined through n5 alone (the only member it had heard of), n5 then died for good,
  // and nobody else had heard of j1. Gossip went only to live members, plus now and then to the dead n5,
  // so j1 stayed outside the room for ever. With no live member it now gossips to its seeds as well.
  it('gossips to a seed once every member it knows is dead', () => {
    const j1 = node.create({ id: 'j1', host: 'h-j1', capacity: 1, seeds: ['n5', 'n1', 'n2'], rngSeed: 5, now: 0, stored: { ...empty, epoch: 3, members: [member('n5')] }, config: { n: 3, r: 2, w: 2, partitions: 8 } }).state;
    const targets = new Set<string>();
    for (let t = 1; t <= 600; t++) {
      for (const e of node.step(j1, { type: 'tick', now: t })) if (e.type === 'send' && e.message.type === 'gossip') targets.add(e.to);
    }
    expect(j1.members.get('n5')?.status).toBe('dead');
    expect([...targets].filter((to) => to === 'n1' || to === 'n2').length).toBeGreaterThan(0);
  });
});
