// The teacher's tab re-asserts the room's stamped config after a signaling restart (runtime/config-keeper.ts).
import { describe, expect, it } from 'vitest';
import type { ConfigStamp } from '../../src/protocol/room-config.js';
import { keepConfig } from '../../src/runtime/config-keeper.js';

const settings = { n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: 120 };
const v4: ConfigStamp = { version: 4, by: 'n1', config: { ...settings, n: 2 } };
const v5: ConfigStamp = { version: 5, by: 'n2', config: { ...settings, n: 4 } };

/** A scripted signaling client: the test plays the server's welcome and config frames; `held` is the core's config. */
function fakeSignaling(role: 'teacher' | 'student', held: ConfigStamp | undefined, told: ConfigStamp | undefined = undefined) {
  const onWelcome: Array<(nodeId: string, role: 'teacher' | 'student') => void> = [];
  const onConfig: Array<(s: ConfigStamp | undefined) => void> = [];
  const published: ConfigStamp[] = [];
  const client = {
    onWelcome: (h: (nodeId: string, role: 'teacher' | 'student') => void) => void onWelcome.push(h),
    onConfig: (h: (s: ConfigStamp | undefined) => void) => void onConfig.push(h),
    publishConfig: (s: ConfigStamp) => { published.push(s); return true; },
    role: () => role,
    config: () => told,
  };
  const keeper = keepConfig(client, () => held);
  return { keeper, published, welcome: () => onWelcome.forEach((h) => h('n1', role)), config: (s: ConfigStamp | undefined) => onConfig.forEach((h) => h(s)) };
}

describe('config keeper', () => {
  it('a teacher greeted with no config, or an older one, by a restarted server proposes the one its core holds', () => {
    const s = fakeSignaling('teacher', v5, v5);
    expect(s.published).toEqual([]); // the server it started with has it
    s.welcome();
    s.config(undefined);
    s.welcome();
    s.config(v4);
    expect(s.published).toEqual([v5, v5]);
    expect(s.keeper.reasserted()).toBe(2);
  });

  it('re-asserts at once when the greeting came before the node started', () => {
    expect(fakeSignaling('teacher', v4, undefined).published).toEqual([v4]);
  });

  it.each([
    ['a student greeted with none', 'student', v5, undefined],
    ['a teacher whose core holds only the default config', 'teacher', undefined, undefined],
    ['a teacher greeted with a newer config (adopted, not overridden)', 'teacher', v4, v5],
  ] as const)('nothing is re-asserted by %s', (_name, role, held, greeting) => {
    const s = fakeSignaling(role, held, greeting);
    s.welcome();
    s.config(greeting);
    expect(s.published).toEqual([]);
  });

  it('only a greeting is answered: a change afterwards is the room\'s', () => {
    const s = fakeSignaling('teacher', v5, v5);
    s.welcome();
    s.config(v5);
    s.config(undefined); // not a greeting (a real server never sends this, but it must not trigger anything)
    expect(s.published).toEqual([]);
  });
});
