/**
 * The UI's pure formatting: a node's color is a function of its id alone (so a join repaints nobody),
 * host labels, context fingerprints, clocks without one-write actors, and the "life" wording.
 */
import { describe, expect, it } from 'vitest';
import * as format from '../../src/ui/format.js';
import { oklabDistance } from './oklab.js';

describe('nodeColor', () => {
  it('depends on the id alone: the same id, the same color, whoever else is in the cluster', () => {
    const before = ['n1', 'n2', 'n3'].map(format.nodeColor);
    const after = ['n1', 'n2', 'n3', 'n4'].map(format.nodeColor);
    expect(after.slice(0, 3)).toEqual(before);
  });

  it('gives the server default names n1 ... n12 twelve different palette colors', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `n${i + 1}`);
    const colors = ids.map(format.nodeColor);
    expect(new Set(colors).size).toBe(12);
    for (const c of colors) expect(format.palette).toContain(c);
  });

  it('keeps the first names of a room well apart (n1 and s1 were two similar blues)', () => {
    const rooms = [
      ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 's1', 's2', 'p1', 'p2'],
      ['p1', 'p2', 't1', 't2', 't3', 't4'], // peer.spec's room
      ['n1', 'n2', 's1'], // projector.spec's room
    ];
    for (const ids of rooms) {
      for (const [i, a] of ids.entries()) {
        for (const b of ids.slice(i + 1)) {
          expect(oklabDistance(format.nodeColor(a), format.nodeColor(b)), `${a} vs ${b}`).toBeGreaterThanOrEqual(0.1);
        }
      }
    }
    // Any two palette entries, so hashed ids that differ in color differ clearly.
    for (const [i, a] of format.palette.entries()) for (const b of format.palette.slice(i + 1)) expect(oklabDistance(a, b)).toBeGreaterThanOrEqual(0.1);
  });

  it('maps any id into the palette', () => {
    for (const id of ['peer-a1', 'tab-amber', 'x', 'n1@123456789012', 'ñandú']) expect(format.palette).toContain(format.nodeColor(id));
  });
});

describe('labels', () => {
  it.each([
    ['k3f9a1c2e7d4', 'k3f9'],
    ['peer-7f3a9c', 'peer'],
    ['ab', 'ab'],
  ])('hostLabel(%s) = %s', (host, label) => expect(format.hostLabel(host)).toBe(label));

  it('fingerprints a context in 4 hex digits, the same text always alike', () => {
    expect(format.fingerprint('some context')).toMatch(/^[0-9a-f]{4}…$/);
    expect(format.fingerprint('some context')).toBe(format.fingerprint('some context'));
    expect(format.fingerprint('some context')).not.toBe(format.fingerprint('other context'));
  });

  it('shows clocks without one-write actors, and epochs only where a node has two lives', () => {
    expect(format.clock({ 'n1@123456789012': 2, '~9f2c@123456789012': 1, 'n3@55': 1 })).toBe('n1:2 · n3:1');
    expect(format.clock({ '~9f2c@1': 1 })).toBe('(one-off writes only)');
    expect(format.clock({})).toBe('(empty clock)');
    expect(format.clock({ 'n1@111122223333': 1, 'n1@999988887777': 4 })).toBe('n1@…3333:1 · n1@…7777:4');
    expect(format.fullClock({ 'n1@1': 2, '~ab@1': 1 })).toBe('n1@1:2 ~ab@1:1');
  });

  it('says "life" for epoch and incarnation', () => {
    expect(format.plainWords('n3 is alive (epoch 123456789, incarnation 2)')).toBe('n3 is alive (life …6789.2)');
    expect(format.plainWords('ready: joined through n2 at epoch 42')).toBe('ready: joined through n2 at life …42');
    expect(format.plainWords('refuted being suspect: incarnation 3')).toBe('refuted being suspect: life update 3');
  });
});

describe('format.relation: one line on how two versions relate (the replica table)', () => {
  const v = (clock: Record<string, number>, actor: string, counter: number) => ({ clock, dot: { actor, counter } });
  it.each([
    [v({ 'n2@11': 3, 'n1@5': 1 }, 'n2@11', 3), v({ 'n4@7': 1, 'n1@5': 1 }, 'n4@7', 1), "neither has seen the other's write: n2's 3rd write vs n4's 1st write"],
    [v({ 'n2@11': 2 }, 'n2@11', 2), v({ 'n2@11': 1 }, 'n2@11', 1), "n2's 2nd write has seen n2's 1st write: it replaces it"],
    [v({ 'n3@1': 1 }, 'n3@1', 1), v({ 'n3@1': 12 }, 'n3@1', 12), "n3's 12th write has seen n3's 1st write: it replaces it"],
    [v({ 'n3@1': 1 }, 'n3@1', 1), v({ 'n3@1': 1 }, 'n3@1', 1), 'the same version'],
  ])('%j vs %j', (a, b, line) => {
    expect(format.relation(a, b)).toBe(line);
  });

  it('ordinals: 1st 2nd 3rd 4th 11th 12th 13th 21st 22nd 101st', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 101].map((n) => format.writeName({ actor: 'n1@9', counter: n }).replace("n1's ", '').replace(' write', '')))
      .toEqual(['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']);
  });
});
