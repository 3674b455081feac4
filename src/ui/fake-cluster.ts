/**
 * An in-memory toy Dynamo for developing and testing the UI without the runtime: a few nodes in one page,
 * a ring with a preference list, vector clocks and siblings, sloppy quorum with hinted handoff, a crude
 * anti-entropy with progress, and the fault rules. It is NOT the real store (src/core is); it exists so
 * that every view and every lesson can be driven and screenshotted. fake-backend.ts gives one node's view.
 */
import type { NodeId, UiFaultRules, UiTrace } from './backend.js';

export type Clock = Record<string, number>;
export interface FakeVersion { readonly text: string | undefined; readonly clock: Clock }
interface FakeHint { readonly destination: NodeId; readonly key: string; readonly version: FakeVersion }

export interface FakeNode {
  readonly id: NodeId;
  readonly host: string;
  capacity: number;
  epoch: number;
  left: boolean;
  readonly store: Map<string, FakeVersion[]>;
  hints: FakeHint[];
  readonly trace: UiTrace[];
  readonly counters: Record<string, number>;
  /** Partition -> repair progress, while a (simulated) Merkle exchange runs. */
  readonly repairs: Map<number, { peer: NodeId; done: number; total: number }>;
  lastHeardMs: Map<NodeId, number>;
}

export const fakeTraceMax = 300;
export const noFaults: UiFaultRules = { groups: [], isolated: [], cuts: [], lossRate: 0 };

export function descends(a: Clock, b: Clock): boolean {
  return Object.entries(b).every(([actor, n]) => (a[actor] ?? 0) >= n);
}

export function mergeClocks(clocks: readonly Clock[]): Clock {
  const out: Clock = {};
  for (const c of clocks) for (const [actor, n] of Object.entries(c)) out[actor] = Math.max(out[actor] ?? 0, n);
  return out;
}

export const sameVersion = (a: FakeVersion, b: FakeVersion) =>
  a.text === b.text && descends(a.clock, b.clock) && descends(b.clock, a.clock);

/** Adds `v` to `versions` unless it is already covered; drops every version `v` covers. */
export function addVersion(versions: readonly FakeVersion[], v: FakeVersion): FakeVersion[] {
  if (versions.some((old) => descends(old.clock, v.clock))) return [...versions];
  return [...versions.filter((old) => !descends(v.clock, old.clock)), v];
}

export class FakeCluster {
  readonly nodes = new Map<NodeId, FakeNode>();
  config = { n: 3, r: 2, w: 2, partitions: 64 };
  faults: UiFaultRules = noFaults;
  private seq = 0;
  private readonly listeners = new Set<() => void>();

  constructor(ids: readonly NodeId[], readonly nowMs: () => number = () => Date.now()) {
    ids.forEach((id, i) => this.add(id, `host-${String.fromCharCode(97 + i)}`));
  }

  add(id: NodeId, host: string): FakeNode {
    const node: FakeNode = {
      id, host, capacity: 1, epoch: 1, left: false, store: new Map(), hints: [], trace: [], counters: {},
      repairs: new Map(), lastHeardMs: new Map(),
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): FakeNode {
    const node = this.nodes.get(id);
    if (!node) throw new Error(`unknown node ${id}`);
    return node;
  }

  members(): FakeNode[] {
    return [...this.nodes.values()].filter((n) => !n.left).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Partition owners: members take turns in proportion to capacity (a stand-in for token assignment). */
  owners(): NodeId[] {
    const members = this.members();
    const slots: NodeId[] = [];
    for (const m of members) for (let i = 0; i < Math.max(1, Math.round(m.capacity)); i += 1) slots.push(m.id);
    slots.sort((a, b) => (hashOf(a + '#') % 97) - (hashOf(b + '#') % 97) || a.localeCompare(b));
    return Array.from({ length: this.config.partitions }, (_, p) => slots[p % slots.length] ?? '');
  }

  partitionOf(key: string): number {
    return hashOf(key) % this.config.partitions;
  }

  /** Every distinct owner clockwise from the key's partition: the first N are its preference list. */
  walk(key: string): NodeId[] {
    const owners = this.owners();
    const start = this.partitionOf(key);
    const out: NodeId[] = [];
    for (let i = 0; i < owners.length; i += 1) {
      const id = owners[(start + i) % owners.length] ?? '';
      if (id && !out.includes(id)) out.push(id);
    }
    return out;
  }

  canReach(from: NodeId, to: NodeId): boolean {
    if (from === to) return true;
    const a = this.nodes.get(from);
    const b = this.nodes.get(to);
    if (!a || !b || a.left || b.left) return false;
    const f = this.faults;
    if (f.isolated.includes(from) || f.isolated.includes(to)) return false;
    if (f.cuts.some((c) => (c.from === from && c.to === to) || (!c.oneWay && c.from === to && c.to === from))) return false;
    if (f.groups.length > 0) {
      const groupOf = (id: NodeId) => f.groups.findIndex((g) => g.includes(id));
      return groupOf(from) === groupOf(to);
    }
    return true;
  }

  record(node: NodeId, category: string, text: string): void {
    const n = this.nodes.get(node);
    if (!n) return;
    this.seq += 1;
    n.trace.push({ seq: this.seq, tick: this.seq, atMs: this.nowMs(), node, category, text });
    if (n.trace.length > fakeTraceMax) n.trace.splice(0, n.trace.length - fakeTraceMax);
    n.counters[category] = (n.counters[category] ?? 0) + 1;
  }

  /** Applies `version` at `replica`; false when it cannot be reached from `from`. */
  deliver(from: NodeId, replica: NodeId, key: string, version: FakeVersion): boolean {
    if (!this.canReach(from, replica)) return false;
    const r = this.node(replica);
    r.store.set(key, addVersion(r.store.get(key) ?? [], version));
    return true;
  }

  /** One background round: hand hints back, then let reachable replicas of each key converge. */
  tick(): void {
    const now = this.nowMs();
    for (const a of this.members()) {
      for (const b of this.members()) if (this.canReach(a.id, b.id)) a.lastHeardMs.set(b.id, now);
      this.handOff(a);
      this.advanceRepairs(a);
    }
  }

  private handOff(node: FakeNode): void {
    const kept: FakeHint[] = [];
    for (const h of node.hints) {
      if (this.deliver(node.id, h.destination, h.key, h.version)) {
        this.record(node.id, 'handoff', `handed ${h.key} back to ${h.destination}`);
        this.record(h.destination, 'handoff', `received hinted ${h.key} from ${node.id}`);
        // The fallback drops its copy once the owner confirms, unless it is itself a replica of the key.
        if (!this.walk(h.key).slice(0, this.config.n).includes(node.id)) node.store.delete(h.key);
      } else kept.push(h);
    }
    node.hints = kept;
  }

  private advanceRepairs(node: FakeNode): void {
    for (const [partition, repair] of node.repairs) {
      repair.done = Math.min(repair.total, repair.done + 4);
      if (repair.done < repair.total) continue;
      node.repairs.delete(partition);
      let copied = 0;
      for (const peer of this.members()) {
        if (peer.id === node.id || !this.canReach(peer.id, node.id)) continue;
        for (const [key, versions] of peer.store) {
          if (this.partitionOf(key) !== partition || !this.walk(key).slice(0, this.config.n).includes(node.id)) continue;
          for (const v of versions) {
            const before = node.store.get(key) ?? [];
            const after = addVersion(before, v);
            if (after.length !== before.length || !after.every((x, i) => before[i] && sameVersion(x, before[i]!))) copied += 1;
            node.store.set(key, after);
          }
        }
      }
      this.record(node.id, 'ae', `partition ${partition}: Merkle trees compared with ${repair.peer}, ${copied} versions repaired`);
    }
  }

  /** Wipes a node's storage (new epoch) and starts an anti-entropy repair of each partition it replicates. */
  wipe(id: NodeId): void {
    const node = this.node(id);
    node.store.clear();
    node.hints = [];
    node.epoch += 1;
    this.record(id, 'member', `storage wiped; restarted as epoch ${node.epoch}`);
    const owners = this.owners();
    for (let p = 0; p < this.config.partitions; p += 1) {
      const list = this.walkFrom(owners, p).slice(0, this.config.n);
      const peer = list.find((x) => x !== id);
      if (list.includes(id) && peer) node.repairs.set(p, { peer, done: 0, total: 16 });
    }
  }

  private walkFrom(owners: readonly NodeId[], start: number): NodeId[] {
    const out: NodeId[] = [];
    for (let i = 0; i < owners.length; i += 1) {
      const id = owners[(start + i) % owners.length] ?? '';
      if (id && !out.includes(id)) out.push(id);
    }
    return out;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  addHint(holder: NodeId, hint: FakeHint): void {
    this.node(holder).hints.push(hint);
  }
}

/** FNV-1a: spreads keys and node ids over the toy ring. */
export function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
