import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as hash from '../../src/core/hash.js';
import * as candidates from '../../src/core/ring-candidates.js';
import * as ring from '../../src/core/ring.js';
import * as rng from '../../src/core/rng.js';
import type { RingMember } from '../../src/core/types.js';
import { referenceBuild } from './ring-reference.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);
const runs = { seed: fcSeed, numRuns: 60 };

const member = (id: string, host = `host-${id}`, capacity = 1): RingMember => ({ id, host, capacity });
const hashPartition = (key: string) => hash.partitionOf(key, 32);
const cluster = (size: number, prefix = 'n') => Array.from({ length: size }, (_, i) => member(`${prefix}${i}`));

/** A member set: 1..24 nodes on 1..8 hosts with capacities 1..4. */
const membersArb = fc
  .uniqueArray(fc.record({ id: fc.stringMatching(/^[a-z0-9]{1,6}$/), host: fc.integer({ min: 0, max: 7 }), capacity: fc.integer({ min: 1, max: 4 }) }), {
    minLength: 1,
    maxLength: 24,
    selector: (m) => m.id,
  })
  .map((ms) => ms.map((m) => member(m.id, `h${m.host}`, m.capacity)));

describe('ring: a deterministic function of the member set', () => {
  it('is the same ring for any order of learning the members', () => {
    fc.assert(
      fc.property(membersArb, fc.integer(), (members, seed) => {
        const shuffled = rng.create(seed).shuffle(members);
        expect(ring.build(shuffled, 64)).toEqual(ring.build(members, 64));
      }),
      runs,
    );
  });

  it('keeps every member between 0.75 x and max(ceil, 1.05 x) of its capacity share, and gives every partition an owner', () => {
    fc.assert(
      fc.property(membersArb, fc.constantFrom(16, 64, 256), (members, q) => {
        const r = ring.build(members, q);
        const total = members.reduce((s, m) => s + m.capacity, 0);
        const counts = ring.partitionCounts(r);
        expect(r.owners.length).toBe(q);
        expect(r.owners.every((o) => counts.has(o))).toBe(true);
        for (const m of r.members) {
          const share = (q * m.capacity) / total;
          const got = counts.get(m.id) ?? 0;
          expect(got).toBeGreaterThanOrEqual(Math.floor(share * 0.75));
          expect(got).toBeLessThanOrEqual(Math.max(Math.ceil(share), Math.floor(share * 1.05)));
        }
      }),
      runs,
    );
  });

  it.each([
    [[1, 1, 1, 1], 256, [48, 48, 48, 48], [67, 67, 67, 67]],
    [[2, 1, 1], 256, [96, 48, 48], [134, 67, 67]],
    [[1, 1, 1], 16, [4, 4, 4], [6, 6, 6]],
    [[3, 1], 8, [4, 1], [6, 2]],
  ])('capacities %j over %i partitions: bounds %j to %j, counts within them', (capacities, q, lo, hi) => {
    const members = capacities.map((c, i) => member(`m${i}`, `h${i}`, c));
    expect(ring.bounds(members, q)).toEqual({ lo, hi });
    const counts = [...ring.partitionCounts(ring.build(members, q)).values()];
    counts.forEach((c, i) => {
      expect(c).toBeGreaterThanOrEqual(lo[i] as number);
      expect(c).toBeLessThanOrEqual(hi[i] as number);
    });
  });

  it('is exact when the ceilings leave no slack: capacities 3 and 1 over 8 partitions own 6 and 2', () => {
    expect([...ring.partitionCounts(ring.build([member('a', 'h', 3), member('b', 'h', 1)], 8)).values()]).toEqual([6, 2]);
  });

  it('an empty member set gives a ring with no owners and empty preference lists', () => {
    const r = ring.build([], 8);
    expect(r).toEqual({ partitions: 8, owners: [], members: [] });
    expect(ring.preferenceList(r, 3, 3)).toEqual({ replicas: [], fallbacks: [] });
  });

  it('refuses a duplicate member, a capacity <= 0 and a partition count that is not a power of two', () => {
    expect(() => ring.build([member('a'), member('a')], 8)).toThrow(/twice/);
    expect(() => ring.build([member('a', 'h', 0)], 8)).toThrow(/capacity/);
    expect(() => ring.build([member('a')], 12)).toThrow(RangeError);
  });
});

describe('ring: preference lists', () => {
  it('has min(n, S) distinct replicas, the owner first, and every other member as a fallback, clockwise', () => {
    fc.assert(
      fc.property(membersArb, fc.integer({ min: 1, max: 5 }), (members, n) => {
        const r = ring.build(members, 32);
        for (let p = 0; p < 32; p++) {
          const { replicas, fallbacks } = ring.preferenceList(r, p, n);
          expect(new Set(replicas).size).toBe(Math.min(n, members.length));
          expect([...replicas, ...fallbacks].sort()).toEqual(members.map((m) => m.id).sort());
          expect(replicas[0]).toBe(r.owners[p]);
        }
      }),
      runs,
    );
  });

  it('puts replicas on n distinct hosts when there are n hosts, else on every host', () => {
    fc.assert(
      fc.property(membersArb, fc.integer({ min: 1, max: 5 }), (members, n) => {
        const r = ring.build(members, 32);
        const hostOf = new Map(members.map((m) => [m.id, m.host]));
        const hostCount = new Set(members.map((m) => m.host)).size;
        for (let p = 0; p < 32; p++) {
          const hosts = new Set(ring.preferenceList(r, p, n).replicas.map((id) => hostOf.get(id)));
          expect(hosts.size).toBe(Math.min(n, hostCount));
        }
      }),
      runs,
    );
  });

  it('walks clockwise: with one host per node the replicas are the first distinct owners from the partition on', () => {
    const r = ring.build(cluster(6), 16);
    for (let p = 0; p < 16; p++) {
      const walk: string[] = [];
      for (let k = 0; walk.length < 3; k++) {
        const owner = r.owners[(p + k) % 16] as string;
        if (!walk.includes(owner)) walk.push(owner);
      }
      expect(ring.preferenceList(r, p, 3).replicas).toEqual(walk);
    }
  });

  it('is cached per ring and n (same object back), and replicaPartitions agrees with it', () => {
    const r = ring.build(cluster(5), 32);
    expect(ring.preferenceList(r, 7, 3)).toBe(ring.preferenceList(r, 7, 3));
    const mine = ring.replicaPartitions(r, 'n2', 3);
    for (let p = 0; p < 32; p++) expect(mine.includes(p)).toBe(ring.preferenceList(r, p, 3).replicas.includes('n2'));
    expect(ring.preferenceListForKey(r, 'some key', 3)).toBe(ring.preferenceList(r, hashPartition('some key'), 3));
  });
});

describe('ring: movement on join and leave (bench:ring prints the full figures)', () => {
  // Ratios to the ideal (1/(S+1) of partitions on a join, 1/S on a leave), mean of 10 clusters. Measured
  // with this ring: 1.25 / 1.28 (S = 10, Q = 256), 1.65 / 1.65 (S = 30, Q = 256), 1.15 / 1.13 (S = 30,
  // Q = 4096); the exact-quota greedy before it: 1.36 / 1.32, 2.39 / 2.47, 1.37 / 1.35. The bounds pin the
  // measured figures (+ 0.05) so that a regression shows; ring.ts explains why Q = 256 stays above the ideal.
  it.each([
    [10, 256, 1.3, 1.33],
    [30, 256, 1.7, 1.7],
    [30, 4096, 1.2, 1.18],
  ])('S = %i, Q = %i: a join moves at most %f x the ideal and a leave at most %f x, within the bounds', (s, q, joinBound, leaveBound) => {
    let join = 0;
    let leave = 0;
    for (let t = 0; t < 10; t++) {
      const before = ring.build(cluster(s, `c${t}-`), q);
      const after = ring.build([...before.members, member(`new${t}`)], q);
      join += ring.ownersChanged(before, after) / (q / (s + 1)) / 10;
      leave += ring.ownersChanged(before, ring.build(before.members.filter((_, i) => i !== (3 * t) % s), q)) / (q / s) / 10;
      const newcomer = after.members.findIndex((m) => m.id === `new${t}`);
      const { lo, hi } = ring.bounds(after.members, q);
      expect(ring.partitionCounts(after).get(`new${t}`)).toBeGreaterThanOrEqual(lo[newcomer] as number);
      expect(ring.partitionCounts(after).get(`new${t}`)).toBeLessThanOrEqual(hi[newcomer] as number);
    }
    expect(join).toBeLessThanOrEqual(joinBound);
    expect(leave).toBeLessThanOrEqual(leaveBound);
    expect(join).toBeGreaterThanOrEqual(0.7); // a newcomer's partitions all move, and it owns at least floor(0.75 x its share)
  });

  it('ownersChanged is 0 for the same set and refuses rings of different sizes', () => {
    expect(ring.ownersChanged(ring.build(cluster(4), 64), ring.build(cluster(4).reverse(), 64))).toBe(0);
    expect(() => ring.ownersChanged(ring.build(cluster(4), 64), ring.build(cluster(4), 32))).toThrow(RangeError);
  });
});

describe('ring: derived from the previous ring (ring-candidates.ts), the same as built from nothing', () => {
  /** One membership change: a join, a leave, or a capacity change of an existing member. */
  const stepArb = fc.record({ kind: fc.constantFrom('join', 'join', 'leave', 'capacity'), id: fc.integer({ min: 0, max: 59 }), capacity: fc.integer({ min: 1, max: 4 }) });
  // Q = 16 with up to 60 members covers both regimes: members owning several partitions and most owning none;
  // the lists of listLength = 8 candidates run out (every member is a candidate) below 8 members.
  const sequenceArb = fc.record({ partitions: fc.constantFrom(16, 64), start: fc.integer({ min: 0, max: 40 }), steps: fc.array(stepArb, { minLength: 1, maxLength: 25 }) });

  it('over random join, leave and capacity-change sequences, every ring equals a full build and the reference algorithm', () => {
    fc.assert(
      fc.property(sequenceArb, ({ partitions, start, steps }) => {
        let members = Array.from({ length: start }, (_, i) => member(`m${i}`, `h${i % 5}`, 1 + (i % 3)));
        let current = ring.build(members, partitions);
        for (const step of steps) {
          const id = `m${step.id}`;
          const present = members.some((m) => m.id === id);
          if (step.kind === 'join' && !present) members = [...members, member(id, `h${step.id % 5}`, step.capacity)];
          else if (step.kind === 'leave' && present) members = members.filter((m) => m.id !== id);
          else if (step.kind === 'capacity' && present) members = members.map((m) => (m.id === id ? member(id, m.host, step.capacity) : m));
          current = ring.rebuild(current, members, partitions);
          expect(current).toEqual(ring.build(members, partitions));
          if (members.length > 0) expect(current.owners).toEqual(referenceBuild(members, partitions).owners);
        }
      }),
      { ...runs, numRuns: 40 },
    );
  });

  it('a join into 300 members over 256 partitions (most own one or none) gives the full build', () => {
    const members = cluster(300, 'big');
    const before = ring.build(members, 256);
    const joined = ring.rebuild(before, [...members, member('late')], 256);
    expect(joined.owners).toEqual(referenceBuild([...members, member('late')], 256).owners);
    expect(ring.rebuild(joined, members, 256).owners).toEqual(before.owners);
  });

  it('a previous ring of another partition count is ignored: the ring is built from nothing', () => {
    const members = cluster(6);
    expect(ring.rebuild(ring.build(members, 32), members, 64)).toEqual(ring.build(members, 64));
  });

  it('a ring derived through joins, leaves and capacity changes on shared hosts equals one built from nothing (seeded walk)', () => {
    // Found a member listed twice after a capacity change (rescanned list, then offered again as a newcomer),
    // which made nodes with different histories disagree on the ring (sim seeds 72 and 190 never converged).
    const random = rng.create(20261201);
    for (let walk = 0; walk < 400; walk++) {
      const partitions = [16, 64, 256][random.int(3)] as number;
      let members: RingMember[] = [];
      let previous: ring.Ring | undefined;
      for (let step = 0; step < 30; step++) {
        const id = `n${random.int(12)}`;
        const present = members.some((m) => m.id === id);
        const op = [0, 0, 0, 0, 0, 1, 1, 2, 2, 2][random.int(10)] as number; // mostly joins: lists fill up (8 candidates)
        if (op === 0 && !present) members = [...members, { id, host: `h${random.int(4)}`, capacity: 1 + random.int(3), ...(random.int(5) === 0 ? { zone: 'peer' as const } : {}) }];
        else if (op === 1 && present) members = members.filter((m) => m.id !== id);
        else if (op === 2 && present) members = members.map((m) => (m.id === id ? { ...m, capacity: 1 + random.int(3) } : m));
        let built: ring.Ring;
        try {
          built = ring.build(members, partitions);
        } catch {
          previous = undefined; // a member set no ring fits (ceilings below Q): the next one starts afresh
          continue;
        }
        const derived = ring.rebuild(previous, members, partitions);
        expect(derived.owners, `walk ${walk}, step ${step}, Q ${partitions}`).toEqual(built.owners);
        previous = derived;
      }
    }
  });

  /** What is wrong with the ring's index: each list must be the start of its partition's order of ALL members, and long enough. */
  const indexProblems = (built: ring.Ring): string[] => {
    const index = ring.candidatesOf(built);
    if (index === undefined) return ['no index'];
    const problems: string[] = [];
    const s = built.members.length;
    built.members.forEach((m, i) => {
      const slot = index.slots[i] as number;
      if (index.rank[slot] !== i || index.slotRows[slot] !== index.rows[i]) problems.push(`member ${m.id}: slot ${slot} does not lead back to it`);
      if (index.rows[i] !== candidates.scoreRow(m, built.partitions).scores) problems.push(`member ${m.id}: not its score row`);
    });
    if (index.rank.filter((i) => i >= 0).length !== s) problems.push('slots in use != members');
    const column = new Float64Array(s);
    for (let p = 0; p < built.partitions; p++) {
      for (let i = 0; i < s; i++) column[i] = (index.rows[i] as Float64Array)[p] as number;
      const order = built.members.map((_, i) => i).sort((a, b) => (column[b] as number) - (column[a] as number) || a - b);
      const list = (index.top[p] as readonly number[]).map((slot) => index.rank[slot] as number);
      if (list.some((i, k) => i !== order[k])) problems.push(`partition ${p}: list ${list.join(',')} is not the start of ${order.slice(0, list.length + 2).join(',')}...`);
      if (list.length < Math.min(candidates.listLength, s) || list.length > candidates.listMax) problems.push(`partition ${p}: ${list.length} candidates`);
    }
    return problems;
  };

  it('keeps every candidate list a prefix of its partition\'s order of all members, through several joins, leaves and capacity changes at once (seeded walk)', () => {
    // Lists shorten on leaves and are rescanned only below listLength; newcomers lengthen them up to listMax.
    // A list that lost its place (a leaver kept, a newcomer missed, a member twice) fails here even when the
    // ring it yields happens to be the same.
    const random = rng.create(20261202);
    for (let walk = 0; walk < 30; walk++) {
      const partitions = [16, 64, 256][random.int(3)] as number;
      let members: RingMember[] = Array.from({ length: 5 + random.int(30) }, (_, i) => member(`w${i}`, `h${i % 4}`, 1 + random.int(3)));
      let current = ring.build(members, partitions);
      expect(indexProblems(current), `walk ${walk}, start`).toEqual([]);
      for (let step = 0; step < 20; step++) {
        const changes = 1 + random.int(3);
        for (let c = 0; c < changes; c++) {
          const id = `w${random.int(60)}`;
          const present = members.some((m) => m.id === id);
          const op = random.int(3);
          if (op === 0 && !present) members = [...members, member(id, `h${random.int(4)}`, 1 + random.int(3))];
          else if (op === 1 && present && members.length > 1) members = members.filter((m) => m.id !== id);
          else if (op === 2 && present) members = members.map((m) => (m.id === id ? member(id, m.host, 1 + random.int(3)) : m));
        }
        const context = `walk ${walk}, step ${step}, Q ${partitions}, S ${members.length}`;
        current = ring.rebuild(current, members, partitions);
        expect(current.owners, context).toEqual(ring.build(members, partitions).owners);
        if (step % 4 === 0) expect(current.owners, context).toEqual(referenceBuild(members, partitions).owners);
        expect(indexProblems(current), context).toEqual([]);
      }
    }
  });

  it('the same member set again gives an equal ring and an index as sound', () => {
    const members = cluster(40, 'same');
    const first = ring.build(members, 64);
    const again = ring.rebuild(first, [...members].reverse(), 64);
    expect(again).toEqual(first);
    expect(indexProblems(again)).toEqual([]);
  });
});
