/**
 * The small helpers every parser of signaling frames shares (signaling.ts, rtc-signal.ts): a parse result
 * that says why it failed, and the checks for plain JSON objects with exactly the expected keys.
 */

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function bad<T>(reason: string): Parsed<T> {
  return { ok: false, reason };
}

export function parseJson(text: string): Parsed<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return bad(`malformed JSON (${e instanceof Error ? e.message.slice(0, 60) : 'parse error'})`);
  }
}

export function exactKeys(o: Record<string, unknown>, keys: readonly string[]): boolean {
  const own = Object.keys(o);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(o, k));
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
