/**
 * The idb-store's picture of its checkpoint, in memory: the key space cut into contiguous segments, each
 * either a chunk (idb-checkpoint.ts) or a gap no chunk covers, with a count of the rows start-up would
 * have to read and hash there (a gap's rows; a chunk's keys changed since it was written, which the
 * `journal` store lists). It only decides what the background compaction rebuilds next; what start-up
 * reads is decided from the stored chunks and journal themselves, so a wrong count costs time, never data.
 */

/** [lo, hi): hi null is no upper bound. The first segment starts at '' (the least string key). */
export interface Segment {
  readonly lo: string;
  readonly hi: string | null;
  /** True when a chunk row covers the range. */
  readonly built: boolean;
  /** Rows start-up would hash here: a gap's rows, or a chunk's journaled keys. */
  dirty: number;
}

export type Cover = Segment[];

/**
 * The cover made of the chunks' ranges (sorted by lo, not overlapping: the caller drops any that overlap)
 * and the gaps between them, each gap with the rows found in it.
 */
export function fromRanges(chunks: readonly { readonly lo: string; readonly hi: string | null; readonly dirty: number }[], gapRows: (lo: string, hi: string | null) => number): Cover {
  const cover: Cover = [];
  let at = '';
  for (const c of chunks) {
    if (c.lo > at) cover.push({ lo: at, hi: c.lo, built: false, dirty: gapRows(at, c.lo) });
    cover.push({ lo: c.lo, hi: c.hi, built: true, dirty: c.dirty });
    if (c.hi === null) return cover;
    at = c.hi;
  }
  cover.push({ lo: at, hi: null, built: false, dirty: gapRows(at, null) });
  return cover;
}

/** The gaps of a set of sorted, non-overlapping ranges. */
export function gaps(chunks: readonly { readonly lo: string; readonly hi: string | null }[]): { lo: string; hi: string | null }[] {
  return fromRanges(chunks.map((c) => ({ ...c, dirty: 0 })), () => 0).filter((s) => !s.built).map(({ lo, hi }) => ({ lo, hi }));
}

/**
 * The index of the last range starting at or before `key` (binary search over ranges sorted by lo): in a
 * cover, the segment holding it; 0 when every range starts after it.
 */
export function find(ranges: readonly { readonly lo: string }[], key: string): number {
  let low = 0;
  let high = ranges.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if ((ranges[mid] as { lo: string }).lo <= key) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** One more row for start-up to read where `key` lies (a version of it was written or dropped). */
export function noteChanged(cover: Cover, key: string): void {
  const s = cover[find(cover, key)];
  if (s !== undefined) s.dirty++;
}

export function totalDirty(cover: Cover): number {
  let n = 0;
  for (const s of cover) n += s.dirty;
  return n;
}

/** The segment to compact next: the one with the most dirty rows (undefined when none has any). */
export function worst(cover: Cover): Segment | undefined {
  let best: Segment | undefined;
  for (const s of cover) if (s.dirty > 0 && (best === undefined || s.dirty > best.dirty)) best = s;
  return best;
}

/** Replaces the segment starting at `lo` by `parts` (contiguous, covering the same range). */
export function replace(cover: Cover, lo: string, parts: readonly Segment[]): void {
  const i = find(cover, lo);
  if (cover[i]?.lo !== lo) throw new Error(`idb-cover: no segment starts at ${JSON.stringify(lo)}`);
  cover.splice(i, 1, ...parts);
}
