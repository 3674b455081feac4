/**
 * The edges of the UI fixture's in-page cluster, each the in-memory twin of a tab's real edge:
 * - `MemoryStoreAdapter`: the runtime's Store over the simulator's in-memory store (test/sim/memory-store.ts);
 * - `FaultRoom`: the signaling server's part in faults: one set of rules for the room, validated by the same
 *   module (src/protocol/faults.ts), echoed to every node on a later task as the server would;
 * - `faultyTransport`: the in-memory transport (src/runtime/memory-transport.ts) with the rules applied the
 *   way the WebRTC transport applies them: the sender decides (loss included), the receiver re-checks the
 *   blocks, and a peer the rules block is reported unreachable at once while its channel stays open.
 */
import type { StoreRecord } from '../../../src/core/node-io.js';
import type { NodeId } from '../../../src/core/types.js';
import * as faults from '../../../src/protocol/faults.js';
import type { MemoryTransport } from '../../../src/runtime/memory-transport.js';
import type { Loaded, Store, StoreStats } from '../../../src/runtime/store.js';
import type { DropReason, Transport, TransportStats } from '../../../src/runtime/transport.js';
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

export interface FaultyTransport extends Transport {
  stats(): TransportStats;
}

/** `inner` with the room's rules applied to every message and to the reachability it reports. */
export function faultyTransport(inner: MemoryTransport, room: FaultRoom): FaultyTransport {
  const self = inner.self;
  const linkUp = new Map<NodeId, boolean>();
  const reported = new Map<NodeId, boolean>();
  const reachabilityHandlers: ((peer: NodeId, reachable: boolean) => void)[] = [];
  const dropped: Record<DropReason, number> = {
    tooLarge: 0, unknownPeer: 0, queueFull: 0, closed: 0, unreachable: 0, malformed: 0, stale: 0,
    isolated: 0, partitioned: 0, cut: 0, lost: 0,
  };
  const counts = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 };
  const drop = (reason: DropReason) => { dropped[reason] += 1; };

  function report(peer: NodeId): void {
    const rules = room.rules();
    const usable = (linkUp.get(peer) ?? false) && !faults.blocks(rules, self, peer) && !faults.blocks(rules, peer, self);
    if ((reported.get(peer) ?? false) === usable) return;
    reported.set(peer, usable);
    for (const handler of reachabilityHandlers) handler(peer, usable);
  }

  inner.onReachability((peer, up) => { linkUp.set(peer, up); report(peer); });
  const stopListening = room.onRules(() => { for (const peer of linkUp.keys()) report(peer); });

  return {
    self,
    send(to, bytes) {
      const verdict = faults.decide(room.rules(), self, to, Math.random());
      if (verdict !== 'deliver') {
        drop(verdict);
        return true; // dropped on the wire, as a lossy link would: the sender is not told
      }
      if (!inner.send(to, bytes)) {
        drop('unreachable');
        return false;
      }
      counts.messagesSent += 1;
      counts.bytesSent += bytes.length;
      return true;
    },
    onMessage(handler) {
      inner.onMessage((from, bytes) => {
        const verdict = faults.verdict(room.rules(), from, self);
        if (verdict !== 'deliver') {
          drop(verdict);
          return;
        }
        counts.messagesReceived += 1;
        counts.bytesReceived += bytes.length;
        handler(from, bytes);
      });
    },
    onReachability(handler) { reachabilityHandlers.push(handler); },
    presentPeers: () => inner.presentPeers(),
    connectedPeers: () => inner.connectedPeers(),
    close() {
      stopListening();
      inner.close();
    },
    stats: () => ({
      ...counts,
      messagesDropped: { ...dropped },
      openChannels: inner.connectedPeers().length,
    }),
  };
}
