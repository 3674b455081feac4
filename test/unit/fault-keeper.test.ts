// The teacher's tab re-asserts the room's fault rules after a signaling restart (runtime/fault-keeper.ts).
import { describe, expect, it } from 'vitest';
import * as faults from '../../src/protocol/faults.js';
import { keepFaults } from '../../src/runtime/fault-keeper.js';

const partitioned: faults.FaultRules = { ...faults.noFaults, groups: [['n1', 'n2']] };
const isolated: faults.FaultRules = { ...faults.noFaults, isolated: ['n4'] };

/** A scripted signaling client: the test plays the server's welcome and fault messages. */
function fakeSignaling(role: 'teacher' | 'student') {
  const onWelcome: Array<(nodeId: string, role: 'teacher' | 'student') => void> = [];
  const onFaults: Array<(r: faults.FaultRules) => void> = [];
  const published: faults.FaultRules[] = [];
  const client = {
    onWelcome: (h: (nodeId: string, role: 'teacher' | 'student') => void) => void onWelcome.push(h),
    onFaults: (h: (r: faults.FaultRules) => void) => void onFaults.push(h),
    publishFaults: (r: faults.FaultRules) => { published.push(r); return true; },
    role: () => role,
  };
  const keeper = keepFaults(client);
  return {
    keeper, published,
    welcome: () => onWelcome.forEach((h) => h('n1', role)),
    rules: (r: faults.FaultRules) => onFaults.forEach((h) => h(r)),
  };
}

describe('fault keeper', () => {
  it('a teacher greeted with no faults by a restarted server publishes the rules the room had', () => {
    const s = fakeSignaling('teacher');
    s.welcome();
    s.rules(faults.noFaults);
    s.rules(partitioned);
    s.welcome();
    s.rules(faults.noFaults);
    expect(s.published).toEqual([partitioned]);
    expect(s.keeper.reasserted()).toBe(1);
  });

  it.each([
    ['a heal the teacher asked for (not a greeting)', (s: ReturnType<typeof fakeSignaling>) => { s.rules(faults.noFaults); s.welcome(); s.rules(faults.noFaults); }],
    ['a server that kept other rules (adopted, not overridden)', (s: ReturnType<typeof fakeSignaling>) => { s.welcome(); s.rules(isolated); }],
  ])('nothing is re-asserted after %s', (_name, then) => {
    const s = fakeSignaling('teacher');
    s.welcome();
    s.rules(faults.noFaults);
    s.rules(partitioned);
    then(s);
    expect(s.published).toEqual([]);
  });

  it('a student tab never publishes', () => {
    const s = fakeSignaling('student');
    s.rules(partitioned);
    s.welcome();
    s.rules(faults.noFaults);
    expect(s.published).toEqual([]);
  });
});
