/**
 * Versions: a value with the dot and past of the write that made it (dvv.ts), its value hash (integrity, checked
 * on every storage read) and its digest (identity: equal versions on two replicas have equal digests, which
 * is what the Merkle trees compare).
 *
 * Canonical encodings (stable across Node and browsers; change them only with a format version bump):
 *   valueHash = hex MD5( utf8(kind) || 0x00 || bytes )
 *   digest    = hex MD5( utf8( "v2|" + dotActorLength ":" dotActor ":" dotCounter
 *                               + "|" + for each past entry in actor order: actorLength ":" actor ":" counter ";"
 *                               + "|" + valueHash ) )
 *               + ( "|op:" + opLength ":" op )   only when the version has an op id (forward.ts), so a version
 *                                                  stored before op ids existed keeps its digest
 *   (lengths count UTF-16 code units, counters in decimal; the length prefixes make the text unambiguous.)
 * The timestamp is left out of the digest: it describes when, not what (it is used by the 'lww' control only).
 */
import * as hash from './hash.js';
import type { Dot, Value, ValueKind, Version, VersionMeta, VV } from './types.js';

/** A UTF-8 text value. */
export function stringValue(text: string): Value {
  return { kind: 'string', bytes: hash.utf8(text) };
}

/** A raw bytes value (the bytes are copied, so later changes to the caller's array do not leak in). */
export function bytesValue(bytes: Uint8Array): Value {
  return { kind: 'bytes', bytes: bytes.slice() };
}

/** The value a delete leaves behind: no bytes. */
export function tombstone(): Value {
  return { kind: 'tombstone', bytes: new Uint8Array(0) };
}

/** Hex MD5 over the value's kind and bytes. */
export function valueHashOf(value: Value): string {
  const kind = hash.utf8(value.kind);
  const buf = new Uint8Array(kind.length + 1 + value.bytes.length);
  buf.set(kind, 0);
  buf[kind.length] = 0;
  buf.set(value.bytes, kind.length + 1);
  return hash.hex(hash.md5(buf));
}

/** Hex MD5 over the canonical encoding of a dot, a past and a value hash (see the module comment). */
export function digestOf(dot: Dot, past: VV, valueHash: string, op?: string): string {
  let text = `v2|${dot.actor.length}:${dot.actor}:${dot.counter}|`;
  for (const e of past) text += `${e.actor.length}:${e.actor}:${e.counter};`;
  return hash.md5Hex(`${text}|${valueHash}${op === undefined ? '' : `|op:${op.length}:${op}`}`);
}

/** A version with its value hash and digest computed. */
export function make(args: { dot: Dot; past: VV; value: Value; timestamp: number; op?: string | undefined }): Version {
  const valueHash = valueHashOf(args.value);
  const digest = digestOf(args.dot, args.past, valueHash, args.op);
  return { dot: args.dot, past: args.past, value: args.value, valueHash, digest, timestamp: args.timestamp, ...(args.op === undefined ? {} : { op: args.op }) };
}

/** The integrity check: the value hash matches the value and the digest matches dot, past and value hash. */
export function verify(v: Version): boolean {
  const valueHash = valueHashOf(v.value);
  return valueHash === v.valueHash && digestOf(v.dot, v.past, valueHash, v.op) === v.digest;
}

/** What the core keeps in memory of a version: everything but the bytes. */
export function meta(v: Version): VersionMeta {
  return {
    dot: v.dot, past: v.past, valueHash: v.valueHash, digest: v.digest, timestamp: v.timestamp, kind: v.value.kind, sizeBytes: v.value.bytes.length,
    ...(v.op === undefined ? {} : { op: v.op }),
  };
}

/** The kind of a version or of its metadata. */
export function kindOf(v: Version | VersionMeta): ValueKind {
  return 'kind' in v ? v.kind : v.value.kind;
}

/** True for a delete's tombstone. */
export function isTombstone(v: Version | VersionMeta): boolean {
  return kindOf(v) === 'tombstone';
}
