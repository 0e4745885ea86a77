#!/usr/bin/env node
// Packaging check: every publishable package is packed the way it would be published (`pnpm pack`
// rewrites workspace: ranges to real versions), the tarballs are installed with plain npm into an
// empty project, and each package is imported from ESM and from CommonJS. publint and
// @arethetypeswrong/cli then lint each tarball (both run offline on a tarball).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const packagesDir = join(root, 'packages');
const work = mkdtempSync(join(tmpdir(), 'frostline-pack-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

const packages = readdirSync(packagesDir)
  .map((dir) => ({
    dir: join(packagesDir, dir),
    pkg: JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')),
  }))
  .filter(({ pkg }) => !pkg.private);

let failures = 0;
const check = (label, fn) => {
  try {
    fn();
    console.log(`  ok   ${label}`);
  } catch (error) {
    failures++;
    console.log(`  FAIL ${label}\n${String(error.stdout ?? '') + String(error.message ?? error)}`);
  }
};

try {
  const tarballs = new Map();
  for (const { dir, pkg } of packages) {
    const out = run('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', work], dir)
      .trim()
      .split('\n')
      .pop();
    tarballs.set(pkg.name, out.trim());
  }
  console.log(`packed ${tarballs.size} packages into ${work}`);

  for (const [name, tgz] of tarballs) {
    check(`publint ${name}`, () => run(join(root, 'node_modules/.bin/publint'), ['--strict', tgz], root));
    check(`attw ${name}`, () =>
      run(
        join(root, 'node_modules/.bin/attw'),
        ['--pack', '--profile', 'node16', '--format', 'table-flipped', tgz],
        root,
      ),
    );
  }

  const app = join(work, 'app');
  execFileSync('mkdir', ['-p', app]);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }),
  );
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...tarballs.values(),
      '@tensorflow/tfjs@4.22.0',
    ],
    app,
  );
  for (const name of tarballs.keys()) {
    check(`require('${name}')`, () =>
      run(
        'node',
        [
          '-e',
          `const m = require(${JSON.stringify(name)}); if (!Object.keys(m).length) throw new Error('empty CJS export')`,
        ],
        app,
      ),
    );
    check(`import('${name}')`, () =>
      run(
        'node',
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(name)}); if (!Object.keys(m).length) throw new Error('empty ESM export')`,
        ],
        app,
      ),
    );
  }
  // The CLI must work when installed on its own: its bin runs a command that needs no model.
  check('frostline bin (plan linear-10x10)', () => {
    writeFileSync(join(app, 'policy.json'), JSON.stringify({ rules: [{ freeze: 'linear.weight' }] }));
    const out = run(
      join(app, 'node_modules/.bin/frostline'),
      ['plan', 'linear-10x10', '--policy', 'policy.json'],
      app,
    );
    if (!out.includes('trainable%: 9.0909')) throw new Error(`unexpected output:\n${out}`);
  });
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures) {
  console.error(`pack-check: ${failures} check(s) failed`);
  process.exit(1);
}
console.log('pack-check: all packages pack, install with npm, and import from ESM and CJS');
