/**
 * Peer input never throws (DESIGN.md: anything wrong is dropped and counted): real messages captured
 * from a simulated run are mutated field by field (numbers towards every limit: 0, 2^31, the jump bounds
 * of limits.ts past the original, 2^48 and 2^53 - 1, negatives and NaN, which the schema refuses; strings
 * to other ids or keys; arrays emptied or doubled; booleans flipped); every mutant the schema still
 * accepts crosses the real codec and is fed to live nodes, which must never throw, must see each other
 * alive again, and must still answer requests. Data safety (issue 11: a modified tab can do no more harm
 * than kv.put): writes acknowledged before the fuzz, on keys no captured message names (so no mutant can
 * overwrite them the way a kv.put could), all read back afterwards from every node, and new puts succeed.
 */
import { describe, expect, it } from 'vitest';
import * as codec from '../../src/core/codec.js';
import { limits } from '../../src/core/limits.js';
import type { Message } from '../../src/core/messages.js';
import { messageSchema } from '../../src/core/messages.js';
import * as node from '../../src/core/node.js';
import * as rngModule from '../../src/core/rng.js';
import * as s from '../../src/core/schema.js';
import * as version from '../../src/core/version.js';
import { Cluster } from './cluster.js';

const seed = Number(process.env.FUZZ_SEED ?? 77);

/** Numbers towards the limits: the codec's edges, the ceilings and the jump bounds past the original value. */
function numberMutants(value: number, rng: rngModule.Rng): number[] {
  const jumps = [limits.lifeJumpMax, limits.incarnationJumpMax, limits.configVersionJumpMax, limits.counterJumpMax];
  return [
    0, 1, 2, 7, 255, 256, 2 ** 31, 2 ** 32, limits.counterMax - 1, limits.counterMax, limits.counterMax + 1, 2 ** 53 - 1, rng.int(1000),
    -1, Number.NaN, Number.POSITIVE_INFINITY, 0.5, limits.capacityMax + 1,
    ...jumps.flatMap((j) => [value + j, value + j + 1]),
  ];
}

function mutate(value: unknown, rng: rngModule.Rng, depth = 0): unknown {
  if (typeof value === 'number') return rng.pick(numberMutants(value, rng));
  if (typeof value === 'string') return rng.pick(['', 'n1', 'n2', 'n9', 'k0', value, `${value}x`]);
  if (typeof value === 'boolean') return !value;
  if (value instanceof Uint8Array) return rng.next() < 0.5 ? new Uint8Array(0) : value.map((b) => b ^ 1);
  if (Array.isArray(value)) {
    if (value.length === 0 || rng.next() < 0.2) return rng.next() < 0.5 ? [] : [...value, ...value];
    const i = rng.int(value.length);
    return value.map((x, j) => (j === i ? mutate(x, rng, depth + 1) : x));
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => k !== 'type');
    if (keys.length === 0) return value;
    const k = rng.pick(keys);
    return { ...value, [k]: mutate((value as Record<string, unknown>)[k], rng, depth + 1) };
  }
  return value;
}

describe('fuzz: mutated peer messages', () => {
  it(`never make a node throw (seed ${seed})`, () => {
    const cluster = new Cluster({ seed, config: { n: 3, r: 2, w: 2, partitions: 16 }, presence: true });
    const captured: Message[] = [];
    cluster.onSend = (_from, _to, message) => {
      if (captured.length < 3000) captured.push(message);
    };
    for (let i = 1; i <= 5; i++) cluster.addNode(`n${i}`, { seeds: ['n1'] });
    cluster.run(50);
    for (let i = 0; i < 30; i++) cluster.request(`n${1 + (i % 5)}`, { op: 'put', key: `k${i % 7}`, value: version.stringValue(`v${i}`) }, () => undefined);
    cluster.request('n2', { op: 'get', key: 'k1' }, () => undefined);
    cluster.run(200);
    // Keys no captured message names: no mutant can name them, so each must survive the fuzz.
    cluster.onSend = undefined;
    const safe: string[] = [];
    for (let i = 0; i < 20; i++) {
      cluster.request(`n${1 + (i % 5)}`, { op: 'put', key: `safe${i}`, value: version.stringValue(`safe-${i}`) }, (r) => {
        if (r.ok) safe.push(`safe${i}`);
      });
    }
    cluster.run(200);
    expect(safe.length).toBeGreaterThan(15);
    const rng = rngModule.create(seed);
    const types = new Set<string>();
    let fed = 0;
    for (let i = 0; i < 20_000 && fed < 5000; i++) {
      const original = rng.pick(captured);
      let mutant: unknown = original;
      for (let m = 1 + rng.int(3); m > 0; m--) mutant = mutate(mutant, rng);
      if (!s.validate(messageSchema, mutant).ok) continue;
      const valid = codec.decode(messageSchema, codec.encode(messageSchema, mutant as Message));
      if (!valid.ok) throw new Error(`FUZZ_SEED=${seed}: a valid mutant did not survive the codec: ${valid.reason}`);
      const target = cluster.get(`n${1 + rng.int(5)}`);
      const state = target.state as node.NodeState;
      const from = rng.pick(['n1', 'n2', 'n3', 'n4', 'n5', 'n9']);
      if (from === target.id) continue;
      types.add(valid.value.type);
      fed++;
      try {
        node.step(state, { type: 'message', from, message: valid.value });
      } catch (error) {
        throw new Error(`FUZZ_SEED=${seed}: ${target.id} threw on ${JSON.stringify(valid.value, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v))}: ${String(error)}`);
      }
      if (fed % 500 === 0) cluster.run(5);
    }
    expect(fed).toBeGreaterThan(1000);
    expect(types.size).toBeGreaterThanOrEqual(8);
    const allAlive = () => [1, 2, 3, 4, 5].every((i) => {
      const view = node.snapshot(cluster.get(`n${i}`).state as node.NodeState).members;
      return [1, 2, 3, 4, 5].every((j) => view.find((m) => m.id === `n${j}`)?.status === 'alive');
    });
    // Forged members look alive until the failure detector times them out (deadTimeoutTicks).
    cluster.run(600);
    let waited = 600;
    while (!allAlive() && waited < 3000) {
      cluster.run(50);
      waited += 50;
    }
    expect(allAlive(), `real members still not all alive ${waited} ticks after the fuzz`).toBe(true);
    // Forged members stay in the ring as dead ones (Dynamo keeps members until an explicit removal), but
    // the real nodes see each other alive again and still answer every request.
    const answers: string[] = [];
    for (let i = 1; i <= 5; i++) {
      cluster.request(`n${i}`, { op: 'put', key: `after${i}`, value: version.stringValue('still works') }, (r) => {
        answers.push(r.ok ? 'ok' : r.error);
      });
    }
    cluster.run(400);
    // A forged (but valid) config, say n = 256, is adopted like any member's change: requests may then
    // fail, but each one is answered, and none is left hanging.
    expect(answers).toHaveLength(5);
    // Bounded jumps and admission leave forged members and configs out, so every put succeeds.
    expect(answers).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    const misses: string[] = [];
    for (const key of safe) {
      for (let i = 1; i <= 5; i++) {
        cluster.request(`n${i}`, { op: 'get', key }, (r) => {
          const values = r.ok && r.op === 'get' ? r.versions.map((v) => new TextDecoder().decode(v.value.bytes)) : [];
          if (!values.includes(`safe-${key.slice(4)}`)) misses.push(`n${i}:${key}:${r.ok ? values.join('|') : r.error}`);
        });
      }
    }
    cluster.run(200);
    expect(misses, `FUZZ_SEED=${seed}: acknowledged writes not read back`).toEqual([]);
  });
});
