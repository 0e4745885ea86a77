/**
 * `pnpm --filter @frostline/vision bench`: every vision benchmark, one after the other (each prints its own
 * table with the machine load). Pass-through arguments go to both (e.g. `--sizes=200,800` for a quick run).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const args = process.argv.slice(2);
const benches: Array<[string, string[]]> = [
  ['torch-load.ts', ['--tsconfig', path.join(here, '..', 'scripts', 'tsconfig.json')]],
  ['stream.ts', []],
];
let failed = false;
for (const [file, tsxArgs] of benches) {
  console.log(`\n== bench/${file}`);
  const r = spawnSync('npx', ['tsx', ...tsxArgs, path.join(here, file), ...args], { stdio: 'inherit' });
  failed ||= r.status !== 0;
}
process.exit(failed ? 1 : 0);
