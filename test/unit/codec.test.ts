// Specification of the wire codec: round trips over a rich schema, the exact layout of each kind, a reason
// for every kind of malformed input, the limits it enforces, and fuzzing with random and mutated messages
// (decode never throws; anything it accepts is a valid value that re-encodes to the same bytes).
// Seeded: FC_SEED=<n> reproduces a run; fast-check prints the seed of any failure.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as codec from '../../src/core/codec.js';
import { limits } from '../../src/core/limits.js';
import * as s from '../../src/core/schema.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);

/** Caps on generated sizes, so that fuzzed messages stay small enough for mutations to hit their structure. */
interface Caps { readonly bytes: number; readonly items: number; readonly depth: number }

/** A fast-check arbitrary of the values of any schema (lazy recursion ends at caps.depth). */
function arbitraryOf(schema: s.Schema, caps: Caps, depth = 0): fc.Arbitrary<unknown> {
  switch (schema.kind) {
    case 'uint': return fc.oneof(fc.nat(300), fc.maxSafeNat(), fc.constantFrom(0, 127, 128, 16383, 16384, Number.MAX_SAFE_INTEGER));
    case 'int': return fc.oneof(fc.integer({ min: -200, max: 200 }), fc.maxSafeInteger(), fc.constantFrom(63, 64, -64, -65, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER));
    case 'float': return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean': return fc.boolean();
    case 'string': {
      const maxLength = Math.floor(Math.min(schema.maxBytes, caps.bytes) / 4); // 4 bytes per code point at most
      const text = fc.oneof(fc.string({ unit: 'binary', maxLength }), fc.string({ unit: 'grapheme', maxLength }), fc.string({ unit: 'grapheme-ascii', maxLength }));
      return text.filter((t) => s.utf8Length(t) <= schema.maxBytes);
    }
    case 'bytes': return fc.uint8Array({ maxLength: Math.min(schema.maxBytes, caps.bytes) });
    case 'literal': return fc.constant(schema.value);
    case 'enum': return fc.constantFrom(...schema.values);
    case 'array': return depth >= caps.depth ? fc.constant([]) : fc.array(arbitraryOf(schema.item, caps, depth), { maxLength: Math.min(schema.max, caps.items) });
    case 'optional': return depth >= caps.depth ? fc.constant(undefined) : fc.option(arbitraryOf(schema.inner, caps, depth), { nil: undefined });
    case 'nullable': return depth >= caps.depth ? fc.constant(null) : fc.option(arbitraryOf(schema.inner, caps, depth), { nil: null });
    case 'object': return recordOf(schema, caps, depth);
    case 'union': return fc.oneof(...schema.tags.map((tag) =>
      recordOf(schema.variants[tag] as s.ObjectSchema<s.Shape>, caps, depth).map((fields) => ({ [schema.tag]: tag, ...fields }))));
    case 'lazy': return arbitraryOf(schema.get(), caps, depth + 1);
    default: return s.unreachable(schema);
  }
}

/** Optional fields are sometimes absent (never set to undefined), as decode leaves them. */
function recordOf(schema: s.ObjectSchema<s.Shape>, caps: Caps, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of schema.keys) {
    const field = schema.shape[key] as s.Schema;
    model[key] = arbitraryOf(field.kind === 'optional' ? field.inner : field, caps, depth);
  }
  return fc.record(model, { requiredKeys: schema.keys.filter((k) => (schema.shape[k] as s.Schema).kind !== 'optional'), noNullPrototype: true });
}

interface Tree { readonly label: string; readonly children: readonly Tree[] }
const tree: s.LazySchema<Tree> = s.lazy<Tree>(() => s.object({ label: s.string({ maxBytes: 8 }), children: s.array(tree, { max: 3 }) }));
const clockEntry = s.object({ actor: s.string({ maxBytes: limits.idBytesMax }), counter: s.uint(), tick: s.uint() });
const sample = s.object({
  blob: s.bytes({ maxBytes: limits.valueBytesMax }),
  key: s.string({ maxBytes: limits.keyBytesMax }),
  count: s.uint(),
  delta: s.int(),
  ratio: s.float(),
  flag: s.boolean(),
  mode: s.enumOf(['fast', 'slow', 'off']),
  note: s.optional(s.string({ maxBytes: 40 })),
  parent: s.nullable(s.object({ id: s.string({ maxBytes: limits.idBytesMax }), epoch: s.uint() })),
  messages: s.array(s.union('type', {
    put: s.object({
      key: s.string({ maxBytes: limits.keyBytesMax }),
      value: s.object({ kind: s.enumOf(['string', 'bytes', 'tombstone']), bytes: s.bytes({ maxBytes: limits.valueBytesMax }) }),
      clock: s.array(clockEntry, { max: limits.clockEntriesMax }),
      context: s.optional(s.string({ maxBytes: 100 })),
    }),
    ack: s.object({ ok: s.boolean(), version: s.literal(1), reason: s.nullable(s.string({ maxBytes: 100 })) }),
    ping: s.object({}),
    tree: s.object({ root: tree }),
  }), { max: 8 }),
  matrix: s.array(s.array(s.int(), { max: 4 }), { max: 4 }),
});
type Sample = s.Infer<typeof sample>;

const roomyCaps: Caps = { bytes: 300, items: 4, depth: 3 };
const smallCaps: Caps = { bytes: 24, items: 3, depth: 2 };
/** Mostly small blobs, sometimes one of exactly valueBytesMax. */
const sampleArb = fc.tuple(arbitraryOf(sample, roomyCaps), fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer().map(patternedBytes) }))
  .map(([v, big]) => (big === undefined ? v : { ...(v as object), blob: big }) as Sample);

/** valueBytesMax pseudo-random bytes from a seed (fast-check would draw them one by one, slowly). */
function patternedBytes(seed: number): Uint8Array {
  const out = new Uint8Array(limits.valueBytesMax);
  let x = seed | 1;
  for (let i = 0; i < out.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = x & 0xff; }
  return out;
}

/** Bytes as hex, so that deep equality stays fast on large values (it compares typed arrays element by element). */
class Hex { constructor(readonly hex: string) {} }
function comparable(x: unknown): unknown {
  if (x instanceof Uint8Array) return new Hex(Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex'));
  if (Array.isArray(x)) return x.map(comparable);
  if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, comparable(v)]));
  return x;
}

const bytesOf = (...xs: number[]) => new Uint8Array(xs);
const header = [codec.wireMagic, codec.wireVersion];
const reasonOf = (r: { ok: boolean; reason?: string }) => (r.ok ? 'ok' : r.reason);

describe('round trip', () => {
  it('decode(encode(x)) is x for arbitrary values of a rich schema, and encodedSizeOf is exact', () => {
    fc.assert(fc.property(sampleArb, (value) => {
      const bytes = codec.encode(sample, value);
      expect(bytes.length).toBe(codec.encodedSizeOf(sample, value));
      const decoded = codec.decode(sample, bytes);
      expect(decoded.ok).toBe(true);
      expect(decoded.ok && comparable(decoded.value)).toStrictEqual(comparable(value));
    }), { seed: fcSeed, numRuns: 300 });
  });

  it.each([
    ['empty', ''], ['ascii', 'hello'], ['2-byte', 'é'], ['3-byte', '€'], ['BOM-like U+FFFF', '\uffff'], ['astral', '\u{1F600}'],
    ['last code point', '\u{10FFFF}'], ['mixed', 'a\u{1F600}é€\u{10000}z'], ['long ascii (chunked)', 'x'.repeat(10_000)],
    ['long astral (chunked)', '\u{1F600}'.repeat(5_000)], ['NUL', '\0'],
  ])('a %s string survives, as UTF-8 of the expected length', (_name, text) => {
    const schema = s.string({ maxBytes: 100_000 });
    const bytes = codec.encode(schema, text);
    const utf8 = new TextEncoder().encode(text);
    expect([...bytes]).toEqual([...header, ...varintBytes(utf8.length), ...utf8]);
    expect(codec.decode(schema, bytes)).toEqual({ ok: true, value: text });
  });

  it.each<[string, s.Schema, unknown, number[]]>([
    ['uint 0', s.uint(), 0, [0]],
    ['uint 127', s.uint(), 127, [0x7f]],
    ['uint 128', s.uint(), 128, [0x80, 0x01]],
    ['uint 300', s.uint(), 300, [0xac, 0x02]],
    ['uint 2^53 - 1 in 8 bytes', s.uint(), Number.MAX_SAFE_INTEGER, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]],
    ['int 0', s.int(), 0, [0]],
    ['int -1', s.int(), -1, [1]],
    ['int 63', s.int(), 63, [0x7e]],
    ['int -64', s.int(), -64, [0x7f]],
    ['int 64', s.int(), 64, [0x80, 0x01]],
    ['int -65', s.int(), -65, [0x81, 0x01]],
    ['int 2^53 - 1', s.int(), Number.MAX_SAFE_INTEGER, [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    ['int -(2^53 - 1)', s.int(), -Number.MAX_SAFE_INTEGER, [0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f]],
    ['float -0 keeps its sign', s.float(), -0, [0, 0, 0, 0, 0, 0, 0, 0x80]],
    ['float 1.5', s.float(), 1.5, [0, 0, 0, 0, 0, 0, 0xf8, 0x3f]],
    ['boolean true', s.boolean(), true, [1]],
    ['literal: nothing', s.literal('x'), 'x', []],
    ['enum: the index', s.enumOf(['a', 'b', 'c']), 'c', [2]],
    ['bytes: length then bytes', s.bytes({ maxBytes: 9 }), bytesOf(7, 8), [2, 7, 8]],
    ['array: count then items', s.array(s.uint(), { max: 9 }), [1, 128], [2, 1, 0x80, 0x01]],
    ['optional absent', s.optional(s.uint()), undefined, [0]],
    ['nullable present', s.nullable(s.uint()), 5, [1, 5]],
    ['object: fields in declaration order, whatever the value\'s key order', s.object({ b: s.uint(), a: s.uint() }), { a: 1, b: 2 }, [2, 1]],
    ['union: variant index then fields', s.union('t', { x: s.object({}), y: s.object({ n: s.uint() }) }), { n: 3, t: 'y' }, [1, 3]],
  ])('layout: %s', (_name, schema, value, body) => {
    const bytes = codec.encode(schema, value as never);
    expect([...bytes]).toEqual([...header, ...body]);
    expect(codec.decode(schema, bytes)).toStrictEqual({ ok: true, value });
  });
});

describe('decode refuses malformed input with a reason', () => {
  const small = s.union('type', {
    put: s.object({ key: s.string({ maxBytes: 3 }), clock: s.array(s.object({ counter: s.uint() }), { max: 2 }) }),
    ack: s.object({ ok: s.boolean(), note: s.optional(s.uint()), ratio: s.float(), mode: s.enumOf(['a', 'b']) }),
  });
  it.each<[string, s.Schema, number[], string]>([
    ['empty', s.uint(), [], 'empty message'],
    ['wrong magic', s.uint(), [0x00, 1, 0], 'bad magic byte 0x00 (expected 0xd7)'],
    ['no version byte', s.uint(), [0xd7], 'truncated: no wire version byte'],
    ['unknown version', s.uint(), [0xd7, 7, 0], 'unknown wire version 7'],
    ['version 0', s.uint(), [0xd7, 0, 0], 'unknown wire version 0'],
    ['no body', s.uint(), [...header], 'truncated varint at offset 2'],
    ['truncated varint', s.uint(), [...header, 0x80], 'truncated varint at offset 3'],
    ['non-canonical varint', s.uint(), [...header, 0x80, 0x00], 'non-canonical varint ending at offset 3'],
    ['varint of 9 bytes', s.uint(), [...header, ...Array<number>(8).fill(0xff), 0x01], 'varint overflow at offset 9 (longer than 8 bytes)'],
    ['varint of 2^53', s.uint(), [...header, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], 'varint overflow at offset 9 (over 2^53 - 1)'],
    ['trailing bytes', s.uint(), [...header, 5, 0, 0], '2 trailing bytes after the message at offset 3'],
    ['non-canonical int', s.int(), [...header, 0x80, 0x00], 'non-canonical int ending at offset 3'],
    ['int of -(2^53)', s.int(), [...header, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f], 'int overflow at offset 9'],
    ['int magnitude of 2^59', s.int(), [...header, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f], 'int overflow at offset 9'],
    ['truncated float', s.float(), [...header, 0, 0, 0], 'truncated float at offset 2'],
    ['NaN', s.float(), [...header, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f], 'non-finite float NaN at offset 2'],
    ['Infinity', s.float(), [...header, 0, 0, 0, 0, 0, 0, 0xf0, 0x7f], 'non-finite float Infinity at offset 2'],
    ['boolean 2', s.boolean(), [...header, 2], 'invalid boolean byte 2 at offset 2'],
    ['presence byte 2', s.nullable(s.uint()), [...header, 2], 'invalid presence byte 2 at offset 2'],
    ['enum index past the values', s.enumOf(['a', 'b']), [...header, 2], 'unknown enum index 2 (2 values)'],
    ['string length over maxBytes', s.string({ maxBytes: 3 }), [...header, 4, 97, 97, 97, 97], 'string length 4 exceeds maxBytes 3'],
    ['string length past the end', s.string({ maxBytes: 9 }), [...header, 3, 97, 97], 'string length 3 runs past the end of the message (2 bytes left)'],
    ['bytes length past the end', s.bytes({ maxBytes: 9 }), [...header, 1], 'bytes length 1 runs past the end of the message (0 bytes left)'],
    ['bytes length over maxBytes', s.bytes({ maxBytes: 0 }), [...header, 1, 0], 'bytes length 1 exceeds maxBytes 0'],
    ['array count over max', s.array(s.uint(), { max: 1 }), [...header, 2, 0, 0], 'array count 2 exceeds max 1'],
    ['UTF-8: lone continuation byte', s.string({ maxBytes: 9 }), [...header, 1, 0x80], 'invalid UTF-8 at offset 3'],
    ['UTF-8: overlong 2-byte', s.string({ maxBytes: 9 }), [...header, 2, 0xc0, 0x80], 'invalid UTF-8 at offset 3'],
    ['UTF-8: overlong 3-byte', s.string({ maxBytes: 9 }), [...header, 3, 0xe0, 0x80, 0x80], 'invalid UTF-8 at offset 4'],
    ['UTF-8: encoded surrogate', s.string({ maxBytes: 9 }), [...header, 3, 0xed, 0xa0, 0x80], 'invalid UTF-8 at offset 4'],
    ['UTF-8: past U+10FFFF', s.string({ maxBytes: 9 }), [...header, 4, 0xf4, 0x90, 0x80, 0x80], 'invalid UTF-8 at offset 4'],
    ['UTF-8: 0xF5', s.string({ maxBytes: 9 }), [...header, 1, 0xf5], 'invalid UTF-8 at offset 3'],
    ['UTF-8: bad third byte', s.string({ maxBytes: 9 }), [...header, 3, 0xe2, 0x82, 0x41], 'invalid UTF-8 at offset 5'],
    ['UTF-8: sequence cut by the length', s.string({ maxBytes: 9 }), [...header, 2, 0xe2, 0x82, 0xac], 'invalid UTF-8 at offset 3 (truncated sequence)'],
    ['unknown union tag', small, [...header, 2], 'type: unknown union tag index 2 (2 variants)'],
    ['a deep path', small, [...header, 0, 1, 97, 2, 5, 0x80], 'clock[1].counter: truncated varint at offset 8'],
    ['a path through an optional', small, [...header, 1, 1, 1, 0x80], 'note: truncated varint at offset 6'],
    ['a float inside a variant', small, [...header, 1, 0, 0, 0, 0], 'ratio: truncated float at offset 5'],
  ])('%s', (_name, schema, input, reason) => {
    expect(codec.decode(schema, new Uint8Array(input))).toEqual({ ok: false, reason });
  });

  it('bounds lazy nesting at lazyDepthMax', () => {
    // Each level: label "" (1 byte: length 0), then children count 1; the innermost has no children.
    const levels = s.lazyDepthMax + 1;
    const input = new Uint8Array([...header, ...Array.from({ length: levels }, () => [0, 1]).flat(), 0, 0]);
    const result = codec.decode(tree, input);
    expect(reasonOf(result)).toMatch(/^children(\[0\]\.children){63}\[0\]: nested deeper than lazyDepthMax 64$/);
  });

  it('tampering with a length field gives the expected outcome', () => {
    const schema = s.object({ blob: s.bytes({ maxBytes: 16 }), tail: s.uint() });
    const good = codec.encode(schema, { blob: bytesOf(1, 2, 3, 4), tail: 300 }); // d7 01 | 04 01 02 03 04 | ac 02
    const withLength = (...length: number[]) => new Uint8Array([...header, ...length, ...good.subarray(3)]);
    expect(reasonOf(codec.decode(schema, withLength(3)))).toBe('2 trailing bytes after the message at offset 7');
    expect(codec.decode(schema, withLength(5))).toEqual({ ok: true, value: { blob: bytesOf(1, 2, 3, 4, 0xac), tail: 2 } });
    expect(reasonOf(codec.decode(schema, withLength(6)))).toBe('tail: truncated varint at offset 9');
    expect(reasonOf(codec.decode(schema, withLength(7)))).toBe('blob: bytes length 7 runs past the end of the message (6 bytes left)');
    expect(reasonOf(codec.decode(schema, withLength(17)))).toBe('blob: bytes length 17 exceeds maxBytes 16');
    expect(reasonOf(codec.decode(schema, withLength(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f)))).toBe('blob: varint overflow at offset 9 (longer than 8 bytes)');
  });
});

describe('encode', () => {
  it('throws on a value that breaks its schema (a programmer error), naming the path', () => {
    expect(() => codec.encode(s.object({ xs: s.array(s.uint(), { max: 3 }) }), { xs: [1, -1] })).toThrow('encode: value does not match its schema: xs[1]: expected uint, got -1');
    expect(() => codec.encode(s.string({ maxBytes: 3 }), 'abcd')).toThrow('encode: value does not match its schema: string of 4 UTF-8 bytes exceeds maxBytes 3');
    expect(() => codec.encodedSizeOf(s.uint(), -1)).toThrow('encodedSizeOf: value does not match its schema: expected uint, got -1');
  });

  it('tryEncode returns the same reasons instead of throwing', () => {
    expect(codec.tryEncode(s.string({ maxBytes: 3 }), 'abcd')).toEqual({ ok: false, reason: 'value does not match its schema: string of 4 UTF-8 bytes exceeds maxBytes 3' });
    expect(codec.tryEncode(s.uint(), 5)).toEqual({ ok: true, bytes: new Uint8Array([...header, 5]) });
  });
});

describe('limits the codec enforces', () => {
  const big = s.bytes({ maxBytes: 2 * limits.messageBytesMax });
  // A message of exactly n bytes: 2 header bytes, a 3-byte length, then the payload.
  const payloadFor = (n: number) => new Uint8Array(n - 2 - 3);

  it('messageBytesMax: a message of exactly the limit passes; one byte more is refused by encode and decode', () => {
    const atLimit = codec.encode(big, payloadFor(limits.messageBytesMax));
    expect(atLimit.length).toBe(limits.messageBytesMax);
    expect(codec.decode(big, atLimit).ok).toBe(true);
    const reason = `message of ${limits.messageBytesMax + 1} bytes exceeds messageBytesMax ${limits.messageBytesMax}`;
    expect(codec.encodedSizeOf(big, payloadFor(limits.messageBytesMax + 1))).toBe(limits.messageBytesMax + 1);
    expect(codec.tryEncode(big, payloadFor(limits.messageBytesMax + 1))).toEqual({ ok: false, reason });
    expect(() => codec.encode(big, payloadFor(limits.messageBytesMax + 1))).toThrow(`encode: ${reason}`);
    const oversize = new Uint8Array(limits.messageBytesMax + 1);
    oversize.set(atLimit);
    expect(codec.decode(big, oversize)).toEqual({ ok: false, reason });
  });

  // Bounds live in the schemas (messages.ts builds them from limits). The wire layout does not carry bounds, so a
  // value one past a bound is forged by encoding it with a looser twin of the schema.
  const boundCases: [string, number, (bound: number) => s.Schema, (n: number) => unknown, string][] = [
    ['keyBytesMax', limits.keyBytesMax, (b) => s.string({ maxBytes: b }), (n) => 'k'.repeat(n), 'string length 513 exceeds maxBytes 512'],
    ['idBytesMax', limits.idBytesMax, (b) => s.string({ maxBytes: b }), (n) => 'i'.repeat(n), 'string length 65 exceeds maxBytes 64'],
    ['valueBytesMax', limits.valueBytesMax, (b) => s.bytes({ maxBytes: b }), (n) => new Uint8Array(n), 'bytes length 65537 exceeds maxBytes 65536'],
    ['clockEntriesMax', limits.clockEntriesMax, (b) => s.array(s.uint(), { max: b }), (n) => Array<number>(n).fill(1), `array count ${limits.clockEntriesMax + 1} exceeds max ${limits.clockEntriesMax}`],
    ['siblingsMax', limits.siblingsMax, (b) => s.array(s.uint(), { max: b }), (n) => Array<number>(n).fill(1), `array count ${limits.siblingsMax + 1} exceeds max ${limits.siblingsMax}`],
    ['membersMax', limits.membersMax, (b) => s.array(s.uint(), { max: b }), (n) => Array<number>(n).fill(1), 'array count 513 exceeds max 512'],
  ];
  it.each(boundCases)('%s: at the bound passes; past it encode throws and decode refuses', (_name, bound, schemaFor, valueOf, reason) => {
    const schema = schemaFor(bound);
    expect(codec.decode(schema, codec.encode(schema, valueOf(bound) as never))).toEqual({ ok: true, value: valueOf(bound) });
    expect(() => codec.encode(schema, valueOf(bound + 1) as never)).toThrow('encode: value does not match its schema');
    const forged = codec.encode(schemaFor(bound + 1), valueOf(bound + 1) as never);
    expect(codec.decode(schema, forged)).toEqual({ ok: false, reason });
  });
});

describe('decoded values are independent of the input buffer', () => {
  const schema = s.object({ a: s.bytes({ maxBytes: 9 }), b: s.array(s.bytes({ maxBytes: 9 }), { max: 2 }), f: s.float() });
  const value = { a: bytesOf(1, 2, 3), b: [bytesOf(4), bytesOf()], f: 2.5 };

  it('overwriting the receive buffer after decode changes no decoded byte', () => {
    const input = codec.encode(schema, value);
    const result = codec.decode(schema, input);
    input.fill(0xee);
    expect(result).toStrictEqual({ ok: true, value });
  });

  it('decodes from a view at an odd offset inside a larger buffer (and from a Node Buffer)', () => {
    const encoded = codec.encode(schema, value);
    const backing = new Uint8Array(encoded.length + 7).fill(0x55);
    backing.set(encoded, 3);
    const view = backing.subarray(3, 3 + encoded.length);
    expect(codec.decode(schema, view)).toStrictEqual({ ok: true, value });
    const result = codec.decode(schema, Buffer.from(encoded));
    expect(result).toStrictEqual({ ok: true, value });
    expect(result.ok && result.value.a.constructor).toBe(Uint8Array);
  });
});

/** Decodes and checks the decoder's whole contract for any input; returns whether it accepted. */
function decodesCleanly(schema: s.Schema, input: Uint8Array): boolean {
  const result = codec.decode(schema, input);
  if (!result.ok) {
    expect(result.reason).not.toBe('');
    expect(result.reason).not.toMatch(/^decoder fault/);
    return false;
  }
  expect(s.problem(schema, result.value)).toBeUndefined();
  // Canonical: whatever decodes re-encodes to exactly the same bytes.
  expect([...codec.encode(schema, result.value)]).toEqual([...input]);
  return true;
}

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'nudge'; readonly at: number; readonly delta: number }
  | { readonly kind: 'varint'; readonly at: number; readonly n: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

const at = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, byte: fc.constantFrom(0, 1, 2, 0x7f, 0x80, 0xff) }),
  fc.record({ kind: fc.constant('nudge' as const), at, delta: fc.constantFrom(-1, 1, 2) }),
  fc.record({ kind: fc.constant('varint' as const), at, n: fc.constantFrom(0, 1, 127, 128, 4096, 65_537, 2 ** 31, 2 ** 53, 2 ** 55) }),
  fc.record({ kind: fc.constant('insert' as const), at, bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('delete' as const), at, count: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
);

function varintBytes(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
  return out;
}

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const i = m.kind === 'append' ? input.length : Math.floor(m.at * input.length);
  const out = [...input];
  switch (m.kind) {
    case 'flip': out[i] = (out[i] as number) ^ (1 << m.bit); break;
    case 'set': out[i] = m.byte; break;
    case 'nudge': out[i] = ((out[i] as number) + m.delta + 256) % 256; break;
    case 'varint': out.splice(i, 1, ...varintBytes(m.n)); break;
    case 'insert': out.splice(i, 0, ...m.bytes); break;
    case 'delete': out.splice(i, m.count); break;
    case 'truncate': out.length = i; break;
    case 'append': out.push(...m.bytes); break;
    default: { const never: never = m; throw new Error(`unknown mutation ${JSON.stringify(never)}`); }
  }
  return new Uint8Array(out);
}

describe('fuzzing: decode never throws, and whatever it accepts is valid and canonical', () => {
  const small = s.union('type', { a: s.object({ n: s.uint(), b: s.boolean() }), b: s.object({ t: s.string({ maxBytes: 4 }), i: s.int() }) });

  it.each([['the rich sample', sample], ['a small union (more random inputs decode)', small]] as const)(
    '10,000 random byte strings against %s', (_name, schema) => {
      const tally = { accepted: 0, refused: 0 };
      const randomBody = fc.uint8Array({ maxLength: 120 });
      const input = fc.oneof(randomBody, randomBody.map((body) => new Uint8Array([...header, ...body])));
      fc.assert(fc.property(input, (bytes) => { tally[decodesCleanly(schema, bytes) ? 'accepted' : 'refused']++; }), { seed: fcSeed, numRuns: 10_000 });
      expect(tally.accepted + tally.refused).toBe(10_000);
      expect(tally.refused).toBeGreaterThan(0);
    });

  it('10,000 mutations of valid encodings (flips, overwrites, length tampering, insertions, deletions, truncations)', () => {
    const tally = { accepted: 0, refused: 0 };
    const perValue = 50;
    fc.assert(fc.property(arbitraryOf(sample, smallCaps), fc.array(mutationArb, { minLength: perValue, maxLength: perValue }), (value, mutations) => {
      const valid = codec.encode(sample, value as Sample);
      for (const m of mutations) {
        const mutated = mutate(valid, m);
        const accepted = decodesCleanly(sample, mutated);
        // A strict prefix or an extension of a valid message is never a valid message.
        if (m.kind === 'truncate' || m.kind === 'append') expect(accepted).toBe(false);
        tally[accepted ? 'accepted' : 'refused']++;
      }
    }), { seed: fcSeed, numRuns: 200 });
    expect(tally.accepted + tally.refused).toBe(200 * perValue);
    // Both outcomes occur: mutations of payload bytes give other valid values, structural ones are refused.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  });
});
