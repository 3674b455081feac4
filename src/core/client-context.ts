/**
 * The context a client holds between a get and the put that follows it (dvv.ts: the join of what the get
 * returned): an opaque, URL-safe string, validated in full on the way back in since any page can forge one.
 */
import * as dvv from './dvv.js';
import * as hash from './hash.js';
import { limits } from './limits.js';
import type { VV, VvEntry } from './types.js';

/** Most entries a client context may carry; toContext prunes past it, fromContext refuses more. */
export const contextEntriesMax = 2 * limits.clockEntriesMax;
/** Longest context string accepted by fromContext. */
export const contextCharsMax = 32 * 1024;
const contextPrefix = 'c2.';
const oldContextPrefix = 'c1.';

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) out += b64[(n >>> (18 - 6 * k)) & 63];
  }
  return out;
}

function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of text) {
    const v = b64.indexOf(ch);
    if (v < 0) return undefined;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/**
 * An opaque, URL-safe string for a VV, handed to clients and back: `c2.` + base64url of JSON pairs
 * `[[actor, counter], ...]`. Pruned to contextEntriesMax (a spurious sibling at worst).
 */
export function toContext(vv: VV): string {
  const json = JSON.stringify(dvv.prune(vv, contextEntriesMax).map((e) => [e.actor, e.counter]));
  return contextPrefix + toBase64Url(hash.utf8(json));
}

/** A request's optional context: none (or '') is a first write, which has seen nothing. */
export function fromOptionalContext(text: string | undefined): { ok: true; vv: VV } | { ok: false; reason: string } {
  return text === undefined || text === '' ? { ok: true, vv: dvv.fresh() } : fromContext(text);
}

/** Parses a client's context, validating everything; never throws. */
export function fromContext(text: string): { ok: true; vv: VV } | { ok: false; reason: string } {
  if (typeof text !== 'string') return { ok: false, reason: 'context is not a string' };
  if (text.length > contextCharsMax) return { ok: false, reason: `context longer than ${contextCharsMax} characters` };
  if (text.startsWith(oldContextPrefix)) return { ok: false, reason: 'context from an older version of the store: read the key again' };
  if (!text.startsWith(contextPrefix)) return { ok: false, reason: 'unknown context format' };
  const bytes = fromBase64Url(text.slice(contextPrefix.length));
  if (bytes === undefined) return { ok: false, reason: 'context is not base64url' };
  const json = hash.fromUtf8Strict(bytes);
  if (json === undefined) return { ok: false, reason: 'context is not UTF-8' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    return { ok: false, reason: `context is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (!Array.isArray(parsed)) return { ok: false, reason: 'context is not a list of entries' };
  if (parsed.length > contextEntriesMax) return { ok: false, reason: `context has more than ${contextEntriesMax} entries` };
  const vv: VvEntry[] = [];
  for (const item of parsed as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) return { ok: false, reason: 'context entry is not [actor, counter]' };
    const [who, counter] = item as unknown[];
    if (typeof who !== 'string' || typeof counter !== 'number') return { ok: false, reason: 'context entry has wrong types' };
    vv.push({ actor: who, counter });
  }
  const check = dvv.validate(vv, contextEntriesMax);
  return check.ok ? { ok: true, vv } : { ok: false, reason: `bad context: ${check.reason}` };
}
