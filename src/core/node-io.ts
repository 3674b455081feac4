/**
 * The node's contract with the world: what goes into one step and what comes out of it.
 *
 * The core is a synchronous state machine in the manner of etcd's raft: the runtime (browser) or the
 * simulator feeds one Input at a time to `node.step`, and carries out the returned Effects in this order:
 *   1. every `persist` of the step, durably (the runtime may group the records of consecutive steps into
 *      one transaction, and may keep stepping while it commits);
 *   2. only once they are durable, the step's `send`s, `reply`s and `load`s, in step order (so an
 *      acknowledgement is never ahead of the disk). Except `store` sends: a store only asks its receiver
 *      to persist before it acknowledges, so the runtime may send it before the step's persist is durable
 *      (pipelined writes, runtime/commit-batch.ts `pipelined`); the core treats a write whose persist failed as possibly sent.
 * If the persist fails, the runtime sends nothing else of that step, fails its replies with the storage error,
 * and feeds `storage-failed` back with the failed steps' numbers (the `step` of their `persist` effects),
 * possibly after it has fed later inputs: the core must account for exactly those steps.
 *
 * Reload after a storage failure: once a `storage-failed` names steps, the core's index may hold records
 * storage lacks. The core fails the writes begun in those steps, stops coordinating writes, and sets
 * `needsReload` in its snapshot (snapshot.ts): the runtime should then recreate the node from storage
 * (node.create with the StoredState it reads back, same epoch), which clears the flag. Until then the node
 * still serves as a replica. A reload never changes the epoch: only a wipe (or a detected corruption,
 * replica.ts) starts a new one, the only times a node drops data it held.
 */
import type { Message } from './messages.js';
import type { Dot, HostId, MemberStatus, NodeId, RoomCommand, StoredConfig, Value, Version, VersionMeta, VV, Zone } from './types.js';

/** Opaque to clients: an encoded version vector joining the clocks of the versions a get returned (dvv.ts, `c2.`). */
export type Context = string;

export type ClientRequest =
  /**
   * `inspect`: a read-only look at who holds the key (the UI's replica table, read.ts): asks every healthy
   * replica and the first healthy fallbacks, waits for all (or the timeout), repairs nothing, and answers
   * with each one's versions in `holders`.
   */
  | { readonly op: 'get'; readonly key: string; readonly r?: number; readonly inspect?: boolean }
  | { readonly op: 'put'; readonly key: string; readonly value: Value; readonly context?: Context; readonly w?: number }
  /**
   * Where a key lives now, as this node's ring and health say (the UI's ring view): read-only, answered in
   * the same step, no message sent (read.ts `locate`).
   */
  | { readonly op: 'locate'; readonly key: string }
  /**
   * What removing member `id` would move, as this node's ring says (the UI's Remove confirmation): read-only,
   * answered in the same step, no message sent (removal.ts `preview`).
   */
  | { readonly op: 'removal-preview'; readonly id: NodeId }
  | { readonly op: 'delete'; readonly key: string; readonly context?: Context; readonly w?: number }
  /**
   * Change N, R, W or removeAfterSeconds cluster-wide (spread by gossip). Concurrent changes are ordered by
   * (version, proposer id); the loser's request fails naming the winner (config-change.ts).
   */
  | { readonly op: 'configure'; readonly n?: number; readonly r?: number; readonly w?: number; readonly partitions?: number; readonly removeAfterSeconds?: number }
  /** Remove another member from the ring everywhere, dead or alive (removal.ts). */
  | { readonly op: 'remove'; readonly id: NodeId }
  /** Join the ring again after a leave or a removal, as a new life, without a restart. */
  | { readonly op: 'join' }
  /**
   * This tab is closing: tell the live members at once that it is gone (they mark it dead), best effort
   * and without handoff; it is not a leave. Persists nothing, so its messages leave without a commit.
   */
  | { readonly op: 'goodbye' }
  /** Leave the ring gracefully: hand every partition to its new owners, then stop serving. */
  | { readonly op: 'leave' }
  /**
   * Change this node's capacity weight (0 < capacity <= membership.capacityMax): the node raises its
   * incarnation so gossip carries the new weight, and every node rebuilds its ring (partitions move).
   */
  | { readonly op: 'set-capacity'; readonly capacity: number };

/** One version in a get's answer, with the replicas that returned it. */
/** What one node answered to an inspecting read: every version it holds of the key (tombstones included), its own or as hints. */
export interface HolderView {
  readonly node: NodeId;
  /** True for the key's N replicas; false for another node answering from its hints (or data it no longer replicates). */
  readonly replica: boolean;
  readonly versions: readonly ReadVersion[];
}

export interface ReadVersion {
  readonly value: Value;
  /** The sibling's causal past WITH its dot included (dvv.clockOf): what the UI shows as its clock. */
  readonly clock: VV;
  /** The event that made this sibling. */
  readonly dot: Dot;
  readonly replicas: readonly NodeId[];
}

export type ClientResult =
  | { readonly ok: true; readonly op: 'get'; readonly versions: readonly ReadVersion[]; readonly context: Context; readonly warnings: readonly string[]; readonly holders?: readonly HolderView[] }
  | { readonly ok: true; readonly op: 'put' | 'delete'; readonly context: Context; readonly warnings: readonly string[] }
  /**
   * `replicas`: the preference list (the first N distinct owners clockwise); `fallbacks`: the healthy nodes a
   * read or write would ask now in place of the replicas that are not healthy (sloppy quorum).
   */
  | { readonly ok: true; readonly op: 'locate'; readonly partition: number; readonly replicas: readonly NodeId[]; readonly fallbacks: readonly NodeId[] }
  /** `owned` of `partitions` are the member's now; `moves` says where they go, by new owner (sorted by id). */
  | {
    readonly ok: true; readonly op: 'removal-preview'; readonly partitions: number; readonly owned: number;
    readonly moves: readonly { readonly to: NodeId; readonly partitions: number }[];
  }
  | { readonly ok: true; readonly op: 'configure' | 'leave' | 'set-capacity' | 'remove' | 'join' | 'goodbye' }
  /**
   * `indeterminate` is true when the write may or may not have taken effect (some replica may hold it):
   * e.g. "write quorum not reached: 1 of 2 acknowledged".
   */
  | { readonly ok: false; readonly error: string; readonly indeterminate: boolean };

/** What a node reads back from its storage at start (values stay in storage; see VersionMeta). */
export interface StoredState {
  /** The epoch last persisted under this node id, or undefined when the storage is empty. */
  readonly epoch?: number;
  /**
   * Every version this node stores as a replica: its metadata is enough (a store reads values on demand,
   * through `load` effects); a full Version is accepted too. Best in key order (store-index-restore.restoreAll).
   */
  readonly versions: ReadonlyArray<{ readonly key: string; readonly version: Version | VersionMeta }>;
  /**
   * Keys restored from a store's checkpoint (store-index-restore.entriesOf, computed when it was written), with
   * no hashing at start (store-index-restore.restoreEntries); restored before `versions`. Optional: a store
   * without a checkpoint hands every key back as `versions`.
   */
  readonly entries?: readonly IndexEntry[];
  /** Every hinted version this node keeps for an unreachable owner. */
  readonly hints: ReadonlyArray<{ readonly owner: NodeId; readonly key: string; readonly version: Version }>;
  /** Last persisted membership view and cluster config (with its version, which orders it against gossip), if any. */
  readonly members?: readonly MemberView[];
  readonly config?: StoredConfig;
}

/**
 * What restoring one key derives from its stored rows (store-index-restore.entriesOf), kept by a store so the
 * next start hashes nothing for that key. Independent of the partition count: the partition is cut from
 * `positionTop32` by whatever Q the index has.
 */
export interface IndexEntry {
  readonly key: string;
  /** The key's sibling set, reconciled as store-index-restore.restoreAll reconciles the key's rows. */
  readonly versions: readonly VersionMeta[];
  /** hash.positionTop32 of the key's ring position. */
  readonly positionTop32: number;
  /** merkle.bucketOfPosition of the key's ring position. */
  readonly bucket: number;
  /** siblings.leafDigest(versions). */
  readonly leafDigest: string;
  /** merkle.leafHash(key, leafDigest), as hex (one string: a million byte arrays cost more to make). */
  readonly leafHash: string;
}

/** A storage record: what one step asks the runtime to persist. Applied in order, in one transaction. */
export type StoreRecord =
  /**
   * `wholeSet`: after this step the key holds exactly the versions this step puts (a new key, or a write
   * that replaced every version): the runtime's value cache may start the key's entry from them.
   */
  | { readonly kind: 'put-version'; readonly key: string; readonly version: Version; readonly wholeSet?: true }
  | { readonly kind: 'drop-version'; readonly key: string; readonly digest: string }
  | { readonly kind: 'put-hint'; readonly owner: NodeId; readonly key: string; readonly version: Version }
  | { readonly kind: 'drop-hint'; readonly owner: NodeId; readonly key: string; readonly digest: string }
  | { readonly kind: 'epoch'; readonly epoch: number }
  /** `config` carries its version and author: store it whole and hand it back in StoredState.config. */
  | { readonly kind: 'membership'; readonly members: readonly MemberView[]; readonly config: StoredConfig };

/** A member as one node currently sees it. */
export interface MemberView {
  readonly id: NodeId;
  readonly host: HostId;
  readonly capacity: number;
  /** The member's current random epoch (its clock actor is `${id}@${epoch}`). */
  readonly epoch: number;
  /** The member's life number: a higher life is a newer life of the node id (membership.ts). */
  readonly life: number;
  readonly incarnation: number;
  readonly heartbeat: number;
  readonly status: MemberStatus;
  /** Absent: 'tab' (types.Zone). */
  readonly zone?: Zone;
  /** Local tick at which this node last saw the member's heartbeat advance. */
  readonly lastHeardTick: number;
}

export type Input =
  /** Time passed: `now` is the absolute tick count (the runtime derives it from elapsed time). */
  | { readonly type: 'tick'; readonly now: number }
  /** A peer message, decoded and validated with `codec.decode(messageSchema, bytes)` (messages.ts). */
  | { readonly type: 'message'; readonly from: NodeId; readonly message: Message }
  | { readonly type: 'request'; readonly requestId: number; readonly request: ClientRequest }
  /**
   * The answer to a `load` effect: the key's versions (those failing their integrity check left out, and
   * counted in `corrupt`). For a load with `hintFor`, the hinted versions kept for that owner.
   */
  | { readonly type: 'loaded'; readonly loadId: number; readonly key: string; readonly versions: readonly Version[]; readonly corrupt: number }
  /** The transport lost or (re)gained its channel to a peer: a hint for failure detection, not a verdict. */
  | { readonly type: 'peer-reachable'; readonly peer: NodeId; readonly reachable: boolean }
  /**
   * The members a fault rule isolates or partitions from others right now (the whole set, replacing the
   * previous one): none of them is removed automatically while named here (removal.ts).
   */
  | { readonly type: 'suspended'; readonly peers: readonly NodeId[] }
  /**
   * The room's presence from the signaling server (the ids connected now, this node's own left out), given
   * whenever it changes by hosts that have one: from then on gossip may not invent members (admission.ts).
   */
  | { readonly type: 'presence'; readonly peers: readonly NodeId[] }
  /**
   * A room-wide command the room's authority (the signaling server) stamped, from any teacher's node,
   * this one's included: a config to adopt when newer, or a member to remove. Given by hosts that pass
   * NodeOptions.stamps; the room's latest config again after each (re)connection.
   */
  | { readonly type: 'stamped'; readonly command: RoomCommand }
  /** The authority refused this node's `authorize` of a command of this kind, saying why. */
  | { readonly type: 'refused'; readonly command: RoomCommand['kind']; readonly reason: string }
  /**
   * Storage failed. `steps` are the numbers of the steps whose records were not written (the `step` of
   * their `persist` effects); empty when a read failed.
   */
  | { readonly type: 'storage-failed'; readonly error: string; readonly steps: readonly number[] };

export type Effect =
  /** `step` numbers the step that made the records (0 for node.create's): a `storage-failed` names it. */
  | { readonly type: 'persist'; readonly records: readonly StoreRecord[]; readonly step: number }
  /** Encode with `codec.encode(messageSchema, message)` (messages.ts) and send. */
  | { readonly type: 'send'; readonly to: NodeId; readonly message: Message }
  | { readonly type: 'reply'; readonly requestId: number; readonly result: ClientResult }
  /**
   * Read the key's versions from storage and feed them back as a `loaded` input with the same loadId.
   * With `hintFor`, read instead the hinted versions of the key kept for that owner (put-hint records).
   */
  | { readonly type: 'load'; readonly loadId: number; readonly key: string; readonly hintFor?: NodeId }
  /**
   * Ask the room's authority to stamp a command of this node (only with NodeOptions.stamps): the answer
   * comes back as a `stamped` input (to every node) or a `refused` one (to this node).
   */
  | { readonly type: 'authorize'; readonly command: RoomCommand }
  /** Something worth showing on the activity timeline or in a transcript. */
  | { readonly type: 'trace'; readonly event: TraceEvent };

/** A human-readable event: what happened at this node, for the UI timeline and scenario transcripts. */
export interface TraceEvent {
  readonly tick: number;
  readonly node: NodeId;
  /** A short category for filtering: 'put', 'get', 'replicate', 'ack', 'hint', 'handoff', 'gossip', 'ae', 'member', 'repair', 'error'. */
  readonly category: string;
  readonly text: string;
}
