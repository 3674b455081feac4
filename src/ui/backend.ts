/**
 * The UI's one contract with the world. The UI renders `UiSnapshot`s and calls the actions below; it never
 * reaches into core state. runtime-backend.ts adapts a tab's runtime to it; the UI specs drive the same
 * adapter over real nodes running in one page (test/e2e/ui-fixture).
 *
 * Every field is plain readonly data. Ages and durations are already in milliseconds so the UI does no
 * clock arithmetic of its own.
 */

export type NodeId = string;

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left' | 'removed';

/** The signaling link of this tab. `closed` and `error` mean the tab keeps serving over its data channels. */
export type SignalingState = 'connecting' | 'open' | 'closed' | 'error';

export interface UiMember {
  readonly id: NodeId;
  readonly host: string;
  readonly capacity: number;
  readonly status: MemberStatus;
  /** Milliseconds since this tab last saw the member's heartbeat advance (0 for itself). */
  readonly heartbeatAgeMs: number;
  readonly partitionsOwned: number;
  /** Keys this member holds, as last reported (undefined when unknown). */
  readonly keysHeld?: number;
  /** True for an always-on headless peer (zone 'peer', src/node): it keeps the data when every tab closes. */
  readonly alwaysOn?: boolean;
  /**
   * True when this tab can reach the member now: an open data channel that the fault rules do not block
   * (always true for itself).
   */
  readonly connected: boolean;
}

/** Cluster-wide fault rules, as carried by the signaling server (the shape of src/protocol/faults.ts). */
export interface UiFaultRules {
  readonly groups: readonly (readonly NodeId[])[];
  readonly isolated: readonly NodeId[];
  readonly cuts: readonly { readonly from: NodeId; readonly to: NodeId; readonly oneWay: boolean }[];
  /** Message-loss probability, 0..1. */
  readonly lossRate: number;
}

export interface UiHintQueue {
  /** The owner the hinted versions wait for. */
  readonly destination: NodeId;
  readonly versions: number;
}

export interface UiRepair {
  readonly partition: number;
  readonly peer: NodeId;
  /** Progress of this repair, `done` of `total` steps (a progress bar while it runs): the levels of its Merkle descent. */
  readonly done: number;
  readonly total: number;
}

/** The latest anti-entropy round with one peer: `done` of the `total` partitions whose roots it compared are settled. */
export interface UiAntiEntropyRound {
  readonly done: number;
  readonly total: number;
  /** Exchanges started so far, and how many of them found the replicas already in sync. */
  readonly sessions: number;
  readonly inSync: number;
}

export interface UiTrace {
  /** A sequence number, increasing per tab: the timeline's stable row key. */
  readonly seq: number;
  readonly tick: number;
  readonly atMs: number;
  readonly node: NodeId;
  /** 'put', 'get', 'replicate', 'ack', 'hint', 'handoff', 'gossip', 'ae', 'member', 'repair', 'error'. */
  readonly category: string;
  readonly text: string;
}

export interface UiSnapshot {
  readonly self: { readonly id: NodeId; readonly host: string; readonly capacity: number; readonly epoch: number };
  /** Whether this node has joined the ring and loaded its storage. */
  readonly ready: boolean;
  readonly signaling: { readonly state: SignalingState; readonly detail: string };
  /** removeAfterSeconds absent: the core's default (types.defaultRemoveAfterSeconds). */
  readonly config: { readonly n: number; readonly r: number; readonly w: number; readonly partitions: number; readonly removeAfterSeconds?: number };
  readonly members: readonly UiMember[];
  /** Owner of each partition, index = partition number (length = config.partitions). */
  readonly owners: readonly NodeId[];
  readonly faults: UiFaultRules;
  readonly faultsText: string;
  /** Named counters for the activity view (messages sent/received/dropped, puts, gets, repairs, ...). */
  readonly counters: Readonly<Record<string, number>>;
  readonly hints: readonly UiHintQueue[];
  readonly repairs: readonly UiRepair[];
  /** Anti-entropy round progress, when the backend knows it. */
  readonly antiEntropyRound?: UiAntiEntropyRound;
  readonly storage: { readonly keys: number; readonly bytes: number; readonly errors: number; readonly lastError: string };
  /** The most recent trace events, oldest first, bounded by the runtime. */
  readonly trace: readonly UiTrace[];
}

/** One version in a get's answer, as the key console shows it. */
export interface UiVersion {
  /** The value as text (bytes are shown as hex); undefined for a tombstone. */
  readonly text: string | undefined;
  readonly kind: 'string' | 'bytes' | 'tombstone';
  readonly clock: Readonly<Record<string, number>>;
  /** The replicas that returned this version. */
  readonly replicas: readonly NodeId[];
  /** The write that made this version: its actor (`node@life`) and that actor's counter. */
  readonly dot?: { readonly actor: string; readonly counter: number };
}

/** One row of a key's replica table: a node and every version it holds of the key (tombstones included). */
export interface UiHolder {
  readonly node: NodeId;
  /** True for one of the key's N replicas; false for a node holding it as a hint (or not yet handed over). */
  readonly replica: boolean;
  readonly versions: readonly UiVersion[];
}

export interface UiReadResult {
  readonly versions: readonly UiVersion[];
  readonly context: string;
  readonly warnings: readonly string[];
}

/** Where a key lives, for the ring view. */
export interface UiKeyLocation {
  readonly partition: number;
  /** The first N distinct owners clockwise (the preference list). */
  readonly replicas: readonly NodeId[];
  /** Nodes standing in for unreachable replicas right now (sloppy quorum). */
  readonly fallbacks: readonly NodeId[];
  /** Nodes that hold a copy now (from the replicas a read heard from, plus hint holders). */
  readonly holders: readonly NodeId[];
  /** How `holders` was found, or why it is incomplete ("replicas that answered a read just now"). */
  readonly holdersNote?: string;
  /** What each reachable replica and hinted holder holds (a read-only inspection through the core), when known. */
  readonly table?: readonly UiHolder[];
}

/**
 * The actions the UI may take. Every promise rejects with an Error whose message is fit to show a person
 * ("write quorum not reached: 1 of 2 acknowledged").
 */
export interface UiBackend {
  /** Calls `listener` whenever a new snapshot is published; returns the unsubscribe function. */
  subscribe(listener: (snapshot: UiSnapshot) => void): () => void;
  snapshot(): UiSnapshot;
  put(key: string, value: string, context?: string): Promise<{ context: string }>;
  get(key: string): Promise<UiReadResult>;
  delete(key: string, context?: string): Promise<{ context: string }>;
  locate(key: string): Promise<UiKeyLocation>;
  /** Room-wide (teacher): N, R, W, the partition count (a power of two) and removeAfterSeconds. */
  configure(settings: { n?: number; r?: number; w?: number; partitions?: number; removeAfterSeconds?: number }): Promise<void>;
  /** Split into groups of node ids; nodes in no group form one more group. */
  partition(groups: NodeId[][]): Promise<void>;
  isolate(node: NodeId): Promise<void>;
  cut(from: NodeId, to: NodeId, oneWay: boolean): Promise<void>;
  setLoss(rate: number): Promise<void>;
  heal(): Promise<void>;
  setCapacity(capacity: number): Promise<void>;
  /** Join the ring again after a leave or a removal (kv.join: a new life, no reload). */
  join(): Promise<void>;
  /**
   * Remove another node from the ring everywhere (kv.remove): its partitions move to the others.
   * Optional: a backend without it shows no Remove button.
   */
  remove?(id: NodeId): Promise<void>;
  leave(): Promise<void>;
  /**
   * Wipe this tab's storage and restart under the same node id (a new epoch), for the anti-entropy lesson.
   * Optional: a backend without it makes the lesson ask the person to clear the site's data by hand.
   */
  wipe?(): Promise<void>;
}
