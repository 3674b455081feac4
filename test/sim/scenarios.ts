/**
 * Scenario transcripts: each scenario drives a small calm cluster through one of Dynamo's mechanisms and
 * returns the readable transcript plus facts the test asserts. transcripts.test.ts compares the text with
 * test/sim/transcripts/<name>.txt.
 */
import * as ring from '../../src/core/ring.js';
import * as storeIndex from '../../src/core/store-index.js';
import type { NodeState } from '../../src/core/node.js';
import { check } from '../checker/value-checker.js';
import { convergence } from './checker.js';
import { Script } from './script.js';

export interface Scenario {
  readonly text: string;
  readonly facts: Record<string, unknown>;
}

const key = 'cart:alice';
/** Sloppy quorum replaces a replica only after this long, so a test can make one replica stale on purpose. */
const patient = { replicaTimeoutTicks: 1000 };

function state(s: Script, id: string): NodeState {
  const st = s.cluster.get(id).state;
  if (st === undefined) throw new Error(`${id} is down`);
  return st;
}

export function hintedHandoff(): Scenario {
  const s = new Script({ seed: 11, nodes: 5 });
  const [a, b, c] = s.replicasOf(key) as [string, string, string];
  s.note(`replicas of ${key}: ${a}, ${b}, ${c}; fallbacks ${s.fallbacksOf(key).join(', ')}`);
  s.say(`crash ${b}`);
  s.cluster.crash(b);
  s.showMembers = true;
  s.say('run 300 ticks (the others come to see it dead)');
  s.run(300);
  s.showMembers = false;
  s.put(a, key, 'milk');
  const hints = [...s.cluster.nodes.values()].reduce((n, x) => n + (x.state?.index.hintCount ?? 0), 0);
  s.note(`a read with r=3 while ${b} is down: its fallback answers from the hint (sloppy quorum)`);
  const sloppy = s.get(c, key, 3);
  s.say(`restart ${b}`);
  s.cluster.restart(b);
  s.showMembers = true;
  s.say('run 200 ticks');
  s.run(200);
  s.showMembers = false;
  const got = s.get(c, key, 3);
  const left = [...s.cluster.nodes.values()].reduce((n, x) => n + (x.state?.index.hintCount ?? 0), 0);
  return { text: s.text(), facts: { hintsWhileDown: hints, sloppyRead: sloppy.values, hintsAfter: left, values: got.values, ownerHasIt: storeIndex.get(state(s, b).index, key).length } };
}

export function readRepair(): Scenario {
  const s = new Script({ seed: 12, nodes: 5, tuning: { ...patient, antiEntropyIntervalTicks: 100_000 } });
  const [a, b, c] = s.replicasOf(key) as [string, string, string];
  s.note(`replicas of ${key}: ${a}, ${b}, ${c} (anti-entropy off, sloppy quorum patient)`);
  const ctx = s.put(a, key, 'milk');
  s.say(`cut ${a} -> ${c}`);
  s.cluster.partition([a], [c], true);
  s.put(a, key, 'milk,eggs', { context: ctx });
  s.say('heal');
  s.cluster.heal();
  s.run(10);
  const before = storeIndex.get(state(s, c).index, key).length;
  const got = s.get(b, key, 3);
  s.run(10);
  const staleAfter = storeIndex.root(state(s, c).index, storeIndex.partitionOf(state(s, c).index, key)) === storeIndex.root(state(s, a).index, storeIndex.partitionOf(state(s, a).index, key));
  return { text: s.text(), facts: { staleVersionsBefore: before, values: got.values, repaired: staleAfter } };
}

export function antiEntropy(): Scenario {
  const s = new Script({ seed: 13, nodes: 5, w: 3, tuning: patient });
  const keys = Array.from({ length: 12 }, (_, i) => `item:${i}`);
  s.note('phase 1: 12 keys written to all three replicas, then one node restarts with wiped storage');
  s.putMany('n1', keys.map((k) => [k, `v-${k}`]));
  s.run(50);
  const victim = 'n2';
  const heldBefore = state(s, victim).index.versions.size;
  s.say(`restart ${victim} with wiped storage`);
  s.cluster.restart(victim, { wipe: true });
  s.say('run 400 ticks');
  s.run(400);
  const heldAfter = state(s, victim).index.versions.size;
  const conv1 = convergence(s.cluster);
  s.note('phase 2: one replica alone gets a new version (w=1, its links cut), then links heal');
  const [a] = s.replicasOf(keys[0] as string) as [string];
  const others = [...s.cluster.nodes.keys()].filter((x) => x !== a);
  s.say(`cut ${a} -> everyone`);
  s.cluster.partition([a], others, true);
  s.put(a, keys[0] as string, 'only-here', { w: 1 });
  s.say('heal, run 300 ticks');
  s.cluster.heal();
  s.run(300);
  const conv2 = convergence(s.cluster);
  return { text: s.text(), facts: { heldBefore, heldAfter, converged1: conv1.ok, converged2: conv2.ok } };
}

export function siblings(): Scenario {
  const s = new Script({ seed: 14, nodes: 5, w: 1, r: 1 });
  const [a, b] = s.replicasOf(key) as [string, string, string];
  const sideA = [a, ...s.fallbacksOf(key).slice(0, 1)];
  const sideB = [...s.cluster.nodes.keys()].filter((x) => !sideA.includes(x));
  s.say(`partition ${sideA.join(',')} | ${sideB.join(',')}`);
  s.cluster.partition(sideA, sideB);
  s.put(a, key, 'milk', { w: 1 });
  s.put(b, key, 'eggs', { w: 1 });
  s.say('run 100 ticks');
  s.run(100);
  s.say('heal, run 300 ticks');
  s.cluster.heal();
  s.run(300);
  const both = s.get(a, key, 3);
  s.put(a, key, 'eggs,milk', { context: both.context });
  s.run(50);
  const after = s.get(b, key, 3);
  return { text: s.text(), facts: { siblings: [...both.values].sort(), after: after.values } };
}

export function joinAndLeave(): Scenario {
  const s = new Script({ seed: 15, nodes: 5, w: 3, tuning: { ...patient, antiEntropyIntervalTicks: 5 } });
  s.putMany('n1', Array.from({ length: 40 }, (_, i) => [`k${i}`, `v${i}`]));
  s.run(100);
  const before = state(s, 'n1').ring;
  s.say('n6 joins through seed n1; run 600 ticks');
  s.cluster.addNode('n6', { seeds: ['n1'] });
  s.run(600);
  const joined = state(s, 'n1').ring;
  const movedOnJoin = ring.ownersChanged(before, joined);
  const n6Keys = state(s, 'n6').index.versions.size;
  const conv1 = convergence(s.cluster);
  s.note(`partitions that changed owner on join: ${movedOnJoin} of ${joined.partitions} (ideal about ${Math.round(joined.partitions / 6)}); n6 holds ${n6Keys} keys`);
  s.showMembers = true;
  const r = s.request('n6', { op: 'leave' }, 'leave');
  s.showMembers = false;
  s.say('run 600 ticks');
  s.run(600);
  const after = state(s, 'n1').ring;
  const movedOnLeave = ring.ownersChanged(joined, after);
  const conv2 = convergence(s.cluster);
  s.note(`partitions that changed owner on leave: ${movedOnLeave}; ring back to the 5-node ring: ${ring.ownersChanged(before, after) === 0}`);
  let lost = 0;
  for (let i = 0; i < 40; i++) {
    const k = `k${i}`;
    const reps = ring.preferenceListForKey(after, k, 3).replicas;
    if (!reps.every((id) => storeIndex.get(state(s, id).index, k).length === 1)) lost++;
  }
  return { text: s.text(), facts: { movedOnJoin, movedOnLeave, n6Keys, converged1: conv1.ok, converged2: conv2.ok, leaveOk: r?.ok, keysNotOnAllReplicas: lost } };
}

export function amnesia(): Scenario {
  // Anti-entropy waits, so the wiped node coordinates a write before it has relearned anything: with its
  // old epoch it would reissue counter 1, a clock its earlier acknowledged writes descend, and lose the write.
  const s = new Script({ seed: 16, nodes: 5, tuning: { ...patient, antiEntropyIntervalTicks: 150 } });
  const [a, b, c] = s.replicasOf(key) as [string, string, string];
  s.note(`replicas of ${key}: ${a}, ${b}, ${c}`);
  const ctx = s.put(a, key, 'milk');
  s.put(a, key, 'milk,eggs', { context: ctx });
  const epochBefore = state(s, a).epoch;
  s.showMembers = true;
  s.say(`restart ${a} with wiped storage (same id)`);
  s.cluster.restart(a, { wipe: true });
  s.run(30);
  s.showMembers = false;
  s.note(`${a}: epoch ${epochBefore} before, ${state(s, a).epoch} now`);
  s.put(a, key, 'bread');
  s.run(300);
  const got = s.get(c, key, 3);
  const verdict = check(s.history, s.final());
  return { text: s.text(), facts: { epochChanged: state(s, a).epoch !== epochBefore, values: [...got.values].sort(), converged: convergence(s.cluster).ok, verdictOk: verdict.ok, problems: verdict.problems } };
}

/** The control: the same story with the epoch kept across the wipe (Riak's KV679 bug) loses the acknowledged write. */
export function amnesiaWithoutEpochs(): Scenario {
  // The 'max-plus-one' control: a restart from storage keeps the stored epoch (the safe design draws a new one).
  const s = new Script({ seed: 16, nodes: 5, tuning: { ...patient, antiEntropyIntervalTicks: 150 }, controls: { epochPolicy: 'max-plus-one' } });
  const [a, , c] = s.replicasOf(key) as [string, string, string];
  const ctx = s.put(a, key, 'milk');
  s.put(a, key, 'milk,eggs', { context: ctx });
  s.say(`restart ${a} with wiped data but its old epoch`);
  s.cluster.restart(a, { wipe: true, keepEpoch: true });
  s.run(30);
  const acked = s.put(a, key, 'bread') !== '';
  s.run(300);
  const got = s.get(c, key, 3);
  // Judged by values alone: the checker never sees that bread's clock looks older than milk,eggs's.
  const verdict = check(s.history, s.final());
  return { text: s.text(), facts: { acked, values: [...got.values].sort(), lost: verdict.lost, problems: verdict.problems } };
}

export const scenarios = { 'hinted-handoff': hintedHandoff, 'read-repair': readRepair, 'anti-entropy': antiEntropy, siblings, 'join-leave': joinAndLeave, amnesia, 'amnesia-without-epochs': amnesiaWithoutEpochs } as const;
