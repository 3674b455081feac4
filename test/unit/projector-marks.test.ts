/**
 * The projector's words and marks, as pure functions: which partitions a membership change moved and how
 * the ring says it (shared with the tab's ring view), what the room knows of a node under a fault, where
 * the key labels of messages sent at once go, and the diff taken only between two rings the nodes agree on.
 */
import { describe, expect, it } from 'vitest';
import * as ringMoves from '../../src/ui/ring-moves.js';
import { faultOf, labelRows, roomStatus } from '../../src/ui/projector-marks.js';
import * as model from '../../src/ui/projector-model.js';
import { noFaults } from '../../src/protocol/faults.js';
import type { NodeStatus } from '../../src/protocol/projector.js';

describe('ring moves', () => {
  it('a join: the partitions the joiner took, and the ideal Q/(S+1)', () => {
    const before = ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b'];
    const after = ['a', 'd', 'c', 'd', 'b', 'c', 'a', 'd'];
    const moves = ringMoves.between(before, after);
    expect([...moves?.moved ?? []]).toEqual([1, 3, 7]);
    expect(moves?.text).toBe('3 of 8 moved (ideal Q/(S+1) = 8/4 = 2)');
  });

  it('a leave counts S + 1 from the ring before it', () => {
    expect(ringMoves.between(['a', 'b', 'c', 'd'], ['a', 'b', 'c', 'a'])?.text).toBe('1 of 4 moved (ideal Q/(S+1) = 4/4 = 1)');
  });

  it('same members, new owners (a capacity change): no ideal', () => {
    expect(ringMoves.between(['a', 'b', 'a', 'b'], ['a', 'b', 'b', 'a'])?.text).toBe('2 of 4 moved');
  });

  it('nothing to say: no earlier ring, a new Q, or no change', () => {
    expect(ringMoves.between([], ['a'])).toBeUndefined();
    expect(ringMoves.between(['a', 'b'], ['a', 'b', 'a'])).toBeUndefined();
    expect(ringMoves.between(['a', 'b'], ['a', 'b'])).toBeUndefined();
  });
});

describe('what the room knows of a node', () => {
  const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
  it('an isolated node is "isolated", whatever it says of itself; the others keep their word', () => {
    const f = { ...noFaults, isolated: ['n3'] };
    expect(roomStatus(f, 'n3', ids, 'alive')).toBe('isolated');
    expect(roomStatus(f, 'n1', ids, 'alive')).toBe('alive');
    expect(faultOf(f, 'n3')).toBe('isolated');
    expect(faultOf(f, 'n1')).toBeUndefined();
  });

  it('in a split, the nodes outside the one largest side are "cut off"; members in no group are the last side', () => {
    const f = { ...noFaults, groups: [['n1', 'n2']] };
    expect(ids.map((id) => faultOf(f, id))).toEqual(['side A', 'side A', 'side B', 'side B', 'side B']);
    expect(ids.map((id) => roomStatus(f, id, ids, 'alive'))).toEqual(['cut off', 'cut off', 'alive', 'alive', 'alive']);
  });

  it('an even split has no majority: each node keeps its own word', () => {
    const f = { ...noFaults, groups: [['n1', 'n2'], ['n3', 'n4']] };
    expect(['n1', 'n2', 'n3', 'n4'].map((id) => roomStatus(f, id, ['n1', 'n2', 'n3', 'n4'], 'suspect'))).toEqual(['suspect', 'suspect', 'suspect', 'suspect']);
  });

  it('no faults: the node\'s own word', () => {
    expect(roomStatus(noFaults, 'n1', ids, 'dead')).toBe('dead');
  });
});

describe('key labels of messages sent at once', () => {
  const at = (from: string, to: string, key: string | undefined, startVirtualMs = 0) => ({ from, to, key, startVirtualMs });
  it('one key to two replicas is labelled once; other keys of the same moment stack; later or other senders start again', () => {
    expect(labelRows([
      at('n1', 'n2', 'apple'), at('n1', 'n3', 'apple'), at('n1', 'n2', 'pear'), at('n1', 'n3', 'plum'),
      at('n2', 'n1', 'apple'), at('n1', 'n2', 'apple', 100), at('n1', 'n2', undefined),
    ])).toEqual([0, undefined, 1, 2, 0, 0, undefined]);
  });
});

describe('the projector diffs only rings the nodes agree on', () => {
  const status = (primary: number[], ringSize = 4): NodeStatus => ({
    zone: 'tab', state: 'alive', ready: true, tick: 1, partitions: 4, primary, ringSize, hints: 0, keys: 0, repairs: 0,
    time: { paused: false, speed: 1, steps: 0 },
  });
  const send = (s: model.ProjectorState, from: string, primary: number[]) => model.frame(s, 1000, from, { status: status(primary), events: [], dropped: 0 });

  it('a join seen node by node: nothing while the ring is half updated, then what moved', () => {
    const s = model.create(0);
    send(s, 'a', [0, 2]);
    send(s, 'b', [1, 3]);
    expect(model.agreedOwners(s, 1000)).toEqual(['a', 'b', 'a', 'b']);
    expect(s.moves).toBeUndefined();
    send(s, 'c', [0, 1, 2, 3]); // the joiner before it has heard of the others: every partition claimed twice
    expect(model.agreedOwners(s, 1000)).toBeUndefined();
    send(s, 'c', [3]); // it has: partition 3 is claimed by b and c
    expect(s.moves).toBeUndefined();
    send(s, 'b', [1]);
    expect(s.moves?.text).toBe('1 of 4 moved (ideal Q/(S+1) = 4/3 = 1)');
    expect([...s.moves?.moved ?? []]).toEqual([3]);
  });

  it('a partition nobody claims, or two ring sizes, is no agreement', () => {
    const s = model.create(0);
    send(s, 'a', [0, 2]);
    send(s, 'b', [1]);
    expect(model.agreedOwners(s, 1000)).toBeUndefined();
    model.frame(s, 1000, 'b', { status: status([1, 3], 8), events: [], dropped: 0 });
    expect(model.agreedOwners(s, 1000)).toBeUndefined();
  });
});
