import { describe, expect, it } from 'vitest';
import * as hash from '../../src/core/hash.js';
import * as version from '../../src/core/version.js';

const dot = { actor: 'b@1', counter: 7 };
const past = [{ actor: 'a@0', counter: 5 }, { actor: 'b@1', counter: 6 }];

describe('version: identity and integrity', () => {
  it('pins the canonical encodings (changing them is a format change)', () => {
    const v = version.make({ dot, past, value: version.stringValue('hi'), timestamp: 1 });
    expect(v.valueHash).toBe(hash.md5Hex('string\u0000hi'));
    expect(v.digest).toBe(hash.md5Hex(`v2|3:b@1:7|3:a@0:5;3:b@1:6;|${v.valueHash}`));
  });

  it('same dot, past and value give the same digest whatever the timestamp; any other change gives another', () => {
    const base = version.make({ dot, past, value: version.stringValue('hi'), timestamp: 1 });
    const retimed = version.make({ dot: { ...dot }, past: past.map((e) => ({ ...e })), value: version.stringValue('hi'), timestamp: 99 });
    expect(retimed.digest).toBe(base.digest);
    const others = [
      version.make({ dot, past, value: version.stringValue('ho'), timestamp: 1 }),
      version.make({ dot, past, value: version.bytesValue(hash.utf8('hi')), timestamp: 1 }),
      version.make({ dot: { actor: 'b@1', counter: 8 }, past, value: version.stringValue('hi'), timestamp: 1 }),
      version.make({ dot, past: [], value: version.stringValue('hi'), timestamp: 1 }),
    ];
    expect(new Set([base, ...others].map((v) => v.digest)).size).toBe(5);
  });

  it('verify accepts an intact version and catches a flipped value byte or a forged digest', () => {
    const v = version.make({ dot, past, value: version.bytesValue(new Uint8Array([1, 2, 3])), timestamp: 0 });
    expect(version.verify(v)).toBe(true);
    const flipped = { ...v, value: { kind: 'bytes' as const, bytes: new Uint8Array([1, 2, 4]) } };
    expect(version.verify(flipped)).toBe(false);
    expect(version.verify({ ...v, value: { kind: 'string', bytes: v.value.bytes } })).toBe(false);
    expect(version.verify({ ...v, digest: '0'.repeat(32) })).toBe(false);
  });

  it('bytesValue copies its input; tombstone has no bytes; meta keeps everything but the bytes', () => {
    const input = new Uint8Array([9]);
    const value = version.bytesValue(input);
    input[0] = 0;
    expect(value.bytes[0]).toBe(9);
    const t = version.make({ dot, past, value: version.tombstone(), timestamp: 3 });
    expect(t.value.bytes.length).toBe(0);
    const m = version.meta(t);
    expect(m).toEqual({ dot, past, valueHash: t.valueHash, digest: t.digest, timestamp: 3, kind: 'tombstone', sizeBytes: 0 });
    expect(version.isTombstone(m) && version.isTombstone(t)).toBe(true);
    expect(version.isTombstone(version.make({ dot, past, value: version.stringValue(''), timestamp: 0 }))).toBe(false);
  });
});
