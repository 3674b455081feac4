/**
 * faults: which messages the rules block (tables), the loss draw, validation of untrusted rules, and the
 * banner text.
 */
import { describe, expect, it } from 'vitest';
import * as faults from '../../src/protocol/faults.js';

const rules = (r: Partial<faults.FaultRules>): faults.FaultRules => ({ ...faults.noFaults, ...r });

describe('faults.verdict / blocks', () => {
  const partition = rules({ groups: [['a', 'b'], ['c', 'd']] });
  const isolateC = rules({ isolated: ['c'] });
  const cuts = rules({ cuts: [{ from: 'a', to: 'b', oneWay: true }, { from: 'c', to: 'd', oneWay: false }] });
  it.each([
    { rules: faults.noFaults, from: 'a', to: 'b', verdict: 'deliver' },
    { rules: partition, from: 'a', to: 'b', verdict: 'deliver' },
    { rules: partition, from: 'a', to: 'c', verdict: 'partitioned' },
    { rules: partition, from: 'd', to: 'b', verdict: 'partitioned' },
    { rules: partition, from: 'a', to: 'e', verdict: 'partitioned' }, // e is unlisted: in the rest
    { rules: partition, from: 'e', to: 'f', verdict: 'deliver' }, // the rest is one group
    { rules: partition, from: 'a', to: 'a', verdict: 'deliver' }, // a node always reaches itself
    { rules: isolateC, from: 'c', to: 'a', verdict: 'isolated' },
    { rules: isolateC, from: 'a', to: 'c', verdict: 'isolated' },
    { rules: isolateC, from: 'a', to: 'b', verdict: 'deliver' },
    { rules: cuts, from: 'a', to: 'b', verdict: 'cut' },
    { rules: cuts, from: 'b', to: 'a', verdict: 'deliver' }, // one way
    { rules: cuts, from: 'c', to: 'd', verdict: 'cut' },
    { rules: cuts, from: 'd', to: 'c', verdict: 'cut' }, // both ways
    { rules: cuts, from: 'a', to: 'c', verdict: 'deliver' },
  ] as const)('$from -> $to under $rules: $verdict', ({ rules: r, from, to, verdict }) => {
    expect(faults.verdict(r, from, to)).toBe(verdict);
    expect(faults.blocks(r, from, to)).toBe(verdict !== 'deliver');
  });
});

describe('faults.decide: the loss draw', () => {
  const lossy = rules({ lossRate: 0.25 });
  it.each([
    { random: 0, verdict: 'lost' },
    { random: 0.2499, verdict: 'lost' },
    { random: 0.25, verdict: 'deliver' },
    { random: 0.99, verdict: 'deliver' },
  ])('lossRate 0.25, draw $random: $verdict', ({ random, verdict }) => {
    expect(faults.decide(lossy, 'a', 'b', random)).toBe(verdict);
  });
  it('a blocked message is reported as blocked, whatever the draw; no loss at rate 0 or to oneself', () => {
    expect(faults.decide(rules({ lossRate: 1, isolated: ['b'] }), 'a', 'b', 0)).toBe('isolated');
    expect(faults.decide(faults.noFaults, 'a', 'b', 0)).toBe('deliver');
    expect(faults.decide(rules({ lossRate: 1 }), 'a', 'a', 0)).toBe('deliver');
  });
});

describe('faults.validate', () => {
  it('accepts good rules and returns an exact copy', () => {
    const good = { groups: [['a'], ['b', 'c']], isolated: ['d'], cuts: [{ from: 'a', to: 'b', oneWay: true }], lossRate: 0.5 };
    expect(faults.validate(good)).toEqual({ ok: true, rules: good });
  });
  it.each([
    { data: null, reason: 'rules: expected an object' },
    { data: { ...faults.noFaults, extra: 1 }, reason: 'rules.extra: unknown field' },
    { data: { ...faults.noFaults, groups: [['a'], ['a']] }, reason: 'rules.groups[1]: node a is listed in more than one group' },
    { data: { ...faults.noFaults, groups: [['a b']] }, reason: 'rules.groups[0]: expected an array of node ids' },
    { data: { ...faults.noFaults, isolated: 'a' }, reason: 'rules.isolated: expected an array of at most 512 node ids' },
    { data: { ...faults.noFaults, cuts: [{ from: 'a', to: 'b' }] }, reason: 'rules.cuts[0]: expected { from: node id, to: node id, oneWay: boolean }' },
    { data: { ...faults.noFaults, lossRate: -0.1 }, reason: 'rules.lossRate: expected a number in [0, 1]' },
    { data: { ...faults.noFaults, lossRate: Number.NaN }, reason: 'rules.lossRate: expected a number in [0, 1]' },
    { data: { groups: [], isolated: [], cuts: [] }, reason: 'rules.lossRate: expected a number in [0, 1]' },
  ])('refuses $data: $reason', ({ data, reason }) => {
    expect(faults.validate(data)).toEqual({ ok: false, reason });
  });
});

describe('faults.describe', () => {
  it.each([
    { r: faults.noFaults, text: 'no faults' },
    { r: rules({ groups: [['a', 'b'], ['c', 'd', 'e']] }), text: 'partitioned: {a, b} | {c, d, e} | {rest}' },
    { r: rules({ isolated: ['c'], lossRate: 0.125 }), text: 'isolated: c; loss: 12.5%' },
    { r: rules({ cuts: [{ from: 'a', to: 'b', oneWay: true }, { from: 'c', to: 'd', oneWay: false }] }), text: 'cut: a->b, c<->d' },
  ])('$text', ({ r, text }) => {
    expect(faults.describe(r)).toBe(text);
    expect(faults.isHealthy(r)).toBe(text === 'no faults');
  });

  it.each([
    { groups: [['n1', 'n2'], ['n3', 'n4']], text: 'partitioned: {n1, n2} | {n3, n4}' }, // every member grouped: no rest
    { groups: [['n1']], text: 'partitioned: {n1} | {n2, n3, n4}; loss: 50%' }, // the rest named, sorted
  ])('given the members, a partition names only the groups that exist: $text', ({ groups, text }) => {
    expect(faults.describe(rules({ groups, lossRate: groups.length === 1 ? 0.5 : 0 }), ['n4', 'n3', 'n2', 'n1'])).toBe(text);
  });
});
