/**
 * A client-side history, Jepsen style: what every client asked and what it saw, and nothing the store
 * reports about itself (no clocks, no digests). The same format is recorded by the simulator's clients
 * (test/sim) and by the browser chaos run's clients in real tabs (test/chaos), and judged by one checker
 * (value-checker.ts). Values are unique strings: every put writes a value no other put ever wrote, so a
 * value names the write that made it.
 */

/** How a client request ended, as the client saw it. */
export type Outcome =
  /** Acknowledged: the store said it took effect. */
  | 'ok'
  /** Refused: the store said it did NOT take effect (nothing was written anywhere). */
  | 'failed'
  /** Unknown: a timeout, a lost node, or a reply saying it may or may not have taken effect. */
  | 'indeterminate';

export interface GetOp {
  readonly kind: 'get';
  readonly client: string;
  readonly key: string;
  /** Client-side times (ticks in the simulator, ms in a browser), only compared within one run. */
  readonly start: number;
  readonly end: number;
  readonly outcome: Outcome;
  /** The live values the get returned (siblings), when ok. */
  readonly values: readonly string[];
  /** The opaque context the get returned, when ok (a later write may carry it). */
  readonly context?: string;
  /** The store's error text, when failed or indeterminate (added after the first version; optional). */
  readonly error?: string;
}

export interface WriteOp {
  readonly kind: 'put' | 'delete';
  readonly client: string;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly outcome: Outcome;
  /** The unique value a put wrote (undefined for a delete). */
  readonly value?: string;
  /**
   * The values this write's context covered: the values returned by the get whose context it carried
   * (empty for a blind write with no context). A write replaces exactly these.
   */
  readonly observed: readonly string[];
  /** The store's error text, when failed or indeterminate. */
  readonly error?: string;
}

export type Op = GetOp | WriteOp;

export interface History {
  readonly ops: Op[];
}

/**
 * What the cluster holds once faults healed and it went quiet: for each key and each replica that holds
 * it, the live values (tombstones left out). Taken from what replicas hold in STORAGE (the simulator reads
 * its stores; the browser run reads with r = N from several tabs), never from an in-memory index.
 */
export interface FinalState {
  /** key -> replica id -> live values that replica holds. */
  readonly replicas: ReadonlyMap<string, ReadonlyMap<string, readonly string[]>>;
}

export function emptyHistory(): History {
  return { ops: [] };
}
