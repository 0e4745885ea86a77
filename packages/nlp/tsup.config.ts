import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  // import.meta.url locates data/ and the USE-lite package; shims give the CJS build the same.
  shims: true,
  // Runtimes and sibling packages stay external: users bring their own TF.js build.
  skipNodeModulesBundle: true,
});
