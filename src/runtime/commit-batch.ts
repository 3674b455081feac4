/**
 * A batch for group commit: consecutive steps of the core whose records go to storage in ONE transaction
 * and whose effects are released together, in step order, once that transaction has committed.
 * Bounded by its caller (runtime.ts) in steps and in estimated bytes of records.
 */
import type { Effect, StoreRecord } from '../core/node-io.js';
import type { Store } from './store.js';

export interface Batch {
  /** Each step's effects, in step order. */
  readonly steps: (readonly Effect[])[];
  /** Every record of the batch's steps, in step order: one transaction. */
  readonly records: StoreRecord[];
  /** The core's numbers of the steps that persisted (their `persist` effects' `step`): what a failure names. */
  readonly persistSteps: number[];
  /** Estimated size of `records` (recordBytes). */
  bytes: number;
  /** Set once stepping paused because this batch was full while the previous one committed. */
  stalled: boolean;
}

export function create(): Batch {
  return { steps: [], records: [], persistSteps: [], bytes: 0, stalled: false };
}

/**
 * The messages that only ASK their receiver for something and say nothing about this node's disk: a
 * `store` (persist this version, then acknowledge), a `forward` (coordinate this client write) and a
 * `read` (send me your versions). Everything that reports or depends on what this node persisted (acks,
 * read and forward replies, gossip of a new epoch, anti-entropy's hashes) is not among them.
 */
const asksOnly = new Set<string>(['store', 'forward', 'read']);
const leavesNow = (effect: Effect) => effect.type === 'send' && asksOnly.has(effect.message.type);

/**
 * Pipelined writes: a step's `store`, `forward` and `read` messages (asksOnly) leave NOW, before the step's
 * batch (and every batch before it) commits; the rest of its effects wait for the commit. A `store` only
 * asks its receiver to persist and then acknowledge (replica.ts answers `store-ack` in the step that
 * persists), so it promises nothing about this node's disk. All that does (store-ack, read-reply,
 * forward-reply, the client's reply) still waits, so a coordinator counts its own copy (coordinator.ts:
 * `acked` starts with itself) only in a reply released after its batch committed: an ack that overtakes the
 * commit is stepped into a later batch, released after it. If the batch fails, those stores are on the wire:
 * the write's answer is indeterminate (coordinator.onStorageFailed, outbox `reply`), and the rebuilt node
 * takes a new epoch (node-start.ts), so it never reissues their dots. A forward or read sent ahead of a
 * batch that then fails leaves its request in flight when the node is rebuilt: the client's answer is
 * indeterminate (rebuild.ts), which a forwarded write is (its coordinator may carry it out). Before reads and
 * forwards left early, a get or a forwarded put in a tab busy committing waited for that commit for nothing
 * (B3: the writing tab had a commit in flight 74-89 % of the time, and 2 in 5 of its puts are forwarded).
 */
export function pipelined(effects: readonly Effect[], enabled: boolean): { now: readonly Effect[]; afterCommit: readonly Effect[] } {
  if (!enabled || !effects.some(leavesNow)) return { now: [], afterCommit: effects };
  return { now: effects.filter(leavesNow), afterCommit: effects.filter((effect) => !leavesNow(effect)) };
}

/** Appends one step's effects. */
export function add(batch: Batch, effects: readonly Effect[]): void {
  batch.steps.push(effects);
  for (const effect of effects) {
    if (effect.type !== 'persist' || effect.records.length === 0) continue;
    batch.persistSteps.push(effect.step);
    for (const record of effect.records) {
      batch.records.push(record);
      batch.bytes += recordBytes(record);
    }
  }
}

/** Writes the batch's records in ONE transaction; resolves with the error if it fails (never rejects, even if `apply` throws). */
export function write(store: Pick<Store, 'apply'>, batch: Batch): Promise<Error | undefined> {
  const asError = (error: unknown) => (error instanceof Error ? error : new Error(String(error)));
  let written: Promise<void>;
  try {
    written = store.apply(batch.records);
  } catch (error) {
    written = Promise.reject(asError(error));
  }
  return written.then(() => undefined, asError);
}

/** True when no further step may join: `stepsMax` steps, or `bytesMax` bytes of records reached. */
export function full(batch: Batch, stepsMax: number, bytesMax: number): boolean {
  return batch.steps.length >= stepsMax || batch.bytes >= bytesMax;
}

/** An upper-bound estimate of a record's size in memory and on disk, for the byte bound. */
export function recordBytes(record: StoreRecord): number {
  switch (record.kind) {
    case 'put-version':
    case 'put-hint':
      return 256 + record.key.length + record.version.value.bytes.length + (record.version.past.length + 1) * 64;
    case 'membership':
      return 256 * (1 + record.members.length);
    case 'drop-version':
    case 'drop-hint':
    case 'epoch':
      return 256;
    default: {
      const never: never = record;
      throw new Error(`commit-batch: unknown record ${JSON.stringify(never)}`);
    }
  }
}
