/**
 * The nemesis of a simulated run: a schedule of faults drawn from the seed, modelled on what tabs do.
 * Partitions (halves, one node isolated, one-way), crashes with restart, several wipes of one node, a wipe
 * while the node can hear only a stale peer (isolated, then linked to a peer that was down meanwhile and
 * so still knows the node's old life), a restart from a stale disk image (an older epoch and older data),
 * storage failures (a batch not written), configuration changes (N/R/W) in the middle of it all, nodes
 * that die for good, several joins and graceful leaves, and a coordinator that crashes while it coordinates
 * a forwarded write (issue 10: the origin must fail over, and the write must not show up twice).
 *
 * Destructive faults (wipe, stale image, death) destroy copies. N = 3 and W = 2 promise to survive one
 * lost copy, not two at once: before one runs, the guard checks that every acknowledged value the node
 * holds (or a value whose put is still in flight: it may yet be acknowledged), and that no acknowledged
 * write replaced, is also held by another node that will come back (as a version, or as a hint for such a
 * node; not by a node that left or is leaving), and that an acknowledged write that replaced a value still
 * live somewhere (a delete's tombstone too) is held elsewhere as well. If not, the fault waits and tries again; past the fault phase
 * it is skipped and the report says so. The guard looks only at storage and the history, never at clocks.
 */
import type { Rng } from '../../src/core/rng.js';
import * as dvv from '../../src/core/dvv.js';
import type { NodeId, Version, VV } from '../../src/core/types.js';
import type { History } from '../checker/history.js';
import type { Cluster, SimNode } from './cluster.js';
import { liveStrings } from './final-state.js';
import type { MemoryStore, WrittenValue } from './memory-store.js';

export type Intensity = 'low' | 'medium' | 'high';

interface Plan {
  readonly partitions: readonly [number, number];
  readonly crashes: readonly [number, number];
  readonly wipes: readonly [number, number];
  readonly staleViewWipe: number;
  readonly staleImage: number;
  readonly storageFailures: readonly [number, number];
  readonly configures: readonly [number, number];
  readonly death: number;
  readonly joins: readonly [number, number];
  readonly leaves: readonly [number, number];
  readonly lossMax: number;
  readonly duplicateMax: number;
}

/** Ranges are [min, max] inclusive; single numbers are probabilities. */
const plans: Record<Intensity, Plan> = {
  low: { partitions: [0, 1], crashes: [0, 1], wipes: [0, 1], staleViewWipe: 0, staleImage: 0, storageFailures: [0, 1], configures: [0, 0], death: 0, joins: [0, 1], leaves: [0, 1], lossMax: 0.05, duplicateMax: 0.1 },
  medium: { partitions: [1, 3], crashes: [0, 2], wipes: [2, 3], staleViewWipe: 0.5, staleImage: 0.3, storageFailures: [1, 2], configures: [1, 2], death: 0.3, joins: [2, 2], leaves: [2, 2], lossMax: 0.3, duplicateMax: 0.5 },
  high: { partitions: [2, 4], crashes: [1, 3], wipes: [2, 3], staleViewWipe: 0.8, staleImage: 0.6, storageFailures: [1, 4], configures: [1, 3], death: 0.6, joins: [2, 2], leaves: [2, 2], lossMax: 0.4, duplicateMax: 0.6 },
};

export function networkFor(intensity: Intensity, rng: Rng): { lossRate: number; duplicateRate: number; delayMinTicks: number; jitterTicks: number } {
  const plan = plans[intensity];
  return { lossRate: rng.next() * plan.lossMax, duplicateRate: rng.next() * plan.duplicateMax, delayMinTicks: 1 + rng.int(3), jitterTicks: rng.int(9) };
}

/** Configurations a configure call may set during the faults. */
const configs = [{ n: 3, r: 2, w: 2 }, { n: 3, r: 1, w: 2 }, { n: 3, r: 2, w: 1 }, { n: 2, r: 1, w: 2 }, { n: 4, r: 2, w: 3 }] as const;

export class Nemesis {
  readonly log: string[] = [];
  private readonly start: number;
  private readonly end: number;

  constructor(private readonly cluster: Cluster, private readonly rng: Rng, private readonly history: History, private readonly ticks: number) {
    this.start = cluster.now;
    this.end = cluster.now + ticks;
  }

  private count([min, max]: readonly [number, number]): number {
    return min + this.rng.int(max - min + 1);
  }

  private when(margin = 200): number {
    return this.start + 50 + this.rng.int(Math.max(1, this.ticks - margin));
  }

  private note(at: number, text: string): void {
    this.log.push(`${text} at ${at - this.start}`);
  }

  /** Draws the whole schedule now (every choice from the seed), to run as the cluster's clock advances. */
  schedule(intensity: Intensity, ids: readonly NodeId[]): void {
    const plan = plans[intensity];
    for (let i = this.count(plan.partitions); i > 0; i--) this.partition(ids);
    for (let i = this.count(plan.crashes); i > 0; i--) {
      const id = this.rng.pick(ids);
      const at = this.when();
      const duration = 30 + this.rng.int(400);
      this.note(at, `crash ${id} for ${duration}`);
      this.cluster.at(at, () => this.cluster.crash(id));
      this.cluster.at(at + duration, () => this.restart(id));
    }
    const victim = this.rng.pick(ids);
    for (let i = this.count(plan.wipes); i > 0; i--) {
      const at = this.when();
      this.note(at, `wipe ${victim}`);
      this.destroy(at, victim, 'wipe', () => this.cluster.restart(victim, { wipe: true }));
    }
    if (this.rng.next() < plan.staleViewWipe) this.staleViewWipe(ids);
    if (this.rng.next() < plan.staleImage) this.staleImage(ids);
    for (let i = this.count(plan.storageFailures); i > 0; i--) {
      const id = this.rng.pick(ids);
      const at = this.when();
      const batches = 1 + this.rng.int(2);
      this.note(at, `storage of ${id} fails ${batches} batch(es)`);
      this.cluster.at(at, () => this.cluster.failStorage(id, batches));
    }
    for (let i = this.count(plan.configures); i > 0; i--) {
      const id = this.rng.pick(ids);
      const at = this.when();
      const config = this.rng.pick(configs);
      this.note(at, `configure n=${config.n} r=${config.r} w=${config.w} at ${id}`);
      this.cluster.at(at, () => {
        if (this.cluster.up(id)) this.cluster.request(id, { op: 'configure', ...config }, () => undefined);
      });
    }
    if (this.rng.next() < plan.death) {
      const id = this.rng.pick(ids);
      const at = this.when();
      this.note(at, `${id} dies for good`);
      this.destroy(at, id, 'death', () => this.cluster.kill(id));
    }
    this.churn(plan, ids);
    this.coordinatorDiesMidForward(this.rng.fork('coordinator dies mid-forward'));
  }

  /**
   * From a drawn time on, the first node found coordinating a forwarded write (it applied it and waits for
   * acks, answer not yet sent) crashes on the spot, and restarts later: its copy may or may not have left.
   * Drawn from its own fork, so the rest of the schedule is what it was before this fault existed.
   */
  private coordinatorDiesMidForward(rng: Rng): void {
    const from = this.start + 50 + rng.int(Math.max(1, this.ticks - 300));
    const duration = 30 + rng.int(300);
    this.note(from, `the next coordinator of a forwarded write crashes mid-request, for ${duration}`);
    const look = (at: number): void => this.cluster.at(at, () => {
      for (const sim of this.cluster.nodes.values()) {
        const coordinating = sim.state !== undefined && [...sim.state.coordinated.values()].some((c) => c.state === 'in-flight');
        if (!coordinating) continue;
        this.log.push(`${sim.id} crashed while coordinating a forwarded write at ${this.cluster.now - this.start}`);
        this.cluster.crash(sim.id);
        this.cluster.at(this.cluster.now + duration, () => this.restart(sim.id));
        return;
      }
      if (this.cluster.now + 1 < this.end - 200) look(this.cluster.now + 1);
      else this.log.push('no forwarded write was being coordinated: no coordinator crashed mid-forward');
    });
    look(from);
  }

  private partition(ids: readonly NodeId[]): void {
    const at = this.when(300);
    const duration = 80 + this.rng.int(300);
    const kind = this.rng.pick(['halves', 'isolate', 'one-way'] as const);
    const shuffled = this.rng.shuffle(ids);
    const cut = kind === 'halves' ? 1 + this.rng.int(ids.length - 1) : 1;
    const a = shuffled.slice(0, cut);
    const b = shuffled.slice(cut);
    this.note(at, `${kind} ${a.join(',')} | ${b.join(',')} for ${duration}`);
    this.cluster.at(at, () => this.cluster.partition(a, b, kind === 'one-way'));
    this.cluster.at(at + duration, () => this.cluster.heal());
  }

  private restart(id: NodeId): void {
    if (!this.cluster.up(id) && !this.cluster.get(id).dead) this.cluster.restart(id);
  }

  /**
   * X is isolated and wiped while its peer Y is down; Y comes back from storage with its old view of X
   * (X's previous life) and is the only node X can hear for a while; then the partition heals.
   */
  private staleViewWipe(ids: readonly NodeId[]): void {
    const [x, y] = this.rng.shuffle(ids) as [NodeId, NodeId];
    const at = this.when(400);
    this.note(at, `stale-view wipe: ${y} down, ${x} isolated and wiped, then ${x} hears only ${y}`);
    this.cluster.at(at, () => this.cluster.crash(y));
    this.cluster.at(at + 20, () => this.cluster.partition([x], ids.filter((id) => id !== x)));
    this.destroy(at + 40, x, 'stale-view wipe', () => this.cluster.restart(x, { wipe: true }), false);
    this.cluster.at(at + 80, () => {
      this.restart(y);
      this.cluster.link(x, y);
    });
    this.cluster.at(at + 160, () => this.cluster.heal());
  }

  /** A disk image of X taken now; later X restarts from it (its old epoch and older data). */
  private staleImage(ids: readonly NodeId[]): void {
    const x = this.rng.pick(ids);
    const taken = this.when(400);
    const at = taken + 50 + this.rng.int(250);
    this.note(taken, `disk image of ${x} taken; ${x} restarts from it ${at - taken} later`);
    let image: MemoryStore | undefined;
    this.cluster.at(taken, () => {
      image = this.cluster.get(x).store.clone();
    });
    this.destroy(at, x, 'stale image', () => {
      if (image !== undefined) this.cluster.restartFrom(x, image);
    }, true, () => image);
  }

  private churn(plan: Plan, ids: readonly NodeId[]): void {
    const joins = this.count(plan.joins);
    for (let i = 0; i < joins; i++) {
      const id = `j${i + 1}`;
      const at = this.when();
      this.note(at, `${id} joins`);
      this.cluster.at(at, () => this.cluster.addNode(id));
    }
    const leavers = this.rng.shuffle(ids.slice(1)).slice(0, this.count(plan.leaves));
    for (const id of leavers) {
      const at = this.when();
      this.note(at, `${id} leaves`);
      this.cluster.at(at, () => {
        if (this.cluster.up(id)) this.cluster.request(id, { op: 'leave' }, () => undefined);
      });
    }
  }

  /**
   * Runs a destructive fault once the guard allows it, retrying every 50 ticks until the phase ends.
   * `restores`: the storage the victim comes back with (a stale image), whose old values live again.
   */
  private destroy(at: number, id: NodeId, what: string, act: () => void, retry = true, restores?: () => MemoryStore | undefined): void {
    this.cluster.at(at, () => {
      if (this.cluster.get(id).dead) return;
      const unsafe = this.soleCopy(id, what === 'death', restores?.());
      if (unsafe === undefined) {
        act();
        return;
      }
      if (retry && this.cluster.now + 50 < this.end) this.destroy(this.cluster.now + 50, id, what, act, retry, restores);
      else this.log.push(`${what} of ${id} skipped at ${this.cluster.now - this.start}: it holds the only durable copy of ${unsafe}`);
    });
  }

  /**
   * An acknowledged, not replaced value whose only copy that will come back is on `id`, if any. A hint
   * for `id` itself counts unless `id` dies for good (its fallback hands it back to the new life).
   * Copies on nodes leaving or gone from the ring do not count. A version of the key whose past covers
   * the value's dot stands for it (a write in flight that replaced it in that storage: seed 85 with
   * pipelined writes let a coordinator die for good holding the only successor of an acknowledged value
   * whose other copies were wiped, and an older value came back as a stale survivor). `restored`: the
   * storage the victim comes back with, if any (a stale image brings its old values back to life).
   */
  private soleCopy(id: NodeId, forGood: boolean, restored?: MemoryStore): string | undefined {
    const replaced = new Set<string>();
    for (const op of this.history.ops) if (op.kind !== 'get' && op.outcome === 'ok') for (const v of op.observed) replaced.add(v);
    const needed = new Set<string>();
    for (const op of this.history.ops) if (op.kind === 'put' && op.outcome === 'ok' && op.value !== undefined && !replaced.has(op.value)) needed.add(op.value);
    const mine = heldIn(this.cluster.get(id).store, () => true);
    // A put still in flight may yet be acknowledged on this node's copy alone (W = 1 is a setting the
    // nemesis configures): its value counts as needed too (seed 3235 on e76d23c: acknowledged by n3 alone
    // three ticks before n3 was wiped, the ack still travelling to the client when the guard looked).
    const recorded = new Set<string>();
    for (const op of this.history.ops) if (op.kind === 'put' && op.value !== undefined) recorded.add(op.value);
    for (const v of mine.values) if (!recorded.has(v)) needed.add(v);
    const elsewhere: Held = { values: new Set(), pasts: new Map() };
    for (const other of this.cluster.nodes.values()) {
      // A node that left the ring stays out (it serves nothing until a kv.join() the nemesis never makes):
      // its disk still holds copies, but no read, repair or handoff will ever reach them. Nor does one that
      // is leaving: once it handed a key over, its copy never comes back by itself.
      if (other.id === id || other.dead || hasLeft(other) || other.state?.leave !== undefined) continue;
      // A hint being handed to the victim does not count: the victim's ack (maybe already on the wire from
      // the life about to be destroyed) makes the holder drop it (seed 13446 of the 20,000-seed run: n3 handed
      // a hint to n5, n5 acked and was wiped, the ack then reached n3, which dropped the last copy).
      const handingToVictim = new Set([...(other.state?.handoffs.values() ?? [])].filter((h) => h.to === id).map((h) => h.key));
      const held = heldIn(other.store, (owner, key) => !this.cluster.get(owner).dead && !(forGood && owner === id) && !handingToVictim.has(key));
      for (const v of held.values) elsewhere.values.add(v);
      for (const [key, pasts] of held.pasts) elsewhere.pasts.set(key, [...(elsewhere.pasts.get(key) ?? []), ...pasts]);
    }
    const written = this.cluster.writtenDots;
    for (const v of needed) if (stands(mine, v, written.get(v)) && !stands(elsewhere, v, written.get(v))) return JSON.stringify(v);
    // An acknowledged write that replaced a value (a delete's tombstone too) must outlive the victim while
    // the replaced value is still live somewhere: losing its only copy brings the old value back (seed 23426
    // of the long run: a delete acknowledged by n5 and n6, n6 then restarted from an image older than it and
    // n5 died for good; seeds 20728, 20845 with w = 1 the same with one node).
    // The victim's restored storage counts as elsewhere for the replaced value (seed 9258: a delete's copies
    // on n2 and n3 were wiped, and n5, holding the last one, restarted from an image taken before the delete
    // that held the deleted value: the delete was gone and the value came back).
    const liveElsewhere = new Set<string>();
    for (const other of this.cluster.nodes.values()) if (other.id !== id && !other.dead) for (const v of heldIn(other.store, () => true).values) liveElsewhere.add(v);
    if (restored !== undefined) for (const v of heldIn(restored, () => true).values) liveElsewhere.add(v);
    for (const v of replaced) {
      const dot = written.get(v);
      if (dot === undefined || !liveElsewhere.has(v)) continue;
      if (covered(mine, dot) && !covered(elsewhere, dot)) return `the successor of ${JSON.stringify(v)}`;
    }
    return undefined;
  }
}

/** True for a node that left the ring: by its running state, or for a node that is down, by its persisted view of itself. */
function hasLeft(sim: SimNode): boolean {
  if (sim.state !== undefined) return sim.state.left;
  const stored = sim.store.stored();
  const self = stored.members?.find((m) => m.id === sim.id);
  return self !== undefined && self.epoch === stored.epoch && self.status === 'left';
}

/** What a store holds: its live values, and by key the past of every version (tombstones too). */
interface Held { readonly values: Set<string>; readonly pasts: Map<string, VV[]> }

/** True when `held` holds `value` or a version of the same key whose past covers its dot (dots are per key). */
function stands(held: Held, value: string, written: WrittenValue | undefined): boolean {
  if (held.values.has(value)) return true;
  return written !== undefined && covered(held, written);
}

/**
 * True when `held` has a version of the key whose past covers the dot, or names the value's operation (its
 * marker, as siblings.visible reads it): a write that replaced it. By the dot alone, a delete that saw one
 * twin of a retried write did not count as replacing the other twin (seed 6070: the delete's only copy was
 * wiped, and the value came back as a stale survivor).
 */
function covered(held: Held, written: WrittenValue): boolean {
  return (held.pasts.get(written.key) ?? []).some((past) => dvv.covers(past, written.dot) || (written.op !== undefined && dvv.sawOp(past, written.op)));
}

/** A store's versions, and its hints for owners that `hintOk` accepts. */
function heldIn(store: MemoryStore, hintOk: (owner: NodeId, key: string) => boolean): Held {
  const values = new Set<string>();
  const pasts = new Map<string, VV[]>();
  const add = (key: string, v: Version) => {
    for (const text of liveStrings([v.value])) values.add(text);
    pasts.set(key, [...(pasts.get(key) ?? []), v.past]);
  };
  for (const [key, byDigest] of store.allVersions()) for (const v of byDigest.values()) add(key, v);
  for (const h of store.allHints()) if (hintOk(h.owner, h.key)) add(h.key, h.version);
  return { values, pasts };
}
