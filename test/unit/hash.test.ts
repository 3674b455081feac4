import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as hash from '../../src/core/hash.js';

const fcSeed = Number(process.env.FC_SEED ?? 20261123);

describe('hash: MD5 ring positions', () => {
  it.each([
    ['', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['a', '0cc175b9c0f1b6a831c399e269772661'],
    ['abc', '900150983cd24fb0d6963f7d28e17f72'],
    ['message digest', 'f96b697d7cb7938d525a2f31aaf161d0'],
    ['abcdefghijklmnopqrstuvwxyz', 'c3fcd3d76192e4007dfb496cca67e13b'],
    ['12345678901234567890123456789012345678901234567890123456789012345678901234567890', '57edf4a22be3c955ac49da2e2107b67a'],
  ])('RFC 1321 test vector md5(%j) = %s', (text, expected) => {
    expect(hash.hex(hash.md5(hash.utf8(text)))).toBe(expected);
    expect(hash.md5Hex(text)).toBe(expected);
  });

  it('a key position is the 16-byte MD5 of its UTF-8 bytes, the same at every call', () => {
    expect(hash.hex(hash.keyPosition('héllo'))).toBe(hash.hex(hash.md5(new Uint8Array([0x68, 0xc3, 0xa9, 0x6c, 0x6c, 0x6f]))));
    expect(hash.keyPosition('k')).toEqual(hash.keyPosition('k'));
    expect(hash.keyPosition('k').length).toBe(16);
  });

  it.each([
    // md5('') = d41d8cd9...: top bits 1101 0100 0001 1101 ...
    ['', 1, 0],
    ['', 2, 1],
    ['', 16, 0xd],
    ['', 256, 0xd4],
    ['', 65536, 0xd41d],
    ['a', 256, 0x0c],
  ])('partitionOf(%j, %i) = %i (top log2(Q) bits)', (key, partitions, expected) => {
    expect(hash.partitionOf(key, partitions)).toBe(expected);
  });

  it.each([0, 3, 100, -4, 1.5, 2 ** 32])('refuses partition count %s (not a power of two in range)', (q) => {
    expect(() => hash.partitionOf('k', q)).toThrow(RangeError);
  });

  it('partitions nest: the partition at 2Q halves to the partition at Q', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 20 }), (key, bits) => {
        const q = 2 ** bits;
        expect(hash.partitionOf(key, 2 * q) >>> 1).toBe(hash.partitionOf(key, q));
      }),
      { seed: fcSeed, numRuns: 300 },
    );
  });

  it('utf8 and fromUtf8 round-trip any well-formed string; fromUtf8Strict refuses malformed bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (text) => hash.fromUtf8(hash.utf8(text)) === text), { seed: fcSeed, numRuns: 300 });
    expect(hash.fromUtf8Strict(new Uint8Array([0xc3, 0x28]))).toBeUndefined();
    expect(hash.fromUtf8(new Uint8Array([0xc3, 0x28]))).toBe('\uFFFD(');
    expect(hash.fromUtf8Strict(hash.utf8('ok'))).toBe('ok');
  });
});
