/**
 * Room-wide time control in the simulator: the real runtime loop under the simulator's virtual clock follows
 * the same setting the same way a tab does (protocol/time-control.ts, runtime/slow-motion.ts): at 1/10 a node
 * ticks once per ten ticks of time, paused it does not tick and holds peer messages, a step advances it by
 * exactly one tick, and requests made while paused are accepted and answered once time runs again.
 */
import { describe, expect, it } from 'vitest';
import type { ClientResult } from '../../src/core/node-io.js';
import * as version from '../../src/core/version.js';
import { normalTime, type TimeSetting } from '../../src/protocol/time-control.js';
import { Cluster } from './cluster.js';

async function cluster(): Promise<Cluster> {
  const c = new Cluster({ seed: 9, config: { n: 3, r: 2, w: 2, partitions: 16 }, host: 'runtime', seedsFromPresence: true });
  for (const id of ['n1', 'n2', 'n3']) {
    c.addNode(id);
    await c.advance(3);
  }
  await c.advance(100);
  return c;
}

const ticks = (c: Cluster) => ['n1', 'n2', 'n3'].map((id) => c.get(id).runtime?.runtime?.view().tick ?? -1);
const plus = (xs: number[], d: number) => xs.map((x) => x + d);

describe('time control in the simulator (the runtime loop on virtual time)', () => {
  it('1/10 speed: every node ticks once per ten ticks of time; 1x again: once per tick', async () => {
    const c = await cluster();
    c.setTime({ paused: false, speed: 0.1, steps: 0 });
    const before = ticks(c);
    await c.advance(100);
    expect(ticks(c)).toEqual(plus(before, 10));
    c.setTime(normalTime);
    await c.advance(20);
    expect(ticks(c)).toEqual(plus(before, 30));
  });

  it('paused: no ticks, a put is accepted but waits; each step is exactly one tick; resume answers the put', async () => {
    const c = await cluster();
    let setting: TimeSetting = { paused: true, speed: 1, steps: 0 };
    c.setTime(setting);
    const before = ticks(c);
    let result: ClientResult | undefined;
    c.request('n1', { op: 'put', key: 'k', value: version.stringValue('milk') }, (r) => { result = r; });
    await c.advance(200);
    expect(ticks(c)).toEqual(before);
    expect(result, 'the replicas hold the store messages while paused').toBeUndefined();
    expect(c.get('n2').runtime?.runtime?.view().time.paused).toBe(true);
    for (const step of [1, 2, 3]) {
      setting = { ...setting, steps: setting.steps + 1 };
      c.setTime(setting);
      await c.advance(5);
      expect(ticks(c)).toEqual(plus(before, step));
    }
    c.setTime({ ...setting, paused: false });
    for (let i = 0; i < 50 && result === undefined; i++) await c.advance(1);
    expect(result).toMatchObject({ ok: true });
  });

  it('a node that starts later adopts the room\'s current setting', async () => {
    const c = await cluster();
    c.setTime({ paused: true, speed: 0.5, steps: 4 });
    c.addNode('n4');
    await c.advance(50);
    const view = c.get('n4').runtime?.runtime?.view();
    expect(view?.time).toMatchObject({ paused: true, speed: 0.5 });
    expect(view?.tick).toBe(0);
  });
});
