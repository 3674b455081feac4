/**
 * Which partitions changed owner between two owner arrays (one owner per partition, index = partition), and
 * the sentence the ring views show about it: "k of Q moved (ideal Q/(S+1) = ...)". Consistent hashing
 * ideally moves only the joiner's (or leaver's) share, Q / (S + 1) partitions when a ring of S nodes gains
 * one or a ring of S + 1 loses one. Pure, shared by the tab's ring (ring-view.ts) and the projector's
 * (projector-model.ts), so both count and word it the same way.
 */

export interface Moves {
  /** Partitions whose owner differs. */
  readonly moved: ReadonlySet<number>;
  /** "k of Q moved", with the ideal when the number of owners changed. */
  readonly text: string;
}

/**
 * The moves from `before` to `after`, or undefined when there is nothing to compare (no earlier ring, a
 * different Q: a repartition re-cuts every partition, so "moved" means nothing) or nothing moved.
 */
export function between(before: readonly (string | undefined)[], after: readonly (string | undefined)[]): Moves | undefined {
  if (before.length === 0 || before.length !== after.length) return undefined;
  const moved = new Set<number>();
  after.forEach((o, p) => { if (o !== before[p]) moved.add(p); });
  if (moved.size === 0) return undefined;
  const q = after.length;
  const nodesBefore = ownerCount(before);
  const nodesAfter = ownerCount(after);
  // S + 1 is the larger ring of the two: S nodes before a join, or after a leave.
  const larger = Math.max(nodesBefore, nodesAfter);
  const ideal = nodesBefore === nodesAfter ? '' : ` (ideal Q/(S+1) = ${q}/${larger} = ${Math.round(q / larger)})`;
  return { moved, text: `${moved.size} of ${q} moved${ideal}` };
}

function ownerCount(owners: readonly (string | undefined)[]): number {
  return new Set(owners.filter((o) => o !== undefined)).size;
}
