import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VClock } from '../../src/core/types.js';
import * as vclock from '../../src/core/vclock.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);
const runs = { seed: fcSeed, numRuns: 500 };

/** Clocks over a small actor set, so that random pairs are often related (not just concurrent). */
const actors = ['a@0', 'b@0', 'b@1', 'c@0'];
const clockArb: fc.Arbitrary<VClock> = fc
  .tuple(...actors.map(() => fc.option(fc.record({ counter: fc.integer({ min: 1, max: 3 }), tick: fc.integer({ min: 0, max: 20 }) }), { nil: undefined })))
  .map((slots) => slots.flatMap((s, i) => (s === undefined ? [] : [{ actor: actors[i] as string, counter: s.counter, tick: s.tick }])));

/** Builds a clock from a compact spec: 'a:2 b:1' (ticks = counters). */
const c = (spec: string): VClock =>
  spec
    .split(' ')
    .filter((s) => s !== '')
    .map((s) => {
      const [who, n] = s.split(':');
      return { actor: `${who}@0`, counter: Number(n), tick: Number(n) };
    })
    .sort((x, y) => (x.actor < y.actor ? -1 : 1));

const mirror = { before: 'after', after: 'before', equal: 'equal', concurrent: 'concurrent' } as const;

describe('vclock: compare', () => {
  it.each([
    ['', '', 'equal'],
    ['', 'a:1', 'before'],
    ['a:1', 'a:2', 'before'],
    ['a:2', 'a:1', 'after'],
    ['a:1 b:1', 'a:1', 'after'],
    ['a:1', 'b:1', 'concurrent'],
    ['a:2 b:1', 'a:1 b:2', 'concurrent'],
    ['a:1 b:2', 'a:1 b:2', 'equal'],
    ['a:1 c:1', 'a:1 b:1 c:1', 'before'],
  ])('compare(%j, %j) = %s', (a, b, expected) => {
    expect(vclock.compare(c(a), c(b))).toBe(expected);
    expect(vclock.descends(c(b), c(a))).toBe(expected === 'before' || expected === 'equal');
  });

  it('is reflexive: every clock equals itself', () => {
    fc.assert(fc.property(clockArb, (a) => vclock.compare(a, a) === 'equal'), runs);
  });

  it('mirrors: compare(b, a) is the mirror of compare(a, b)', () => {
    fc.assert(fc.property(clockArb, clockArb, (a, b) => vclock.compare(b, a) === mirror[vclock.compare(a, b)]), runs);
  });

  it('is antisymmetric: a >= b and b >= a only when a and b have the same counters', () => {
    fc.assert(
      fc.property(clockArb, clockArb, (a, b) => {
        if (!(vclock.descends(a, b) && vclock.descends(b, a))) return true;
        return JSON.stringify(a.map((e) => [e.actor, e.counter])) === JSON.stringify(b.map((e) => [e.actor, e.counter]));
      }),
      runs,
    );
  });

  it('is transitive: a >= b and b >= c imply a >= c', () => {
    fc.assert(fc.property(clockArb, clockArb, clockArb, (a, b, x) => !(vclock.descends(a, b) && vclock.descends(b, x)) || vclock.descends(a, x)), runs);
  });

  it('increment makes a strict descendant, with the tick of the write', () => {
    fc.assert(
      fc.property(clockArb, fc.constantFrom(...actors, 'z@3'), fc.integer({ min: 0, max: 100 }), (a, who, tick) => {
        const next = vclock.increment(a, who, tick);
        expect(vclock.compare(a, next)).toBe('before');
        expect(vclock.counterOf(next, who)).toBe(vclock.counterOf(a, who) + 1);
        expect(vclock.validate(next)).toEqual({ ok: true });
      }),
      runs,
    );
  });
});

describe('vclock: merge', () => {
  const same = (x: VClock, y: VClock) => expect(x).toEqual(y);
  it('is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, x) => {
        same(vclock.merge(a, b), vclock.merge(b, a));
        same(vclock.merge(vclock.merge(a, b), x), vclock.merge(a, vclock.merge(b, x)));
        same(vclock.merge(a, a), a);
      }),
      runs,
    );
  });

  it('is the least upper bound: it descends both, and any clock descending both descends it', () => {
    fc.assert(
      fc.property(clockArb, clockArb, clockArb, (a, b, u) => {
        const m = vclock.merge(a, b);
        expect(vclock.descends(m, a) && vclock.descends(m, b)).toBe(true);
        if (vclock.descends(u, a) && vclock.descends(u, b)) expect(vclock.descends(u, m)).toBe(true);
      }),
      runs,
    );
  });

  it('keeps the newer tick for an actor on both sides', () => {
    const a = [{ actor: 'a@0', counter: 2, tick: 9 }];
    const b = [{ actor: 'a@0', counter: 3, tick: 4 }];
    expect(vclock.merge(a, b)).toEqual([{ actor: 'a@0', counter: 3, tick: 9 }]);
  });
});

describe('vclock: truncate', () => {
  it('keeps the max entries with the newest ticks, in actor order', () => {
    const clock = ['a', 'b', 'c', 'd', 'e'].map((x, i) => ({ actor: `${x}@0`, counter: 1, tick: [5, 1, 9, 3, 7][i] as number }));
    expect(vclock.truncate(clock, 3).map((e) => e.actor)).toEqual(['a@0', 'c@0', 'e@0']);
    expect(vclock.truncate(clock, 5)).toBe(clock);
  });

  it('defaults to the paper bound of 10 entries, and a truncated clock never claims more than the original', () => {
    const clock = Array.from({ length: 14 }, (_, i) => ({ actor: `n${String(i).padStart(2, '0')}@0`, counter: 1, tick: i }));
    const cut = vclock.truncate(clock);
    expect(cut.map((e) => e.tick)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
    expect(vclock.descends(clock, cut)).toBe(true);
  });
});

describe('vclock: actors and contexts', () => {
  it('names actors node@epoch and parses them back', () => {
    expect(vclock.actor('tab-1', 3)).toBe('tab-1@3');
    expect(vclock.parseActor('tab@x@12')).toEqual({ nodeId: 'tab@x', epoch: 12 });
    for (const bad of ['', '@1', 'n@', 'n@01', 'n@-1', 'n@1.5', 'n']) expect(vclock.parseActor(bad)).toBeUndefined();
    expect(() => vclock.actor('', 1)).toThrow(RangeError);
    expect(() => vclock.actor('n', -1)).toThrow(RangeError);
  });

  it('round-trips any valid clock through a URL-safe context string', () => {
    fc.assert(
      fc.property(clockArb, (a) => {
        const text = vclock.toContext(a);
        expect(text).toMatch(/^[A-Za-z0-9._-]*$/);
        expect(vclock.fromContext(text)).toEqual({ ok: true, clock: a });
      }),
      runs,
    );
  });

  const ctx = (entries: unknown) => `c1.${Buffer.from(JSON.stringify(entries)).toString('base64url')}`;
  it.each([
    ['', 'unknown context format'],
    ['c2.W10', 'unknown context format'],
    ['c1.***', 'not base64url'],
    ['c1.' + Buffer.from('{"a":1}').toString('base64url'), 'not a list'],
    ['c1.' + Buffer.from('[1,').toString('base64url'), 'not valid JSON'],
    ['c1.' + Buffer.from([0xff, 0xfe]).toString('base64url'), 'not UTF-8'],
    [ctx([['a@0', 1]]), 'not [actor, counter, tick]'],
    [ctx([['a@0', '1', 0]]), 'wrong types'],
    [ctx([['a', 1, 0]]), 'bad actor'],
    [ctx([['a@0', 0, 0]]), 'bad counter'],
    [ctx([['a@0', 1.5, 0]]), 'bad counter'],
    [ctx([['a@0', 1, -1]]), 'bad tick'],
    [ctx([['b@0', 1, 0], ['a@0', 1, 0]]), 'not sorted and unique'],
    [ctx([['a@0', 1, 0], ['a@0', 2, 0]]), 'not sorted and unique'],
    [ctx(Array.from({ length: vclock.contextEntriesMax + 1 }, (_, i) => [`n${i}@0`, 1, 0])), 'more than'],
    ['c1.' + 'A'.repeat(vclock.contextCharsMax), 'longer than'],
  ])('fromContext refuses %j with a reason (%s)', (text, reason) => {
    const parsed = vclock.fromContext(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });

  it('fromContext never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => vclock.fromContext(s).ok === false || s.startsWith('c1.')), runs);
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (s) => typeof vclock.fromContext(`c1.${s}`).ok === 'boolean'), runs);
  });
});
