import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // Runtimes and sibling packages stay external: users bring their own TF.js build.
  skipNodeModulesBundle: true,
  // import.meta.url (assets folder, createRequire) must work in the CJS build too.
  shims: true,
});
