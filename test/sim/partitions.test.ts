/**
 * kv.configure({ partitions }): a room re-cut to fewer (or more) partitions for a demo. Judged by what the
 * clients saw: every acknowledged write is read back afterwards, and the replicas of the NEW ring converge
 * (Merkle roots equal, no stray version, no hint left: test/sim/checker.ts).
 */
import { describe, expect, it } from 'vitest';
import * as configChange from '../../src/core/config-change.js';
import * as node from '../../src/core/node.js';
import type { ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import { defaultClusterConfig } from '../../src/core/types.js';
import { convergence } from './checker.js';
import { Cluster } from './cluster.js';

const text = (s: string) => ({ kind: 'string' as const, bytes: new TextEncoder().encode(s) });
const decode = (b: Uint8Array) => new TextDecoder().decode(b);

function cluster(seed: number, partitions: number): Cluster {
  const c = new Cluster({ seed, config: { n: 3, r: 2, w: 2, partitions } });
  for (let i = 1; i <= 5; i++) c.addNode(`n${i}`, { seeds: ['n1'] });
  c.run(100);
  return c;
}

/** Puts `count` keys (one writer per key, from rotating nodes) and records which were acknowledged. */
function write(c: Cluster, prefix: string, count: number, acked: Map<string, string>): void {
  for (let i = 0; i < count; i++) {
    const key = `${prefix}${i}`;
    const value = `${key}-v`;
    c.request(`n${1 + (i % 5)}`, { op: 'put', key, value: text(value) }, (r) => {
      if (r.ok) acked.set(key, value);
    });
  }
}

/** Reads every acknowledged key with r = N from every node in turn; returns the keys whose value was missing. */
function missingAfterReads(c: Cluster, acked: ReadonlyMap<string, string>): string[] {
  const missing: string[] = [];
  let i = 0;
  for (const [key, value] of acked) {
    c.request(`n${1 + (i++ % 5)}`, { op: 'get', key, r: 3 }, (r: ClientResult) => {
      const values = r.ok && 'versions' in r ? r.versions.map((v) => (v.value === undefined ? '' : decode(v.value.bytes))) : [];
      if (!values.includes(value)) missing.push(`${key}: ${JSON.stringify(r)}`);
    });
  }
  c.run(200);
  return missing;
}

describe('re-partitioning a room (simulated)', () => {
  it('the page API and the core accept the partitions setting and refuse a count that is not a power of two', () => {
    expect(configChange.settings).toContain('partitions');
    expect(configChange.proposed(defaultClusterConfig, { op: 'configure', partitions: 16 })).toMatchObject({ ok: true, config: { partitions: 16 } });
    const refused = configChange.proposed(defaultClusterConfig, { op: 'configure', partitions: 24 });
    expect(refused.ok).toBe(false);
    expect(refused.ok ? '' : refused.error).toMatch(/partitions must be a power of two.*got 24/);
  });

  it.each([
    { seed: 1, from: 256, to: 16 },
    { seed: 2, from: 16, to: 64 },
    { seed: 3, from: 64, to: 32 },
  ])('seed $seed: $from -> $to partitions while writes go on: every node adopts Q, no acknowledged write is lost, the new replicas converge', ({ seed, from, to }) => {
    const c = cluster(seed, from);
    const acked = new Map<string, string>();
    write(c, 'before', 60, acked);
    c.run(100);
    let configured: ClientResult | undefined;
    c.request('n2', { op: 'configure', partitions: to }, (r) => {
      configured = r;
    });
    write(c, 'during', 40, acked);
    c.run(2000);
    expect(configured).toMatchObject({ ok: true, op: 'configure' });
    expect(acked.size).toBe(100);
    for (const sim of c.nodes.values()) {
      const state = sim.state as node.NodeState;
      expect({ id: sim.id, config: state.config.partitions, ring: state.ring.partitions, index: state.index.partitions }).toEqual({ id: sim.id, config: to, ring: to, index: to });
    }
    expect(missingAfterReads(c, acked)).toEqual([]);
    const state = c.get('n1').state as node.NodeState;
    // The new owners hold the data, not just whoever had it before: every key's N new replicas hold it.
    for (const key of acked.keys()) {
      const replicas = ring.preferenceListForKey(state.ring, key, 3).replicas;
      const holders = replicas.filter((id) => ((c.get(id).state as node.NodeState).index.versions.get(key)?.length ?? 0) > 0);
      expect({ key, holders }).toEqual({ key, holders: replicas });
    }
    expect(convergence(c)).toMatchObject({ ok: true });
  });

  it('a node that restarts after the change keeps the new Q (it is persisted with the config version)', () => {
    const c = cluster(4, 256);
    c.request('n1', { op: 'configure', partitions: 32 }, () => undefined);
    c.run(300);
    c.restart('n4');
    c.run(300);
    expect((c.get('n4').state as node.NodeState).index.partitions).toBe(32);
    expect(convergence(c)).toMatchObject({ ok: true });
  });
});
