/**
 * Data-driven test files in the manner of cockroachdb/datadriven (etcd raft's testdata/*.txt): a file is
 * a sequence of blocks, each a command line, a `----` line, the expected output and a blank line:
 *
 *   # a comment, kept as it is
 *   put n2 cart:alice milk
 *   ----
 *   100 n2 put: coordinate put cart:alice ...
 *   = ok
 *
 * Comment lines (`#`) and blank lines between blocks are kept verbatim. Output never holds a blank line
 * (the block ends at the first one). `run` feeds each command to an interpreter in order and compares
 * what it printed with the file; with `rewrite`, the file is written back with only the output blocks
 * replaced, so commands and comments stay as the author wrote them.
 */
import { readFileSync, writeFileSync } from 'node:fs';

export interface Block {
  /** 1-based line of the command in the file, for messages. */
  readonly line: number;
  readonly command: string;
  readonly expected: string;
}

/** One item of a file: a block, or a verbatim line (comment or blank) outside any block. */
export type Item = { readonly kind: 'block'; readonly block: Block } | { readonly kind: 'verbatim'; readonly text: string };

export const separator = '----';

export function parse(text: string, file = '<text>'): Item[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const items: Item[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (line.trim() === '' || line.startsWith('#')) {
      items.push({ kind: 'verbatim', text: line });
      i++;
      continue;
    }
    if (lines[i + 1] !== separator) throw new Error(`${file}:${i + 1}: "${line}" must be followed by a ${separator} line`);
    const output: string[] = [];
    let j = i + 2;
    while (j < lines.length && (lines[j] as string).trim() !== '') output.push(lines[j++] as string);
    items.push({ kind: 'block', block: { line: i + 1, command: line, expected: output.join('\n') } });
    // The blank line that ends the block belongs to it (written back by format).
    i = j + 1;
  }
  return items;
}

/** The file text for `items`, each block's output taken from `outputs` (by block, in order). */
export function format(items: readonly Item[], outputs: readonly string[]): string {
  const out: string[] = [];
  let b = 0;
  for (const item of items) {
    if (item.kind === 'verbatim') {
      out.push(item.text);
      continue;
    }
    const output = outputs[b++] ?? item.block.expected;
    out.push(item.block.command, separator, ...(output === '' ? [] : [output]), '');
  }
  // The file ends with its last line, not with blank lines.
  while (out.at(-1) === '') out.pop();
  return `${out.join('\n')}\n`;
}

export interface Mismatch {
  readonly block: Block;
  readonly actual: string;
}

/**
 * Runs every block of `file` through `interpret` (in order, on one interpreter state) and returns the
 * blocks whose output differs; with `rewrite`, writes the actual outputs back into the file first.
 */
export async function run(file: string, interpret: (command: string) => Promise<string>, rewrite: boolean): Promise<Mismatch[]> {
  const items = parse(readFileSync(file, 'utf8'), file);
  const outputs: string[] = [];
  const mismatches: Mismatch[] = [];
  for (const item of items) {
    if (item.kind !== 'block') continue;
    let actual: string;
    try {
      actual = await interpret(item.block.command);
    } catch (error) {
      throw new Error(`${file}:${item.block.line}: ${item.block.command}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (actual.split('\n').some((l) => l.trim() === '') && actual !== '') throw new Error(`${file}:${item.block.line}: output holds a blank line`);
    outputs.push(actual);
    if (actual !== item.block.expected) mismatches.push({ block: item.block, actual });
  }
  if (rewrite) writeFileSync(file, format(items, outputs));
  return mismatches;
}
