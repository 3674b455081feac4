/**
 * UTF-8 for the wire codec, by hand because the decoder must be strict (overlongs, surrogates, code points
 * past U+10FFFF and truncated sequences are refused, so anything that decodes re-encodes to the same bytes)
 * and must report where it failed; TextDecoder's fatal mode says neither where nor why.
 */

/**
 * Length in UTF-8 bytes of a string, or -1 when it is not well-formed UTF-16 (a lone surrogate has no UTF-8
 * encoding, so it could not survive a round trip).
 */
export function length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c < 0xd800 || c > 0xdfff) n += 3;
    else if (c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) { n += 4; i++; }
    else return -1;
  }
  return n;
}

/** Writes a well-formed string (length() >= 0) as UTF-8 at `pos` of a buffer sized for it; returns the end. */
export function encodeInto(buf: Uint8Array, pos: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) { buf[pos++] = c; continue; }
    if (c < 0x800) { buf[pos++] = 0xc0 | (c >> 6); buf[pos++] = 0x80 | (c & 0x3f); continue; }
    if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      buf[pos++] = 0xf0 | (c >> 18); buf[pos++] = 0x80 | ((c >> 12) & 0x3f);
    } else {
      buf[pos++] = 0xe0 | (c >> 12);
    }
    buf[pos++] = 0x80 | ((c >> 6) & 0x3f); buf[pos++] = 0x80 | (c & 0x3f);
  }
  return pos;
}

export type Decoded = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly reason: string };

/** Decodes buf[start, end) as strict UTF-8; a failure names the offset of the first bad byte. */
export function decodeStrict(buf: Uint8Array, start: number, end: number): Decoded {
  let i = start;
  while (i < end && (buf[i] as number) < 0x80) i++;
  if (i === end) return { ok: true, text: asciiString(buf, start, end) };
  const units: number[] = [];
  for (let k = start; k < i; k++) units.push(buf[k] as number);
  while (i < end) {
    const b0 = buf[i] as number;
    if (b0 < 0x80) { units.push(b0); i++; continue; }
    let cp: number;
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
    else if (b0 >= 0xe0 && b0 <= 0xef) { need = 2; cp = b0 & 0x0f; if (b0 === 0xe0) lo = 0xa0; else if (b0 === 0xed) hi = 0x9f; }
    else if (b0 >= 0xf0 && b0 <= 0xf4) { need = 3; cp = b0 & 0x07; if (b0 === 0xf0) lo = 0x90; else if (b0 === 0xf4) hi = 0x8f; }
    else return { ok: false, reason: `invalid UTF-8 at offset ${i}` };
    if (i + need >= end) return { ok: false, reason: `invalid UTF-8 at offset ${i} (truncated sequence)` };
    for (let k = 1; k <= need; k++) {
      const b = buf[i + k] as number;
      // Only the first continuation byte has a narrowed range (it rules out overlongs, surrogates, > U+10FFFF).
      if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return { ok: false, reason: `invalid UTF-8 at offset ${i + k}` };
      cp = (cp << 6) | (b & 0x3f);
    }
    i += need + 1;
    if (cp < 0x10000) units.push(cp);
    else { cp -= 0x10000; units.push(0xd800 | (cp >> 10), 0xdc00 | (cp & 0x3ff)); }
  }
  return { ok: true, text: fromCodeUnits(units) };
}

/** String.fromCharCode takes its arguments on the stack: convert in chunks so long strings cannot overflow it. */
const chunkUnits = 4096;

function asciiString(buf: Uint8Array, start: number, end: number): string {
  let out = '';
  for (let i = start; i < end; i += chunkUnits) {
    out += String.fromCharCode.apply(null, buf.subarray(i, Math.min(end, i + chunkUnits)) as unknown as number[]);
  }
  return out;
}

function fromCodeUnits(units: number[]): string {
  if (units.length <= chunkUnits) return String.fromCharCode.apply(null, units);
  let out = '';
  for (let i = 0; i < units.length; i += chunkUnits) out += String.fromCharCode.apply(null, units.slice(i, i + chunkUnits));
  return out;
}
