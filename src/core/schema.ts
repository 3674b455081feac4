/**
 * A tiny schema library: declare the shape of plain data once and get its TypeScript type (`Infer`), a
 * validator whose reason names the path of the first problem ("versions[2].clock[0].counter: expected uint,
 * got -1"), and, in codec.ts, a compact binary encoding. Schemas are plain readonly data that the validator
 * and the codec walk; build them with the functions below, used as `import * as s from './schema.js'`.
 */
import * as utf8 from './utf8.js';

export interface UintSchema { readonly kind: 'uint' }
export interface IntSchema { readonly kind: 'int' }
export interface FloatSchema { readonly kind: 'float' }
export interface BooleanSchema { readonly kind: 'boolean' }
export interface StringSchema { readonly kind: 'string'; readonly maxBytes: number }
export interface BytesSchema { readonly kind: 'bytes'; readonly maxBytes: number }
export type LiteralValue = string | number | boolean;
export interface LiteralSchema<V extends LiteralValue> { readonly kind: 'literal'; readonly value: V }
export interface EnumSchema<V extends string> { readonly kind: 'enum'; readonly values: readonly V[] }
export interface ArraySchema<I extends Schema> { readonly kind: 'array'; readonly item: I; readonly max: number }
export interface OptionalSchema<I extends Schema> { readonly kind: 'optional'; readonly inner: I }
export interface NullableSchema<I extends Schema> { readonly kind: 'nullable'; readonly inner: I }
export type Shape = { readonly [field: string]: Schema };
/** `keys` fixes the field order on the wire: the order of the shape's declaration. */
export interface ObjectSchema<Sh extends Shape> { readonly kind: 'object'; readonly shape: Sh; readonly keys: readonly string[] }
export type Variants = { readonly [tag: string]: ObjectSchema<Shape> };
/** `tags` fixes each variant's index on the wire: the order of declaration (add new variants last). */
export interface UnionSchema<T extends string, V extends Variants> {
  readonly kind: 'union';
  readonly tag: T;
  readonly variants: V;
  readonly tags: readonly string[];
}
/** A schema resolved on use, for recursive data; `T` (given by the caller) is its values' type. */
export interface LazySchema<T> { readonly kind: 'lazy'; readonly get: () => Schema; readonly phantom?: T }

export type Schema =
  | UintSchema | IntSchema | FloatSchema | BooleanSchema | StringSchema | BytesSchema
  | LiteralSchema<LiteralValue> | EnumSchema<string> | ArraySchema<Schema> | OptionalSchema<Schema>
  | NullableSchema<Schema> | ObjectSchema<Shape> | UnionSchema<string, Variants> | LazySchema<unknown>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type OptionalKeys<Sh extends Shape> = { [K in keyof Sh]: Sh[K] extends OptionalSchema<Schema> ? K : never }[keyof Sh];
type InferShape<Sh extends Shape> = Simplify<
  { readonly [K in Exclude<keyof Sh, OptionalKeys<Sh>>]: Infer<Sh[K]> } & { readonly [K in OptionalKeys<Sh>]?: Infer<Sh[K]> }
>;
type InferUnion<T extends string, V extends Variants> = {
  [K in keyof V & string]: V[K] extends ObjectSchema<infer Sh> ? Simplify<{ readonly [P in T]: K } & InferShape<Sh>> : never;
}[keyof V & string];

/** The TypeScript type of the values a schema accepts. */
export type Infer<S> =
  // The wide Schema (e.g. a generic's constraint) has values of any shape; this also keeps it from expanding forever.
  [Schema] extends [S] ? unknown
  : S extends UintSchema | IntSchema | FloatSchema ? number
  : S extends BooleanSchema ? boolean
  : S extends StringSchema ? string
  : S extends BytesSchema ? Uint8Array
  : S extends LiteralSchema<infer V> ? V
  : S extends EnumSchema<infer V> ? V
  : S extends ArraySchema<infer I> ? readonly Infer<I>[]
  : S extends OptionalSchema<infer I> ? Infer<I> | undefined
  : S extends NullableSchema<infer I> ? Infer<I> | null
  : S extends ObjectSchema<infer Sh> ? InferShape<Sh>
  : S extends UnionSchema<infer T, infer V> ? InferUnion<T, V>
  : S extends LazySchema<infer T> ? T
  : never;

/** Deepest nesting of lazy schemas that validate and decode follow (a bound on recursion, hence on the stack). */
export const lazyDepthMax = 64;

function checkBound(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`schema: ${what} must be a non-negative safe integer, got ${n}`);
  return n;
}

function checkFieldName(name: string, where: string): string {
  // Decoding assigns fields to fresh objects: `__proto__` would set the prototype instead.
  if (name === '__proto__') throw new Error(`schema: ${where} may not be named __proto__`);
  return name;
}

/** A non-negative safe integer (0 .. 2^53 - 1). */
export function uint(): UintSchema { return { kind: 'uint' }; }
/** A safe integer (-(2^53 - 1) .. 2^53 - 1). */
export function int(): IntSchema { return { kind: 'int' }; }
/** A finite number (NaN and infinities are refused). */
export function float(): FloatSchema { return { kind: 'float' }; }
export function boolean(): BooleanSchema { return { kind: 'boolean' }; }
/** A well-formed string (no lone surrogates) of at most `maxBytes` bytes in UTF-8. */
export function string(o: { maxBytes: number }): StringSchema { return { kind: 'string', maxBytes: checkBound('maxBytes', o.maxBytes) }; }
/** A Uint8Array of at most `maxBytes` bytes. */
export function bytes(o: { maxBytes: number }): BytesSchema { return { kind: 'bytes', maxBytes: checkBound('maxBytes', o.maxBytes) }; }
/** Exactly one value; costs nothing on the wire. */
export function literal<const V extends LiteralValue>(value: V): LiteralSchema<V> { return { kind: 'literal', value }; }
/** One of a few strings; travels as its index in `values`, so add new values last. */
export function enumOf<const V extends string>(values: readonly V[]): EnumSchema<V> {
  if (values.length === 0 || new Set(values).size !== values.length) throw new Error('schema: enumOf needs distinct values');
  return { kind: 'enum', values: [...values] };
}
export function array<I extends Schema>(item: I, o: { max: number }): ArraySchema<I> {
  return { kind: 'array', item, max: checkBound('max', o.max) };
}
/** As an object field: the field may be absent (or undefined). */
export function optional<I extends Schema>(inner: I): OptionalSchema<I> { return { kind: 'optional', inner }; }
export function nullable<I extends Schema>(inner: I): NullableSchema<I> { return { kind: 'nullable', inner }; }
/** An exact object: every field not optional is required, and unknown fields are refused. */
export function object<const Sh extends Shape>(shape: Sh): ObjectSchema<Sh> {
  const keys = Object.keys(shape).map((k) => checkFieldName(k, 'a field'));
  return { kind: 'object', shape, keys };
}
/**
 * A union of objects told apart by the string field `tag`, whose value is the variant's key. The variants do
 * not declare the tag field themselves: it is implied, and included in the inferred type.
 */
export function union<const T extends string, const V extends Variants>(tag: T, variants: V): UnionSchema<T, V> {
  checkFieldName(tag, 'a union tag field');
  const tags = Object.keys(variants).map((k) => checkFieldName(k, 'a union variant'));
  if (tags.length === 0) throw new Error('schema: a union needs at least one variant');
  for (const name of tags) {
    if (variants[name]?.keys.includes(tag)) throw new Error(`schema: union variant ${name} declares the tag field ${tag}`);
  }
  return { kind: 'union', tag, variants, tags };
}
/** For recursive data: `s.lazy<Tree>(() => tree)`. Nesting is bounded by lazyDepthMax. */
export function lazy<T>(get: () => Schema): LazySchema<T> { return { kind: 'lazy', get }; }

/** Length in UTF-8 bytes of a string, or -1 when it is not well-formed UTF-16 (see utf8.ts). */
export const utf8Length = utf8.length;

/** A short description of any value, for reasons. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
    case 'number': case 'boolean': case 'bigint': case 'undefined': return String(value);
    default: return typeof value;
  }
}

/** Where a problem is: a path built only on the way out of a failure (no cost on success). */
interface Failure { path: string; readonly message: string }

/** Joins a path segment ("clock" or "[2]") in front of a failure's path. */
export function joinPath(segment: string, rest: string): string {
  if (rest === '') return segment;
  return rest.startsWith('[') ? `${segment}${rest}` : `${segment}.${rest}`;
}

export type ValidateResult<S> = { readonly ok: true; readonly value: Infer<S> } | { readonly ok: false; readonly reason: string };

/** Checks that `data` is a value of `schema`; the reason names the path of the first problem found. */
export function validate<S extends Schema>(schema: S, data: unknown): ValidateResult<S> {
  const reason = problem(schema, data);
  return reason === undefined ? { ok: true, value: data as Infer<S> } : { ok: false, reason };
}

/** The reason `data` is not a value of `schema`, or undefined when it is (validate without the typing). */
export function problem(schema: Schema, data: unknown): string | undefined {
  const failure = check(schema, data, 0);
  if (failure === undefined) return undefined;
  return failure.path === '' ? failure.message : `${failure.path}: ${failure.message}`;
}

function fail(message: string): Failure { return { path: '', message }; }

function check(schema: Schema, v: unknown, lazyDepth: number): Failure | undefined {
  switch (schema.kind) {
    case 'uint': return Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : fail(`expected uint, got ${describe(v)}`);
    case 'int': return Number.isSafeInteger(v) ? undefined : fail(`expected int, got ${describe(v)}`);
    case 'float': return Number.isFinite(v) ? undefined : fail(`expected finite number, got ${describe(v)}`);
    case 'boolean': return typeof v === 'boolean' ? undefined : fail(`expected boolean, got ${describe(v)}`);
    case 'string': return checkString(schema, v);
    case 'bytes':
      if (!(v instanceof Uint8Array)) return fail(`expected Uint8Array, got ${describe(v)}`);
      return v.length <= schema.maxBytes ? undefined : fail(`${v.length} bytes exceed maxBytes ${schema.maxBytes}`);
    case 'literal': return v === schema.value ? undefined : fail(`expected ${describe(schema.value)}, got ${describe(v)}`);
    case 'enum':
      return (schema.values as readonly unknown[]).includes(v) ? undefined
        : fail(`expected one of ${schema.values.map(describe).join(' | ')}, got ${describe(v)}`);
    case 'array': return checkArray(schema, v, lazyDepth);
    case 'optional': return v === undefined ? undefined : check(schema.inner, v, lazyDepth);
    case 'nullable': return v === null ? undefined : check(schema.inner, v, lazyDepth);
    case 'object': return isRecord(v) ? checkFields(schema, v, undefined, lazyDepth) : fail(`expected object, got ${describe(v)}`);
    case 'union': return checkUnion(schema, v, lazyDepth);
    case 'lazy':
      if (lazyDepth >= lazyDepthMax) return fail(`nested deeper than lazyDepthMax ${lazyDepthMax}`);
      return check(schema.get(), v, lazyDepth + 1);
    default: return unreachable(schema);
  }
}

export function unreachable(x: never): never { throw new Error(`schema: unknown schema kind ${JSON.stringify(x)}`); }

function isRecord(v: unknown): v is Readonly<Record<string, unknown>> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

function checkString(schema: StringSchema, v: unknown): Failure | undefined {
  if (typeof v !== 'string') return fail(`expected string, got ${describe(v)}`);
  const n = utf8Length(v);
  if (n < 0) return fail('string is not well-formed UTF-16 (lone surrogate)');
  return n <= schema.maxBytes ? undefined : fail(`string of ${n} UTF-8 bytes exceeds maxBytes ${schema.maxBytes}`);
}

function checkArray(schema: ArraySchema<Schema>, v: unknown, lazyDepth: number): Failure | undefined {
  if (!Array.isArray(v)) return fail(`expected array, got ${describe(v)}`);
  if (v.length > schema.max) return fail(`array of ${v.length} items exceeds max ${schema.max}`);
  for (let i = 0; i < v.length; i++) {
    const failure = check(schema.item, v[i], lazyDepth);
    if (failure !== undefined) { failure.path = joinPath(`[${i}]`, failure.path); return failure; }
  }
  return undefined;
}

/** `tag`, when given, is the one field allowed beyond the shape (a union's tag, checked by the caller). */
function checkFields(schema: ObjectSchema<Shape>, v: Readonly<Record<string, unknown>>, tag: string | undefined, lazyDepth: number): Failure | undefined {
  for (const key of schema.keys) {
    const field = schema.shape[key] as Schema;
    const value = v[key];
    let failure: Failure | undefined;
    if (value === undefined && field.kind !== 'optional' && !Object.prototype.hasOwnProperty.call(v, key)) failure = fail('missing required field');
    else failure = check(field, value, lazyDepth);
    if (failure !== undefined) { failure.path = joinPath(key, failure.path); return failure; }
  }
  for (const key of Object.keys(v)) {
    if (key !== tag && !Object.prototype.hasOwnProperty.call(schema.shape, key)) return { path: key, message: 'unknown field' };
  }
  return undefined;
}

function checkUnion(schema: UnionSchema<string, Variants>, v: unknown, lazyDepth: number): Failure | undefined {
  if (!isRecord(v)) return fail(`expected object, got ${describe(v)}`);
  const tag = v[schema.tag];
  const variant = typeof tag === 'string' && Object.prototype.hasOwnProperty.call(schema.variants, tag) ? schema.variants[tag] : undefined;
  if (variant === undefined) {
    return { path: schema.tag, message: `expected one of ${schema.tags.map(describe).join(' | ')}, got ${describe(tag)}` };
  }
  return checkFields(variant, v, schema.tag, lazyDepth);
}
