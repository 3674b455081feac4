/**
 * How anti-entropy sends Merkle hashes (merkle.ts).
 *
 * On the wire (anti-entropy), roots, inner hashes and leaf digests travel as WIRE HASHES: the first
 * wireHashBytes (4) bytes of MD5(salt, hash), where the salt names the exchange (its summary or session id,
 * the partition and the level). Two different hashes look equal on the wire with probability 2^-32; then
 * that exchange misses the difference under them, which is never a loss (anti-entropy only adds versions)
 * and never a loop: the roots still differ, a later round salts differently, and the same pair collides
 * again only with probability 2^-32 (k rounds in a row: 2^-32k). So the width buys efficiency, not
 * correctness; 4 bytes keep B4's 1 % repair under 2 % of a full transfer (8 bytes: 2.5 %; README, B4).
 * An unsalted truncation would collide in every round, for as long as those two trees stay as they are.
 */
import * as hash from './hash.js';
import * as merkle from './merkle.js';

/** Bytes of a wire hash (wireHash): a differing pair looks equal in one exchange with probability 2^-32. */
export const wireHashBytes = 4;
/** Fewest bytes a received wire hash may have (a peer may send up to merkle.hashBytes; fewer is refused). */
export const wireHashBytesMin = 4;

/** Byte-wise equality of two hashes (a hash of another length never equals ours). */
export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The salt of one exchange's hashes at one level (0 = roots, 1..depth = tree levels, depth + 1 = leaves). */
export function salt(exchangeId: number, partition: number, level: number): Uint8Array {
  const bytes = new Uint8Array(24);
  const view = new DataView(bytes.buffer);
  view.setFloat64(0, exchangeId);
  view.setFloat64(8, partition);
  view.setFloat64(16, level);
  return bytes;
}

/** A hash as it travels: the first `width` bytes of MD5(salt, hash) (see the header: why salted). */
export function wireHash(full: Uint8Array, saltBytes: Uint8Array, width: number = wireHashBytes): Uint8Array {
  const buf = new Uint8Array(saltBytes.length + full.length);
  buf.set(saltBytes);
  buf.set(full, saltBytes.length);
  return hash.md5(buf).subarray(0, width);
}

/** True when a wire hash a peer sent has a width this node compares (wireHashBytesMin..merkle.hashBytes). */
export function validWireHash(bytes: Uint8Array): boolean {
  return bytes.length >= wireHashBytesMin && bytes.length <= merkle.hashBytes;
}

/** Whether this node's hash `mine` looks like a peer's wire hash `theirs` under the same salt, at its width. */
export function sameOnWire(mine: Uint8Array, theirs: Uint8Array, saltBytes: Uint8Array): boolean {
  return sameHash(wireHash(mine, saltBytes, theirs.length), theirs);
}
