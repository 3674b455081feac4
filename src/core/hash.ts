/**
 * Hashing: MD5 (as in the Dynamo paper) from @noble/hashes, identical in Node and every browser.
 * A key's position on the ring is the 128-bit MD5 of its UTF-8 bytes; the ring is cut into Q equal
 * partitions (Q a power of two), so a key's partition is the top log2(Q) bits of its position.
 * MD5 is used for placement and integrity against accidents (bit rot, bugs), not against an adversary.
 */
import { md5 as nobleMd5 } from '@noble/hashes/legacy.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

/** Bytes in an MD5 digest: the ring is 128 bits around. */
export const md5Bytes = 16;

/** The 16-byte MD5 digest of bytes. */
export function md5(bytes: Uint8Array): Uint8Array {
  return nobleMd5(bytes);
}

/** Lower-case hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** The UTF-8 encoding of text (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(text: string): Uint8Array {
  return utf8ToBytes(text);
}

const lenientDecoder = new TextDecoder('utf-8', { fatal: false });
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8; malformed sequences become U+FFFD (use fromUtf8Strict to detect them). */
export function fromUtf8(bytes: Uint8Array): string {
  return lenientDecoder.decode(bytes);
}

/** Decodes UTF-8, or returns undefined when the bytes are not valid UTF-8 (for validating input). */
export function fromUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch (error) {
    if (error instanceof TypeError) return undefined; // the decoder's documented signal for malformed input
    throw error;
  }
}

/** Hex MD5 of a string's UTF-8 bytes. */
export function md5Hex(text: string): string {
  return bytesToHex(nobleMd5(utf8ToBytes(text)));
}

/** A key's 128-bit ring position: the MD5 of its UTF-8 bytes, big-endian. */
export function keyPosition(key: string): Uint8Array {
  return nobleMd5(utf8ToBytes(key));
}

/** True for 1, 2, 4, ... 2^31: the partition counts the ring accepts. */
export function isPartitionCount(partitions: number): boolean {
  return Number.isInteger(partitions) && partitions >= 1 && partitions <= 2 ** 31 && (partitions & (partitions - 1)) === 0;
}

/** Asserts a partition count (a programmer or configuration error otherwise). */
export function assertPartitionCount(partitions: number): void {
  if (!isPartitionCount(partitions)) throw new RangeError(`partitions must be a power of two in [1, 2^31], got ${partitions}`);
}

/** The partition of a ring position: its top log2(partitions) bits. */
export function partitionOfPosition(position: Uint8Array, partitions: number): number {
  return partitionOfTop32(positionTop32(position), partitions);
}

/** The top 32 bits of a ring position, as an unsigned number: all a partition count up to 2^31 looks at. */
export function positionTop32(position: Uint8Array): number {
  return (((position[0] ?? 0) << 24) | ((position[1] ?? 0) << 16) | ((position[2] ?? 0) << 8) | (position[3] ?? 0)) >>> 0;
}

/** The partition of a position given by its top 32 bits (positionTop32): what a stored checkpoint keeps. */
export function partitionOfTop32(top32: number, partitions: number): number {
  assertPartitionCount(partitions);
  if (partitions === 1) return 0;
  return top32 >>> (32 - Math.log2(partitions));
}

/** The partition a key falls in (top log2(partitions) bits of its MD5 position). */
export function partitionOf(key: string, partitions: number): number {
  return partitionOfPosition(keyPosition(key), partitions);
}
