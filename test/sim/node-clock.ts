/**
 * A simulated node's own clock, as a tab has one: its ticks count from its own (re)start, at its own rate.
 * A tab derives its tick from elapsed time since page load (runtime.ts), so two tabs' ticks are unrelated
 * numbers, and a reload starts again from 0. Here: local tick = floor(phase + (global - start) * rate),
 * where `start` is the global tick of this life's start (the node's offset), `phase` a fraction of a tick
 * (timers of two tabs do not fire together) and `rate` 1 +- driftMax (a tab's timer runs fast or slow,
 * or is throttled). A global clock (rate 1, phase 0, never reset) is kept for transcripts, whose text
 * must not change with the clock model.
 */
import type { Rng } from '../../src/core/rng.js';

export interface NodeClock {
  /** Global tick at which this life started. */
  readonly startGlobal: number;
  readonly rate: number;
  readonly phase: number;
  /** False: the local tick is the global tick (one clock for all, as transcripts assume). */
  readonly local: boolean;
}

export interface ClockModel {
  /** Each life gets its own clock from 0; false keeps one global clock. */
  readonly local: boolean;
  /** Largest relative drift of a node's rate, e.g. 0.05 for +-5 %. */
  readonly driftMax: number;
}

export const globalClock: ClockModel = { local: false, driftMax: 0 };

/** A new life's clock: it starts at 0 now, with a rate and a phase drawn from the node's rng. */
export function start(model: ClockModel, now: number, rng: Rng): NodeClock {
  if (!model.local) return { startGlobal: 0, rate: 1, phase: 0, local: false };
  const rate = 1 + (rng.next() * 2 - 1) * model.driftMax;
  return { startGlobal: now, rate, phase: rng.next(), local: true };
}

/** The node's tick at global tick `now`. */
export function tickAt(clock: NodeClock, now: number): number {
  if (!clock.local) return now;
  return Math.floor(clock.phase + (now - clock.startGlobal) * clock.rate);
}
