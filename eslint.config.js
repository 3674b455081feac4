// Lint config. The block for src/core enforces the project's one rule: the core is a pure,
// deterministic state machine (no time, randomness, timers, promises or platform APIs).
// test/unit/core-purity.test.ts checks the same with the TypeScript parser, so CI catches it twice.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const impureGlobals = [
  'Date', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'setImmediate', 'queueMicrotask',
  'requestAnimationFrame', 'Promise', 'window', 'document', 'navigator', 'globalThis', 'self', 'process',
  'crypto', 'performance', 'indexedDB', 'localStorage', 'sessionStorage', 'fetch', 'WebSocket', 'require',
].map((name) => ({ name, message: 'src/core is pure: inject time, randomness and IO from src/runtime.' }));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', 'bench-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...impureGlobals],
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['../*', '../**'], message: 'src/core imports only from src/core.' },
          { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'events', 'util'], message: 'src/core uses no Node APIs.' },
        ],
      }],
      'no-restricted-syntax': ['error',
        { selector: 'MemberExpression[object.name="Math"][property.name="random"]', message: 'Use the injected seeded rng.' },
        { selector: ':function[async=true]', message: 'src/core is synchronous: no async functions.' },
        { selector: 'AwaitExpression', message: 'src/core is synchronous: no await.' },
      ],
    },
  },
  {
    // The layers (ARCHITECTURE.md): protocol and runtime are platform-neutral and import no edge; the UI
    // renders the runtime's one view and reaches no platform code directly.
    files: ['src/protocol/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../runtime/*', '../browser/*', '../node/*', '../ui/*'], message: 'src/protocol imports only src/core.' }] }] },
  },
  {
    files: ['src/runtime/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['../browser/*', '../node/*', '../ui/*'], message: 'src/runtime is platform-neutral: it imports only src/core and src/protocol.' }] }] },
  },
);
