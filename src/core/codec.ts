/**
 * The versioned binary wire format of peer messages, driven by a schema (schema.ts). Values are arbitrary
 * bytes, hence binary rather than JSON.
 *
 * Envelope: the magic byte 0xD7, the format version (1), then the root value:
 *   uint        LEB128 varint, at most 8 bytes, canonical (no trailing zero groups)
 *   int         first byte: bit 7 continuation, bits 6..1 the low 6 bits of m, bit 0 the sign; then varint
 *               m >> 6 (>= 1) when continued; m = n for n >= 0, m = -n - 1 for n < 0
 *   float       8 bytes, IEEE 754 little-endian, finite only
 *   boolean     one byte, 0 or 1
 *   string      varint byte length, then strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF)
 *   bytes       varint length, then the bytes
 *   literal     nothing
 *   enum        varint index of the value in the schema's list
 *   array       varint count, then the items
 *   optional, nullable   presence byte (0 absent, 1 present), then the value when present
 *   object      the fields in declaration order
 *   union       varint index of the variant in declaration order, then its fields
 * The encoding is canonical: every byte string that decodes re-encodes to itself.
 *
 * `decode` never throws: any malformed input yields `{ ok: false, reason }`. `encode` throws on a value
 * that breaks its schema (a programmer error) or on a message over limits.messageBytesMax; `tryEncode`
 * returns both as reasons instead, and `encodedSizeOf` tells the size before encoding.
 */
import { limits } from './limits.js';
import * as s from './schema.js';
import * as utf8 from './utf8.js';

export const wireMagic = 0xd7;
export const wireVersion = 1;
const headerBytes = 2;

export type DecodeResult<S> = { readonly ok: true; readonly value: s.Infer<S> } | { readonly ok: false; readonly reason: string };
export type EncodeResult = { readonly ok: true; readonly bytes: Uint8Array } | { readonly ok: false; readonly reason: string };

/** Encodes a value of `schema`, or says why not: the value breaks its schema, or the message is oversize. */
export function tryEncode<S extends s.Schema>(schema: S, value: s.Infer<S>): EncodeResult {
  const problem = s.problem(schema, value);
  if (problem !== undefined) return { ok: false, reason: `value does not match its schema: ${problem}` };
  const size = headerBytes + sizeOf(schema, value, 0);
  if (size > limits.messageBytesMax) return { ok: false, reason: `message of ${size} bytes exceeds messageBytesMax ${limits.messageBytesMax}` };
  const w: Writer = { buf: new Uint8Array(size), view: undefined, pos: 0 };
  w.buf[0] = wireMagic;
  w.buf[1] = wireVersion;
  w.pos = headerBytes;
  write(w, schema, value);
  if (w.pos !== size) throw new Error(`codec: wrote ${w.pos} bytes, sized ${size}`);
  return { ok: true, bytes: w.buf };
}

/** Encodes a value of `schema`; throws (a programmer error) when it breaks its schema or is oversize. */
export function encode<S extends s.Schema>(schema: S, value: s.Infer<S>): Uint8Array {
  const result = tryEncode(schema, value);
  if (!result.ok) throw new Error(`encode: ${result.reason}`);
  return result.bytes;
}

/** Size in bytes of the encoded message, header included; throws when the value breaks its schema. */
export function encodedSizeOf<S extends s.Schema>(schema: S, value: s.Infer<S>): number {
  const problem = s.problem(schema, value);
  if (problem !== undefined) throw new Error(`encodedSizeOf: value does not match its schema: ${problem}`);
  return headerBytes + sizeOf(schema, value, 0);
}

/** Decodes one whole message. Never throws; the reason names what is wrong and, inside the value, where. */
export function decode<S extends s.Schema>(schema: S, bytes: Uint8Array): DecodeResult<S> {
  if (bytes.length > limits.messageBytesMax) {
    return { ok: false, reason: `message of ${bytes.length} bytes exceeds messageBytesMax ${limits.messageBytesMax}` };
  }
  if (bytes.length === 0) return { ok: false, reason: 'empty message' };
  if (bytes[0] !== wireMagic) return { ok: false, reason: `bad magic byte ${hex(bytes[0])} (expected ${hex(wireMagic)})` };
  if (bytes.length === 1) return { ok: false, reason: 'truncated: no wire version byte' };
  if (bytes[1] !== wireVersion) return { ok: false, reason: `unknown wire version ${bytes[1]}` };
  const r: Reader = { buf: bytes, view: undefined, pos: headerBytes };
  try {
    const value = read(r, schema, 0);
    if (r.pos !== bytes.length) return { ok: false, reason: `${bytes.length - r.pos} trailing bytes after the message at offset ${r.pos}` };
    return { ok: true, value: value as s.Infer<S> };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, reason: e.path === '' ? e.message : `${e.path}: ${e.message}` };
    // Not reachable by design (the reader checks every bound); still a reason, so nothing is thrown into the core.
    return { ok: false, reason: `decoder fault: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function hex(b: number | undefined): string { return `0x${(b ?? 0).toString(16).padStart(2, '0')}`; }

interface Writer { readonly buf: Uint8Array; view: DataView | undefined; pos: number }
interface Reader { readonly buf: Uint8Array; view: DataView | undefined; pos: number }

function dataView(x: Writer | Reader): DataView {
  x.view ??= new DataView(x.buf.buffer, x.buf.byteOffset, x.buf.byteLength);
  return x.view;
}

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) { n = Math.floor(n / 0x80); size++; }
  return size;
}

function intMagnitude(n: number): number { return n < 0 ? -n - 1 : n; }

function intSize(n: number): number {
  const m = intMagnitude(n);
  return m < 64 ? 1 : 1 + varintSize(Math.floor(m / 64));
}

/** Size of a validated value's encoding (the header excluded). */
function sizeOf(schema: s.Schema, v: unknown, lazyDepth: number): number {
  switch (schema.kind) {
    case 'uint': return varintSize(v as number);
    case 'int': return intSize(v as number);
    case 'float': return 8;
    case 'boolean': return 1;
    case 'string': { const n = utf8.length(v as string); return varintSize(n) + n; }
    case 'bytes': { const n = (v as Uint8Array).length; return varintSize(n) + n; }
    case 'literal': return 0;
    case 'enum': return varintSize(schema.values.indexOf(v as string));
    case 'array': {
      const items = v as readonly unknown[];
      let size = varintSize(items.length);
      for (const item of items) size += sizeOf(schema.item, item, lazyDepth);
      return size;
    }
    case 'optional': return v === undefined ? 1 : 1 + sizeOf(schema.inner, v, lazyDepth);
    case 'nullable': return v === null ? 1 : 1 + sizeOf(schema.inner, v, lazyDepth);
    case 'object': return fieldsSize(schema, v as Record<string, unknown>, lazyDepth);
    case 'union': {
      const tag = (v as Record<string, unknown>)[schema.tag] as string;
      return varintSize(schema.tags.indexOf(tag)) + fieldsSize(schema.variants[tag] as s.ObjectSchema<s.Shape>, v as Record<string, unknown>, lazyDepth);
    }
    case 'lazy': return sizeOf(schema.get(), v, lazyDepth + 1);
    default: return s.unreachable(schema);
  }
}

function fieldsSize(schema: s.ObjectSchema<s.Shape>, v: Readonly<Record<string, unknown>>, lazyDepth: number): number {
  let size = 0;
  for (const key of schema.keys) size += sizeOf(schema.shape[key] as s.Schema, v[key], lazyDepth);
  return size;
}

function writeVarint(w: Writer, n: number): void {
  while (n >= 0x80) { w.buf[w.pos++] = (n % 0x80) | 0x80; n = Math.floor(n / 0x80); }
  w.buf[w.pos++] = n;
}

/** Writes a validated value into a buffer sized by sizeOf. */
function write(w: Writer, schema: s.Schema, v: unknown): void {
  switch (schema.kind) {
    case 'uint': writeVarint(w, v as number); return;
    case 'int': {
      const n = v as number;
      const m = intMagnitude(n);
      const sign = n < 0 ? 1 : 0;
      if (m < 64) { w.buf[w.pos++] = (m << 1) | sign; return; }
      w.buf[w.pos++] = 0x80 | ((m % 64) << 1) | sign;
      writeVarint(w, Math.floor(m / 64));
      return;
    }
    case 'float': dataView(w).setFloat64(w.pos, v as number, true); w.pos += 8; return;
    case 'boolean': w.buf[w.pos++] = v ? 1 : 0; return;
    case 'string': writeVarint(w, utf8.length(v as string)); w.pos = utf8.encodeInto(w.buf, w.pos, v as string); return;
    case 'bytes': writeVarint(w, (v as Uint8Array).length); w.buf.set(v as Uint8Array, w.pos); w.pos += (v as Uint8Array).length; return;
    case 'literal': return;
    case 'enum': writeVarint(w, schema.values.indexOf(v as string)); return;
    case 'array':
      writeVarint(w, (v as readonly unknown[]).length);
      for (const item of v as readonly unknown[]) write(w, schema.item, item);
      return;
    case 'optional': w.buf[w.pos++] = v === undefined ? 0 : 1; if (v !== undefined) write(w, schema.inner, v); return;
    case 'nullable': w.buf[w.pos++] = v === null ? 0 : 1; if (v !== null) write(w, schema.inner, v); return;
    case 'object': writeFields(w, schema, v as Record<string, unknown>); return;
    case 'union': {
      const tag = (v as Record<string, unknown>)[schema.tag] as string;
      writeVarint(w, schema.tags.indexOf(tag));
      writeFields(w, schema.variants[tag] as s.ObjectSchema<s.Shape>, v as Record<string, unknown>);
      return;
    }
    case 'lazy': write(w, schema.get(), v); return;
    default: s.unreachable(schema);
  }
}

function writeFields(w: Writer, schema: s.ObjectSchema<s.Shape>, v: Readonly<Record<string, unknown>>): void {
  for (const key of schema.keys) write(w, schema.shape[key] as s.Schema, v[key]);
}

/** A decoding failure; `path` grows on the way out ("versions[2].clock"). Caught in decode, never escapes. */
class Malformed {
  path = '';
  constructor(readonly message: string) {}
}

function readVarint(r: Reader): number {
  const buf = r.buf;
  const first = buf[r.pos];
  if (first === undefined) throw new Malformed(`truncated varint at offset ${r.pos}`);
  r.pos++;
  if (first < 0x80) return first;
  let n = first & 0x7f;
  let scale = 0x80;
  for (let i = 1; i < 8; i++) {
    const b = buf[r.pos];
    if (b === undefined) throw new Malformed(`truncated varint at offset ${r.pos}`);
    r.pos++;
    n += (b & 0x7f) * scale;
    if (b < 0x80) {
      if (b === 0) throw new Malformed(`non-canonical varint ending at offset ${r.pos - 1}`);
      if (n > Number.MAX_SAFE_INTEGER) throw new Malformed(`varint overflow at offset ${r.pos - 1} (over 2^53 - 1)`);
      return n;
    }
    scale *= 0x80;
  }
  throw new Malformed(`varint overflow at offset ${r.pos - 1} (longer than 8 bytes)`);
}

/**
 * Reads a varint length or count and checks it against its bound (named `bound` in reasons) before anything
 * is allocated.
 */
function readLength(r: Reader, what: string, bound: string, max: number): number {
  const n = readVarint(r);
  if (n > max) throw new Malformed(`${what} ${n} exceeds ${bound} ${max}`);
  return n;
}

/** A length of bytes that follow: within its bound and within the message. */
function readBytesLength(r: Reader, what: string, max: number): number {
  const n = readLength(r, `${what} length`, 'maxBytes', max);
  const left = r.buf.length - r.pos;
  if (n > left) throw new Malformed(`${what} length ${n} runs past the end of the message (${left} bytes left)`);
  return n;
}

function readInt(r: Reader): number {
  const first = r.buf[r.pos];
  if (first === undefined) throw new Malformed(`truncated int at offset ${r.pos}`);
  r.pos++;
  const sign = first & 1;
  let m = (first >> 1) & 0x3f;
  if (first & 0x80) {
    const high = readVarint(r);
    if (high === 0) throw new Malformed(`non-canonical int ending at offset ${r.pos - 1}`);
    if (high > Math.floor(Number.MAX_SAFE_INTEGER / 64)) throw new Malformed(`int overflow at offset ${r.pos - 1}`);
    m += high * 64;
    // m is at most 2^53 - 1 here; its negative, -(m + 1), must stay safe too.
    if (sign && m === Number.MAX_SAFE_INTEGER) throw new Malformed(`int overflow at offset ${r.pos - 1}`);
  }
  return sign ? -m - 1 : m;
}

function readByte(r: Reader, what: string): number {
  const b = r.buf[r.pos];
  if (b === undefined) throw new Malformed(`truncated ${what} at offset ${r.pos}`);
  r.pos++;
  return b;
}

function readPresence(r: Reader): boolean {
  const b = readByte(r, 'presence byte');
  if (b > 1) throw new Malformed(`invalid presence byte ${b} at offset ${r.pos - 1}`);
  return b === 1;
}

function read(r: Reader, schema: s.Schema, lazyDepth: number): unknown {
  switch (schema.kind) {
    case 'uint': return readVarint(r);
    case 'int': return readInt(r);
    case 'float': {
      if (r.buf.length - r.pos < 8) throw new Malformed(`truncated float at offset ${r.pos}`);
      const x = dataView(r).getFloat64(r.pos, true);
      if (!Number.isFinite(x)) throw new Malformed(`non-finite float ${x} at offset ${r.pos}`);
      r.pos += 8;
      return x;
    }
    case 'boolean': {
      const b = readByte(r, 'boolean');
      if (b > 1) throw new Malformed(`invalid boolean byte ${b} at offset ${r.pos - 1}`);
      return b === 1;
    }
    case 'string': return readUtf8(r, readBytesLength(r, 'string', schema.maxBytes));
    case 'bytes': {
      const n = readBytesLength(r, 'bytes', schema.maxBytes);
      // A copy: the decoded value must not alias a receive buffer that the transport may reuse.
      const out = new Uint8Array(n);
      out.set(r.buf.subarray(r.pos, r.pos + n));
      r.pos += n;
      return out;
    }
    case 'literal': return schema.value;
    case 'enum': {
      const index = readVarint(r);
      const value = schema.values[index];
      if (value === undefined) throw new Malformed(`unknown enum index ${index} (${schema.values.length} values)`);
      return value;
    }
    case 'array': {
      const count = readLength(r, 'array count', 'max', schema.max);
      const items: unknown[] = [];
      let i = 0;
      try {
        for (; i < count; i++) items.push(read(r, schema.item, lazyDepth));
      } catch (e) {
        if (e instanceof Malformed) e.path = s.joinPath(`[${i}]`, e.path);
        throw e;
      }
      return items;
    }
    case 'optional': return readPresence(r) ? read(r, schema.inner, lazyDepth) : undefined;
    case 'nullable': return readPresence(r) ? read(r, schema.inner, lazyDepth) : null;
    case 'object': return readFields(r, schema, {}, lazyDepth);
    case 'union': {
      const index = readVarint(r);
      const tag = schema.tags[index];
      if (tag === undefined) {
        const e = new Malformed(`unknown union tag index ${index} (${schema.tags.length} variants)`);
        e.path = schema.tag;
        throw e;
      }
      return readFields(r, schema.variants[tag] as s.ObjectSchema<s.Shape>, { [schema.tag]: tag }, lazyDepth);
    }
    case 'lazy':
      if (lazyDepth >= s.lazyDepthMax) throw new Malformed(`nested deeper than lazyDepthMax ${s.lazyDepthMax}`);
      return read(r, schema.get(), lazyDepth + 1);
    default: return s.unreachable(schema);
  }
}

function readFields(r: Reader, schema: s.ObjectSchema<s.Shape>, out: Record<string, unknown>, lazyDepth: number): Record<string, unknown> {
  const keys = schema.keys;
  let i = 0;
  try {
    for (; i < keys.length; i++) {
      const key = keys[i] as string;
      const value = read(r, schema.shape[key] as s.Schema, lazyDepth);
      // An absent optional field is left out rather than set to undefined.
      if (value !== undefined) out[key] = value;
    }
  } catch (e) {
    if (e instanceof Malformed) e.path = s.joinPath(keys[i] as string, e.path);
    throw e;
  }
  return out;
}

/** Decodes `n` bytes of strict UTF-8 at the reader's position. */
function readUtf8(r: Reader, n: number): string {
  const decoded = utf8.decodeStrict(r.buf, r.pos, r.pos + n);
  if (!decoded.ok) throw new Malformed(decoded.reason);
  r.pos += n;
  return decoded.text;
}
