/**
 * Room-wide time control: the teacher's pause, resume, single step and slow motion, as ONE definition that
 * tabs, always-on peers and the simulator all apply (runtime/slow-motion.ts does it for the runtime loop,
 * which the simulator also runs). Pure: real time is handed in, nothing here reads a clock.
 *
 * The setting travels like the fault rules (teacher -> signaling server, which checks the token and stamps
 * it -> every member of the room; a tab that joins later gets the current one after its hello).
 *
 * What "speed" means, precisely:
 * - A node's virtual time advances at `speed` x real time (1 down to speedMin = 1/20); its tick is
 *   floor(virtual ms / tickMs), so every timeout counted in ticks (gossip, suspicion, hinted handoff,
 *   anti-entropy rounds, forward timeouts) stretches by 1/speed.
 * - Paused: virtual time stands still, so no tick happens.
 * - Step: `steps` counts the teacher's steps; each new step moves a paused node's virtual time to the next
 *   tick boundary, so it advances exactly one tick (at most stepsPerChangeMax at once, for a node that missed
 *   many). A step while running means nothing (the setting of a step is always paused).
 * - Messages: at 1x a message between nodes is delivered at once, as without time control. Slowed or paused,
 *   each message spends exactly one tick of virtual time in flight (messageFlightMs) before the receiver
 *   takes it: 1/speed ticks of real time (1 s at 1/10), none while paused (a step delivers those due).
 *   So a repair's dozen message hops become watchable, and one step moves everything by one tick.
 */

export interface TimeSetting {
  /** True: no ticks and no message deliveries until resume or a step. */
  readonly paused: boolean;
  /** Virtual time per real time, in [speedMin, 1]. */
  readonly speed: number;
  /** How many single steps the teacher has taken (a counter, so a repeated frame is not a second step). */
  readonly steps: number;
}

export const normalTime: TimeSetting = { paused: false, speed: 1, steps: 0 };
export const speedMin = 0.05;
export const speedMax = 1;
/** Steps a node applies from one change at most (a tab that missed a burst of steps does not race ahead). */
export const stepsPerChangeMax = 100;
/** `steps` stays a small safe integer on the wire. */
export const stepsMax = 2 ** 31 - 1;

export type Validated = { readonly ok: true; readonly setting: TimeSetting } | { readonly ok: false; readonly reason: string };

export function validate(data: unknown): Validated {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return { ok: false, reason: 'time: expected { paused, speed, steps }' };
  const d = data as Record<string, unknown>;
  const unknown = Object.keys(d).find((k) => !['paused', 'speed', 'steps'].includes(k));
  if (unknown !== undefined) return { ok: false, reason: `time.${unknown}: unknown field` };
  if (typeof d.paused !== 'boolean') return { ok: false, reason: 'time.paused: expected a boolean' };
  const speed = speedProblem(d.speed);
  if (speed !== undefined) return { ok: false, reason: `time.speed: ${speed}` };
  if (!Number.isSafeInteger(d.steps) || (d.steps as number) < 0 || (d.steps as number) > stepsMax) {
    return { ok: false, reason: `time.steps: expected an integer in [0, ${stepsMax}]` };
  }
  return { ok: true, setting: { paused: d.paused, speed: d.speed as number, steps: d.steps as number } };
}

/** Why `speed` is not a valid speed, or undefined. */
export function speedProblem(speed: unknown): string | undefined {
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed < speedMin || speed > speedMax) {
    return `expected a number from ${speedMin} (1/20) to ${speedMax}, got ${String(speed)}`;
  }
  return undefined;
}

/** One phrase for a banner: "normal speed", "1/10x", "paused (step 3)". */
export function describe(setting: TimeSetting): string {
  if (setting.paused) return setting.steps > 0 ? `paused (step ${setting.steps})` : 'paused';
  if (setting.speed >= speedMax) return 'normal speed';
  const inverse = 1 / setting.speed;
  return Number.isInteger(Math.round(inverse * 100) / 100) ? `1/${Math.round(inverse)}x` : `${Math.round(setting.speed * 100) / 100}x`;
}

/** True when messages are held for their flight time (anything but normal, running time). */
export function slowed(setting: TimeSetting): boolean {
  return setting.paused || setting.speed < speedMax;
}

/** Virtual milliseconds a message spends in flight: 0 at normal speed, one tick otherwise. */
export function messageFlightMs(setting: TimeSetting, tickMs: number): number {
  return slowed(setting) ? tickMs : 0;
}

/**
 * A node's virtual clock: where virtual time stood (`virtualMs`) at real time `realMs`, and the setting in
 * force since. Plain data; `at` reads it, `change` makes the next one.
 */
export interface Pace {
  readonly virtualMs: number;
  readonly realMs: number;
  readonly setting: TimeSetting;
}

/** A node starting now adopts the room's setting as it is (earlier steps are not replayed). */
export function start(realMs: number, setting: TimeSetting = normalTime): Pace {
  return { virtualMs: 0, realMs, setting };
}

/** Virtual time at real time `realMs` (never before the pace's own start). */
export function at(pace: Pace, realMs: number): number {
  if (pace.setting.paused) return pace.virtualMs;
  return pace.virtualMs + Math.max(0, realMs - pace.realMs) * pace.setting.speed;
}

/**
 * The pace after the room's setting changes at real time `realMs`: virtual time so far is kept, then each
 * new step (steps above the previous count, bounded) moves it to the next tick boundary.
 */
export function change(pace: Pace, realMs: number, next: TimeSetting, tickMs: number): Pace {
  let virtualMs = at(pace, realMs);
  const newSteps = Math.min(stepsPerChangeMax, Math.max(0, next.steps - pace.setting.steps));
  if (next.paused) for (let i = 0; i < newSteps; i++) virtualMs = (Math.floor(virtualMs / tickMs) + 1) * tickMs;
  return { virtualMs, realMs, setting: next };
}
