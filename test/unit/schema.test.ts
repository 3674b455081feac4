// Specification of the schema library: what each combinator accepts, the exact reason it gives for what it
// refuses (naming the path), and the TypeScript type it infers.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as s from '../../src/core/schema.js';

const clockEntry = s.object({ actor: s.string({ maxBytes: 8 }), counter: s.uint(), tick: s.uint() });
const version = s.object({ clock: s.array(clockEntry, { max: 3 }), value: s.nullable(s.bytes({ maxBytes: 4 })), note: s.optional(s.string({ maxBytes: 5 })) });
const message = s.union('type', {
  put: s.object({ key: s.string({ maxBytes: 10 }), versions: s.array(version, { max: 4 }) }),
  ack: s.object({ ok: s.boolean(), mode: s.enumOf(['fast', 'slow']) }),
});

const entry = (counter: unknown) => ({ actor: 'a', counter, tick: 1 });

describe('validate: scalars', () => {
  it.each<[string, s.Schema, unknown, string | undefined]>([
    ['uint accepts 0', s.uint(), 0, undefined],
    ['uint accepts 2^53 - 1', s.uint(), Number.MAX_SAFE_INTEGER, undefined],
    ['uint refuses -1', s.uint(), -1, 'expected uint, got -1'],
    ['uint refuses 2^53', s.uint(), 2 ** 53, 'expected uint, got 9007199254740992'],
    ['uint refuses 1.5', s.uint(), 1.5, 'expected uint, got 1.5'],
    ['uint refuses a numeric string', s.uint(), '1', 'expected uint, got "1"'],
    ['int accepts -(2^53 - 1)', s.int(), -Number.MAX_SAFE_INTEGER, undefined],
    ['int refuses NaN', s.int(), NaN, 'expected int, got NaN'],
    ['float accepts -0.5', s.float(), -0.5, undefined],
    ['float refuses Infinity', s.float(), Infinity, 'expected finite number, got Infinity'],
    ['float refuses null', s.float(), null, 'expected finite number, got null'],
    ['boolean refuses 1', s.boolean(), 1, 'expected boolean, got 1'],
    ['string accepts exactly maxBytes UTF-8 bytes', s.string({ maxBytes: 4 }), '\u{1F600}', undefined],
    ['string counts UTF-8 bytes, not code units', s.string({ maxBytes: 3 }), '\u{1F600}', 'string of 4 UTF-8 bytes exceeds maxBytes 3'],
    ['string counts 3 bytes for a BMP char', s.string({ maxBytes: 5 }), 'é€', undefined],
    ['string refuses a lone surrogate', s.string({ maxBytes: 10 }), 'a\ud800b', 'string is not well-formed UTF-16 (lone surrogate)'],
    ['string refuses a reversed surrogate pair', s.string({ maxBytes: 10 }), '\udc00\ud800', 'string is not well-formed UTF-16 (lone surrogate)'],
    ['string refuses undefined', s.string({ maxBytes: 1 }), undefined, 'expected string, got undefined'],
    ['bytes accepts empty', s.bytes({ maxBytes: 0 }), new Uint8Array(0), undefined],
    ['bytes refuses over maxBytes', s.bytes({ maxBytes: 2 }), new Uint8Array(3), '3 bytes exceed maxBytes 2'],
    ['bytes refuses a plain array', s.bytes({ maxBytes: 2 }), [1, 2], 'expected Uint8Array, got array'],
    ['literal accepts its value', s.literal('x'), 'x', undefined],
    ['literal refuses another', s.literal('x'), 'y', 'expected "x", got "y"'],
    ['enum refuses a non-member', s.enumOf(['a', 'b']), 'c', 'expected one of "a" | "b", got "c"'],
    ['nullable accepts null', s.nullable(s.uint()), null, undefined],
    ['nullable still checks its inner value', s.nullable(s.uint()), -2, 'expected uint, got -2'],
    ['a long string is shortened in reasons', s.uint(), 'x'.repeat(50), `expected uint, got "${'x'.repeat(40)}..."`],
  ])('%s', (_name, schema, value, reason) => {
    const result = s.validate(schema, value);
    expect(result.ok ? undefined : result.reason).toBe(reason);
  });
});

describe('validate: structures, with the path of the first problem', () => {
  const goodPut = { type: 'put', key: 'k', versions: [{ clock: [entry(1), entry(2)], value: new Uint8Array([1]) }, { clock: [], value: null, note: 'hi' }] };
  it.each<[string, unknown, string | undefined]>([
    ['a good put', goodPut, undefined],
    ['a good ack', { type: 'ack', ok: true, mode: 'slow' }, undefined],
    ['an optional field set to undefined counts as absent', { ...goodPut, versions: [{ clock: [], value: null, note: undefined }] }, undefined],
    ['a deep bad counter', { ...goodPut, versions: [goodPut.versions[0], { clock: [entry(1), entry(-1)], value: null }] }, 'versions[1].clock[1].counter: expected uint, got -1'],
    ['a missing required field', { type: 'put', key: 'k' }, 'versions: missing required field'],
    ['a required field present but undefined', { type: 'put', key: 'k', versions: undefined }, 'versions: expected array, got undefined'],
    ['an unknown field', { type: 'ack', ok: true, mode: 'fast', extra: 1 }, 'extra: unknown field'],
    ['an unknown nested field', { ...goodPut, versions: [{ clock: [{ ...entry(1), x: 0 }], value: null }] }, 'versions[0].clock[0].x: unknown field'],
    ['a field of another variant', { type: 'ack', ok: true, mode: 'fast', key: 'k' }, 'key: unknown field'],
    ['an unknown tag', { type: 'get', key: 'k' }, 'type: expected one of "put" | "ack", got "get"'],
    ['a missing tag', { key: 'k' }, 'type: expected one of "put" | "ack", got undefined'],
    ['an inherited name as tag', { type: 'toString' }, 'type: expected one of "put" | "ack", got "toString"'],
    ['an array over max', { ...goodPut, versions: [{ clock: [entry(1), entry(1), entry(1), entry(1)], value: null }] }, 'versions[0].clock: array of 4 items exceeds max 3'],
    ['an array where an object belongs', [], 'expected object, got array'],
    ['bytes where an object belongs', new Uint8Array(1), 'expected object, got Uint8Array(1)'],
    ['null at the root', null, 'expected object, got null'],
    ['a nullable bytes over its bound', { ...goodPut, versions: [{ clock: [], value: new Uint8Array(5) }] }, 'versions[0].value: 5 bytes exceed maxBytes 4'],
  ])('%s', (_name, value, reason) => {
    const result = s.validate(message, value);
    expect(result.ok ? undefined : result.reason).toBe(reason);
  });

  it('returns the value itself when valid', () => {
    const result = s.validate(message, goodPut);
    expect(result.ok && result.value).toBe(goodPut);
  });
});

describe('schema construction refuses mistakes (programmer errors throw)', () => {
  it.each<[string, () => unknown, string]>([
    ['a negative bound', () => s.string({ maxBytes: -1 }), 'maxBytes must be a non-negative safe integer, got -1'],
    ['a fractional max', () => s.array(s.uint(), { max: 1.5 }), 'max must be a non-negative safe integer, got 1.5'],
    ['an empty enum', () => s.enumOf([]), 'enumOf needs distinct values'],
    ['a duplicated enum value', () => s.enumOf(['a', 'a']), 'enumOf needs distinct values'],
    ['an empty union', () => s.union('type', {}), 'a union needs at least one variant'],
    ['a variant declaring the tag', () => s.union('type', { a: s.object({ type: s.string({ maxBytes: 1 }) }) }), 'union variant a declares the tag field type'],
    ['a union tag named __proto__', () => s.union('__proto__', { a: s.object({}) }), 'a union tag field may not be named __proto__'],
    ['a field named __proto__', () => s.object(JSON.parse('{"__proto__": {"kind": "uint"}}') as s.Shape), 'a field may not be named __proto__'],
  ])('%s', (_name, build, message) => {
    expect(build).toThrow(message);
  });
});

describe('lazy (recursive) schemas', () => {
  interface Tree { readonly label: string; readonly children: readonly Tree[] }
  const tree: s.LazySchema<Tree> = s.lazy<Tree>(() => s.object({ label: s.string({ maxBytes: 4 }), children: s.array(tree, { max: 2 }) }));
  const nest = (depth: number): Tree => (depth === 0 ? { label: 'leaf', children: [] } : { label: 'n', children: [nest(depth - 1)] });

  it('validates recursive data and names deep paths', () => {
    expect(s.validate(tree, nest(3)).ok).toBe(true);
    const bad = { label: 'a', children: [{ label: 'b', children: [{ label: 'too long', children: [] }] }] };
    expect(s.validate(tree, bad)).toEqual({ ok: false, reason: 'children[0].children[0].label: string of 8 UTF-8 bytes exceeds maxBytes 4' });
  });

  it('bounds the nesting at lazyDepthMax', () => {
    expect(s.validate(tree, nest(s.lazyDepthMax - 1)).ok).toBe(true);
    const result = s.validate(tree, nest(s.lazyDepthMax));
    expect(result.ok ? '' : result.reason).toMatch(/^children(\[0\]\.children){63}\[0\]: nested deeper than lazyDepthMax 64$/);
  });
});

describe('Infer', () => {
  it('gives the readonly TypeScript type of a schema, with the union tag implied by its key', () => {
    type Message = s.Infer<typeof message>;
    expectTypeOf<Extract<Message, { type: 'ack' }>>().toEqualTypeOf<{ readonly type: 'ack'; readonly ok: boolean; readonly mode: 'fast' | 'slow' }>();
    type Version = s.Infer<typeof version>;
    expectTypeOf<Version>().toEqualTypeOf<{
      readonly clock: readonly { readonly actor: string; readonly counter: number; readonly tick: number }[];
      readonly value: Uint8Array | null;
      readonly note?: string | undefined;
    }>();
    expectTypeOf<s.Infer<ReturnType<typeof s.literal<'x'>>>>().toEqualTypeOf<'x'>();
  });
});
