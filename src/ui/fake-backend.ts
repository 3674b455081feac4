/**
 * One node's view of a FakeCluster, as a UiBackend: the in-memory twin of the runtime for UI tests and
 * development. `createFakeWorld` runs the cluster's background rounds on a timer and publishes snapshots.
 */
import type {
  NodeId, SignalingState, UiBackend, UiFaultRules, UiKeyLocation, UiMember, UiReadResult, UiSnapshot, UiVersion,
} from './backend.js';
import { addVersion, FakeCluster, mergeClocks, sameVersion, type Clock, type FakeVersion } from './fake-cluster.js';

/** How long a replica beyond the first W waits for its copy: long enough to see a stale read with R + W <= N. */
export const replicationLagMs = 1500;
const deadAfterMs = 15_000;

export function describeFaults(f: UiFaultRules): string {
  const parts: string[] = [];
  if (f.groups.length > 0) parts.push(`partitioned: ${f.groups.map((g) => `{${g.join(', ')}}`).join(' | ')}`);
  if (f.isolated.length > 0) parts.push(`isolated: ${f.isolated.join(', ')}`);
  for (const c of f.cuts) parts.push(`link cut: ${c.from} ${c.oneWay ? '→' : '↔'} ${c.to}`);
  if (f.lossRate > 0) parts.push(`message loss ${Math.round(f.lossRate * 100)} %`);
  return parts.join('; ');
}

const encodeContext = (clock: Clock) => btoa(JSON.stringify(clock));
function decodeContext(context: string | undefined): Clock {
  if (!context) return {};
  try {
    return JSON.parse(atob(context)) as Clock;
  } catch (error) {
    throw new Error(`the context is not one this store issued (${(error as Error).message})`);
  }
}

export class FakeBackend implements UiBackend {
  signaling: { state: SignalingState; detail: string } = { state: 'open', detail: 'signaling server connected' };
  private counter = 0;

  constructor(readonly cluster: FakeCluster, readonly id: NodeId) {}

  subscribe(listener: (snapshot: UiSnapshot) => void): () => void {
    return this.cluster.onChange(() => listener(this.snapshot()));
  }

  snapshot(): UiSnapshot {
    const c = this.cluster;
    const self = c.node(this.id);
    const owners = c.owners();
    const now = c.nowMs();
    const members: UiMember[] = [...c.nodes.values()].sort((a, b) => a.id.localeCompare(b.id)).map((m) => {
      const reachable = c.canReach(this.id, m.id);
      const ageMs = m.id === this.id ? 0 : now - (self.lastHeardMs.get(m.id) ?? now);
      const status = m.left ? 'left' : reachable ? 'alive' : ageMs > deadAfterMs ? 'dead' : 'suspect';
      return {
        id: m.id, host: m.host, capacity: m.capacity, status, heartbeatAgeMs: ageMs,
        partitionsOwned: owners.filter((o) => o === m.id).length, keysHeld: m.store.size, connected: reachable,
      };
    });
    const hintsBy = new Map<NodeId, number>();
    for (const h of self.hints) hintsBy.set(h.destination, (hintsBy.get(h.destination) ?? 0) + 1);
    let bytes = 0;
    for (const [key, versions] of self.store) for (const v of versions) bytes += key.length + (v.text?.length ?? 0) + 40;
    return {
      self: { id: self.id, host: self.host, capacity: self.capacity, epoch: self.epoch },
      ready: !self.left,
      signaling: this.signaling,
      config: { ...c.config },
      members,
      owners,
      faults: c.faults,
      faultsText: describeFaults(c.faults),
      counters: { ...self.counters },
      hints: [...hintsBy].map(([destination, versions]) => ({ destination, versions })),
      repairs: [...self.repairs].map(([partition, r]) => ({ partition, ...r })),
      storage: { keys: self.store.size, bytes, errors: 0, lastError: '' },
      trace: [...self.trace],
    };
  }

  async put(key: string, value: string, context?: string): Promise<{ context: string }> {
    return this.write(key, value, context);
  }

  async delete(key: string, context?: string): Promise<{ context: string }> {
    return this.write(key, undefined, context);
  }

  private write(key: string, text: string | undefined, context: string | undefined): { context: string } {
    const c = this.cluster;
    if (key.length === 0) throw new Error('the key is empty');
    if (key.length > 512) throw new Error('key too large: at most 512 bytes');
    if ((text?.length ?? 0) > 64 * 1024) throw new Error('value too large: at most 64 KiB');
    const seen = decodeContext(context);
    this.counter = Math.max(this.counter, seen[this.id] ?? 0) + 1;
    const version: FakeVersion = { text, clock: { ...seen, [this.id]: this.counter } };
    const walk = c.walk(key);
    const replicas = walk.slice(0, c.config.n);
    const spare = walk.slice(c.config.n).filter((id) => c.canReach(this.id, id));
    let acks = 0;
    const notes: string[] = [];
    for (const replica of replicas) {
      let target = replica;
      if (!c.canReach(this.id, replica)) {
        const fallback = spare.shift();
        if (!fallback) continue;
        target = fallback;
        c.addHint(fallback, { destination: replica, key, version });
        c.record(fallback, 'hint', `holding ${key} for ${replica}`);
        notes.push(`hint for ${replica} at ${fallback}`);
      }
      acks += 1;
      if (acks <= c.config.w) c.deliver(this.id, target, key, version);
      else setTimeout(() => { c.deliver(this.id, target, key, version); c.changed(); }, replicationLagMs);
    }
    const verb = text === undefined ? 'delete' : 'put';
    c.record(this.id, verb, `${verb} ${key} → ${acks} of ${c.config.n} replicas${notes.length ? ` (${notes.join('; ')})` : ''}`);
    c.changed();
    if (acks < c.config.w) {
      c.record(this.id, 'error', `write quorum not reached for ${key}: ${acks} of ${c.config.w}`);
      throw new Error(`write quorum not reached: ${acks} of ${c.config.w} acknowledged (the write may or may not have taken effect)`);
    }
    return { context: encodeContext(version.clock) };
  }

  async get(key: string): Promise<UiReadResult> {
    const c = this.cluster;
    const walk = c.walk(key).filter((id) => c.canReach(this.id, id));
    const asked = walk.slice(0, c.config.n).sort((a, b) => (a === this.id ? -1 : b === this.id ? 1 : 0)).slice(0, c.config.r);
    if (asked.length < c.config.r) {
      c.record(this.id, 'error', `read quorum not reached for ${key}`);
      c.changed();
      throw new Error(`read quorum not reached: ${asked.length} of ${c.config.r} replicas answered`);
    }
    const found: { version: FakeVersion; replicas: NodeId[] }[] = [];
    for (const id of asked) {
      for (const v of c.node(id).store.get(key) ?? []) {
        const same = found.find((f) => sameVersion(f.version, v));
        if (same) same.replicas.push(id);
        else found.push({ version: v, replicas: [id] });
      }
    }
    let merged: FakeVersion[] = [];
    for (const f of found) merged = addVersion(merged, f.version);
    const kept = found.filter((f) => merged.some((m) => sameVersion(m, f.version)));
    for (const id of asked) for (const v of merged) c.deliver(this.id, id, key, v); // read repair
    const warnings = c.config.r + c.config.w <= c.config.n ? ['R + W <= N: this read may miss the latest write'] : [];
    c.record(this.id, 'get', `get ${key} from ${asked.join(', ')}: ${kept.length} version${kept.length === 1 ? '' : 's'}`);
    c.changed();
    const versions: UiVersion[] = kept.map((f) => ({
      text: f.version.text, kind: f.version.text === undefined ? 'tombstone' : 'string', clock: f.version.clock, replicas: f.replicas,
    }));
    return { versions, context: encodeContext(mergeClocks(kept.map((f) => f.version.clock))), warnings };
  }

  async locate(key: string): Promise<UiKeyLocation> {
    const c = this.cluster;
    const replicas = c.walk(key).slice(0, c.config.n);
    const fallbacks = [...c.nodes.values()].filter((n) => n.hints.some((h) => h.key === key)).map((n) => n.id);
    const holders = [...c.nodes.values()].filter((n) => (n.store.get(key)?.length ?? 0) > 0).map((n) => n.id);
    return { partition: c.partitionOf(key), replicas, fallbacks, holders };
  }

  async configure(s: { n?: number; r?: number; w?: number }): Promise<void> {
    const next = { ...this.cluster.config, ...s };
    const members = this.cluster.members().length;
    if (next.n < 1 || next.n > members) throw new Error(`N must be between 1 and ${members} (the number of members)`);
    if (next.r < 1 || next.r > next.n || next.w < 1 || next.w > next.n) throw new Error('R and W must be between 1 and N');
    this.cluster.config = next;
    this.cluster.record(this.id, 'member', `settings now N=${next.n} R=${next.r} W=${next.w}`);
    this.cluster.changed();
  }

  private async setFaults(faults: UiFaultRules): Promise<void> {
    this.cluster.faults = faults;
    this.cluster.record(this.id, 'member', `faults: ${describeFaults(faults) || 'healed'}`);
    this.cluster.changed();
  }

  partition(groups: NodeId[][]): Promise<void> {
    const listed = new Set(groups.flat());
    const rest = this.cluster.members().map((m) => m.id).filter((id) => !listed.has(id));
    return this.setFaults({ ...this.cluster.faults, groups: rest.length ? [...groups, rest] : groups });
  }
  isolate(node: NodeId): Promise<void> {
    const f = this.cluster.faults;
    return this.setFaults({ ...f, isolated: f.isolated.includes(node) ? f.isolated : [...f.isolated, node] });
  }
  cut(from: NodeId, to: NodeId, oneWay: boolean): Promise<void> {
    return this.setFaults({ ...this.cluster.faults, cuts: [...this.cluster.faults.cuts, { from, to, oneWay }] });
  }
  setLoss(rate: number): Promise<void> {
    return this.setFaults({ ...this.cluster.faults, lossRate: rate });
  }
  heal(): Promise<void> {
    return this.setFaults({ groups: [], isolated: [], cuts: [], lossRate: 0 });
  }

  async setCapacity(capacity: number): Promise<void> {
    if (!(capacity > 0 && capacity <= 16)) throw new Error('capacity must be between 1 and 16');
    this.cluster.node(this.id).capacity = capacity;
    this.cluster.record(this.id, 'member', `capacity set to ${capacity}`);
    this.cluster.changed();
  }
  async join(): Promise<void> {
    this.cluster.node(this.id).left = false;
    this.cluster.record(this.id, 'member', 'joined the ring');
    this.cluster.changed();
  }
  async leave(): Promise<void> {
    this.cluster.node(this.id).left = true;
    this.cluster.record(this.id, 'member', 'left the ring');
    this.cluster.changed();
  }
  async wipe(): Promise<void> {
    this.cluster.wipe(this.id);
    this.cluster.changed();
  }
}

export interface FakeWorld {
  readonly cluster: FakeCluster;
  backend(id: NodeId): FakeBackend;
  stop(): void;
}

/** A running fake cluster: background rounds every `roundMs`, a snapshot published after each. */
export function createFakeWorld(ids: readonly NodeId[], roundMs = 500): FakeWorld {
  const cluster = new FakeCluster(ids);
  const backends = new Map<NodeId, FakeBackend>();
  const timer = setInterval(() => { cluster.tick(); cluster.changed(); }, roundMs);
  return {
    cluster,
    backend(id) {
      let b = backends.get(id);
      if (!b) backends.set(id, (b = new FakeBackend(cluster, id)));
      return b;
    },
    stop: () => clearInterval(timer),
  };
}
