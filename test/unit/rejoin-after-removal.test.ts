/**
 * Issue 10, item 2, in the simulator with the real core: a node removed while it was away comes back with
 * its old storage as a new life and never resurrects its old partitions' data. While it was away, every
 * key it held was deleted or updated (each write carrying the context of a read, as a client does); once
 * it is back and anti-entropy has run, clients reading with r = N from any node see the deletions and the
 * updates, and no node's STORAGE (the returning node's included) still holds a value those writes replaced.
 *
 * What the returning node does with data of partitions it no longer owns: it keeps it and hands it to the
 * current owners by anti-entropy (anti-entropy.ts runs on partitions a node holds data of but no longer
 * replicates), which also brings it the owners' newer versions, so its stale copies are replaced there too.
 * It drops nothing (removal moves ownership, never data): a copy it kept is always reconciled, never served
 * as the answer on its own.
 */
import { describe, expect, it } from 'vitest';
import type * as node from '../../src/core/node.js';
import type { ClientRequest, ClientResult } from '../../src/core/node-io.js';
import * as version from '../../src/core/version.js';
import { Cluster } from '../sim/cluster.js';

const decoder = new TextDecoder();
const text = (bytes: Uint8Array) => decoder.decode(bytes);
const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const keys = Array.from({ length: 40 }, (_, i) => `k${i}`);

function ask(c: Cluster, id: string, request: ClientRequest): ClientResult {
  let result: ClientResult | undefined;
  const start = c.now;
  c.request(id, request, (r) => { result = r; });
  while (result === undefined && c.now - start < 400) c.run(1);
  if (result === undefined) throw new Error(`${request.op} on ${id}: no answer within 400 ticks`);
  return result;
}

/** The live (non-tombstone) string values of a get with r = 3. */
function liveValues(c: Cluster, id: string, key: string): string[] {
  const got = ask(c, id, { op: 'get', key, r: 3 });
  if (!got.ok || got.op !== 'get') throw new Error(`get ${key} on ${id}: ${JSON.stringify(got)}`);
  return got.versions.filter((v) => v.value.kind !== 'tombstone').map((v) => text(v.value.bytes)).sort();
}

/** key -> live values one node holds in storage. */
function storedLive(c: Cluster, id: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [key, versions] of c.get(id).store.allVersions()) {
    const live = [...versions.values()].filter((v) => v.value.kind !== 'tombstone').map((v) => text(v.value.bytes));
    if (live.length > 0) out.set(key, live);
  }
  return out;
}

describe('a removed node that comes back', { timeout: 60_000 }, () => {
  it('rejoins as a new life and resurrects none of its old data: deletions stay deleted, updates stay new, in every node\'s storage', () => {
    const c = new Cluster({ seed: 11, trace: false, config: { n: 3, r: 2, w: 2, partitions: 16 }, network: { lossRate: 0, duplicateRate: 0, delayMinTicks: 1, jitterTicks: 0 } });
    for (const id of ids) c.addNode(id, { seeds: ['n1'] });
    c.run(150);
    for (const key of keys) expect(ask(c, 'n1', { op: 'put', key, value: version.stringValue(`old-${key}`) })).toMatchObject({ ok: true });
    c.run(100);
    // The keys n5 holds in storage before it goes: those are the ones it could resurrect.
    const held = [...storedLive(c, 'n5').keys()].sort();
    expect(held.length).toBeGreaterThan(10);
    const oldLife = (c.get('n5').state as node.NodeState).life;

    c.crash('n5');
    c.run(300);
    expect(ask(c, 'n1', { op: 'remove', id: 'n5' })).toEqual({ ok: true, op: 'remove' });
    c.run(300);
    const deleted = held.filter((_, i) => i % 2 === 0);
    const updated = held.filter((_, i) => i % 2 === 1);
    for (const key of held) {
      const read = ask(c, 'n2', { op: 'get', key });
      const context = read.ok && read.op === 'get' ? read.context : '';
      const write: ClientRequest = deleted.includes(key) ? { op: 'delete', key, context } : { op: 'put', key, value: version.stringValue(`new-${key}`), context };
      expect(ask(c, 'n2', write)).toMatchObject({ ok: true });
    }
    expect(storedLive(c, 'n5').size).toBe(held.length); // still on its disk while it is away

    c.restart('n5'); // the same storage: it still holds every old value
    c.run(1500);
    const back = c.get('n5').state as node.NodeState;
    expect(back.life).toBe(oldLife + 1);
    for (const id of ids) expect((c.get(id).state as node.NodeState).members.get('n5')).toMatchObject({ status: 'alive', life: back.life, epoch: back.epoch });

    // What clients see, from every node, the returning one included.
    for (const id of ids) {
      for (const key of deleted) expect(liveValues(c, id, key), `${key} read on ${id}`).toEqual([]);
      for (const key of updated) expect(liveValues(c, id, key), `${key} read on ${id}`).toEqual([`new-${key}`]);
    }
    // What every node holds in storage: no value a later write replaced, anywhere.
    const survivors: string[] = [];
    for (const id of ids) {
      for (const [key, values] of storedLive(c, id)) for (const v of values) if (v === `old-${key}` && held.includes(key)) survivors.push(`${id}:${key}=${v}`);
    }
    expect(survivors).toEqual([]);
  });
});
