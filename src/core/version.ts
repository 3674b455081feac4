/**
 * Versions: a value with the vector clock of the write that made it, its value hash (integrity, checked
 * on every storage read) and its digest (identity: equal versions on two replicas have equal digests, which
 * is what the Merkle trees compare).
 *
 * Canonical encodings (stable across Node and browsers; change them only with a format version bump):
 *   valueHash = hex MD5( utf8(kind) || 0x00 || bytes )
 *   digest    = hex MD5( utf8( "v1|" + for each entry in actor order: actorLength ":" actor ":" counter ";"
 *                               + "|" + valueHash ) )
 * Clock ticks and the timestamp are left out of the digest: they describe when, not what, and two replicas
 * holding the same write always hold the same counters.
 */
import * as hash from './hash.js';
import type { Value, ValueKind, VClock, Version, VersionMeta } from './types.js';

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

/** Hex MD5 over the canonical encoding of a clock and a value hash. */
export function digestOf(clock: VClock, valueHash: string): string {
  let text = 'v1|';
  for (const e of clock) text += `${e.actor.length}:${e.actor}:${e.counter};`;
  return hash.md5Hex(`${text}|${valueHash}`);
}

/** A version with its value hash and digest computed. */
export function make(args: { clock: VClock; value: Value; timestamp: number }): Version {
  const valueHash = valueHashOf(args.value);
  return { clock: args.clock, value: args.value, valueHash, digest: digestOf(args.clock, valueHash), timestamp: args.timestamp };
}

/** The integrity check: the value hash matches the value and the digest matches clock and value hash. */
export function verify(v: Version): boolean {
  const valueHash = valueHashOf(v.value);
  return valueHash === v.valueHash && digestOf(v.clock, valueHash) === v.digest;
}

/** What the core keeps in memory of a version: everything but the bytes. */
export function meta(v: Version): VersionMeta {
  return { clock: v.clock, valueHash: v.valueHash, digest: v.digest, timestamp: v.timestamp, kind: v.value.kind, sizeBytes: v.value.bytes.length };
}

/** The kind of a version or of its metadata. */
export function kindOf(v: Version | VersionMeta): ValueKind {
  return 'kind' in v ? v.kind : v.value.kind;
}

/** True for a delete's tombstone. */
export function isTombstone(v: Version | VersionMeta): boolean {
  return kindOf(v) === 'tombstone';
}
