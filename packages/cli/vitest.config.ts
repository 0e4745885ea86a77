import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Sibling packages resolve to their sources so tests never race a concurrent build of dist/.
const src = (pkg: string) => fileURLToPath(new URL(`../${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@frostline/core': src('core'),
      '@frostline/tfjs': src('tfjs'),
      '@frostline/vision': src('vision'),
      '@frostline/nlp': src('nlp'),
    },
  },
  test: {
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // TF.js tests are CPU-heavy: one file at a time keeps a 2-core machine responsive.
    fileParallelism: false,
  },
});
