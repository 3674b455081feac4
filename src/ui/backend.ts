/**
 * The UI's one contract with the world. The UI renders the peer's one view (`PeerView`,
 * runtime/peer-view.ts) as the runtime publishes it, formatted at the edge (view-format.ts, format.ts), and
 * calls the actions below; it never reaches into core state. runtime-backend.ts adapts a tab's runtime to
 * it; the UI specs drive the same adapter over real nodes running in one page (test/e2e/ui-fixture).
 *
 * The read results below are plain readonly data: what a get, an inspection or a locate answered.
 */
import type { PeerView } from '../runtime/peer-view.js';

export type NodeId = string;

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
/** What a removal would move: `owned` of `partitions` are the member's now, `moves` their new owners. */
export interface UiRemovalPreview {
  readonly partitions: number;
  readonly owned: number;
  readonly moves: readonly { readonly to: NodeId; readonly partitions: number }[];
}

export interface UiBackend {
  /** Calls `listener` whenever the peer publishes a new view (at most 10 a second); returns the unsubscribe function. */
  subscribe(listener: (view: PeerView) => void): () => void;
  /** The peer's view now. */
  snapshot(): PeerView;
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
  /** What removing `id` would move, as the core says (its ring rebuilt without `id`), for the confirmation. */
  removalPreview?(id: NodeId): Promise<UiRemovalPreview>;
  leave(): Promise<void>;
  /**
   * Wipe this tab's storage and restart under the same node id (a new epoch), for the anti-entropy lesson.
   * Optional: a backend without it makes the lesson ask the person to clear the site's data by hand.
   */
  wipe?(): Promise<void>;
}
