import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as clientContext from '../../src/core/client-context.js';
import * as dvv from '../../src/core/dvv.js';
import * as siblings from '../../src/core/siblings.js';
import type { Version, VV } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

const seed = Number(process.env.FC_SEED ?? 20261124);
/** A VV from a compact text: "a:2 b:1" (actors get '@1'). */
const vv = (text: string): VV => (text === '' ? [] : text.split(' ').map((e) => {
  const [a, c] = e.split(':');
  return { actor: `${a}@1`, counter: Number(c) };
}).sort((x, y) => (x.actor < y.actor ? -1 : 1)));
const dot = (text: string) => vv(text)[0] as { actor: string; counter: number };
const ver = (d: string, past: string, text = `${d}/${past}`): Version => version.make({ dot: dot(d), past: vv(past), value: version.stringValue(text), timestamp: 0 });

describe('dvv.join, compare, covers', () => {
  it.each([
    // a, b, join, compare(a, b)
    ['', '', '', 'equal'],
    ['a:1', '', 'a:1', 'after'],
    ['a:1', 'a:2', 'a:2', 'before'],
    ['a:2 b:1', 'a:1 b:2', 'a:2 b:2', 'concurrent'],
    ['a:1 c:3', 'b:2', 'a:1 b:2 c:3', 'concurrent'],
  ] as const)('%j with %j', (a, b, joined, order) => {
    expect(dvv.join(vv(a), vv(b))).toEqual(vv(joined));
    expect(dvv.join(vv(b), vv(a))).toEqual(vv(joined));
    expect(dvv.compare(vv(a), vv(b))).toBe(order);
  });
});

describe('the obsoletes relation: Y obsoletes X iff Y.past[X.dot.actor] >= X.dot.counter', () => {
  it.each([
    // x dot, x past, y dot, y past, y obsoletes x
    ['a:1', '', 'a:2', 'a:1', true],
    ['a:1', '', 'a:2', '', false], // same coordinator, stale context: concurrent (classic VVs lose this)
    ['a:1', '', 'b:1', 'a:1', true],
    ['a:3', 'a:1', 'b:1', 'a:2', false],
    ['a:2', '', 'a:3', 'a:2 b:5', true],
    ['b:1', 'a:1', 'a:2', 'a:1', false], // siblings written from one context
  ] as const)('x=%s/%j  y=%s/%j: %s', (xd, xp, yd, yp, expected) => {
    expect(dvv.obsoletes(ver(yd, yp), ver(xd, xp))).toBe(expected);
    expect(siblings.obsoletes(ver(yd, yp), ver(xd, xp), 'dvv')).toBe(expected);
  });
});

describe('dvv.nextDot: one past every counter of the actor, local and in the context (update)', () => {
  it.each([
    // local versions [dot, past], context, next dot
    [[], '', 'a:1'],
    [[['a:1', '']], '', 'a:2'],
    [[['a:3', 'a:1'], ['b:1', 'a:2']], 'a:1', 'a:4'],
    [[['b:4', 'a:7']], '', 'a:8'],
    [[], 'a:5 b:2', 'a:6'],
  ] as const)('local %j, context %j: %s', (local, context, expected) => {
    expect(dvv.nextDot('a@1', local.map(([d, p]) => ver(d, p)), vv(context))).toEqual(dot(expected));
  });
});

describe('siblings.mergeAll (sync) and contextOf (join)', () => {
  it.each([
    // set a, set b, survivors (dots), context
    [[['a:1', '']], [['a:2', 'a:1']], ['a:2'], 'a:2'],
    [[['a:1', '']], [['a:2', '']], ['a:1', 'a:2'], 'a:2'],
    [[['a:1', ''], ['b:1', '']], [['a:2', 'a:1 b:1']], ['a:2'], 'a:2 b:1'],
    [[['a:2', 'a:1 b:1']], [['b:2', 'a:1 b:1']], ['a:2', 'b:2'], 'a:2 b:2'],
    [[['a:1', '']], [['a:1', '']], ['a:1'], 'a:1'],
  ] as const)('%j + %j', (a, b, dots, context) => {
    const merged = siblings.mergeAll(a.map(([d, p]) => ver(d, p)), b.map(([d, p]) => ver(d, p)));
    expect(merged.map((v) => `${v.dot.actor.split('@')[0]}:${v.dot.counter}`).sort()).toEqual([...dots]);
    expect(siblings.contextOf(merged)).toEqual(vv(context));
  });
});

/** One replica of one key, driven by the coordinator's rule: what the DVV paper's examples run on. */
function put(set: readonly Version[], actor: string, context: VV, text: string, policy: siblings.ClockPolicy = 'dvv'): readonly Version[] {
  const d = dvv.nextDot(actor, set, context);
  const v = version.make({ dot: d, past: context, value: version.stringValue(text), timestamp: 0 });
  const r = siblings.reconcile(set, v, { max: 1000, policy });
  return r.versions;
}
const texts = (set: readonly Version[]) => set.map((v) => new TextDecoder().decode(v.value.bytes)).sort();

describe('the shopping cart of Mary and Peter (DVV paper; dvvset.erl eunit): one replica, stale contexts', () => {
  it('concurrent puts through one coordinator stay siblings; a put with a read context collapses them', () => {
    let cart: readonly Version[] = [];
    const empty = siblings.contextOf(cart);
    cart = put(cart, 'A@1', empty, 'eggs'); // Mary, from an empty read
    expect(texts(cart)).toEqual(['eggs']);
    cart = put(cart, 'A@1', empty, 'ham'); // Peter, from the same empty read
    expect(texts(cart)).toEqual(['eggs', 'ham']);
    expect(cart.map((v) => v.dot.counter).sort()).toEqual([1, 2]);
    const maryCtx = vv('A:1'); // what Mary's put returned (contiguous: it covers her own dot)
    cart = put(cart, 'A@1', maryCtx, 'eggs,milk'); // Mary replaces her own eggs, not Peter's ham
    expect(texts(cart)).toEqual(['eggs,milk', 'ham']);
    const peterRead = siblings.contextOf(cart);
    expect(peterRead).toEqual(vv('A:3'));
    cart = put(cart, 'A@1', peterRead, 'eggs,milk,ham'); // Peter merges what he read
    expect(texts(cart)).toEqual(['eggs,milk,ham']);
  });

  it('the plain-vv control loses Peter\'s ham (classic "increment my own entry" clocks)', () => {
    let cart: readonly Version[] = [];
    cart = put(cart, 'A@1', [], 'eggs', 'plain-vv');
    cart = put(cart, 'A@1', [], 'ham', 'plain-vv');
    expect(texts(cart)).toEqual(['ham']);
  });
});

describe('dvv.prune: bounded pasts, never a lost version', () => {
  it.each([
    ['a:5 b:1 c:3', 2, 'a:5 c:3'],
    ['a:1 b:1 c:1', 2, 'a:1 b:1'],
    ['a:1', 2, 'a:1'],
  ] as const)('%j to %i entries: %j', (input, max, expected) => {
    expect(dvv.prune(vv(input), max)).toEqual(vv(expected));
  });

  it('property: a pruned VV covers no dot the VV did not (so it can only add siblings)', () => {
    const entry = fc.record({ actor: fc.constantFrom('a@1', 'b@1', 'c@1', 'd@1', 'e@1'), counter: fc.integer({ min: 1, max: 9 }) });
    fc.assert(fc.property(fc.uniqueArray(entry, { selector: (e) => e.actor }), fc.integer({ min: 0, max: 5 }), entry, (list, max, probe) => {
      const full = [...list].sort((x, y) => (x.actor < y.actor ? -1 : 1));
      const pruned = dvv.prune(full, max);
      expect(pruned.length).toBeLessThanOrEqual(max);
      expect(dvv.descends(full, pruned)).toBe(true);
      if (dvv.covers(pruned, probe)) expect(dvv.covers(full, probe)).toBe(true);
    }), { seed, numRuns: 300 });
  });
});

describe('dvv contexts: opaque, validated, old format refused', () => {
  it('round-trips and refuses a c1 context with a clear error', () => {
    const c = clientContext.toContext(vv('a:2 b:7'));
    expect(c.startsWith('c2.')).toBe(true);
    expect(clientContext.fromContext(c)).toEqual({ ok: true, vv: vv('a:2 b:7') });
    expect(clientContext.fromContext('c1.W10')).toEqual({ ok: false, reason: 'context from an older version of the store: read the key again' });
  });
  it.each([
    ['unsorted', [['b@1', 1], ['a@1', 1]]],
    ['zero counter', [['a@1', 0]]],
    ['counter past 2^48', [['a@1', 2 ** 48 + 1]]],
    ['bad actor', [['nobody', 1]]],
  ])('refuses %s', (_, entries) => {
    const text = `c2.${Buffer.from(JSON.stringify(entries)).toString('base64url')}`;
    expect(clientContext.fromContext(text).ok).toBe(false);
  });
});

/**
 * A model cluster of one key: N = 3 replicas, W = 2, R = 2, no faults. A put is coordinated by a random
 * replica and its whole set goes to one other (W = 2); a get merges two random replicas; sync events
 * push one replica's whole set to another (anti-entropy). Used by the properties below.
 */
interface Model { replicas: (readonly Version[])[]; written: Version[]; contexts: VV[] }
type Step = { kind: 'get' | 'put' | 'sync'; client: number; a: number; b: number };

function runModel(k: number, steps: readonly Step[], pruneMax = 64): Model {
  const m: Model = { replicas: [[], [], []], written: [], contexts: Array.from({ length: k }, () => []) };
  let n = 0;
  for (const s of steps) {
    const a = s.a % 3;
    const b = (a + 1 + (s.b % 2)) % 3;
    const client = s.client % k;
    if (s.kind === 'get') {
      m.contexts[client] = siblings.contextOf(siblings.mergeAll(m.replicas[a] ?? [], m.replicas[b] ?? []));
    } else if (s.kind === 'put') {
      const set = m.replicas[a] ?? [];
      const d = dvv.nextDot(`r${a}@1`, set, m.contexts[client] ?? []);
      const v = version.make({ dot: d, past: dvv.prune(m.contexts[client] ?? [], pruneMax), value: version.stringValue(`w${n++}`), timestamp: 0 });
      m.written.push(v);
      m.replicas[a] = siblings.mergeAll(set, [v]);
      m.replicas[b] = siblings.mergeAll(m.replicas[b] ?? [], m.replicas[a] ?? []);
    } else {
      m.replicas[b] = siblings.mergeAll(m.replicas[b] ?? [], m.replicas[a] ?? []);
    }
  }
  return m;
}

const stepArb = fc.record({ kind: fc.constantFrom('get' as const, 'put' as const, 'sync' as const), client: fc.nat(7), a: fc.nat(2), b: fc.nat(1) });

describe('properties over model histories (fast-check, seeded)', () => {
  it('merge (sync) is order-independent and idempotent', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), (steps, k) => {
      const m = runModel(k, steps);
      const [x = [], y = [], z = []] = m.replicas;
      const digests = (set: readonly Version[]) => set.map((v) => v.digest);
      expect(digests(siblings.mergeAll(x, y))).toEqual(digests(siblings.mergeAll(y, x)));
      expect(digests(siblings.mergeAll(siblings.mergeAll(x, y), z))).toEqual(digests(siblings.mergeAll(x, siblings.mergeAll(y, z))));
      expect(digests(siblings.mergeAll(x, x))).toEqual(digests(x));
      let folded: readonly Version[] = [];
      for (const v of [...m.written].reverse()) folded = siblings.reconcile(folded, v, { max: 1000 }).versions;
      expect(digests(folded)).toEqual(digests(siblings.mergeAll(m.written, [])));
    }), { seed, numRuns: 200 });
  });

  it('k clients in read-modify-write loops never make more than k siblings (W + R > N, no faults)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.nat(4), fc.nat(2), fc.nat(2)), { maxLength: 60 }), (k, plan) => {
      // Each client alternates get then put (a read-modify-write), interleaved with the others.
      const steps: Step[] = [];
      const next = Array.from({ length: k }, () => 'get' as 'get' | 'put');
      for (const [c, a, b] of plan) {
        const client = c % k;
        steps.push({ kind: next[client] as 'get' | 'put', client, a, b });
        next[client] = next[client] === 'get' ? 'put' : 'get';
        const m = runModel(k, steps);
        for (const set of m.replicas) expect(set.length).toBeLessThanOrEqual(k);
      }
    }), { seed, numRuns: 100 });
  });

  it('no written version disappears unless a write whose context covered it was applied (pruned pasts too)', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 50 }), fc.integer({ min: 1, max: 5 }), fc.constantFrom(1, 2, 64), (steps, k, pruneMax) => {
      const m = runModel(k, [...steps, { kind: 'sync', client: 0, a: 0, b: 0 }, { kind: 'sync', client: 0, a: 1, b: 0 }, { kind: 'sync', client: 0, a: 2, b: 0 }, { kind: 'sync', client: 0, a: 0, b: 0 }], pruneMax);
      const final = siblings.mergeAll(siblings.mergeAll(m.replicas[0] ?? [], m.replicas[1] ?? []), m.replicas[2] ?? []);
      for (const v of m.written) {
        if (final.some((f) => f.digest === v.digest)) continue;
        expect(m.written.some((w) => dvv.obsoletes(w, v))).toBe(true);
      }
    }), { seed, numRuns: 200 });
  });

  it('every replica keeps the invariant: holding dot (r, k) means holding each (r, j < k) or an obsoleter', () => {
    fc.assert(fc.property(fc.array(stepArb, { maxLength: 50 }), fc.integer({ min: 1, max: 4 }), (steps, k) => {
      const m = runModel(k, steps);
      for (const set of m.replicas) {
        for (const held of set) {
          for (const earlier of m.written) {
            if (earlier.dot.actor !== held.dot.actor || earlier.dot.counter >= held.dot.counter) continue;
            const kept = set.some((x) => x.digest === earlier.digest || dvv.obsoletes(x, earlier));
            const covered = m.written.some((w) => dvv.obsoletes(w, earlier) && set.some((x) => dvv.covers(dvv.clockOf(x), w.dot)));
            expect(kept || covered).toBe(true);
          }
        }
      }
    }), { seed, numRuns: 200 });
  });
});
