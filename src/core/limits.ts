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
  // Numbers that only grow (issue 11: a modified tab can do no more harm than kv.put). Each is bounded
  // twice: an absolute ceiling far below 2^53 (so adding one is always exact and always encodable), and a
  // largest JUMP past what the receiver already knows. A forged value past the jump is refused and counted;
  // reaching a ceiling by allowed jumps takes at least ceiling / jump forged messages (2^28 for lives and
  // clock counters), so one message, or a burst of them, can no longer exhaust a counter for ever.
  /**
   * Ceiling of epochs, lives, incarnations, heartbeats, config versions and clock counters from peers.
   * Epochs are random below it (membership.randomEpoch); the others count up from 0 by one.
   */
  counterMax: 2 ** 48,
  /**
   * Farthest a gossiped LIFE may jump past the life known for that member (or this node's own): one
   * honest life is one restart, wipe, leave or removal, so no honest room comes near 2^20 (a million)
   * lives of one id between two gossips. A node that knows no life of its own yet (empty storage) takes
   * any life under counterMax: it cannot tell a jump, and refusing would keep it out for ever.
   */
  lifeJumpMax: 2 ** 20,
  /**
   * Farthest a gossiped INCARNATION may jump past the one known at the same life. An honest incarnation
   * rises by one per refuted suspicion or capacity change, a few per minute at most; a refutation answers
   * the claim + 1, so without this bound one forged claim near counterMax made the victim's own gossip
   * unacceptable (over the ceiling) for the rest of its life.
   */
  incarnationJumpMax: 2 ** 20,
  /**
   * Farthest a gossiped config version may jump past the one this node holds. An honest kv.configure adds
   * one (config-change.ts), and configure is a teacher's command; a room that saw more than 2^16 of them
   * while a node was away would leave that node on its old config (a stated limit, not a silent one).
   */
  configVersionJumpMax: 2 ** 16,
  /**
   * Farthest a clock counter (a version's dot or an entry of its past) arriving from a peer may lie past
   * the largest counter of that actor this node holds for the key (0 for a key it does not hold). One
   * actor adds one per write of the key it coordinates; a replica that missed more than 2^20 writes of one
   * key by one coordinator's life gets the key by anti-entropy once a smaller step has arrived. Without it
   * one forged store at the ceiling made the key's next dot unencodable: unwritable and unrepairable.
   */
  counterJumpMax: 2 ** 20,
  /**
   * Largest capacity weight of a member (its share of the ring's partitions, ring.ts): one bound for the
   * edge (kv.setCapacity, ?capacity=, --capacity) and for gossip, so a peer cannot claim 10 times what any
   * honest tab may.
   */
  capacityMax: 100,
} as const;

export type Limits = typeof limits;
