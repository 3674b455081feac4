import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { limits } from '../../src/core/limits.js';
import * as siblings from '../../src/core/siblings.js';
import type { VClock } from '../../src/core/types.js';
import * as vclock from '../../src/core/vclock.js';
import * as version from '../../src/core/version.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);
const runs = { seed: fcSeed, numRuns: 300 };

type V = siblings.Versioned & { readonly label: string };
/** A version whose digest is a function of its clock and label, as real digests are of clock and value. */
const v = (label: string, clock: VClock): V => ({ label, clock, digest: version.digestOf(clock, label) });
const tick = (clock: VClock, who: string): VClock => vclock.increment(clock, `${who}@0`, 0);
const labels = (set: readonly V[]) => set.map((x) => x.label).sort();

const actors = ['a@0', 'b@0', 'c@0'];
const versionArb: fc.Arbitrary<V> = fc
  .tuple(fc.tuple(...actors.map(() => fc.integer({ min: 0, max: 2 }))), fc.constantFrom('x', 'y'))
  .map(([counters, value]) => {
    const clock = counters.flatMap((n, i) => (n === 0 ? [] : [{ actor: actors[i] as string, counter: n, tick: 0 }]));
    return v(`${value}:${counters.join('')}`, clock);
  });

/** The specification: the versions no other version strictly descends from, once each. */
const maximal = (all: readonly V[]): string[] => {
  const unique = [...new Map(all.map((x) => [x.digest, x])).values()];
  return labels(unique.filter((x) => !unique.some((y) => vclock.compare(y.clock, x.clock) === 'after')));
};
const arrive = (order: readonly V[]): readonly V[] =>
  order.reduce<readonly V[]>((set, x) => siblings.reconcile(set, x, { max: Infinity }).versions, []);

describe('siblings: reconcile', () => {
  const base = v('base', tick([], 'a'));
  const child = v('child', tick(base.clock, 'a'));
  const other = v('other', tick(base.clock, 'b'));
  it.each([
    ['a first write is added', [], base, 'added', ['base'], []],
    ['a descendant replaces its ancestor', [base], child, 'replaced', ['child'], ['base']],
    ['a concurrent version becomes a sibling', [child], other, 'added', ['child', 'other'], []],
    ['a write covering both siblings replaces both', [child, other], v('fix', tick(vclock.merge(child.clock, other.clock), 'c')), 'replaced', ['fix'], ['child', 'other']],
    ['an ancestor arriving late is ignored', [child], base, 'ignored', ['child'], []],
    ['a version already held is ignored', [child, other], other, 'ignored', ['child', 'other'], []],
    ['equal clocks with different values are both kept (never guess)', [child], v('twin', child.clock), 'added', ['child', 'twin'], []],
  ] as const)('%s', (_name, current, incoming, outcome, kept, dropped) => {
    const r = siblings.reconcile(current, incoming);
    expect(r.outcome).toBe(outcome);
    expect(labels(r.versions)).toEqual(kept);
    expect(labels(r.dropped)).toEqual(dropped);
  });

  it('siblings are exactly the concurrent versions: the result is the maximal versions of all arrivals', () => {
    fc.assert(fc.property(fc.array(versionArb, { maxLength: 12 }), (all) => {
      expect(labels(arrive(all))).toEqual(maximal(all));
    }), runs);
  });

  it('is order-independent: any permutation of arrivals gives the same set (same order too: sorted by digest)', () => {
    fc.assert(
      fc.property(fc.array(versionArb, { maxLength: 12 }).chain((all) => fc.tuple(fc.constant(all), fc.shuffledSubarray(all, { minLength: all.length }))), ([all, shuffled]) => {
        expect(arrive(shuffled)).toEqual(arrive(all));
      }),
      runs,
    );
  });

  it('is idempotent: redelivering any version already seen changes nothing', () => {
    fc.assert(
      fc.property(fc.array(versionArb, { minLength: 1, maxLength: 12 }), fc.nat(), (all, i) => {
        const set = arrive(all);
        const again = siblings.reconcile(set, all[i % all.length] as V, { max: Infinity });
        expect(again.outcome).toBe('ignored');
        expect(again.versions).toBe(set);
      }),
      runs,
    );
  });
});

describe('siblings: mergeAll, contextOf, leafDigest', () => {
  it('mergeAll is order-independent and idempotent, and equals arriving one by one', () => {
    fc.assert(
      fc.property(fc.array(versionArb, { maxLength: 8 }), fc.array(versionArb, { maxLength: 8 }), (xs, ys) => {
        const a = arrive(xs);
        const b = arrive(ys);
        const ab = siblings.mergeAll(a, b);
        expect(siblings.mergeAll(b, a)).toEqual(ab);
        expect(siblings.mergeAll(ab, ab)).toEqual(ab);
        expect(labels(ab)).toEqual(maximal([...xs, ...ys]));
      }),
      runs,
    );
  });

  it('a write made with contextOf(the siblings) descends every one of them', () => {
    fc.assert(
      fc.property(fc.array(versionArb, { maxLength: 8 }), (xs) => {
        const set = arrive(xs);
        const fix = v('fix', tick(siblings.contextOf(set), 'z'));
        const r = siblings.reconcile(set, fix);
        expect(labels(r.versions)).toEqual(['fix']);
        expect(r.dropped.length).toBe(set.length);
      }),
      runs,
    );
  });

  it('leafDigest is order-independent, undefined for no versions, and changes with the set', () => {
    const [a, b] = [v('a', tick([], 'a')), v('b', tick([], 'b'))];
    expect(siblings.leafDigest([])).toBeUndefined();
    expect(siblings.leafDigest([a, b])).toBe(siblings.leafDigest([b, a]));
    expect(new Set([siblings.leafDigest([a]), siblings.leafDigest([b]), siblings.leafDigest([a, b])]).size).toBe(3);
  });

  it('tombstone helpers read VersionMeta.kind and Version.value.kind', () => {
    const dead = { kind: 'tombstone' as const };
    const alive = { value: { kind: 'string' as const } };
    expect(siblings.isTombstoned([dead])).toBe(true);
    expect(siblings.isTombstoned([dead, alive])).toBe(false);
    expect(siblings.isTombstoned([])).toBe(false);
    expect(siblings.live([dead, alive])).toEqual([alive]);
  });
});

describe('siblings: the bound never loses an acknowledged write', () => {
  const root = v('root', tick([], 'a'));
  /** `count` writes that all saw root but not each other. */
  const concurrent = (count: number, prefix: string) => Array.from({ length: count }, (_, i) => v(`${prefix}${i}`, tick(root.clock, `${prefix}${i}`)));
  const full = concurrent(limits.siblingsMax, 'w').reduce<readonly V[]>((set, x) => siblings.reconcile(set, x).versions, []);

  it(`a client write that would make sibling ${limits.siblingsMax + 1} is refused ('overflow') and changes nothing`, () => {
    expect(full.length).toBe(limits.siblingsMax);
    const r = siblings.reconcile(full, v('one-too-many', tick(root.clock, 'q')));
    expect(r).toEqual({ outcome: 'overflow', versions: full, dropped: [] });
  });

  it('a write that covers even one sibling is accepted at the bound (it does not grow the set)', () => {
    const r = siblings.reconcile(full, v('covers-one', tick((full[0] as V).clock, 'q')));
    expect(r.outcome).toBe('replaced');
    expect(r.versions.length).toBe(limits.siblingsMax);
  });

  it('a reconciling write made with the read context collapses the set to one', () => {
    const r = siblings.reconcile(full, v('fix', tick(siblings.contextOf(full), 'q')));
    expect(labels(r.versions)).toEqual(['fix']);
  });

  it(`replicated writes accepted on two sides of a partition are kept up to the hard ceiling (${siblings.siblingsHardMax})`, () => {
    const otherSide = concurrent(limits.siblingsMax, 'p');
    const healed = otherSide.reduce<readonly V[]>((set, x) => {
      const r = siblings.reconcile(set, x, { max: siblings.siblingsHardMax });
      expect(r.outcome).toBe('added');
      return r.versions;
    }, full);
    expect(healed.length).toBe(siblings.siblingsHardMax);
    expect(siblings.reconcile(healed, v('third-side', tick(root.clock, 'r')), { max: siblings.siblingsHardMax }).outcome).toBe('overflow');
    expect(siblings.overCeiling(healed)).toBe(false);
  });

  it('mergeAll (combining replica answers) keeps every concurrent version, even past both bounds', () => {
    const many = concurrent(siblings.siblingsHardMax + 3, 'm');
    const merged = siblings.mergeAll(many.slice(0, 10), many.slice(10));
    expect(merged.length).toBe(many.length);
    expect(siblings.overCeiling(merged)).toBe(true);
  });
});
