/**
 * Every bound of the system, named in one place (DESIGN.md property 6: bounded everything).
 * Crossing one is a clear error, never a crash or a silent loss. Units come last in the names.
 */
export const limits = {
  /** Longest key, in UTF-8 bytes. */
  keyBytesMax: 512,
  /** Largest value, in bytes (strings count their UTF-8 bytes). */
  valueBytesMax: 64 * 1024,
  /** Most concurrent versions (siblings) kept for one key; see siblings.ts for the policy past it. */
  siblingsMax: 8,
  /** Most entries in one vector clock before the oldest are truncated (the paper's threshold). */
  clockEntriesMax: 10,
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
