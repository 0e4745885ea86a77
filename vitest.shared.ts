import { fileURLToPath } from 'node:url';
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const packages = ['core', 'tfjs', 'vision', 'nlp', 'cli'] as const;

/**
 * The vitest config every package and app uses. Workspace packages resolve to their sources, so tests
 * never need (or race) a concurrent build of a sibling's dist/.
 */
export function frostlineVitestConfig(test: ViteUserConfig['test'] = {}) {
  const alias = Object.fromEntries(
    packages.map((pkg) => [
      `@frostline/${pkg}`,
      fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url)),
    ]),
  );
  return defineConfig({
    resolve: { alias },
    test: {
      testTimeout: 120_000,
      hookTimeout: 120_000,
      // TF.js tests are CPU-heavy: one file at a time keeps a 2-core machine responsive.
      fileParallelism: false,
      ...test,
    },
  });
}
