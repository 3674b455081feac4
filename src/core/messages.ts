/**
 * The peer protocol: every message one node sends another, as a schema (schema.ts) so the codec can encode
 * and validate it. Every field is bounded by limits.ts. The runtime decodes incoming bytes with
 * `codec.decode(messageSchema, bytes)` and feeds only valid messages to the node; the node still guards
 * against messages that are well-formed but wrong (unknown ids, partitions out of range), dropping and
 * counting them.
 *
 * Add new message types and fields last: the union's tag travels as an index (schema.ts).
 */
import * as dvv from './dvv.js';
import { limits } from './limits.js';
import * as s from './schema.js';
import { siblingsHardMax } from './siblings.js';

const id = s.string({ maxBytes: limits.idBytesMax });
const key = s.string({ maxBytes: limits.keyBytesMax });
/** Hex MD5 strings (digests, value hashes, a Merkle root). */
const hex = s.string({ maxBytes: 64 });
/**
 * A Merkle root, inner hash or leaf digest as anti-entropy sends it: a salted wire hash (merkle-wire.ts wireHash,
 * wireHashBytes = 4 bytes). The receiver compares at the width received and refuses, counted, a
 * width under wireHashBytesMin.
 */
const merkleHash = s.bytes({ maxBytes: 16 });
/** An actor is `${nodeId}@${epoch}` (dvv.ts); its format is checked by dvv.validate after decoding. */
const actor = s.string({ maxBytes: limits.idBytesMax + 16 });
const errorText = s.string({ maxBytes: 1024 });
/** An operation id is `${origin}@${originEpoch}/${forwardId}` (forward.ts). */
export const opIdBytesMax = limits.idBytesMax + 40;

/** A dot or version-vector entry; counters 1..dvv.counterMax, checked with the VV's order by validVersion. */
export const dotSchema = s.object({ actor, counter: s.uint() });
/** A version vector: at most clockEntriesMax entries (sorted unique actors: validVersion). */
export const vvSchema = s.array(dotSchema, { max: limits.clockEntriesMax });

export const versionSchema = s.object({
  dot: dotSchema,
  past: vvSchema,
  value: s.object({ kind: s.enumOf(['string', 'bytes', 'tombstone'] as const), bytes: s.bytes({ maxBytes: limits.valueBytesMax }) }),
  valueHash: hex,
  digest: hex,
  timestamp: s.uint(),
  /** The client write's operation id (types.Version.op); added last, so stored rows without it still decode (level-store). */
  op: s.optional(s.string({ maxBytes: opIdBytesMax })),
});

/** The versions of one key, as a replica holds them (siblings, up to the hard ceiling of siblings.ts). */
const versions = s.array(versionSchema, { max: siblingsHardMax });

export const memberSchema = s.object({
  id,
  host: id,
  capacity: s.float(),
  epoch: s.uint(),
  life: s.uint(),
  incarnation: s.uint(),
  heartbeat: s.uint(),
  /** 'removed' added last: enum indexes on the wire stay stable for the older values. */
  status: s.enumOf(['alive', 'suspect', 'dead', 'left', 'removed'] as const),
  /** types.Zone; absent for a tab (added last: the codec writes fields in order). */
  zone: s.optional(s.enumOf(['tab', 'peer'] as const)),
});

export const configSchema = s.object({ n: s.uint(), r: s.uint(), w: s.uint(), partitions: s.uint(), removeAfterSeconds: s.optional(s.uint()) });

/** Merkle buckets a message may name at once (anti-entropy bounds its work per round below this). */
export const bucketsPerMessageMax = 1024;
/** Merkle leaves a message may carry at once. */
export const leavesPerMessageMax = 4096;
/**
 * Partitions one ae-summary may name (and its reply list). At 16 bytes of root plus a 2-byte partition
 * each, a full summary is about 18 KiB, far under limits.messageBytesMax.
 */
export const summaryPartitionsMax = 1024;
/**
 * Stores (or acks) one `store-batch` (`store-ack-batch`) may carry. The runtime also keeps a batch's
 * encoded size under limits.messageBytesMax (runtime/store-coalescer.ts).
 */
export const storesPerMessageMax = 256;

const storeFields = { opId: s.uint(), key, versions, hintFor: s.nullable(id) };
// `misplaced`: refused because, in the receiver's ring, the key does not belong there (replica.placementProblem).
// Rings differ while a change spreads, so that refusal is about the key and passes; the others are about the
// receiver (it is leaving, or full) and a leaver plans without it (leave.ts).
const storeAckFields = { opId: s.uint(), key, digests: s.array(hex, { max: siblingsHardMax }), ok: s.boolean(), error: errorText, misplaced: s.optional(s.boolean()) };

export const messageSchema = s.union('type', {
  /** Push-pull gossip: the sender's member list and cluster config; `wantReply` asks for the receiver's. */
  gossip: s.object({
    members: s.array(memberSchema, { max: limits.membersMax }),
    config: configSchema,
    configVersion: s.uint(),
    configBy: id,
    wantReply: s.boolean(),
    /** True on an answer to a gossip (added last; absent from older tabs): an answer is answered only if it asks. */
    answer: s.optional(s.boolean()),
  }),
  /** A write handed to a node of the key's preference list, which coordinates it. */
  forward: s.object({
    forwardId: s.uint(),
    op: s.enumOf(['put', 'delete'] as const),
    key,
    value: s.nullable(versionSchema.shape.value),
    context: s.nullable(s.string({ maxBytes: 32 * 1024 })),
    w: s.nullable(s.uint()),
    /** The coordinator's epoch when the forwarder first asked it; another life refuses (forward.ts). */
    epoch: s.uint(),
    /** The write's operation id, the same on every coordinator it is tried on (forward.ts); added last. */
    opId: s.optional(s.string({ maxBytes: opIdBytesMax })),
  }),
  /** The coordinator's answer to a forward. */
  'forward-reply': s.object({
    forwardId: s.uint(),
    ok: s.boolean(),
    context: s.string({ maxBytes: 32 * 1024 }),
    warnings: s.array(errorText, { max: 8 }),
    error: errorText,
    indeterminate: s.boolean(),
  }),
  /**
   * Store these versions of a key (replication, read repair, hinted handoff, anti-entropy, leave).
   * `hintFor` names the intended owner when the receiver is a fallback keeping a hint. opId 0: no ack wanted.
   */
  store: s.object(storeFields),
  /** Sent after the store is durable: `digests` are the versions now held (stored or already covered). */
  'store-ack': s.object(storeAckFields),
  /** Ask a replica for every version it holds of a key. */
  read: s.object({ opId: s.uint(), key }),
  'read-reply': s.object({ opId: s.uint(), key, versions }),
  /**
   * Anti-entropy step 1, into one partition whose roots the summary found differing: the initiator's
   * hashes of the root's children (level 1, merkle.fanOut of them).
   */
  'ae-root': s.object({ sessionId: s.uint(), partition: s.uint(), hashes: s.array(merkleHash, { max: bucketsPerMessageMax }) }),
  /**
   * Step 2, one tree level at a time: the sender's hashes at `level` (2 .. merkle.depth = the buckets) of
   * the children of `parents` (nodes at level - 1), merkle.fanOut per parent, in order. Each side answers
   * with the next level under only the children that differ; no parents and no hashes: none differ.
   */
  'ae-buckets': s.object({
    sessionId: s.uint(),
    partition: s.uint(),
    level: s.uint(),
    parents: s.array(s.uint(), { max: bucketsPerMessageMax }),
    hashes: s.array(merkleHash, { max: bucketsPerMessageMax }),
  }),
  /** Step 3: the leaves (key, salted leaf digest) in the buckets that differ, from the side that found them. */
  'ae-leaves': s.object({
    sessionId: s.uint(),
    partition: s.uint(),
    buckets: s.array(s.uint(), { max: bucketsPerMessageMax }),
    leaves: s.array(s.object({ key, digest: merkleHash }), { max: leavesPerMessageMax }),
  }),
  /** Step 4: the responder asks for the initiator's versions of keys it does not hold at all. */
  'ae-want': s.object({ sessionId: s.uint(), partition: s.uint(), keys: s.array(key, { max: leavesPerMessageMax }) }),
  /**
   * Step 4 for keys both hold differently: the responder's versions. The receiver stores them and, if it
   * still holds versions the sender lacks, sends those back in a `store`: one transfer when the sender
   * was ahead, two when it was behind (instead of always two).
   */
  'ae-push': s.object({ sessionId: s.uint(), partition: s.uint(), key, versions }),
  /**
   * Step 0, once per round: the initiator's Merkle roots (wire hashes salted by summaryId) of many partitions
   * both nodes hold, `roots[i]` for `partitions[i]`. Equal everywhere: the round costs this message pair.
   */
  'ae-summary': s.object({
    summaryId: s.uint(),
    partitions: s.array(s.uint(), { max: summaryPartitionsMax }),
    roots: s.array(merkleHash, { max: summaryPartitionsMax }),
  }),
  /** The answer to an ae-summary: the partitions whose roots differ here; the initiator descends into them (ae-root...). */
  'ae-summary-reply': s.object({ summaryId: s.uint(), differing: s.array(s.uint(), { max: summaryPartitionsMax }) }),
  /**
   * Several `store`s from one sender, in order, handled in ONE step of the receiver (its acks, one per
   * store as a single store would get, leave together as a `store-ack-batch` once that step is durable).
   * The runtime sends a lone store as a plain `store`, so older tabs still read it.
   */
  'store-batch': s.object({ stores: s.array(s.object(storeFields), { max: storesPerMessageMax }) }),
  /** Several `store-ack`s to one coordinator, in order. */
  'store-ack-batch': s.object({ acks: s.array(s.object(storeAckFields), { max: storesPerMessageMax }) }),
});

export type Message = s.Infer<typeof messageSchema>;
export type MessageType = Message['type'];
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
export type MemberWire = s.Infer<typeof memberSchema>;

/** What the schema cannot say about a version: a valid dot, and a past with sorted unique valid entries. */
export function versionProblem(v: { readonly dot: { readonly actor: string; readonly counter: number }; readonly past: readonly { readonly actor: string; readonly counter: number }[] }): string | undefined {
  const dot = dvv.validateEntry(v.dot);
  if (dot !== undefined) return `dot: ${dot}`;
  const past = dvv.validate(v.past);
  return past.ok ? undefined : `past: ${past.reason}`;
}

/**
 * Checks a decoded message beyond its schema (the dots and version vectors of the versions it carries);
 * node.step drops and counts a message with a problem before it touches any state.
 */
export function problem(msg: Message): string | undefined {
  if (msg.type === 'store-batch') {
    for (const [i, store] of msg.stores.entries()) {
      const p = versionsProblem(store.versions);
      if (p !== undefined) return `stores[${i}].${p}`;
    }
    return undefined;
  }
  if (msg.type !== 'store' && msg.type !== 'read-reply' && msg.type !== 'ae-push') return undefined;
  return versionsProblem(msg.versions);
}

function versionsProblem(versions: readonly s.Infer<typeof versionSchema>[]): string | undefined {
  for (const [i, v] of versions.entries()) {
    const p = versionProblem(v);
    if (p !== undefined) return `versions[${i}].${p}`;
  }
  return undefined;
}
