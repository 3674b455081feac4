/**
 * The runtime loop's side of room-wide time control (protocol/time-control.ts): a virtual clock that runs at
 * the room's speed, stands still while paused and jumps one tick per step, and a bounded waiting room for
 * peer messages in flight while time is slowed. The loop reads its ticks from `nowMs()` and hands every
 * incoming message to `hold` (which says when it may go in at once); the same code runs in the simulator.
 */
import * as timeControl from '../protocol/time-control.js';
import type { Clock } from './clock.js';

export interface SlowMotion<T> {
  /** Virtual milliseconds since this node started. */
  nowMs(): number;
  setting(): timeControl.TimeSetting;
  /** Adopts the room's setting (a step advances virtual time by exactly one tick). */
  set(setting: timeControl.TimeSetting): void;
  /**
   * 'now': deliver the item at once (normal speed, nothing waiting before it). 'held': it waits for its
   * flight time. 'full': the waiting room is at its bound; the caller drops and counts it.
   */
  hold(item: T): 'now' | 'held' | 'full';
  /** Items whose flight has ended, oldest first (removed from the waiting room). */
  due(): T[];
  /** Messages waiting now. */
  held(): number;
}

export function create<T>(clock: Clock, tickMs: number, heldMax: number, initial: timeControl.TimeSetting = timeControl.normalTime): SlowMotion<T> {
  let pace = timeControl.start(clock.nowMs(), initial);
  /** In arrival order; due times never decrease (one flight time per setting, and virtual time only grows). */
  let waiting: { readonly dueMs: number; readonly item: T }[] = [];
  const nowMs = () => timeControl.at(pace, clock.nowMs());
  return {
    nowMs,
    setting: () => pace.setting,
    set(setting) {
      pace = timeControl.change(pace, clock.nowMs(), setting, tickMs);
    },
    hold(item) {
      // Keep arrival order: while anything waits, a message at normal speed queues behind it.
      if (!timeControl.slowed(pace.setting) && waiting.length === 0) return 'now';
      if (waiting.length >= heldMax) return 'full';
      const dueMs = Math.max(nowMs() + timeControl.messageFlightMs(pace.setting, tickMs), waiting.at(-1)?.dueMs ?? 0);
      waiting.push({ dueMs, item });
      return 'held';
    },
    due() {
      const now = timeControl.slowed(pace.setting) ? nowMs() : Number.POSITIVE_INFINITY;
      let n = 0;
      while (n < waiting.length && (waiting[n]?.dueMs ?? 0) <= now) n++;
      if (n === 0) return [];
      const out = waiting.slice(0, n).map((w) => w.item);
      waiting = waiting.slice(n);
      return out;
    },
    held: () => waiting.length,
  };
}
