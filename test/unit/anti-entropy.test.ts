import { describe, expect, it } from 'vitest';
import * as antiEntropy from '../../src/core/anti-entropy.js';
import * as codec from '../../src/core/codec.js';
import * as merkle from '../../src/core/merkle.js';
import * as merkleWire from '../../src/core/merkle-wire.js';
import { messageSchema, type Message, type MessageOf } from '../../src/core/messages.js';
import * as version from '../../src/core/version.js';
import * as node from '../../src/core/node.js';
import * as rng from '../../src/core/rng.js';
import { convergence } from '../sim/checker.js';
import { Cluster } from '../sim/cluster.js';
import * as storeIndex from '../../src/core/store-index.js';
import { MemoryStore } from '../sim/memory-store.js';

/** Two replicas of `keys` keys (one partition, N = 2) that differ only in `changed`; every peer message sent until they converge. */
function exchange(keys: number, changed: readonly string[]): { messages: Message[]; converged: boolean } {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const v1 = version.make({ dot: { actor: 'w@1', counter: 1 }, past: [], value: version.stringValue('one'), timestamp: 1 });
  const v2 = version.make({ dot: { actor: 'w@1', counter: 2 }, past: [v1.dot], value: version.stringValue('two'), timestamp: 2 });
  for (let i = 0; i < keys; i++) {
    a.apply([{ kind: 'put-version', key: `key${i}`, version: v1 }]);
    b.apply([{ kind: 'put-version', key: `key${i}`, version: changed.includes(`key${i}`) ? v2 : v1 }]);
  }
  const cluster = new Cluster({ seed: 3, config: { n: 2, r: 1, w: 1, partitions: 1 } });
  cluster.addNode('a', { seeds: ['b'], store: a });
  cluster.addNode('b', { seeds: ['a'], store: b });
  const messages: Message[] = [];
  cluster.onSend = (_from, _to, m) => {
    if (m.type !== 'gossip') messages.push(m);
  };
  // At least a few anti-entropy rounds (every 10 ticks), then until the replicas agree.
  for (let t = 0; t < 200 && (t < 40 || !convergence(cluster).ok); t += 10) cluster.run(10);
  return { messages, converged: convergence(cluster).ok };
}

const ofType = <T extends Message['type']>(messages: readonly Message[], type: T): MessageOf<T>[] => messages.filter((m): m is MessageOf<T> => m.type === type);

describe('anti-entropy: the Merkle descent sends only what differs, one level at a time', () => {
  it('one differing key among 2,000: the root\'s 16 children, the 16 buckets under the one differing child, one bucket of leaves', () => {
    const key = 'key42';
    const { messages, converged } = exchange(2000, [key]);
    expect(converged).toBe(true);
    const roots = ofType(messages, 'ae-root');
    expect(roots.map((m) => m.hashes.length)).toEqual([merkle.fanOut]);
    const descent = ofType(messages, 'ae-buckets');
    expect(descent.map((m) => ({ level: m.level, parents: m.parents, hashes: m.hashes.length }))).toEqual([
      { level: 2, parents: [Math.floor(merkle.bucketOf(key) / merkle.fanOut)], hashes: merkle.fanOut },
    ]);
    expect([...roots, ...descent].every((m) => m.hashes.every((h) => h.length === merkleWire.wireHashBytes))).toBe(true);
    const leaves = ofType(messages, 'ae-leaves');
    expect(leaves.map((m) => m.buckets)).toEqual([[merkle.bucketOf(key)]]);
    expect(leaves[0]?.leaves.map((l) => l.key)).toContain(key);
    expect(leaves[0]?.leaves.every((l) => l.digest.length === merkleWire.wireHashBytes)).toBe(true);
  });

  it('a level of the descent costs 16 wire hashes: under 100 bytes on the wire (256 hex bucket hashes took 8.4 KB)', () => {
    const m: Message = { type: 'ae-buckets', sessionId: 123456, partition: 255, level: 2, parents: [15], hashes: Array.from({ length: merkle.fanOut }, () => new Uint8Array(merkleWire.wireHashBytes).fill(0xab)) };
    expect(codec.encode(messageSchema, m).length).toBeLessThan(100);
  });

  it('equal trees: a round is one ae-summary and its empty reply, no descent', () => {
    const { messages, converged } = exchange(500, []);
    expect(converged).toBe(true);
    const summaries = ofType(messages, 'ae-summary');
    expect(summaries.length).toBeGreaterThan(0);
    expect(summaries.every((m) => m.partitions.length === 1 && m.roots.every((r) => r.length === merkleWire.wireHashBytes))).toBe(true);
    expect(ofType(messages, 'ae-summary-reply').every((m) => m.differing.length === 0)).toBe(true);
    expect(messages.filter((m) => m.type !== 'ae-summary' && m.type !== 'ae-summary-reply')).toEqual([]);
  });

  it('a summary of 256 partitions fits in 2 KiB', () => {
    const partitions = Array.from({ length: 256 }, (_, i) => i);
    const m: Message = { type: 'ae-summary', summaryId: 2 ** 40, partitions, roots: partitions.map(() => new Uint8Array(merkleWire.wireHashBytes).fill(0xcd)) };
    expect(codec.encode(messageSchema, m).length).toBeLessThan(2 * 1024);
  });

  it('several differing keys are all repaired, each through its own bucket', () => {
    const changed = ['key1', 'key7', 'key300', 'key999'];
    const { messages, converged } = exchange(1000, changed);
    expect(converged).toBe(true);
    const buckets = new Set(ofType(messages, 'ae-leaves').flatMap((m) => m.buckets));
    expect([...buckets].sort((x, y) => x - y)).toEqual([...new Set(changed.map((k) => merkle.bucketOf(k)))].sort((x, y) => x - y));
    const level2 = ofType(messages, 'ae-buckets').filter((m) => m.level === 2);
    expect(level2.every((m) => m.hashes.length === m.parents.length * merkle.fanOut && m.parents.length <= changed.length)).toBe(true);
  });
});

/** Three nodes, N = 3, 64 partitions; node c lacks a seeded random `fraction` of `keys` keys. */
function divergedCluster(keys: number, fraction: number, seed: number): { cluster: Cluster; missing: number } {
  const v = version.make({ dot: { actor: 'w@1', counter: 1 }, past: [], value: version.stringValue('x'), timestamp: 1 });
  const cluster = new Cluster({ seed, config: { n: 3, r: 2, w: 2, partitions: 64 } });
  cluster.addNode('a');
  cluster.addNode('b', { seeds: ['a'] });
  cluster.addNode('c', { seeds: ['a'] });
  cluster.run(60);
  const pick = rng.create(seed).fork('missing');
  let missing = 0;
  for (const id of ['a', 'b', 'c']) {
    const records = [];
    for (let i = 0; i < keys; i++) {
      const lacks = id === 'c' && pick.next() < fraction;
      if (lacks) missing++;
      else records.push({ kind: 'put-version' as const, key: `k${i}`, version: v });
    }
    cluster.get(id).store.apply(records);
    cluster.restart(id);
  }
  return { cluster, missing };
}

describe('anti-entropy rounds: one summary of roots per round, then bounded concurrent descents', () => {
  it('the summary names every shared partition; the reply names only partitions whose roots differ, at most a round\'s worth', () => {
    const { cluster } = divergedCluster(2000, 0.02, 5);
    const summaries: { from: string; to: string; m: MessageOf<'ae-summary'> }[] = [];
    const replies: MessageOf<'ae-summary-reply'>[] = [];
    cluster.onSend = (from, to, m) => {
      if (m.type === 'ae-summary') summaries.push({ from, to, m });
      if (m.type === 'ae-summary-reply') replies.push(m);
    };
    cluster.run(12);
    const first = summaries.find((x) => x.from === 'c' || x.to === 'c');
    expect(first).toBeDefined();
    const { from, to, m } = first as (typeof summaries)[number];
    expect(m.partitions).toEqual(Array.from({ length: 64 }, (_, i) => i));
    const rootOf = (id: string, p: number) => node.snapshot(cluster.get(id).state as node.NodeState).merkleRoots[p];
    const reply = replies.find((r) => r.summaryId === m.summaryId);
    const differing = m.partitions.filter((p) => rootOf(from, p) !== rootOf(to, p));
    expect(differing.length).toBeGreaterThan(8);
    expect(reply?.differing.length).toBeGreaterThan(0);
    expect(reply?.differing.length).toBeLessThanOrEqual(32); // tuning.antiEntropyPartitionsPerRound
    expect(reply?.differing.every((p) => differing.includes(p))).toBe(true);
  });

  it('descents run concurrently but never more than antiEntropySessionsMax at once, and repair everything', () => {
    const { cluster, missing } = divergedCluster(3000, 0.05, 9);
    expect(missing).toBeGreaterThan(100);
    let most = 0;
    let ticks = 0;
    // The snapshot says how far down its tree each descent has come (the activity view's progress bars).
    const levelsSeen = new Set<string>();
    while (!convergence(cluster).ok && ticks < 1000) {
      cluster.run(1);
      ticks++;
      for (const id of ['a', 'b', 'c']) {
        const sessions = node.snapshot(cluster.get(id).state as node.NodeState).antiEntropy.sessions;
        most = Math.max(most, sessions.length);
        for (const x of sessions) levelsSeen.add(`${x.phase} ${x.level}/${x.levels}`);
      }
    }
    expect(convergence(cluster).ok).toBe(true);
    // Each phase at its level. With a tree of depth 2 the initiator's first message already carries the
    // level-1 hashes, and it sends its leaves and ends its session in the step the responder's bucket
    // hashes arrive: between ticks a descent is only ever seen at the roots ('buckets' needs depth > 2).
    expect([...levelsSeen].every((seen) => ['root 1/3', 'buckets 2/3', 'leaves 3/3'].includes(seen)), [...levelsSeen].join(', ')).toBe(true);
    expect(levelsSeen).toContain('root 1/3');
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(8);
    // One partition per 10-tick interval would need at least 64 intervals to visit every differing partition once.
    expect(ticks).toBeLessThan(200);
  });

  it('two replicas do not repair the same keys at once: each missing key reaches the lagging node once', () => {
    const { cluster, missing } = divergedCluster(3000, 0.05, 9);
    let stored = 0;
    cluster.onSend = (_from, to, m) => {
      if (to === 'c' && (m.type === 'store' || m.type === 'ae-push')) stored++;
    };
    for (let t = 0; t < 1000 && !convergence(cluster).ok; t += 10) cluster.run(10);
    expect(convergence(cluster).ok).toBe(true);
    expect(stored).toBe(missing);
  });

  it('round robin: within a few rounds every node summarizes with every peer it shares partitions with', () => {
    const cluster = new Cluster({ seed: 4, config: { n: 2, r: 1, w: 1, partitions: 32 } });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    for (const id of ids) cluster.addNode(id, { seeds: ['a'] });
    cluster.run(100);
    const pairs = new Set<string>();
    cluster.onSend = (from, to, m) => {
      if (m.type === 'ae-summary') pairs.add(`${from}>${to}`);
    };
    cluster.run(10 * ids.length);
    for (const id of ids) {
      const state = cluster.get(id).state as node.NodeState;
      const sharing = [...antiEntropy.peersSharing(state).keys()];
      expect(sharing.length).toBeGreaterThan(0);
      for (const peer of sharing) expect(pairs.has(`${id}>${peer}`), `${id} never summarized with ${peer}`).toBe(true);
    }
  });

  it('progress: total counts the partitions the latest summary compared, done those settled; done = total when in sync', () => {
    const { cluster } = divergedCluster(2000, 0.05, 11);
    const progress = (id: string) => node.snapshot(cluster.get(id).state as node.NodeState).antiEntropy;
    const seen: { done: number; total: number }[] = [];
    for (let t = 0; t < 300; t++) {
      cluster.run(1);
      for (const id of ['a', 'b', 'c']) seen.push({ done: progress(id).done, total: progress(id).total });
    }
    expect(seen.every((x) => x.done >= 0 && x.done <= x.total)).toBe(true);
    expect(seen.some((x) => x.total === 64 && x.done < x.total)).toBe(true);
    expect(convergence(cluster).ok).toBe(true);
    for (const id of ['a', 'b', 'c']) expect(progress(id)).toMatchObject({ done: 64, total: 64 });
  });
});

describe('anti-entropy on the wire: salted 4-byte hashes, a collision only delays, a forged width is refused', () => {
  it('an exchange whose level-1 hashes all collide ends without repairing; a later round (salted differently) repairs', () => {
    const a = new MemoryStore();
    const b = new MemoryStore();
    const v = version.make({ dot: { actor: 'w@1', counter: 1 }, past: [], value: version.stringValue('x'), timestamp: 1 });
    for (let i = 0; i < 200; i++) a.apply([{ kind: 'put-version', key: `key${i}`, version: v }]);
    for (let i = 0; i < 199; i++) b.apply([{ kind: 'put-version', key: `key${i}`, version: v }]);
    const cluster = new Cluster({ seed: 3, config: { n: 2, r: 1, w: 1, partitions: 1 } });
    cluster.addNode('a', { seeds: ['b'], store: a });
    cluster.addNode('b', { seeds: ['a'], store: b });
    const roots: MessageOf<'ae-root'>[] = [];
    const emptyAnswers: MessageOf<'ae-buckets'>[] = [];
    cluster.onSend = (_from, to, m) => {
      if (m.type === 'ae-buckets' && m.parents.length === 0) emptyAnswers.push(m);
      if (m.type !== 'ae-root') return;
      roots.push(m);
      if (roots.length > 1) return;
      // What a 2^-32 collision of every level-1 pair looks like: the receiver's own hashes under this salt.
      const receiver = cluster.get(to).state as node.NodeState;
      const salt = merkleWire.salt(m.sessionId, m.partition, 1);
      (m as { hashes: readonly Uint8Array[] }).hashes = storeIndex.childrenHashes(receiver.index, m.partition, 0, [0]).map((h) => merkleWire.wireHash(h, salt));
    };
    for (let t = 0; t < 200 && (t < 40 || !convergence(cluster).ok); t += 10) cluster.run(10);
    expect(convergence(cluster).ok).toBe(true);
    expect(roots.length).toBeGreaterThanOrEqual(2);
    expect(emptyAnswers[0]?.sessionId).toBe(roots[0]?.sessionId); // the collided exchange ended: "no difference"
    expect(new Set(roots.map((m) => m.sessionId)).size).toBe(roots.length);
  });

  const forged: [string, Message][] = [
    ['an ae-summary root of 2 bytes', { type: 'ae-summary', summaryId: 1, partitions: [0], roots: [new Uint8Array(2)] }],
    ['an ae-root hash of 3 bytes', { type: 'ae-root', sessionId: 1, partition: 0, hashes: Array.from({ length: merkle.fanOut }, () => new Uint8Array(3)) }],
    ['an ae-root of 15 hashes', { type: 'ae-root', sessionId: 1, partition: 0, hashes: Array.from({ length: merkle.fanOut - 1 }, () => new Uint8Array(4)) }],
    ['an ae-buckets at level 1', { type: 'ae-buckets', sessionId: 1, partition: 0, level: 1, parents: [0], hashes: Array.from({ length: merkle.fanOut }, () => new Uint8Array(4)) }],
    ['an ae-buckets below the buckets (level 3)', { type: 'ae-buckets', sessionId: 1, partition: 0, level: 3, parents: [1], hashes: Array.from({ length: merkle.fanOut }, () => new Uint8Array(0)) }],
    ['an ae-leaves digest of 1 byte', { type: 'ae-leaves', sessionId: 1, partition: 0, buckets: [3], leaves: [{ key: 'k', digest: new Uint8Array(1) }] }],
  ];
  it.each(forged)('%s is dropped and counted, never thrown, and nothing is sent', (_name, message) => {
    const cluster = new Cluster({ seed: 3, config: { n: 2, r: 1, w: 1, partitions: 1 } });
    cluster.addNode('a', { seeds: ['b'] });
    cluster.addNode('b', { seeds: ['a'] });
    cluster.run(30);
    const state = cluster.get('a').state as node.NodeState;
    const before = node.snapshot(state).counters.messagesDropped;
    let effects: ReturnType<typeof node.step> = [];
    expect(() => { effects = node.step(state, { type: 'message', from: 'b', message }); }).not.toThrow();
    expect(node.snapshot(state).counters.messagesDropped).toBe(before + 1);
    expect(effects.filter((e) => e.type === 'send')).toEqual([]);
  });
});
