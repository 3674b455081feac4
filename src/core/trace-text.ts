/** How versions, values and clocks are written in trace lines (`npm run sim -- --trace`, the transcripts). */
import * as hash from './hash.js';
import type { Value, VV } from './types.js';

export function describe(value: Value): string {
  if (value.kind === 'tombstone') return '(deleted)';
  if (value.kind === 'bytes') return `<${value.bytes.length} bytes>`;
  const text = hash.fromUtf8(value.bytes);
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}

export function clockText(vv: VV): string {
  return `[${vv.map((e) => `${e.actor}:${e.counter}`).join(' ')}]`;
}

export function dotText(v: { readonly dot: { readonly actor: string; readonly counter: number } }): string {
  return `${v.dot.actor}:${v.dot.counter}`;
}
