// Enforces DESIGN.md's one rule with the TypeScript parser: src/core imports only src/core (and a short
// list of pure packages), and never touches time, randomness, timers, promises or platform APIs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const coreDir = join(import.meta.dirname, '../../src/core');
/** Packages that are pure functions of their input, identical in Node and the browser. */
const allowedPackages = ['@noble/hashes'];
// Not scope-aware, so names that are common locals (`self`) are left to ESLint's scope-aware no-restricted-globals.
const bannedIdentifiers = new Set([
  'Date', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'setImmediate', 'queueMicrotask',
  'requestAnimationFrame', 'Promise', 'window', 'document', 'navigator', 'globalThis', 'process',
  'crypto', 'performance', 'indexedDB', 'localStorage', 'sessionStorage', 'fetch', 'WebSocket', 'require',
]);

function listTs(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listTs(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** Returns a description of every impurity in one source file. */
export function impurities(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const where = (node: ts.Node) => `${fileName}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const spec = node.moduleSpecifier.text;
      const isLocal = spec.startsWith('./');
      const isAllowed = allowedPackages.some((p) => spec === p || spec.startsWith(`${p}/`));
      if (!isLocal && !isAllowed) found.push(`${where(node)} imports '${spec}'`);
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) found.push(`${where(node)} uses dynamic import`);
    if (ts.isIdentifier(node) && bannedIdentifiers.has(node.text)) {
      const parent = node.parent;
      const isPropertyName = (ts.isPropertyAccessExpression(parent) && parent.name === node) || (ts.isPropertyAssignment(parent) && parent.name === node)
        || ts.isPropertySignature(parent) || ts.isMethodDeclaration(parent) || ts.isPropertyDeclaration(parent);
      if (!isPropertyName) found.push(`${where(node)} uses ${node.text}`);
    }
    if (ts.isPropertyAccessExpression(node) && node.expression.getText(source) === 'Math' && node.name.text === 'random') found.push(`${where(node)} uses Math.random`);
    if (ts.isAwaitExpression(node)) found.push(`${where(node)} uses await`);
    if ((ts.isFunctionDeclaration(node) || ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isMethodDeclaration(node))
      && node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) found.push(`${where(node)} declares an async function`);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('src/core purity', () => {
  it('every core module imports only core modules and pure packages, and uses no time, randomness, timers, promises or platform APIs', () => {
    const files = listTs(coreDir);
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((f) => impurities(relative(coreDir, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });

  it.each([
    ["import x from '../runtime/loop';", "imports '../runtime/loop'"],
    ["import { readFileSync } from 'node:fs';", "imports 'node:fs'"],
    ['const t = Date.now();', 'uses Date'],
    ['const r = Math.random();', 'uses Math.random'],
    ['setTimeout(() => 1, 5);', 'uses setTimeout'],
    ['async function f() { await g(); }', 'declares an async function'],
    ['const p = new Promise(() => 1);', 'uses Promise'],
    ['window.x = 1;', 'uses window'],
  ])('the checker catches %s', (code, expected) => {
    expect(impurities('sample.ts', code).join('\n')).toContain(expected);
  });

  it('the checker accepts pure code that merely names a field like `date` or `random`', () => {
    expect(impurities('sample.ts', "import { md5 } from '@noble/hashes/legacy.js';\nconst o = { random: 1 };\nconst d = o.random;\n")).toEqual([]);
  });
});
