#!/usr/bin/env node
// One entry point for the README's two commands. A fresh machine has only Node 20 and npm:
// this fetches the pinned pnpm through npx, installs the workspace from the lockfile, then runs
// the named root script through that same pnpm (so turbo, tsup and vitest come from node_modules).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = process.argv[2];
if (!script) {
  console.error('usage: node scripts/bootstrap.mjs <root-script> [args...]');
  process.exit(2);
}
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const pnpm = (args) => {
  const r = spawnSync(npx, ['--yes', packageManager, ...args], { cwd: root, stdio: 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0) process.exit(r.status ?? 1);
};
pnpm(['install', '--frozen-lockfile']);
pnpm(['run', script, ...process.argv.slice(3)]);
