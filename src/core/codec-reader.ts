/**
 * The decoding half of codec.ts: reads one value of a schema and checks every bound before it allocates
 * (lengths, counts, nesting). A malformed input throws Malformed, which codec.decode turns into a reason;
 * nothing else is thrown. The formats of each kind are listed in codec.ts.
 */
import * as s from './schema.js';
import * as utf8 from './utf8.js';

/** The bytes being decoded and the position of the next byte to read. */
export interface Reader { readonly buf: Uint8Array; view: DataView | undefined; pos: number }

function dataView(r: Reader): DataView {
  r.view ??= new DataView(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength);
  return r.view;
}

/** A decoding failure; `path` grows on the way out ("versions[2].clock"). Caught in decode, never escapes. */
export class Malformed {
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

/** Reads one value of `schema`; throws Malformed when the bytes are not a canonical encoding of one. */
export function read(r: Reader, schema: s.Schema, lazyDepth: number): unknown {
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
