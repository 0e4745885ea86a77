import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their sources, as in every package's tests: the smoke test never
// needs (or races) a build of dist/.
const src = (pkg: string) => fileURLToPath(new URL(`../../packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: {
      '@frostline/core': src('core'),
      '@frostline/tfjs': src('tfjs'),
      '@frostline/vision': src('vision'),
      '@frostline/nlp': src('nlp'),
      '@frostline/cli': src('cli'),
    },
  },
  test: {
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
