/**
 * Every bound of the system, named in one place (DESIGN.md property 6: bounded everything).
 * Crossing one is a clear error, never a crash or a silent loss. Units come last in the names.
 */
export const limits = {
  /** Longest key, in UTF-8 bytes. */
  keyBytesMax: 512,
  /** Largest value, in bytes (strings count their UTF-8 bytes). */
  valueBytesMax: 64 * 1024,
  /**
   * Siblings of one key (siblings.ts has the whole policy). From siblingsWarn on, a write's reply warns.
   * A NEW write that reconciles nothing (its context covers no held version) is refused past siblingsMax,
   * or when the set's bytes would pass siblingBytesMax; a write whose context covers a held version is
   * always accepted. Versions arriving from other nodes are refused past siblingsHardMax (2 x siblingsMax:
   * only writes accepted on both sides of a partition add up past siblingsMax). Riak warns at 25 and
   * refuses at 100, but its sets do not have to travel in one 1 MiB message; ours do (dvv.ts).
   */
  siblingsWarn: 8,
  siblingsMax: 32,
  siblingsHardMax: 64,
  /** Largest sibling set (values plus overhead) a new write may build: half a message, so a set always travels whole. */
  siblingBytesMax: 512 * 1024,
  /**
   * Most entries in a version's past (one per incarnation that coordinated a write of the key). Past it the
   * past, never the dot, is pruned (dvv.prune): a spurious sibling at worst, never a lost version.
   */
  clockEntriesMax: 64,
  /** Largest encoded peer message, in bytes; the transport chunks it into dataChannelChunkBytes pieces. */
  messageBytesMax: 1024 * 1024,
  /** Size of one data-channel chunk, well under the data channel's message limit. */
  dataChannelChunkBytes: 16 * 1024,
  /** Most client requests in flight at one node; past it a request is refused at once. */
  pendingRequestsMax: 1024,
  /** Most hinted versions one fallback node holds for others; past it the fallback refuses the hint. */
  hintsMax: 10_000,
  /** Most members a node tracks (and a signaling room admits). */
  membersMax: 512,
  /** Longest node, host or room id, in UTF-8 bytes. */
  idBytesMax: 64,
} as const;

export type Limits = typeof limits;
