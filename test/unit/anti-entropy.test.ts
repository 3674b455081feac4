import { describe, expect, it } from 'vitest';
import * as codec from '../../src/core/codec.js';
import * as merkle from '../../src/core/merkle.js';
import { messageSchema, type Message, type MessageOf } from '../../src/core/messages.js';
import * as vclock from '../../src/core/vclock.js';
import * as version from '../../src/core/version.js';
import { convergence } from '../sim/checker.js';
import { Cluster } from '../sim/cluster.js';
import { MemoryStore } from '../sim/memory-store.js';

/** Two replicas of `keys` keys (one partition, N = 2) that differ only in `changed`; every peer message sent until they converge. */
function exchange(keys: number, changed: readonly string[]): { messages: Message[]; converged: boolean } {
  const a = new MemoryStore();
  const b = new MemoryStore();
  const v1 = version.make({ clock: vclock.increment(vclock.fresh(), 'w@1', 1), value: version.stringValue('one'), timestamp: 1 });
  const v2 = version.make({ clock: vclock.increment(v1.clock, 'w@1', 2), value: version.stringValue('two'), timestamp: 2 });
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
    const descent = ofType(messages, 'ae-buckets').filter((m) => m.hashes.length > 0);
    expect(descent.map((m) => ({ level: m.level, parents: m.parents, hashes: m.hashes.length }))).toEqual([
      { level: 1, parents: [0], hashes: merkle.fanOut },
      { level: 2, parents: [Math.floor(merkle.bucketOf(key) / merkle.fanOut)], hashes: merkle.fanOut },
    ]);
    expect(descent.every((m) => m.hashes.every((h) => h.length === merkle.hashBytes))).toBe(true);
    const leaves = ofType(messages, 'ae-leaves');
    expect(leaves.map((m) => m.buckets)).toEqual([[merkle.bucketOf(key)]]);
    expect(leaves[0]?.leaves.map((l) => l.key)).toContain(key);
    expect(leaves[0]?.leaves.every((l) => l.digest.length === merkle.hashBytes)).toBe(true);
  });

  it('a level of the descent costs 16 raw hashes: under 300 bytes on the wire (256 hex bucket hashes took 8.4 KB)', () => {
    const m: Message = { type: 'ae-buckets', sessionId: 123456, partition: 255, level: 2, parents: [15], hashes: Array.from({ length: merkle.fanOut }, () => new Uint8Array(merkle.hashBytes).fill(0xab)) };
    expect(codec.encode(messageSchema, m).length).toBeLessThan(300);
  });

  it('equal trees: the exchange stops at the roots', () => {
    const { messages, converged } = exchange(500, []);
    expect(converged).toBe(true);
    const answers = ofType(messages, 'ae-buckets');
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.every((m) => m.hashes.length === 0 && m.level === 1)).toBe(true);
    expect(ofType(messages, 'ae-leaves')).toEqual([]);
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
