/**
 * The UiBackend over the real tab: snapshots from the runtime's publisher (already throttled to 10/s),
 * reads through the runtime's client requests (so each version comes with the replicas that returned it,
 * which window.kv's get leaves out), everything else through window.kv. Only plain snapshot data is read;
 * the core's state is never touched.
 */
import type { ClientRequest, ClientResult, ReadVersion } from '../core/node-io.js';
import type { Value } from '../core/types.js';
import * as hash from '../core/hash.js';
import * as faults from '../protocol/faults.js';
import type { Kv } from '../runtime/page-api.js';
import type { PeerView } from '../runtime/peer-view.js';
import type { UiBackend, UiHolder, UiKeyLocation, UiMember, UiReadResult, UiSnapshot, UiTrace, UiVersion } from './backend.js';

export interface RuntimeBackendDeps {
  readonly kv: Kv;
  /**
   * A client request through the node (failures are results, never rejections): reads (each version with
   * the replicas that returned it, which kv.get leaves out), inspections and locate.
   */
  request(request: ClientRequest): Promise<ClientResult>;
  snapshot(): PeerView;
  subscribe(listener: (snapshot: PeerView) => void): () => void;
  /** Milliseconds per core tick (runtime defaults.tickMs), to turn tick counts into ages. */
  readonly tickMs: number;
}

const defaultConfig = { n: 3, r: 2, w: 2, partitions: 256 };

function text(value: Value): string | undefined {
  switch (value.kind) {
    case 'string': return hash.fromUtf8(value.bytes);
    case 'bytes': return `0x${hash.hex(value.bytes)}`;
    case 'tombstone': return undefined;
    default: {
      const never: never = value.kind;
      throw new Error(`unknown value kind ${String(never)}`);
    }
  }
}

const uiVersion = (v: ReadVersion): UiVersion => ({
  text: text(v.value), kind: v.value.kind, clock: Object.fromEntries(v.clock.map((e) => [e.actor, e.counter])),
  replicas: v.replicas, dot: { actor: v.dot.actor, counter: v.dot.counter },
});

/** Turns the tab's snapshot into the UI's: ages in ms, hints per destination, counters flattened. */
/** The levels of one anti-entropy descent, in order (core/anti-entropy.ts): roots, bucket hashes, leaves. */
const descentLevels = ['root', 'buckets', 'leaves'];

export function toUiSnapshot(s: PeerView, tickMs: number, nowMs: number): UiSnapshot {
  const node = s.node;
  const me = s.identity.nodeId;
  const connected = new Set(s.network.reachable);
  const owners = node?.owners ?? [];
  const ownedBy = new Map<string, number>();
  for (const o of owners) ownedBy.set(o, (ownedBy.get(o) ?? 0) + 1);
  // Members removed from the ring are gone from every view (kv.members() leaves them out too), except
  // this tab itself, so a tab the room removed still shows why it serves nothing.
  const members: UiMember[] = (node?.members ?? []).filter((m) => m.status !== 'removed' || m.id === me).map((m) => ({
    id: m.id, host: m.host, capacity: m.capacity, status: m.status,
    heartbeatAgeMs: m.id === s.identity.nodeId ? 0 : Math.max(0, (node!.tick - m.lastHeardTick) * tickMs),
    partitionsOwned: ownedBy.get(m.id) ?? 0,
    ...(m.id === s.identity.nodeId && node ? { keysHeld: node.keys } : {}),
    connected: connected.has(m.id),
    ...(m.zone === 'peer' ? { alwaysOn: true } : {}),
  }));
  const hintsBy = new Map<string, number>();
  for (const h of node?.hints.entries ?? []) hintsBy.set(h.owner, (hintsBy.get(h.owner) ?? 0) + 1);
  const ae = node?.antiEntropy;
  const rt = s.loop;
  const dropped = s.derived.messagesDropped;
  const counters: Record<string, number> = {
    'messages sent': rt?.counters.messagesSent ?? 0,
    'messages received': rt?.counters.messagesReceived ?? 0,
    'messages dropped': dropped.total,
    'dropped by faults': dropped.byFaults,
    'writes acked': node?.counters.writesAcked ?? 0,
    'reads served': node?.counters.readsServed ?? 0,
    repairs: node?.counters.repairs ?? 0,
    'hints handed off': node?.counters.hintsHandedOff ?? 0,
    'hints held': node?.hints.count ?? 0,
    'AE sessions': ae?.sessionsStarted ?? 0,
  };
  const tick = rt?.tick ?? 0;
  const trace: UiTrace[] = (rt?.trace ?? []).map((t, i, all) => ({
    // The runtime's trace is a bounded ring without ids: number rows from the newest backwards.
    seq: (rt?.counters.steps ?? 0) * 1000 - (all.length - i),
    tick: t.tick, atMs: nowMs - (tick - t.tick) * tickMs, node: t.node, category: t.category, text: t.text,
  }));
  return {
    self: { id: s.identity.nodeId, host: s.identity.hostId, capacity: s.identity.capacity, epoch: node?.epoch ?? 0 },
    ready: s.ready,
    signaling: { state: s.network.signaling, detail: s.network.signalingDetail },
    config: node?.config ?? defaultConfig,
    members,
    owners,
    faults: s.network.faults,
    faultsText: faults.isHealthy(s.network.faults) ? '' : faults.describe(s.network.faults, members.map((m) => m.id)),
    counters,
    hints: [...hintsBy].map(([destination, versions]) => ({ destination, versions })),
    // Every Merkle descent in flight (several run at once); its bar is how far down the tree it has come.
    repairs: (ae?.sessions ?? []).map((x) => ({ partition: x.partition, peer: x.peer, done: descentLevels.indexOf(x.phase) + 1, total: descentLevels.length })),
    ...(ae ? { antiEntropyRound: { done: ae.done, total: ae.total, sessions: ae.sessionsStarted, inSync: ae.sessionsInSync } } : {}),
    storage: {
      keys: node?.keys ?? 0, bytes: s.storage?.stats.cacheBytes ?? 0, errors: rt?.counters.storageErrors ?? 0,
      lastError: s.storage?.lastError ?? '',
    },
    trace,
  };
}

export function createRuntimeBackend(deps: RuntimeBackendDeps): UiBackend {
  const { kv } = deps;
  const read = async (key: string): Promise<UiReadResult> => {
    const result = await deps.request({ op: 'get', key });
    if (!result.ok) throw new Error(result.error);
    if (result.op !== 'get') throw new Error(`unexpected reply to a get: ${result.op}`);
    return {
      context: result.context,
      warnings: result.warnings,
      versions: result.versions.map(uiVersion),
    };
  };
  /** A read-only look through the core at what every reachable replica and hinted holder holds (read.ts). */
  const inspect = async (key: string): Promise<readonly UiHolder[]> => {
    const result = await deps.request({ op: 'get', key, inspect: true });
    if (!result.ok) throw new Error(result.error);
    if (result.op !== 'get') throw new Error(`unexpected reply to an inspection: ${result.op}`);
    return (result.holders ?? []).map((h) => ({ node: h.node, replica: h.replica, versions: h.versions.map(uiVersion) }));
  };
  return {
    subscribe: (listener) => deps.subscribe((s) => listener(toUiSnapshot(s, deps.tickMs, Date.now()))),
    snapshot: () => toUiSnapshot(deps.snapshot(), deps.tickMs, Date.now()),
    put: (key, value, context) => kv.put(key, value, context !== undefined ? { context } : {}),
    delete: (key, context) => kv.delete(key, context !== undefined ? { context } : {}),
    get: read,
    async locate(key): Promise<UiKeyLocation> {
      const node = deps.snapshot().node;
      if (!node || node.owners.length === 0) throw new Error('this node has not joined a ring yet');
      // The core says where the key lives (its ring, its view of who is healthy): the UI derives none of it.
      const where = await deps.request({ op: 'locate', key });
      if (!where.ok) throw new Error(where.error);
      if (where.op !== 'locate') throw new Error(`unexpected reply to a locate: ${where.op}`);
      const { partition, replicas, fallbacks } = where;
      try {
        const table = await inspect(key);
        const holders = table.filter((h) => h.versions.length > 0).map((h) => h.node);
        return { partition, replicas, fallbacks, holders, table, holdersNote: 'every reachable replica and hinted holder, asked just now (read-only)' };
      } catch (error) {
        // Other tabs' hints are not visible from here (their activity view lists them): only this tab's own.
        const hinted = node.hints.entries.some((h) => h.key === key) ? [node.id] : [];
        return { partition, replicas, fallbacks, holders: hinted, holdersNote: `other tabs: unknown (the read failed: ${(error as Error).message})` };
      }
    },
    configure: (settings) => kv.configure(settings),
    partition: (groups) => kv.partition(groups),
    isolate: (id) => kv.isolate(id),
    cut: (from, to, oneWay) => kv.cut(from, to, oneWay),
    setLoss: (rate) => kv.setLoss(rate),
    heal: () => kv.heal(),
    leave: () => kv.leave(),
    // Through kv, which also remembers the weight for this tab's next start.
    setCapacity: (capacity) => kv.setCapacity(capacity),
    wipe: () => kv.wipe(),
    join: () => kv.join(),
    remove: (id) => kv.remove(id),
  };
}
