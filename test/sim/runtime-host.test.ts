/**
 * The simulator's runtime host: nodes run the real runtime loop (group commit, persist-before-send,
 * storage-failed) under their own virtual clocks, deterministically.
 */
import { describe, expect, it } from 'vitest';
import type { ClientResult } from '../../src/core/node-io.js';
import * as ring from '../../src/core/ring.js';
import * as storeIndex from '../../src/core/store-index.js';
import * as version from '../../src/core/version.js';
import { Cluster } from './cluster.js';
import { runSeed } from './run.js';

async function cluster(): Promise<Cluster> {
  const c = new Cluster({ seed: 5, config: { n: 3, r: 2, w: 2, partitions: 16 }, host: 'runtime', clocks: { local: true, driftMax: 0.05 }, seedsFromPresence: true, trace: true });
  for (const id of ['n1', 'n2', 'n3', 'n4']) {
    c.addNode(id);
    await c.advance(3);
  }
  await c.advance(100);
  return c;
}

async function ask(c: Cluster, id: string, request: Parameters<Cluster['request']>[1]): Promise<ClientResult | undefined> {
  let result: ClientResult | undefined;
  c.request(id, request, (r) => {
    result = r;
  });
  for (let i = 0; i < 400 && result === undefined; i++) await c.advance(1);
  return result;
}

describe('runtime host (the real runtime loop in the simulator)', () => {
  it('serves puts and gets through the runtime loop, every node on its own clock', async () => {
    const c = await cluster();
    expect(await ask(c, 'n2', { op: 'put', key: 'k', value: version.stringValue('milk') })).toMatchObject({ ok: true });
    const got = await ask(c, 'n4', { op: 'get', key: 'k' });
    expect(got?.ok && got.op === 'get' ? got.versions.length : -1).toBe(1);
    expect(c.stats.steps).toBe(0); // the cluster stepped nothing itself: the runtimes did
  });

  it('a failed batch: the node is rebuilt from storage: its index holds only what storage holds', async () => {
    const c = await cluster();
    const state = c.get('n1').state as NonNullable<ReturnType<Cluster['get']>['state']>;
    const coordinator = ring.preferenceListForKey(state.ring, 'k', 3).replicas[0] as string;
    c.failStorage(coordinator, 1);
    await ask(c, coordinator, { op: 'put', key: 'k', value: version.stringValue('milk') });
    expect(c.stats.storageFailures).toBe(1);
    const sim = c.get(coordinator);
    const index = storeIndex.get((sim.state as NonNullable<typeof sim.state>).index, 'k').map((v) => v.digest).sort();
    const stored = [...(sim.store.allVersions().get('k')?.keys() ?? [])].sort();
    expect(index).toEqual(stored);
  });

  it('one seed replays exactly through the runtime: the same trace and history twice', async () => {
    const a = await runSeed({ seed: 31, trace: true, ticks: 400, intensity: 'high' });
    const b = await runSeed({ seed: 31, trace: true, ticks: 400, intensity: 'high' });
    expect(a.trace.length).toBeGreaterThan(100);
    expect(a.storageFailures).toBeGreaterThan(0);
    expect(b.trace).toEqual(a.trace);
    expect(b.history).toEqual(a.history);
  });
});
