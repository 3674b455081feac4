import { describe, expect, it } from 'vitest';
import * as quorum from '../../src/core/quorum.js';

describe('quorum.decide: answered, still waiting, or too late', () => {
  it.each([
    // answers, needed, elapsed, timeout, decision
    [2, 2, 0, 100, 'won'],
    [3, 2, 500, 100, 'won'],
    [1, 2, 99, 100, 'pending'],
    [1, 2, 100, 100, 'lost'],
    [0, 1, 0, 100, 'pending'],
  ] as const)('%i of %i after %i of %i ticks: %s', (answers, needed, elapsed, timeout, decision) => {
    expect(quorum.decide(answers, needed, elapsed, timeout)).toBe(decision);
  });
});

describe('quorum.invalid: per-request R and W must be integers in 1..N', () => {
  it.each([
    [undefined, 3, undefined],
    [1, 3, undefined],
    [3, 3, undefined],
    [0, 3, 'quorum must be an integer in 1..3 (N), got 0'],
    [4, 3, 'quorum must be an integer in 1..3 (N), got 4'],
    [1.5, 3, 'quorum must be an integer in 1..3 (N), got 1.5'],
  ] as const)('%s with N=%i', (q, n, expected) => {
    expect(quorum.invalid(q, n)).toBe(expected);
  });
});

describe('quorum.warnings: R + W <= N means no read-your-writes', () => {
  it.each([
    [2, 2, 3, []],
    [1, 3, 3, []],
    [1, 2, 3, ['R + W <= N (1 + 2 <= 3): a read may miss the latest acknowledged write']],
    [1, 1, 3, ['R + W <= N (1 + 1 <= 3): a read may miss the latest acknowledged write']],
  ] as const)('R=%i W=%i N=%i', (r, w, n, expected) => {
    expect(quorum.warnings(r, w, n)).toEqual(expected);
  });
});

describe('quorum: failures say what happened', () => {
  it('a lost write is indeterminate (the coordinator holds a copy) and says how many acknowledged', () => {
    expect(quorum.writeLost(1, 2)).toEqual({ ok: false, indeterminate: true, error: 'write quorum not reached: 1 of 2 acknowledged' });
  });
  it('a lost read is not indeterminate', () => {
    expect(quorum.readLost(0, 2)).toEqual({ ok: false, indeterminate: false, error: 'read quorum not reached: 0 of 2 replied' });
  });
});
