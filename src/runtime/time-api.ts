/**
 * window.kv's room-wide time control (additions to the page API, page-api.ts): kv.pause(), kv.resume(),
 * kv.step(), kv.setSpeed(x) and kv.time(). Teacher only: the setting goes to the signaling server, which
 * checks the token and hands it to every member and observer of the room (protocol/time-control.ts says
 * what each setting does to a node); a call resolves once the server has echoed the setting back.
 */
import * as timeControl from '../protocol/time-control.js';

/** The room's time setting, carried by the signaling server like the fault rules. */
export interface TimeControlChannel {
  current(): timeControl.TimeSetting;
  /** False when the setting could not be sent (server unreachable). */
  publish(setting: timeControl.TimeSetting): boolean;
  onSetting(handler: (setting: timeControl.TimeSetting) => void): void;
}

export interface TimeKv {
  /**
   * Stops time in every node of the room: no ticks, and peer messages wait at their receivers. Requests are
   * still accepted while paused (README, "Time control"). Teacher only.
   */
  pause(): Promise<void>;
  /** Lets time run again at the room's speed. Teacher only. */
  resume(): Promise<void>;
  /** Pauses (if running) and advances every node by exactly one tick, delivering the messages due. Teacher only. */
  step(): Promise<void>;
  /** The room's speed, from 1 (normal) down to 0.05 (1/20): ticks and message flights stretch by 1/speed. Teacher only. */
  setSpeed(speed: number): Promise<void>;
  /** The room's time setting as this node follows it, and this node's tick (undefined before it started). */
  time(): { paused: boolean; speed: number; steps: number; tick: number | undefined };
}

export interface TimeApiDeps {
  /** Absent: every command rejects (e.g. a harness without a signaling server). */
  readonly channel?: TimeControlChannel;
  /** Why this tab may not give room-wide commands, or undefined for the teacher. */
  teacherProblem(): string | undefined;
  readonly echoTimeoutMs: number;
  tick(): number | undefined;
}

export function create(deps: TimeApiDeps): TimeKv {
  const waiters = new Set<{ want: string; done: () => void }>();
  deps.channel?.onSetting((setting) => {
    const got = JSON.stringify(setting);
    for (const waiter of waiters) if (waiter.want === got) waiter.done();
  });

  /** Publishes the next setting and resolves when the server echoes it (every node has been told). */
  function publish(change: (current: timeControl.TimeSetting) => timeControl.TimeSetting): Promise<void> {
    const problem = deps.teacherProblem();
    if (problem !== undefined) return Promise.reject(new Error(problem));
    const channel = deps.channel;
    if (!channel) return Promise.reject(new Error('time control is not available here'));
    const checked = timeControl.validate(change(channel.current()));
    if (!checked.ok) return Promise.reject(new Error(`invalid time setting: ${checked.reason}`));
    return new Promise((resolve, reject) => {
      const waiter = {
        want: JSON.stringify(checked.setting),
        done: () => { waiters.delete(waiter); clearTimeout(timer); resolve(); },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`the signaling server did not confirm the time setting within ${deps.echoTimeoutMs / 1000} s`));
      }, deps.echoTimeoutMs);
      waiters.add(waiter);
      if (!channel.publish(checked.setting)) {
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error('cannot change the room\'s time: the signaling server is not connected'));
      }
    });
  }

  return {
    pause: () => publish((t) => ({ paused: true, speed: t.speed, steps: t.steps })),
    resume: () => publish((t) => ({ paused: false, speed: t.speed, steps: t.steps })),
    step: () => publish((t) => ({ paused: true, speed: t.speed, steps: Math.min(timeControl.stepsMax, t.steps + 1) })),
    setSpeed(speed) {
      const problem = timeControl.speedProblem(speed);
      if (problem !== undefined) return Promise.reject(new Error(`setSpeed: ${problem}`));
      return publish((t) => ({ paused: t.paused, speed, steps: t.steps }));
    },
    time: () => ({ ...(deps.channel?.current() ?? timeControl.normalTime), tick: deps.tick() }),
  };
}
