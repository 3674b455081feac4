// Lesson steps check their outcome on the live snapshot and name tabs by node name (src/ui/lesson-check.ts).
import { describe, expect, it } from 'vitest';
import type { UiSnapshot } from '../../src/ui/backend.js';
import * as lessonCheck from '../../src/ui/lesson-check.js';
import { noFaults } from '../../src/protocol/faults.js';

function snapshot(over: Partial<UiSnapshot> = {}): UiSnapshot {
  const members = ['n1', 'n2', 'n3', 'n10'].map((id) => ({ id, host: 'h', capacity: 1, status: 'alive' as const, heartbeatAgeMs: 0, partitionsOwned: 4, connected: true }));
  return {
    self: { id: 'n1', host: 'h', capacity: 1, epoch: 1 }, ready: true, signaling: { state: 'open', detail: '' },
    config: { n: 3, r: 2, w: 2, partitions: 16 }, members, owners: [], faults: noFaults, faultsText: '', counters: {},
    hints: [], repairs: [], storage: { keys: 0, bytes: 0, errors: 0, lastError: '' }, trace: [], ...over,
  };
}

describe('lesson checks', () => {
  it('a heal is confirmed only once the banner is healthy, and says what to do otherwise', () => {
    expect(lessonCheck.check({ kind: 'heal' }, 'healed', snapshot())).toMatchObject({ ok: true });
    const still = lessonCheck.check({ kind: 'heal' }, 'healed', snapshot({ faults: { ...noFaults, isolated: ['n2'] }, faultsText: 'isolated: n2' }));
    expect(still).toEqual({ ok: false, text: "Still in force: isolated: n2. Press Heal again from the teacher's tab." });
  });

  it.each([
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'put failed: write quorum not reached: 1 of 2 acknowledged', false],
    [{ kind: 'put', key: 'k', value: 'v' } as const, 'Stored k.', true],
    [{ kind: 'configure', r: 1, w: 1 } as const, 'settings changed', false],
    [{ kind: 'configure', r: 2, w: 2 } as const, 'settings changed', true],
    [{ kind: 'isolate-self' } as const, 'isolated this tab (n1)', false],
  ])('%j said %j: ok = %s', (action, result, ok) => {
    expect(lessonCheck.check(action, result, snapshot())?.ok).toBe(ok);
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
