/**
 * The encoding half of codec.ts: the exact size of a validated value's encoding, and writing it into a
 * buffer of that size. Values reach here already checked against their schema (codec.ts), so nothing here
 * validates; the formats of each kind are listed in codec.ts.
 */
import * as s from './schema.js';
import * as utf8 from './utf8.js';

/** A buffer sized by sizeOf and the position of the next byte to write. */
export interface Writer { readonly buf: Uint8Array; view: DataView | undefined; pos: number }

function dataView(w: Writer): DataView {
  w.view ??= new DataView(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
  return w.view;
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
export function sizeOf(schema: s.Schema, v: unknown, lazyDepth: number): number {
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
export function write(w: Writer, schema: s.Schema, v: unknown): void {
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
