/**
 * `npm run bench:ring`: the Dynamo paper's partitioning comparison (section 6.2), re-run on our ring.
 *
 * Strategy 1: T random tokens per node on the 128-bit ring (T = round(Q/S), at least 1, so both strategies
 * keep about the same number of tokens); a key belongs to the first token clockwise of its MD5 position.
 * Strategy 3: ring.build: Q equal partitions, assigned in proportion to capacity (every node capacity 1).
 * Every node is on its own host; N = 3. Keys: 1,000,000 random keys, MD5-hashed once (positions compared on
 * their top 48 bits, enough to order keys and tokens without ties in practice).
 *
 * Load: keys per node counting a key at each of its N replicas ("repl.") and at its coordinator ("coord.");
 * max/mean and the share of nodes more than 15 % from the mean (the paper's out-of-balance measure).
 * Moved: share of key replicas (key, replica node) that change when one node joins / leaves, against the
 * ideal 1/(S+1) / 1/S (a newcomer must take 1/(S+1) of all replicas); mean of `trials` random joins/leaves.
 * Metadata: bytes a node must hold to route: strategy 1 every member (id, host, capacity) and its tokens
 * (16 bytes each); strategy 3 only the member set (the ring is computed from it).
 * Look-ups/s: preference list of a key whose MD5 is already known (both strategies cache per token/partition).
 * Figures are printed, never asserted (timings vary with the machine).
 */
import { performance } from 'node:perf_hooks';
import * as hash from '../../src/core/hash.js';
import * as ring from '../../src/core/ring.js';
import * as rng from '../../src/core/rng.js';
import type { RingMember } from '../../src/core/types.js';

const keyCount = 1_000_000;
const n = 3;
const partitions = Number(process.env.PARTITIONS ?? 256);
const sizes = [10, 30, 100];
const trials = 5;
const seed = Number(process.env.SEED ?? 1);
const twoPow16 = 65536;

interface Strategy {
  /** Replica lists per key "slot" (token or partition) and the slot of every key. */
  readonly lists: readonly (readonly string[])[];
  readonly slotOf: Uint32Array;
  readonly metadataBytes: number;
  readonly lookup: (position: number, top32: number) => readonly string[];
}

function positionsOf(count: number, r: rng.Rng): { pos: Float64Array; top32: Uint32Array } {
  const pos = new Float64Array(count);
  const top32 = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const p = hash.keyPosition(`key-${r.int(2 ** 32)}-${i}`);
    const hi = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
    top32[i] = hi;
    pos[i] = hi * twoPow16 + ((p[4]! << 8) | p[5]!);
  }
  return { pos, top32 };
}

const memberBytes = (members: readonly RingMember[]) => members.reduce((s, m) => s + hash.utf8(m.id).length + hash.utf8(m.host).length + 8, 0);

/** Strategy 1's tokens for a member: drawn from a stream of its own, so they stay put when others join or leave. */
function tokensOf(member: RingMember, tokensPerNode: number): Array<{ at: number; node: string }> {
  const r = rng.create(seed).fork(`tokens-${member.id}`);
  return Array.from({ length: tokensPerNode }, () => ({ at: r.int(2 ** 32) * twoPow16 + r.int(twoPow16), node: member.id }));
}

function strategy1(members: readonly RingMember[], tokensPerNode: number, keys: { pos: Float64Array }): Strategy {
  const tokens = members.flatMap((m) => tokensOf(m, tokensPerNode));
  tokens.sort((a, b) => a.at - b.at);
  const at = Float64Array.from(tokens.map((t) => t.at));
  const lists = tokens.map((_, i) => {
    const picked: string[] = [];
    for (let k = 0; k < tokens.length && picked.length < Math.min(n, members.length); k++) {
      const node = tokens[(i + k) % tokens.length]!.node;
      if (!picked.includes(node)) picked.push(node);
    }
    return picked;
  });
  const slot = (position: number): number => {
    let lo = 0;
    let hi = at.length; // first token >= position, wrapping to 0
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (at[mid]! < position) lo = mid + 1;
      else hi = mid;
    }
    return lo === at.length ? 0 : lo;
  };
  const slotOf = new Uint32Array(keys.pos.length);
  for (let i = 0; i < keys.pos.length; i++) slotOf[i] = slot(keys.pos[i]!);
  return { lists, slotOf, metadataBytes: memberBytes(members) + tokens.length * 16, lookup: (position) => lists[slot(position)]! };
}

function strategy3(members: readonly RingMember[], keys: { top32: Uint32Array }): Strategy {
  const rg = ring.build(members, partitions);
  const shift = 32 - Math.log2(partitions);
  const lists = Array.from({ length: partitions }, (_, p) => ring.preferenceList(rg, p, n).replicas);
  const slotOf = new Uint32Array(keys.top32.length);
  for (let i = 0; i < keys.top32.length; i++) slotOf[i] = keys.top32[i]! >>> shift;
  return { lists, slotOf, metadataBytes: memberBytes(members), lookup: (_position, top32) => ring.preferenceList(rg, top32 >>> shift, n).replicas };
}

function balance(s: Strategy, members: readonly RingMember[]): { replMax: number; replOut: number; coordMax: number; coordOut: number } {
  const perSlot = new Float64Array(s.lists.length);
  for (let i = 0; i < s.slotOf.length; i++) perSlot[s.slotOf[i]!]! += 1;
  const repl = new Map(members.map((m) => [m.id, 0]));
  const coord = new Map(members.map((m) => [m.id, 0]));
  s.lists.forEach((list, slot) => {
    list.forEach((node, k) => {
      repl.set(node, repl.get(node)! + perSlot[slot]!);
      if (k === 0) coord.set(node, coord.get(node)! + perSlot[slot]!);
    });
  });
  const stats = (loads: number[]) => {
    const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
    return { max: Math.max(...loads) / mean, out: loads.filter((l) => Math.abs(l - mean) > 0.15 * mean).length / loads.length };
  };
  const r = stats([...repl.values()]);
  const c = stats([...coord.values()]);
  return { replMax: r.max, replOut: r.out, coordMax: c.max, coordOut: c.out };
}

/** Share of key replicas whose node changed between two placements of the same keys. */
function moved(before: Strategy, after: Strategy): number {
  let changed = 0;
  for (let i = 0; i < before.slotOf.length; i++) {
    const a = before.lists[before.slotOf[i]!]!;
    const b = after.lists[after.slotOf[i]!]!;
    for (const node of b) if (!a.includes(node)) changed++;
  }
  return changed / (before.slotOf.length * n);
}

function lookupsPerSecond(s: Strategy, keys: { pos: Float64Array; top32: Uint32Array }): number {
  const count = Math.min(keys.pos.length, 500_000);
  let sink = 0;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) sink += s.lookup(keys.pos[i]!, keys.top32[i]!).length;
  const seconds = (performance.now() - t0) / 1000;
  if (sink === 0) throw new Error('no look-ups ran');
  return count / seconds;
}

const idOf = (r: rng.Rng) => `tab-${r.int(2 ** 32).toString(16).padStart(8, '0')}`;
const cluster = (size: number, r: rng.Rng): RingMember[] =>
  Array.from({ length: size }, () => ({ id: idOf(r), host: `browser-${idOf(r)}`, capacity: 1 }));

function main(): void {
  const r = rng.create(seed);
  const started = performance.now();
  const keys = positionsOf(keyCount, r.fork('keys'));
  const rows: string[] = [];
  for (const size of sizes) {
    const members = cluster(size, r.fork(`members-${size}`));
    for (const strategy of [1, 3] as const) rows.push(row(strategy, size, members, keys, r));
  }
  const table = [
    `Partitioning, re-run (seed ${seed}, ${keyCount.toLocaleString('en')} keys, N = ${n}, Q = ${partitions}, strategy 1 with T = round(Q/S) tokens per node, one host per node)`,
    '',
    '| S | strategy | max/mean repl. | >15% off repl. | max/mean coord. | >15% off coord. | moved on join (ideal) | moved on leave (ideal) | metadata B/node | look-ups/s |',
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
  ];
  console.log(table.join('\n'));
  console.log(`\n(ran in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
}

function row(strategy: 1 | 3, size: number, members: RingMember[], keys: { pos: Float64Array; top32: Uint32Array }, r: rng.Rng): string {
  const tokensPerNode = Math.max(1, Math.round(partitions / size));
  const place = (ms: readonly RingMember[]): Strategy => (strategy === 1 ? strategy1(ms, tokensPerNode, keys) : strategy3(ms, keys));
  const base = place(members);
  const b = balance(base, members);
  let join = 0;
  let leave = 0;
  for (let t = 0; t < trials; t++) {
    const t2 = r.fork(`trial-${size}-${t}`);
    const newcomer = { id: idOf(t2), host: `browser-${idOf(t2)}`, capacity: 1 };
    join += moved(base, place([...members, newcomer])) / trials;
    const leaver = t2.int(members.length);
    leave += moved(base, place(members.filter((_, i) => i !== leaver))) / trials;
  }
  const lps = lookupsPerSecond(base, keys);
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  const name = strategy === 1 ? `1 (T = ${tokensPerNode})` : `3 (Q = ${partitions})`;
  return `| ${size} | ${name} | ${b.replMax.toFixed(3)} | ${pct(b.replOut)} | ${b.coordMax.toFixed(3)} | ${pct(b.coordOut)} | ${pct(join)} (${pct(1 / (size + 1))}) | ${pct(leave)} (${pct(1 / size)}) | ${base.metadataBytes.toLocaleString('en')} | ${Math.round(lps).toLocaleString('en')} |`;
}

main();
