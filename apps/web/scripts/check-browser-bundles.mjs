// Fails (exit 1) when a Node built-in reaches a browser bundle:
// 1. bundles each of @frostline/core, @frostline/tfjs and @frostline/vision (their whole ESM entry, not
//    only what this app uses) for the browser with esbuild and lists every import of `node:*` or of a
//    Node built-in module name (fs, path, module, …) that the bundler would have to resolve;
// 2. scans the app's production build (dist/) for Vite's stand-ins for Node modules
//    (`__vite-browser-external`) and for `node:` specifiers left in the output.
// Node-only features must load their modules through a variable specifier (see tfjs' node.ts, vision's
// peers.ts), which bundlers never follow, so they are reached only in Node.

import { readdir, readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const appDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const packagesDir = path.join(appDir, '..', '..', 'packages');
export const PACKAGES = ['core', 'tfjs', 'vision'];
const BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

export function isNodeBuiltin(specifier) {
  if (specifier.startsWith('node:')) return true;
  return BUILTINS.has(specifier) || BUILTINS.has(specifier.split('/')[0]);
}

/** Node built-ins that bundling `entry` for the browser pulls in: [{ specifier, importer }]. */
export async function nodeImportsOf(entry) {
  const found = [];
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    platform: 'browser',
    format: 'esm',
    logLevel: 'silent',
    // Peers (TF.js, the wasm backend) are checked by their own authors; yaml etc. are bundled and checked.
    external: ['@tensorflow/*'],
    plugins: [
      {
        name: 'find-node-builtins',
        setup(build) {
          build.onResolve({ filter: /.*/ }, (args) => {
            if (!isNodeBuiltin(args.path)) return undefined;
            found.push({ specifier: args.path, importer: path.relative(process.cwd(), args.importer) });
            return { path: args.path, external: true };
          });
        },
      },
    ],
  });
  return found;
}

/** Files of a Vite build that contain stand-ins for Node modules or `node:` specifiers. */
export async function nodeTracesInBuild(distDir) {
  const out = [];
  const walk = async (dir) => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.m?js$/.test(e.name)) {
        const text = await readFile(p, 'utf8');
        const m = /__vite-browser-external|(?:from\s*|import\s*\(\s*)["']node:[a-z/_]+["']/.exec(text);
        if (m) out.push({ file: path.relative(process.cwd(), p), match: m[0] });
      }
    }
  };
  await walk(distDir);
  return out;
}

async function main() {
  const problems = [];
  for (const name of PACKAGES) {
    const entry = path.join(packagesDir, name, 'dist', 'index.js');
    const found = await nodeImportsOf(entry);
    for (const f of found) problems.push(`@frostline/${name}: '${f.specifier}' imported by ${f.importer}`);
    console.log(
      `browser bundle of @frostline/${name}: ${found.length ? `${found.length} Node import(s)` : 'no Node built-ins'}`,
    );
  }
  const dist = path.join(appDir, 'dist');
  const traces = await nodeTracesInBuild(dist).catch((e) => {
    if (e.code === 'ENOENT') throw new Error(`no app build at ${dist}: run vite build first`);
    throw e;
  });
  for (const t of traces) problems.push(`app build: ${t.file} contains ${t.match}`);
  console.log(
    `app build (dist/): ${traces.length ? `${traces.length} file(s) with Node traces` : 'no Node traces'}`,
  );
  if (problems.length) {
    console.error(`\nNode built-ins reach a browser bundle:\n  ${problems.join('\n  ')}`);
    console.error(
      'Load Node-only modules through a variable specifier (import(/* @vite-ignore */ name)) so bundlers skip them.',
    );
    process.exit(1);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
