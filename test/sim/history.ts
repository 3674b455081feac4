/** What clients did and saw, as the checker reads it. */
import type { VV } from '../../src/core/types.js';

export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface WriteRecord {
  readonly client: number;
  readonly key: string;
  readonly op: 'put' | 'delete';
  /** The unique value written (a put), or the set written (an add-to-set put). */
  readonly value: string;
  /** Elements this write added, for add-to-set keys. */
  readonly element: string | undefined;
  readonly startTick: number;
  endTick: number;
  outcome: Outcome | 'pending';
  /** The new version's clock (from the reply's context) when acknowledged. */
  clock: VV | undefined;
  error: string | undefined;
}

export interface ReadRecord {
  readonly key: string;
  readonly startTick: number;
  readonly endTick: number;
  readonly values: readonly { readonly value: string; readonly clock: VV }[];
  readonly context: VV;
}

export interface History {
  readonly writes: WriteRecord[];
  readonly reads: ReadRecord[];
  readFailures: number;
}

export function emptyHistory(): History {
  return { writes: [], reads: [], readFailures: 0 };
}
