/**
 * Plain data shared by every core module. Everything here is readonly, serialisable and free of
 * behaviour; the verbs live in one module per noun (dvv, siblings, ring, merkle, node, ...).
 */

/** A storage node's id: one browser tab (stable across reloads of that tab). */
export type NodeId = string;

/** A physical machine in Dynamo's sense: one browser (its tabs share it). Replicas prefer distinct hosts. */
export type HostId = string;

/**
 * The writer named in a dot or version-vector entry: one incarnation of a node, `${nodeId}@${epoch}`, with
 * an epoch drawn at random for each life of the node's storage, so it never reissues a dot (Riak's KV679).
 */
export type Actor = string;

/** One version-vector entry: the actor's events 1..counter. No ticks: they would compare nothing. */
export interface VvEntry {
  readonly actor: Actor;
  readonly counter: number;
}

/** The one event that made a version: the coordinating actor and its counter for the key (dvv.ts). */
export type Dot = VvEntry;

/** A version vector: entries sorted by actor, each actor at most once, counters >= 1. */
export type VV = readonly VvEntry[];

/** What a version holds: UTF-8 text, raw bytes, or the tombstone a delete leaves. */
export type ValueKind = 'string' | 'bytes' | 'tombstone';

/** A value as stored and sent: strings travel as UTF-8 bytes with their kind; a tombstone has no bytes. */
export interface Value {
  readonly kind: ValueKind;
  readonly bytes: Uint8Array;
}

/**
 * One version of a key, as stored on a replica and sent between replicas.
 * `digest` identifies it: a hash over its dot, past and value hash (see version.ts), so equal versions on
 * two replicas have equal digests and the Merkle trees can compare them.
 */
export interface Version {
  /** The event that made this version (dvv.ts). */
  readonly dot: Dot;
  /** What its writer had seen: the client's context, pruned to limits.clockEntriesMax (dvv.ts). */
  readonly past: VV;
  readonly value: Value;
  /** Hex MD5 of value.kind and value.bytes, checked on every storage read (integrity). */
  readonly valueHash: string;
  /** Hex hash of dot, past and valueHash: the version's identity. */
  readonly digest: string;
  /** Coordinator's (possibly skewed) logical timestamp; used only by the last-write-wins control mode. */
  readonly timestamp: number;
  /**
   * The operation id of the client write that made it, for a forwarded write (forward.ts): two versions with
   * one op id are the same client write coordinated twice (a failover), shown by a get as one value. Absent
   * on local writes and on versions stored before op ids existed.
   */
  readonly op?: string;
}

/** What the core keeps in memory of a version: everything but the value bytes (they live in storage). */
export type VersionMeta = Omit<Version, 'value'> & { readonly kind: ValueKind; readonly sizeBytes: number };

/** Membership status, as gossiped. */
/**
 * 'removed': taken out of the ring by the room (kv.remove, or dead longer than removeAfterSeconds: see
 * removal.ts). Like 'left' it is final within a life: only a new life of the node (higher life) beats it.
 */
export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left' | 'removed';

/**
 * Where a member runs, in the manner of the paper's data centers (section 4.6): a browser tab, or an
 * always-on headless peer (src/node). While any peer is a member, every preference list holds one
 * (placement.ts). Absent means 'tab' (older members and stored views carry no zone).
 */
export type Zone = 'tab' | 'peer';

/** A member as the ring sees it: what partition assignment and preference lists depend on. */
export interface RingMember {
  readonly id: NodeId;
  readonly host: HostId;
  /** Relative capacity weight (> 0): partitions are assigned in proportion to it. */
  readonly capacity: number;
  /** Absent: 'tab'. */
  readonly zone?: Zone;
}

/** A ring (ring.ts): Q partitions, each owned by one member. */
export interface Ring {
  readonly partitions: number;
  /** The owner of each partition (length `partitions`), or [] when there are no members. */
  readonly owners: readonly NodeId[];
  /** The members, sorted by id. */
  readonly members: readonly RingMember[];
}

/** Cluster-wide replication settings (the paper's N, R, W), plus the fixed partition count Q. */
export interface ClusterConfig {
  readonly n: number;
  readonly r: number;
  readonly w: number;
  /** Number of equal partitions of the hash space (a power of two); a room may change it (repartition.ts). */
  readonly partitions: number;
  /**
   * A member dead this long is removed from the ring everywhere (removal.ts); 0 disables automatic removal.
   * Default 120 s: a classroom tab that is closed for good should stop holding partitions before the
   * lesson moves on, while a reload, a laptop lid closed for a minute or a hidden tab's clamped timers
   * (deadTimeoutTicks is 24 s) stay well under it. Optional so older stored configs still load: absent
   * means the default (removeAfterSecondsOf).
   */
  readonly removeAfterSeconds?: number;
}

/** The longest removeAfterSeconds accepted (one day). */
export const removeAfterSecondsMax = 86_400;

export const defaultRemoveAfterSeconds = 120;

export const defaultClusterConfig: ClusterConfig = { n: 3, r: 2, w: 2, partitions: 256, removeAfterSeconds: defaultRemoveAfterSeconds };

/**
 * The cluster config as persisted, with the version and author that order it against gossip (membership.ts).
 * `version` and `by` are absent in storage written before they were persisted (read as 0 and '').
 */
export type StoredConfig = ClusterConfig & { readonly version?: number; readonly by?: NodeId };

/**
 * A cluster config as the room's authority (the signaling server) stamped it: the settings, and the
 * (version, proposer) that order it (membership.newerConfig). A node whose host supplies stamps adopts
 * only these (config-change.ts); the others order gossiped configs by the same pair.
 */
export interface ConfigStamp {
  readonly version: number;
  readonly by: NodeId;
  readonly config: Required<ClusterConfig>;
}

/**
 * A room-wide command that the host's authority must stamp before any node acts on it (node-io.ts: the
 * `authorize` effect, the `stamped` and `refused` inputs): a new config, or the removal of a member.
 */
export type RoomCommand =
  | ({ readonly kind: 'configure' } & ConfigStamp)
  | { readonly kind: 'remove'; readonly id: NodeId };
