/**
 * What the runtime needs from durable storage. The IndexedDB store (src/browser/idb-store.ts) implements it
 * in tabs; the in-memory twin (test/sim/memory-store.ts) in tests and the simulator.
 */
import type { NodeId, Version } from '../core/types.js';
import type { StoreRecord, StoredState } from '../core/node-io.js';

export interface Loaded {
  readonly versions: readonly Version[];
  /** Versions that failed their integrity check and were left out. */
  readonly corrupt: number;
}

export interface StoreStats {
  readonly transactions: number;
  readonly recordsWritten: number;
  readonly reads: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  readonly cacheBytes: number;
  readonly cacheEntries: number;
  /** Versions found failing their integrity check, over the life of this store object. */
  readonly corrupt: number;
  /** Failed transactions (reads or writes). */
  readonly errors: number;
  readonly lastError?: string;
  /** The answer of navigator.storage.persist(), once known; undefined where the API is missing. */
  readonly persisted?: boolean;
  /**
   * Rows the next start-up would still read and hash because the store's checkpoint does not cover them
   * yet (idb-store); absent for a store without a checkpoint.
   */
  readonly checkpointLagRows?: number;
}

/** What the runtime needs from storage. The IndexedDB store implements it; tests may use twins. */
export interface Store {
  apply(records: readonly StoreRecord[]): Promise<void>;
  load(key: string): Promise<Loaded>;
  /** The hinted versions of `key` kept for `owner` (not cached: hints are read once, to hand them back). */
  loadHints(owner: NodeId, key: string): Promise<Loaded>;
  loadAll(): Promise<{ readonly state: StoredState; readonly corrupt: number }>;
  stats(): StoreStats;
  close(): void;
}
