/**
 * The plain, mutable state of one node, owned by its caller and changed only by node.step. Split from
 * node.ts so that every module of the node (coordinator, replica, handoff, anti-entropy, membership) can
 * name it without importing the step function.
 */
import type { Tuning } from './config.js';
import type { ClientRequest, Effect, MemberView, StoreRecord } from './node-io.js';
import type { Rng } from './rng.js';
import type { Ring } from './ring.js';
import type { ConflictMode, Index } from './store-index.js';
import type { ClusterConfig, HostId, NodeId, Version } from './types.js';

export interface Counters {
  messagesSent: number;
  messagesReceived: number;
  /** Peer messages dropped as semantically wrong or stale (unknown ids, bad partitions, late replies). */
  messagesDropped: number;
  /** Versions pushed to a stale replica by read repair or anti-entropy. */
  repairs: number;
  hintsHandedOff: number;
  storageErrors: number;
  writesAcked: number;
  readsServed: number;
  /** Two versions with one dot and different digests met (a dot issued twice: a bug; both were kept). */
  dotClashes: number;
}

/** A client write this node coordinates (or forwarded, see Forward). */
export interface WriteOp {
  readonly kind: 'write';
  readonly opId: number;
  /** Where the reply goes: a local client request, or a forwarding peer. */
  readonly origin: Origin;
  readonly op: 'put' | 'delete';
  readonly key: string;
  /**
   * The version W counts acks for: the new one, or (a failover's retry, forward.ts) the one this node already
   * held with the write's op id, whose value is swapped in when the key's set is loaded (coordinator.onLoaded).
   */
  version: Version;
  /** The key's whole sibling set sent to the replicas (the new version first among equals), once known. */
  versions: readonly Version[] | undefined;
  readonly w: number;
  readonly n: number;
  readonly startTick: number;
  /** The step (NodeState.steps) that persisted the coordinator's own copy: if that persist fails, the copy does not count. */
  readonly createdStep: number;
  /** The step that sent the stores (createdStep, or the step of the load of the other siblings). */
  sentStep: number | undefined;
  /** Owners and fallbacks this write was sent to: target -> owner it stands for (itself for an owner). */
  readonly sentTo: Map<NodeId, { readonly owner: NodeId; readonly sentTick: number }>;
  /** Nodes that acknowledged a durable copy. */
  readonly acked: Set<NodeId>;
  /** Owners that a fallback already stands in for (so each owner is replaced once at a time). */
  readonly replaced: Set<NodeId>;
  /** Targets whose ack timed out (each is replaced at most once). */
  readonly timedOut: Set<NodeId>;
  readonly warnings: readonly string[];
  replied: boolean;
  /** True while `version` is a held twin's metadata, its value not yet loaded (coordinator.ts). */
  heldTwin?: boolean;
}

export interface ReadOp {
  readonly kind: 'read';
  readonly opId: number;
  readonly requestId: number;
  readonly key: string;
  readonly r: number;
  /** The key's N owners (read repair goes only to them). */
  readonly owners: readonly NodeId[];
  /** Who is asked: each healthy owner, or in its place the next healthy fallback (sloppy quorum). */
  targets: NodeId[];
  /** Targets that became unhealthy before answering and were replaced by a fallback (read.ts, once each). */
  readonly replacedTargets: Set<NodeId>;
  readonly startTick: number;
  /** Replies so far: replica -> the versions it holds. */
  readonly replies: Map<NodeId, readonly Version[]>;
  readonly warnings: readonly string[];
  replied: boolean;
  /** A read-only inspection (read.ts): every target is waited for, nothing is repaired. */
  readonly inspect: boolean;
}

/**
 * Where a write's answer goes. `triedElsewhere`: the write was forwarded to other coordinators first
 * (forward.ts failover), so a failure here cannot say that nothing was written: it is indeterminate.
 */
export type Origin = { readonly kind: 'client'; readonly requestId: number; readonly triedElsewhere?: boolean } | { readonly kind: 'peer'; readonly peer: NodeId; readonly forwardId: number };

/** A client write this node forwarded to a coordinator (forward.ts). */
export interface Forward {
  readonly requestId: number;
  readonly op: 'put' | 'delete';
  /** The request, kept so a failover can send it again (same forwardId) or coordinate it here. */
  readonly request: ClientRequest & { readonly op: 'put' | 'delete' };
  /** The coordinator asked last. */
  to: NodeId;
  /** Every coordinator asked so far: a late answer from any of them settles the request. */
  readonly tried: NodeId[];
  /** Sends to `to` so far (a silent but healthy coordinator is asked again once per bound). */
  sendsToTarget: number;
  /** The epoch (life) of `to` when first asked, 0 if unknown: only that life may coordinate it (forward.ts). */
  toEpoch: number;
  /** The operation id `${this node}@${epoch}/${forwardId}`, the same on every coordinator tried (forward.ts). */
  readonly opId: string;
  sentTick: number;
  readonly startTick: number;
}

/** What a coordinator remembers of a forwarded operation it coordinated (forward.ts): nothing yet, or its answer. */
export type Coordinated = { readonly state: 'in-flight' } | { readonly state: 'answered'; readonly reply: ForwardReplyFields };

export interface ForwardReplyFields {
  readonly ok: boolean;
  readonly context: string;
  readonly warnings: readonly string[];
  readonly error: string;
  readonly indeterminate: boolean;
}

/** Why a storage load was asked for, and what to do when it completes. */
export type LoadPurpose =
  /** One of the loads gathering what this node holds of a key (its versions and its hints) for a read. */
  | { readonly kind: 'gather'; readonly gatherId: number }
  | { readonly kind: 'handoff'; readonly owner: NodeId }
  /** The other siblings of a key a write is about to replicate (the whole set travels: dvv.ts). */
  | { readonly kind: 'write'; readonly opId: number }
  | { readonly kind: 'ae-push'; readonly peer: NodeId; readonly pushBack: boolean; readonly partition: number }
  | { readonly kind: 'leave'; readonly item: LeaveItem };

export interface Gather {
  readonly key: string;
  remaining: number;
  versions: readonly Version[];
  /** The read this node coordinates (`peer` undefined), or a peer's read. */
  readonly peer: NodeId | undefined;
  readonly opId: number;
}

/** One descent into one partition's Merkle tree with one peer (anti-entropy.ts). */
export interface AeSession {
  readonly sessionId: number;
  readonly partition: number;
  readonly peer: NodeId;
  phase: 'root' | 'buckets' | 'leaves';
  readonly startTick: number;
}

export interface AntiEntropy {
  /** Round robin over the peers that share partitions with this node (also rotates a summary's window). */
  cursor: number;
  /** The ae-summary sent this round and not yet answered: its peer and the partitions it named. */
  summary: { readonly summaryId: number; readonly peer: NodeId; readonly partitions: readonly number[]; readonly startTick: number } | undefined;
  /**
   * The round whose summary was answered: partitions compared with `peer`, and those found differing that
   * still wait for a descent slot (`queue`, in order). Kept after it ends, for the snapshot's progress.
   */
  round: { readonly peer: NodeId; readonly compared: number; readonly queue: number[] } | undefined;
  /** Descents in flight, by sessionId (at most tuning.antiEntropySessionsMax). */
  readonly sessions: Map<number, AeSession>;
  /**
   * Partitions this node recently told a peer to descend into (its summary reply), until `untilTick`:
   * another peer's summary leaves them out meanwhile, so two replicas do not repair the same keys here
   * at once. At most one entry per partition.
   */
  readonly claims: Map<number, { readonly peer: NodeId; readonly untilTick: number }>;
  lastRoundTick: number;
  sessionsStarted: number;
  sessionsInSync: number;
  versionsSent: number;
}

/** The anti-entropy state of a new node: `cursor` seeds the round robin, no round before `now` + one interval. */
export function initialAntiEntropy(cursor: number, now: number): AntiEntropy {
  return { cursor, summary: undefined, round: undefined, sessions: new Map(), claims: new Map(), lastRoundTick: now, sessionsStarted: 0, sessionsInSync: 0, versionsSent: 0 };
}

export interface Leave {
  /** Keys sent and not yet acknowledged by every target, by the opId of their store message. */
  readonly pending: Map<number, { readonly item: LeaveItem; readonly targets: readonly NodeId[]; readonly acked: Set<NodeId>; readonly sentTick: number }>;
  /** Keys (and hinted keys) still to send. */
  readonly queue: LeaveItem[];
  /** The ring without this node: where its data goes (the ring receivers judge its copies by). */
  futureRing: Ring;
  /** The ring futureRing was derived from: when membership rebuilds the ring (a join, a removal), so is futureRing. */
  basedOn: Ring;
  /** Members that refused a copy (leaving themselves, full): treated as down, their copies go to fallbacks as hints, so the leave can end. */
  readonly refusedBy: Set<NodeId>;
  readonly requestId: number;
}

export interface LeaveItem {
  readonly key: string;
  readonly hintFor: NodeId | undefined;
}

export interface NodeState {
  readonly id: NodeId;
  readonly host: HostId;
  /** This node's capacity weight (a set-capacity request changes it; gossip spreads it). */
  capacity: number;
  readonly seeds: readonly NodeId[];
  readonly tuning: Tuning;
  readonly conflictMode: ConflictMode;
  /** How a new life picks its epoch: 'random' (safe), or the deliberately broken 'max-plus-one' control. */
  readonly epochPolicy: EpochPolicy;
  readonly clockSkewTicks: number;
  readonly rng: Rng;
  /** This life's random epoch: with the node id, the clock actor (dvv.ts). */
  epoch: number;
  /** This life's number: monotonic over the node id's lives, orders its membership entries (membership.ts). */
  life: number;
  /**
   * True after a storage failure: the index may hold records storage lacks, so the node coordinates no
   * write until the runtime recreates it from storage (node-io.ts, NodeSnapshot.needsReload).
   */
  needsRebuild: boolean;
  /** True once this node has heard one gossip answer (or has no seeds): only then does it coordinate writes. */
  ready: boolean;
  /** True when the epoch was chosen at start because storage was empty (gossip may still raise it). */
  epochProvisional: boolean;
  tick: number;
  config: ClusterConfig;
  configVersion: number;
  configBy: NodeId;
  /** The host has an authority that stamps configure and remove (the signaling server): config-change.ts, removal.ts. */
  readonly stamps: boolean;
  /** The highest config version heard in gossip (stamps only: heard, not adopted); a proposal goes past it. */
  configHeard: number;
  readonly members: Map<NodeId, MemberView>;
  /** Over every member not gone, rebuilt only when that set (ids, hosts, capacities, zones) or Q changes (membership.refreshRing). */
  ring: Ring;
  /** The ring without one member, derived from `of` (the ring then): a leaving member's stores, a removal preview. */
  ringWithout: { readonly id: NodeId; readonly of: Ring; readonly ring: Ring } | undefined;
  /** Peers the transport says it cannot reach right now (a hint for failure detection). */
  readonly unreachable: Set<NodeId>;
  readonly index: Index;
  nextId: number;
  readonly writes: Map<number, WriteOp>;
  readonly reads: Map<number, ReadOp>;
  readonly forwards: Map<number, Forward>;
  readonly loads: Map<number, { readonly key: string; readonly hintFor: NodeId | undefined; readonly purpose: LoadPurpose }>;
  /** Reads being answered from storage: loads still awaited, versions found so far, and who gets them. */
  readonly gathers: Map<number, Gather>;
  /** Hinted keys being handed off, by the opId of their store message. */
  readonly handoffs: Map<number, { readonly owner: NodeId; readonly to: NodeId; readonly key: string; readonly sentTick: number }>;
  lastGossipTick: number;
  /** Steps taken so far; `persist` effects and `storage-failed` inputs name steps by this number. */
  steps: number;
  lastHandoffTick: number;
  readonly antiEntropy: AntiEntropy;
  leave: Leave | undefined;
  /** True once this node left or was removed: it serves nothing until a join (or, removed, a restart). */
  left: boolean;
  /**
   * The tick this node last came back: its start, a join, or the first tick after a gap longer than
   * suspectTimeoutTicks (a sleeping laptop, a frozen tab). A removal heard within deadTimeoutTicks of it
   * starts a new life; heard later, it stops the node (life.ts).
   */
  resumedTick: number;
  /** Smoothed round-trip time per peer in ticks, from request/reply pairs (forward.ts); bounded by membersMax. */
  readonly srttTicks: Map<NodeId, number>;
  /** Forwarded operations coordinated here, by `${origin}/${forwardId}`, oldest first (a bounded LRU: forward.ts). */
  readonly coordinated: Map<string, Coordinated>;
  /** The room's presence as the host last gave it, or undefined when the host gives none (admission.ts). */
  presence: ReadonlySet<NodeId> | undefined;
  /** Members named by gossip and not in presence, with the present peers that named them so far (admission.ts). */
  readonly vouchers: Map<NodeId, Set<NodeId>>;
  /** Members a fault rule isolates or partitions: never removed automatically (removal.ts). */
  suspended: ReadonlySet<NodeId>;
  /** A kv.remove waiting for the live members to confirm (removal.ts). */
  removal: (Pending & { readonly id: NodeId }) | undefined;
  /** A kv.configure waiting for the live members to confirm or to show a concurrent winner (config-change.ts). */
  configChange: (Pending & { readonly version: number }) | undefined;
  readonly counters: Counters;
  /** Effects and records of the current step (reset by node.step). */
  out: Effect[];
  records: StoreRecord[];
  /** Client requests this node accepted and has not answered (bounded by limits.pendingRequestsMax). */
  pendingRequests: number;
}

/**
 * A room-wide request of this node in progress: waiting for the authority's stamp (`awaitingStamp`, only
 * with `stamps`), then for the live members in `waiting` to confirm; `startTick` restarts at the stamp.
 */
export interface Pending {
  readonly requestId: number;
  readonly waiting: Set<NodeId>;
  readonly startTick: number;
  readonly awaitingStamp: boolean;
}

export type EpochPolicy = 'random' | 'max-plus-one';

export type { ClientRequest };
