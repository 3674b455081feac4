/**
 * The data-driven file format (datadriven.ts): blocks are parsed and written back exactly, a changed output
 * is reported, a rewrite replaces only output blocks, and a bad file or command names its line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as datadriven from './datadriven.js';

const text = '# a comment\n\necho a b\n----\na b\n\n# between\nsilent\n----\n\necho c\n----\nc\n';
const echo = async (command: string) => (command.startsWith('echo ') ? command.slice(5) : '');
const dirs: string[] = [];

function fileWith(content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'datadriven-'));
  dirs.push(dir);
  const file = join(dir, 't.txt');
  writeFileSync(file, content);
  return file;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true });
});

describe('datadriven', () => {
  it('parses blocks and verbatim lines, and formats them back byte for byte', () => {
    const items = datadriven.parse(text);
    expect(items.filter((i) => i.kind === 'block').map((i) => (i.kind === 'block' ? [i.block.line, i.block.command, i.block.expected] : []))).toEqual([[3, 'echo a b', 'a b'], [8, 'silent', ''], [11, 'echo c', 'c']]);
    expect(datadriven.format(items, ['a b', '', 'c'])).toBe(text);
  });

  it('reports each block whose output differs, with its line', async () => {
    const file = fileWith(text.replace('a b\n\n#', 'a x\n\n#'));
    const mismatches = await datadriven.run(file, echo, false);
    expect(mismatches.map((m) => [m.block.line, m.block.expected, m.actual])).toEqual([[3, 'a x', 'a b']]);
    expect(readFileSync(file, 'utf8')).toContain('a x');
  });

  it('a rewrite replaces only the output blocks', async () => {
    const file = fileWith(text.replace('a b\n\n#', 'stale\nlines\n\n#'));
    await datadriven.run(file, echo, true);
    expect(readFileSync(file, 'utf8')).toBe(text);
  });

  it('a command without its ---- line, or one the interpreter refuses, names the file and line', async () => {
    expect(() => datadriven.parse('echo a\nnot a separator\n', 'x.txt')).toThrow('x.txt:1: "echo a" must be followed by a ---- line');
    const file = fileWith('echo a\n----\na\n\nboom\n----\n\n');
    await expect(datadriven.run(file, async (c) => { if (c === 'boom') throw new Error('no such command'); return echo(c); }, false)).rejects.toThrow(/t\.txt:5: boom: no such command/);
  });
});
