/**
 * Builds the UI fixture (test/e2e/ui-fixture) with Vite into test-results/<name>, for the UI specs to serve.
 * Each spec builds into its own directory so specs running in parallel never share an output folder.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { build } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export async function buildUiFixture(name: string): Promise<string> {
  const outDir = join(root, 'test-results', name);
  await build({
    root: here,
    configFile: false,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, target: 'es2022', sourcemap: false },
  });
  return outDir;
}
