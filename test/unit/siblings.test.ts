import { describe, expect, it } from 'vitest';
import * as dvv from '../../src/core/dvv.js';
import { limits } from '../../src/core/limits.js';
import * as siblings from '../../src/core/siblings.js';
import type { Dot, VV } from '../../src/core/types.js';
import * as version from '../../src/core/version.js';

type V = siblings.Versioned & { readonly label: string };
/** A version whose digest is a function of its dot, past and label, as real digests are of dot, past and value. */
const v = (label: string, dot: Dot, past: VV = []): V => ({ label, dot, past, digest: version.digestOf(dot, past, label) });
const d = (actor: string, counter: number): Dot => ({ actor: `${actor}@0`, counter });
const labels = (set: readonly V[]) => set.map((x) => x.label).sort();

describe('siblings: reconcile', () => {
  const base = v('base', d('a', 1));
  const child = v('child', d('a', 2), [d('a', 1)]);
  const other = v('other', d('b', 1), [d('a', 1)]);
  const sameCoordinator = v('same', d('a', 3), [d('a', 1)]);
  it.each([
    ['a first write is added', [], base, 'added', ['base'], []],
    ['a version whose past covers the dot replaces it', [base], child, 'replaced', ['child'], ['base']],
    ['a concurrent version becomes a sibling', [child], other, 'added', ['child', 'other'], []],
    ['a concurrent write through the same coordinator stays a sibling', [child], sameCoordinator, 'added', ['child', 'same'], []],
    ['a write covering both siblings replaces both', [child, other], v('fix', d('c', 1), dvv.join(dvv.clockOf(child), dvv.clockOf(other))), 'replaced', ['fix'], ['child', 'other']],
    ['an obsolete version arriving late is ignored', [child], base, 'ignored', ['child'], []],
    ['a version already held is ignored', [child, other], other, 'ignored', ['child', 'other'], []],
    ['one dot with two digests: both kept (never guess), counted', [child], v('twin', d('a', 2), [d('a', 1)]), 'added', ['child', 'twin'], []],
  ] as const)('%s', (_name, current, incoming, outcome, kept, dropped) => {
    const r = siblings.reconcile(current, incoming);
    expect(r.outcome).toBe(outcome);
    expect(labels(r.versions)).toEqual(kept);
    expect(labels(r.dropped)).toEqual(dropped);
    expect(r.outcome !== 'overflow' && r.clashes).toBe(_name.includes('counted') ? 1 : 0);
  });
});

describe('siblings: closed (a read reply that cannot carry the whole set)', () => {
  it.each([
    // chosen, omitted, kept
    ['nothing covers the omitted version', ['x'], ['y'], ['x']],
    ['a version whose clock covers an omitted dot is left out too', ['high'], ['low'], []],
    ['left out transitively', ['high', 'top'], ['low'], []],
  ] as const)('%s', (_name, chosen, omitted, kept) => {
    const all: Record<string, V> = {
      x: v('x', d('b', 1)), y: v('y', d('c', 1)),
      low: v('low', d('a', 1)), high: v('high', d('a', 2)), top: v('top', d('d', 1), [d('a', 2)]),
    };
    const pick = (names: readonly string[]) => names.map((n) => all[n] as V);
    expect(labels(siblings.closed(pick(chosen), pick(omitted)))).toEqual([...kept]);
  });
});

describe('siblings: the bounds (limits.ts) and their refusal text', () => {
  it.each([
    [0, 100, undefined],
    [limits.siblingsMax - 1, 100, undefined],
    [limits.siblingsMax, 100, `too many siblings: k would have more than ${limits.siblingsMax} siblings; read the key and write back with its context to merge the ${limits.siblingsMax} siblings`],
    [2, limits.siblingBytesMax + 1, `too many siblings: k would have more than ${limits.siblingBytesMax} bytes of siblings; read the key and write back with its context to merge the 2 siblings`],
  ] as const)('%i held, %i bytes', (held, bytes, expected) => {
    expect(siblings.growthProblem('k', held, bytes)).toBe(expected);
  });
  it('the set a new write may build fits one message, and the hard ceiling is twice the write bound', () => {
    expect(limits.siblingBytesMax).toBeLessThanOrEqual(limits.messageBytesMax / 2);
    expect(siblings.siblingsHardMax).toBe(2 * limits.siblingsMax);
  });
  it(`replicated writes are kept up to the hard ceiling (${siblings.siblingsHardMax}), refused past it`, () => {
    let set: readonly V[] = [];
    for (let i = 0; i < siblings.siblingsHardMax; i++) set = siblings.reconcile(set, v(`w${i}`, d(`w${i}`, 1))).versions;
    expect(set).toHaveLength(siblings.siblingsHardMax);
    expect(siblings.reconcile(set, v('late', d('late', 1))).outcome).toBe('overflow');
  });
});

describe('siblings: leafDigest and tombstones', () => {
  it('leafDigest is order-independent, undefined for no versions, and changes with the set', () => {
    const [a, b] = [v('a', d('a', 1)), v('b', d('b', 1))];
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

describe('siblings.visible: one client write retried on two coordinators (forward.ts) shows once', () => {
  const op = 'n1@5/7';
  const twinA = version.make({ dot: { actor: 'a@1', counter: 3 }, past: [], value: version.stringValue('x'), timestamp: 0, op });
  const twinB = version.make({ dot: { actor: 'b@2', counter: 1 }, past: [], value: version.stringValue('x'), timestamp: 0, op });
  const other = version.make({ dot: { actor: 'c@3', counter: 1 }, past: [], value: version.stringValue('z'), timestamp: 0 });
  // A write whose get saw only twin A: its past covers A's dot and the op's marker, not B's dot.
  const after = version.make({ dot: { actor: 'c@3', counter: 2 }, past: siblings.contextOf([twinA]), value: version.stringValue('y'), timestamp: 0 });

  it('the op id is part of the digest only when present, and twins differ only by dot', () => {
    expect(version.verify(twinA)).toBe(true);
    expect(twinA.digest).not.toBe(version.make({ dot: twinA.dot, past: [], value: twinA.value, timestamp: 0 }).digest);
    expect(version.digestOf(other.dot, other.past, other.valueHash)).toBe(other.digest);
  });

  it('twins are one group; a version without an op id is its own', () => {
    expect(siblings.visible([twinA, other, twinB])).toEqual([[twinA, twinB], [other]]);
  });

  it('a context covers the op marker of every version it saw', () => {
    expect(dvv.sawOp(siblings.contextOf([twinA]), op)).toBe(true);
    expect(dvv.sawOp(siblings.contextOf([other]), op)).toBe(false);
  });

  it('a twin the replacing write never saw is hidden, yet kept: its dot is not covered, so it is not obsolete', () => {
    expect(siblings.visible([twinB, after])).toEqual([[after]]);
    expect(dvv.obsoletes(after, twinB)).toBe(false);
    expect(dvv.obsoletes(after, twinA)).toBe(true);
    // The next write with a get's context covers the hidden twin's dot too, and replaces it for good.
    const next = version.make({ dot: { actor: 'c@3', counter: 3 }, past: siblings.contextOf([twinB, after]), value: version.stringValue('w'), timestamp: 0 });
    expect(dvv.obsoletes(next, twinB)).toBe(true);
  });
});
