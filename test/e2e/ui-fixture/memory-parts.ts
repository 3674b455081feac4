/**
 * The edges of the UI fixture's in-page cluster, each the in-memory twin of a tab's real edge:
 * - `MemoryStoreAdapter`: the runtime's Store over the simulator's in-memory store (test/sim/memory-store.ts);
 * - `FaultRoom`: the signaling server's part in faults: one set of rules for the room, validated by the same
 *   module (src/protocol/faults.ts), echoed to every node on a later task as the server would;
 * - `countedTransport`: the in-memory transport (src/runtime/memory-transport.ts) with the stats a tab's
 *   transport keeps. The room's rules are applied over it by the tabs' own decorator (`withFaults`,
 *   src/runtime/fault-transport.ts), told of each change when the room echoes it, as a tab is (cluster.ts).
 */
import type { StoreRecord } from '../../../src/core/node-io.js';
import type { NodeId } from '../../../src/core/types.js';
import * as faults from '../../../src/protocol/faults.js';
import type { Loaded, Store, StoreStats } from '../../../src/runtime/store.js';
import { noDrops, type Transport, type TransportStats } from '../../../src/runtime/transport.js';
import { MemoryStore } from '../../sim/memory-store.js';

export class MemoryStoreAdapter implements Store {
  private transactions = 0;
  private recordsWritten = 0;
  private reads = 0;
  readonly memory = new MemoryStore();

  async apply(records: readonly StoreRecord[]): Promise<void> {
    this.memory.apply(records);
    this.transactions += 1;
    this.recordsWritten += records.length;
  }

  async load(key: string): Promise<Loaded> {
    this.reads += 1;
    return this.memory.load(key);
  }

  async loadHints(owner: NodeId, key: string): Promise<Loaded> {
    this.reads += 1;
    return this.memory.load(key, owner);
  }

  async loadAll(): Promise<{ state: ReturnType<MemoryStore['stored']>; corrupt: number }> {
    return { state: this.memory.stored(), corrupt: 0 };
  }

  stats(): StoreStats {
    // Every value is in memory: report them all as the cache, which is what the UI shows as bytes held.
    let bytes = 0;
    let entries = 0;
    for (const [key, byDigest] of this.memory.allVersions()) {
      for (const v of byDigest.values()) {
        bytes += key.length + v.value.bytes.length;
        entries += 1;
      }
    }
    return {
      transactions: this.transactions, recordsWritten: this.recordsWritten, reads: this.reads,
      cacheHits: this.reads, cacheMisses: 0, cacheBytes: bytes, cacheEntries: entries, corrupt: 0, errors: 0,
    };
  }

  close(): void {
    // Nothing to release: the maps go with the object.
  }
}

/** The room's fault rules, as the signaling server keeps and broadcasts them. */
export class FaultRoom {
  private current: faults.FaultRules = faults.noFaults;
  private readonly listeners = new Set<(rules: faults.FaultRules) => void>();

  rules(): faults.FaultRules {
    return this.current;
  }

  /** Validates and stores the rules, then tells every node on a later task (the server's echo). */
  publish(rules: faults.FaultRules): boolean {
    const checked = faults.validate(rules);
    if (!checked.ok) return false;
    this.current = checked.rules;
    setTimeout(() => { for (const listener of [...this.listeners]) listener(checked.rules); }, 0);
    return true;
  }

  onRules(listener: (rules: faults.FaultRules) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/**
 * `inner` counting what it carries, for the view's transport stats (the in-memory twin keeps none): messages
 * and bytes each way, and a send the network refused (the peer gone) as `unreachable`. The room's rules are
 * applied above it by the tabs' own decorator (runtime/fault-transport.ts `withFaults`), which adds its drops.
 */
export function countedTransport(inner: Transport): Transport & { stats(): TransportStats } {
  const dropped = noDrops();
  const counts = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 };
  return {
    self: inner.self,
    send(to, bytes) {
      if (!inner.send(to, bytes)) {
        dropped.unreachable += 1;
        return false;
      }
      counts.messagesSent += 1;
      counts.bytesSent += bytes.length;
      return true;
    },
    onMessage(handler) {
      inner.onMessage((from, bytes) => {
        counts.messagesReceived += 1;
        counts.bytesReceived += bytes.length;
        handler(from, bytes);
      });
    },
    onReachability: (handler) => inner.onReachability(handler),
    presentPeers: () => inner.presentPeers(),
    connectedPeers: () => inner.connectedPeers(),
    close: () => inner.close(),
    stats: () => ({ ...counts, messagesDropped: { ...dropped }, openChannels: inner.connectedPeers().length }),
  };
}
