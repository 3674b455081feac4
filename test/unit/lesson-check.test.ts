// Lesson steps check their outcome on the live snapshot and name tabs by node name (src/ui/lesson-check.ts).
import { describe, expect, it } from 'vitest';
import type { UiSnapshot } from '../../src/ui/backend.js';
import * as lessonCheck from '../../src/ui/lesson-check.js';
import { lessons, type LessonAction, type LessonStep } from '../../src/ui/lessons.js';
import { noFaults } from '../../src/protocol/faults.js';

function snapshot(over: Partial<UiSnapshot> = {}): UiSnapshot {
  const members = ['n1', 'n2', 'n3', 'n10'].map((id) => ({ id, host: 'h', capacity: 1, status: 'alive' as const, heartbeatAgeMs: 0, partitionsOwned: 4, connected: true }));
  return {
    self: { id: 'n1', host: 'h', capacity: 1, epoch: 1 }, ready: true, signaling: { state: 'open', detail: '' },
    config: { n: 3, r: 2, w: 2, partitions: 16 }, members, owners: [], faults: noFaults, faultsText: '', counters: {},
    hints: [], repairs: [], storage: { keys: 0, bytes: 0, errors: 0, lastError: '' }, trace: [], ...over,
  };
}

/** A step doing `action`, expecting `expect` when given. */
const stepOf = (action: LessonAction, expect?: LessonStep['expect']): LessonStep => ({ where: 'this tab', text: '', button: '', action, ...(expect ? { expect } : {}) });

describe('lesson checks', () => {
  it('a heal is confirmed only once the banner is healthy, and says what to do otherwise', () => {
    expect(lessonCheck.check(stepOf({ kind: 'heal' }), { text: 'healed' }, snapshot())).toMatchObject({ ok: true });
    const still = lessonCheck.check(stepOf({ kind: 'heal' }), { text: 'healed' }, snapshot({ faults: { ...noFaults, isolated: ['n2'] }, faultsText: 'isolated: n2' }));
    expect(still).toEqual({ ok: false, text: "Still in force: isolated: n2. Press Heal again from the teacher's tab." });
  });

  it.each([
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'put failed: write quorum not reached: 1 of 2 acknowledged', false],
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'Stored k.', true],
    [{ kind: 'configure', r: 1, w: 1 } as const, 'settings changed', false],
    [{ kind: 'configure', r: 2, w: 2 } as const, 'settings changed', true],
    [{ kind: 'isolate-self' } as const, 'isolated this tab (n1)', false],
  ])('%j said %j: ok = %s', (action, result, ok) => {
    expect(lessonCheck.check(stepOf(action), { text: result }, snapshot())?.ok).toBe(ok);
  });

  const get = { kind: 'get', key: 'score' } as const;
  const locate = { kind: 'locate', key: 'k' } as const;
  it.each([
    ['a read of the expected value', stepOf(get, { kind: 'value', value: '2', otherwise: 'press again.' }), { text: 'Read score: one version.', values: ['2'] }, snapshot(), true],
    ['a stale read where a fresh one was expected', stepOf(get, { kind: 'value', value: '2', otherwise: 'press again.' }), { text: 'Read score: one version.', values: ['1'] }, snapshot(), false],
    ['two siblings where one value was expected', stepOf(get, { kind: 'versions', count: 1, otherwise: 'reconcile first.' }), { text: 'Read cart: 2 siblings.', values: ['milk', 'eggs'] }, snapshot(), false],
    ['a failed read, whatever was expected', stepOf(get, { kind: 'value', value: '2', otherwise: '' }), { text: 'failed: read quorum not reached' }, snapshot(), false],
    ['a fallback in use, as expected', stepOf(locate, { kind: 'fallback' }), { text: 'located k', fallbacks: ['n4'] }, snapshot(), true],
    ['no fallback yet', stepOf(locate, { kind: 'fallback' }), { text: 'located k', fallbacks: [] }, snapshot(), false],
    ['home again', stepOf(locate, { kind: 'home' }), { text: 'located k', fallbacks: [] }, snapshot(), true],
    ['a fallback still standing in', stepOf(locate, { kind: 'home' }), { text: 'located k', fallbacks: ['n4'] }, snapshot(), false],
    ['keys held again', stepOf({ kind: 'show', view: 'members' }, { kind: 'holds-keys' }), { text: 'showing members' }, snapshot({ storage: { keys: 20, bytes: 0, errors: 0, lastError: '' } }), true],
    ['no keys yet', stepOf({ kind: 'show', view: 'members' }, { kind: 'holds-keys' }), { text: 'showing members' }, snapshot(), false],
  ])('expectation: %s', (_name, step, outcome, s, ok) => {
    expect(lessonCheck.check(step, outcome, s)?.ok).toBe(ok);
  });

  it('every lesson ends with a step whose outcome is checked on screen', () => {
    for (const lesson of lessons) {
      const last = lesson.steps.at(-1)!;
      expect(last.action.kind !== 'show' || last.expect !== undefined, `${lesson.id}: the last step checks something`).toBe(true);
      expect(lessonCheck.check(last, { text: 'done', values: [], fallbacks: [] }, snapshot()), lesson.id).toBeDefined();
    }
  });

  it('names tabs by node name', () => {
    const step = (where: string) => ({ where, text: '', button: '', action: { kind: 'heal' as const } });
    expect(lessonCheck.where(step('this tab'), snapshot())).toBe('this tab (n1)');
    expect(lessonCheck.where(step('another tab'), snapshot())).toBe('another tab: n2');
    expect(lessonCheck.where(step('the new tab'), snapshot())).toBe('the new tab: n10');
    const split = snapshot({ faults: { ...noFaults, groups: [['n1', 'n2']] } });
    expect(lessonCheck.where(step('a tab on the other side'), split)).toBe('a tab on the other side: n3 or n10');
  });
});
