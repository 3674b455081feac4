/**
 * The value checker's rules as a table: for each rule, a history and final state that must pass and one
 * that must fail, with the count that must move. Times are small integers; `final` lists every replica.
 */
import { describe, expect, it } from 'vitest';
import type { FinalState, GetOp, History, Op, Outcome, WriteOp } from './history.js';
import { check, type CheckOptions, type Verdict } from './value-checker.js';

let clock = 0;
function put(key: string, value: string, outcome: Outcome, observed: readonly string[] = [], at?: [number, number]): WriteOp {
  const [start, end] = at ?? [++clock, ++clock];
  return { kind: 'put', client: 'c1', key, start, end, outcome, value, observed, ...(outcome !== 'ok' ? { error: 'write quorum not reached: 1 of 2 acknowledged' } : {}) };
}
function del(key: string, outcome: Outcome, observed: readonly string[], at?: [number, number]): WriteOp {
  const [start, end] = at ?? [++clock, ++clock];
  return { kind: 'delete', client: 'c2', key, start, end, outcome, observed };
}
function get(key: string, values: readonly string[], at: [number, number]): GetOp {
  return { kind: 'get', client: 'c3', key, start: at[0], end: at[1], outcome: 'ok', values };
}
function state(replicas: Record<string, Record<string, readonly string[]>>): FinalState {
  return { replicas: new Map(Object.entries(replicas).map(([k, r]) => [k, new Map(Object.entries(r))])) };
}
function everywhere(values: Record<string, readonly string[]>): FinalState {
  return state(Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { n1: v, n2: v, n3: v }])));
}
function history(...ops: Op[]): History {
  return { ops };
}

type Count = 'lost' | 'staleSurvivors' | 'unknownValues' | 'staleReads' | 'duplicateReads' | 'divergent';
interface Case {
  readonly name: string;
  readonly history: History;
  readonly final: FinalState;
  readonly options?: CheckOptions;
  /** The count that must be non-zero, or undefined when the case must pass. */
  readonly breaks?: Count;
}

const cases: Case[] = [
  // (a) lost acknowledged writes
  { name: '(a) an acknowledged put still held', history: history(put('k', 'a', 'ok')), final: everywhere({ k: ['a'] }) },
  { name: '(a) an acknowledged put replaced by a write that observed it (even one that failed)', history: history(put('k', 'a', 'ok'), put('k', 'b', 'indeterminate', ['a'])), final: everywhere({ k: ['b'] }) },
  { name: '(a) an indeterminate put may vanish', history: history(put('k', 'a', 'indeterminate')), final: everywhere({ k: [] }) },
  { name: '(a) an acknowledged put gone with nobody having observed it', history: history(put('k', 'a', 'ok'), put('k', 'b', 'ok')), final: everywhere({ k: ['b'] }), breaks: 'lost' },
  { name: '(a) an acknowledged put gone because a write observed ANOTHER value (the false-descent bug)', history: history(put('k', 'milk', 'ok'), put('k', 'eggs', 'ok', ['milk']), put('k', 'bread', 'ok')), final: everywhere({ k: ['eggs'] }), breaks: 'lost' },
  // (b) stale survivors
  { name: '(b) concurrent blind puts both survive as siblings', history: history(put('k', 'a', 'ok'), put('k', 'b', 'ok')), final: everywhere({ k: ['a', 'b'] }) },
  { name: '(b) a value observed only by an indeterminate write may survive', history: history(put('k', 'a', 'ok'), put('k', 'b', 'indeterminate', ['a'])), final: everywhere({ k: ['a'] }) },
  { name: '(b) a value observed by an acknowledged put survives', history: history(put('k', 'a', 'ok'), put('k', 'b', 'ok', ['a'])), final: everywhere({ k: ['a', 'b'] }), breaks: 'staleSurvivors' },
  { name: '(b) a value observed by an acknowledged delete survives', history: history(put('k', 'a', 'ok'), del('k', 'ok', ['a'])), final: everywhere({ k: ['a'] }), breaks: 'staleSurvivors' },
  // (c) unknown values
  { name: '(c) every final value was written by a put of its key', history: history(put('k', 'a', 'indeterminate'), put('j', 'b', 'ok')), final: everywhere({ k: ['a'], j: ['b'] }) },
  { name: '(c) a final value nobody wrote', history: history(put('k', 'a', 'ok')), final: everywhere({ k: ['a', 'zombie'] }), breaks: 'unknownValues' },
  { name: '(c) a value written to another key', history: history(put('k', 'a', 'ok'), put('j', 'b', 'ok')), final: everywhere({ k: ['a', 'b'], j: ['b'] }), breaks: 'unknownValues' },
  { name: '(c) a failed put (nothing written, the store said) held at the end', history: history(put('k', 'a', 'failed')), final: everywhere({ k: ['a'] }), breaks: 'unknownValues' },
  { name: '(c) a get that returned a value nobody wrote', history: history(put('k', 'a', 'ok', [], [1, 2]), get('k', ['ghost'], [3, 4])), final: everywhere({ k: ['a'] }), breaks: 'unknownValues' },
  // (d) divergence
  { name: '(d) replicas hold the same values in another order', history: history(put('k', 'a', 'ok'), put('k', 'b', 'ok')), final: state({ k: { n1: ['a', 'b'], n2: ['b', 'a'] } }) },
  { name: '(d) one replica misses a sibling', history: history(put('k', 'a', 'ok'), put('k', 'b', 'ok')), final: state({ k: { n1: ['a', 'b'], n2: ['a'] } }), breaks: 'divergent' },
  { name: '(d) one replica holds nothing', history: history(put('k', 'a', 'ok')), final: state({ k: { n1: ['a'], n2: [] } }), breaks: 'divergent' },
  // (e) strict reads
  { name: '(e) a get after an acknowledged put returns it', history: history(put('k', 'a', 'ok', [], [1, 2]), get('k', ['a'], [3, 4])), final: everywhere({ k: ['a'] }), options: { strict: true } },
  { name: '(e) a get returns a transitive descendant instead', history: history(put('k', 'a', 'ok', [], [1, 2]), put('k', 'b', 'ok', ['a'], [3, 4]), put('k', 'c', 'indeterminate', ['b'], [5, 6]), get('k', ['c'], [7, 8])), final: everywhere({ k: ['c'] }), options: { strict: true } },
  { name: '(e) a get concurrent with the put may miss it', history: history(put('k', 'a', 'ok', [], [1, 5]), get('k', [], [3, 4])), final: everywhere({ k: ['a'] }), options: { strict: true } },
  { name: '(e) a get may be empty after a delete that observed the put', history: history(put('k', 'a', 'ok', [], [1, 2]), del('k', 'ok', ['a'], [3, 4]), get('k', [], [5, 6])), final: everywhere({ k: [] }), options: { strict: true } },
  { name: '(e) without strict, a stale read is not judged', history: history(put('k', 'a', 'ok', [], [1, 2]), put('k', 'b', 'ok', ['a'], [3, 4]), get('k', ['a'], [5, 6])), final: everywhere({ k: ['b'] }) },
  { name: '(e) a get after an acknowledged put returns an older value', history: history(put('k', 'a', 'ok', [], [1, 2]), put('k', 'b', 'ok', ['a'], [3, 4]), get('k', ['a'], [5, 6])), final: everywhere({ k: ['b'] }), options: { strict: true }, breaks: 'staleReads' },
  // (f) one put shown twice
  { name: '(f) a get returns two different siblings', history: history(put('k', 'a', 'ok', [], [1, 2]), put('k', 'b', 'ok', [], [1, 2]), get('k', ['a', 'b'], [3, 4])), final: everywhere({ k: ['a', 'b'] }) },
  { name: '(f) a get returns one value twice (a retried put applied twice)', history: history(put('k', 'a', 'ok', [], [1, 2]), get('k', ['a', 'a'], [3, 4])), final: everywhere({ k: ['a'] }), breaks: 'duplicateReads' },
  { name: '(e) a get after an acknowledged put returns nothing', history: history(put('k', 'a', 'ok', [], [1, 2]), get('k', [], [3, 4])), final: everywhere({ k: ['a'] }), options: { strict: true }, breaks: 'staleReads' },
];

function count(v: Verdict, c: Count): number {
  return c === 'divergent' ? v.divergentKeys.length : v[c];
}

describe('value checker: each rule passes a good history and catches a bad one', () => {
  for (const c of cases) {
    it(`${c.breaks ? 'FAILS' : 'passes'}: ${c.name}`, () => {
      const v = check(c.history, c.final, c.options);
      if (c.breaks === undefined) {
        expect(v.problems).toEqual([]);
        expect(v.ok).toBe(true);
      } else {
        expect(count(v, c.breaks)).toBeGreaterThan(0);
        expect(v.ok).toBe(false);
        expect(v.problems.length).toBeGreaterThan(0);
        for (const other of ['lost', 'staleSurvivors', 'unknownValues', 'staleReads', 'divergent'] as const) if (other !== c.breaks) expect(count(v, other), other).toBe(0);
      }
    });
  }

  it('counts operations and groups failures by error text (digits folded)', () => {
    const v = check(history(put('k', 'a', 'ok'), put('k', 'b', 'indeterminate'), put('k', 'c', 'failed'), { kind: 'get', client: 'c', key: 'k', start: 1, end: 2, outcome: 'indeterminate', values: [] }), everywhere({ k: ['a', 'b'] }));
    expect(v).toMatchObject({ operations: 4, gets: 1, writes: 3, acknowledged: 1, failed: 1, indeterminate: 2 });
    expect(v.failedByReason).toEqual({ 'indeterminate: write quorum not reached: N of N acknowledged': 1, 'failed: write quorum not reached: N of N acknowledged': 1, 'indeterminate: no answer': 1 });
  });

  it('names the key, the value and the operation in a problem', () => {
    const v = check(history(put('cart', 'bread', 'ok', [], [10, 12])), everywhere({ cart: [] }));
    expect(v.problems[0]).toContain('cart="bread"');
    expect(v.problems[0]).toContain('[10..12] ok');
  });

  it('refuses a history whose values are not unique (a value must name its write)', () => {
    expect(() => check(history(put('k', 'a', 'ok'), put('k', 'a', 'ok')), everywhere({ k: ['a'] }))).toThrow(/written twice/);
  });
});
