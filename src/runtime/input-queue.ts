/**
 * The runtime's queue of inputs waiting for the node, served one at a time.
 * - External inputs (peer messages, client requests) are bounded: past `max` they are refused.
 * - Internal inputs (load results, storage failures, reachability) answer the node's own effects and are
 *   admitted up to a hard ceiling of 4 x max; crossing it is a programmer error and throws.
 * - At most one tick waits at a time: its `now` is computed when it is served, so a late timer costs one
 *   step, not one per missed period.
 */
import type { Input } from '../core/node-io.js';

export type Item = Input | 'tick';

export interface InputQueue {
  readonly max: number;
  /** Adds a peer message or client request; false when the queue is full. */
  pushExternal(input: Input): boolean;
  pushInternal(input: Input): void;
  /** Puts an input ahead of everything else (a storage failure the node must hear before anything else). */
  pushFirst(input: Input): void;
  /** Queues a tick unless one is already waiting; true when one was added. */
  queueTick(): boolean;
  shift(): Item | undefined;
  length(): number;
}

export function create(max: number): InputQueue {
  const items: Item[] = [];
  let tickWaiting = false;
  const hardMax = max * 4;

  function admit(): void {
    if (items.length >= hardMax) throw new Error(`input queue: internal inputs exceed ${hardMax}`);
  }

  return {
    max,
    pushExternal(input) {
      if (items.length >= max) return false;
      items.push(input);
      return true;
    },
    pushInternal(input) { admit(); items.push(input); },
    pushFirst(input) { admit(); items.unshift(input); },
    queueTick() {
      if (tickWaiting) return false;
      tickWaiting = true;
      items.push('tick');
      return true;
    },
    shift() {
      const item = items.shift();
      if (item === 'tick') tickWaiting = false;
      return item;
    },
    length: () => items.length,
  };
}
