// Room-wide time control as one pure definition (protocol/time-control.ts) and the runtime's slow motion
// over it (runtime/slow-motion.ts), driven by a hand-cranked clock.
import { describe, expect, it } from 'vitest';
import * as timeControl from '../../src/protocol/time-control.js';
import type { Clock } from '../../src/runtime/clock.js';
import * as slowMotion from '../../src/runtime/slow-motion.js';

const tickMs = 100;

function handClock(): Clock & { advance(ms: number): void } {
  let now = 0;
  return { nowMs: () => now, every: () => () => undefined, after: () => () => undefined, advance: (ms) => { now += ms; } };
}

describe('time-control', () => {
  it.each([
    [{ paused: false, speed: 0.1, steps: 0 }, 'ok'],
    [{ paused: false, speed: 0.04, steps: 0 }, 'time.speed: expected a number from 0.05 (1/20) to 1, got 0.04'],
    [{ paused: false, speed: 2, steps: 0 }, 'time.speed: expected a number from 0.05 (1/20) to 1, got 2'],
    [{ paused: 'yes', speed: 1, steps: 0 }, 'time.paused: expected a boolean'],
    [{ paused: true, speed: 1, steps: -1 }, 'time.steps: expected an integer in [0, 2147483647]'],
    [{ paused: true, speed: 1, steps: 0, extra: 1 }, 'time.extra: unknown field'],
  ])('validate(%j): %s', (input, want) => {
    const v = timeControl.validate(input);
    expect(v.ok ? 'ok' : v.reason).toBe(want);
  });

  it('virtual time runs at speed, stands still while paused, and a step reaches the next tick boundary', () => {
    let pace = timeControl.start(1000, { paused: false, speed: 0.1, steps: 0 });
    expect(timeControl.at(pace, 3000)).toBe(200);
    pace = timeControl.change(pace, 3050, { paused: true, speed: 0.1, steps: 0 }, tickMs);
    expect(timeControl.at(pace, 9000)).toBe(205);
    pace = timeControl.change(pace, 9000, { paused: true, speed: 0.1, steps: 1 }, tickMs);
    expect(timeControl.at(pace, 9999)).toBe(300);
    pace = timeControl.change(pace, 9999, { paused: true, speed: 0.1, steps: 3 }, tickMs);
    expect(timeControl.at(pace, 9999)).toBe(500);
    // The same steps again (a repeated frame) are not steps.
    pace = timeControl.change(pace, 9999, { paused: true, speed: 0.1, steps: 3 }, tickMs);
    expect(timeControl.at(pace, 9999)).toBe(500);
  });

  it('describe says it in classroom words', () => {
    expect(timeControl.describe(timeControl.normalTime)).toBe('normal speed');
    expect(timeControl.describe({ paused: false, speed: 0.1, steps: 0 })).toBe('1/10x');
    expect(timeControl.describe({ paused: true, speed: 1, steps: 2 })).toBe('paused (step 2)');
  });
});

describe('slow-motion', () => {
  it('normal speed delivers at once; slowed, a message waits one tick of virtual time, in arrival order', () => {
    const clock = handClock();
    const slow = slowMotion.create<string>(clock, tickMs, 10);
    expect(slow.hold('a')).toBe('now');
    slow.set({ paused: false, speed: 0.1, steps: 0 });
    expect(slow.hold('b')).toBe('held');
    clock.advance(500);
    expect(slow.hold('c')).toBe('held');
    clock.advance(499); // virtual 99.9 ms since b
    expect(slow.due()).toEqual([]);
    clock.advance(1);
    expect(slow.due()).toEqual(['b']);
    slow.set(timeControl.normalTime);
    expect(slow.hold('d'), 'behind a message still waiting, never before it').toBe('held');
    expect(slow.due()).toEqual(['c', 'd']);
  });

  it('paused: nothing is due however long; a step delivers what one tick brings; the waiting room is bounded', () => {
    const clock = handClock();
    const slow = slowMotion.create<number>(clock, tickMs, 3, { paused: true, speed: 1, steps: 0 });
    expect([slow.hold(1), slow.hold(2), slow.hold(3), slow.hold(4)]).toEqual(['held', 'held', 'held', 'full']);
    clock.advance(60_000);
    expect(slow.due()).toEqual([]);
    expect(Math.floor(slow.nowMs() / tickMs)).toBe(0);
    slow.set({ paused: true, speed: 1, steps: 1 });
    expect(Math.floor(slow.nowMs() / tickMs)).toBe(1);
    expect(slow.due()).toEqual([1, 2, 3]);
  });
});
