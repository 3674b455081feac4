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
 * The encoding is canonical: every byte string that decodes re-encodes to itself. codec-writer.ts sizes and
 * writes values, codec-reader.ts reads them; this module is the envelope and the entry points.
 *
 * `decode` never throws: any malformed input yields `{ ok: false, reason }`. `encode` throws on a value
 * that breaks its schema (a programmer error) or on a message over limits.messageBytesMax; `tryEncode`
 * returns both as reasons instead, and `encodedSizeOf` tells the size before encoding.
 */
import { Malformed, read, type Reader } from './codec-reader.js';
import { sizeOf, write, type Writer } from './codec-writer.js';
import { limits } from './limits.js';
import * as s from './schema.js';

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
