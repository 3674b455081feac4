import { describe, expect, it } from 'vitest';
import { detect, mergeMember, newerConfig } from '../../src/core/membership.js';
import type { MemberView } from '../../src/core/node-io.js';

const base: MemberView = { id: 'b', host: 'h', capacity: 1, epoch: 5, life: 3, incarnation: 2, heartbeat: 10, status: 'alive', lastHeardTick: 100 };
const wire = (over: Partial<MemberView>) => {
  const { lastHeardTick: _ignored, ...rest } = { ...base, ...over };
  return rest;
};

describe('membership.mergeMember: what a peer teaches about one member (now = 200)', () => {
  const table: [string, MemberView | undefined, Partial<MemberView>, Partial<MemberView> | 'unchanged'][] = [
    ['an unknown member is learned, heard now', undefined, {}, { status: 'alive', lastHeardTick: 200 }],
    ['a higher life is a new life: taken whole, whatever its random epoch', base, { life: 4, epoch: 1, incarnation: 0, heartbeat: 1 }, { life: 4, epoch: 1, incarnation: 0, heartbeat: 1, lastHeardTick: 200 }],
    ['a lower life is old news, whatever its epoch', base, { life: 2, epoch: 99, heartbeat: 99 }, 'unchanged'],
    ['a life jumping more than lifeJumpMax is refused', base, { life: 3 + 2 ** 20 + 1, incarnation: 0 }, 'unchanged'],
    ['two epochs at one life (both took it unaware of each other): the larger epoch wins', base, { epoch: 6, incarnation: 0, heartbeat: 1 }, { epoch: 6, incarnation: 0, heartbeat: 1, lastHeardTick: 200 }],
    ['... and the smaller is ignored', base, { epoch: 4, heartbeat: 99 }, 'unchanged'],
    ['a new life after left is taken', { ...base, status: 'left' }, { life: 4, incarnation: 0, status: 'alive' }, { life: 4, incarnation: 0, status: 'alive', lastHeardTick: 200 }],
    ['a newer heartbeat refreshes lastHeardTick', base, { heartbeat: 11 }, { heartbeat: 11, lastHeardTick: 200 }],
    ['an older heartbeat teaches nothing', base, { heartbeat: 9 }, 'unchanged'],
    ['suspicion at the same incarnation wins over alive', base, { status: 'suspect' }, { status: 'suspect', lastHeardTick: 100 }],
    ['alive at the same incarnation does not clear suspicion', { ...base, status: 'suspect' }, { status: 'alive', heartbeat: 12 }, { status: 'suspect', heartbeat: 12, lastHeardTick: 200 }],
    ['a higher incarnation refutes suspicion', { ...base, status: 'dead' }, { incarnation: 3, status: 'alive' }, { status: 'alive', incarnation: 3, lastHeardTick: 200 }],
    ['a lower incarnation is ignored', base, { incarnation: 1, status: 'dead' }, 'unchanged'],
    ['left is final within a life', { ...base, status: 'left' }, { incarnation: 9, status: 'alive' }, 'unchanged'],
    ['left spreads', base, { status: 'left' }, { status: 'left' }],
  ];
  it.each(table)('%s', (_name, local, remote, expected) => {
    const merged = mergeMember(local, wire(remote), 200);
    if (expected === 'unchanged') expect(merged).toBeUndefined();
    else expect(merged).toMatchObject(expected);
  });
});

describe('membership.detect: the failure detector (suspect after 60 silent ticks, dead after 240)', () => {
  const tuning = { suspectTimeoutTicks: 60, deadTimeoutTicks: 240 };
  it.each([
    ['alive', 160, 'alive'],
    ['alive', 161, 'suspect'],
    ['alive', 341, 'dead'],
    ['suspect', 340, 'suspect'],
    ['suspect', 341, 'dead'],
    ['dead', 1000, 'dead'],
    ['left', 1000, 'left'],
  ] as const)('%s member silent since 100, at tick %i: %s', (status, now, expected) => {
    expect(detect({ ...base, status }, now, tuning)).toBe(expected);
  });
});

describe('membership.newerConfig: highest version wins, ties by node id', () => {
  it.each([
    [{ version: 2, by: 'a' }, { version: 1, by: 'z' }, true],
    [{ version: 1, by: 'b' }, { version: 1, by: 'a' }, true],
    [{ version: 1, by: 'a' }, { version: 1, by: 'a' }, false],
    [{ version: 0, by: 'z' }, { version: 1, by: 'a' }, false],
  ])('%o over %o: %s', (a, b, expected) => {
    expect(newerConfig(a, b)).toBe(expected);
  });
});
