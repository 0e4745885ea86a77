import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** End-to-end tests spawn dist/bin.cjs: build it when it is missing or older than the sources. */
export default function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const bin = join(root, 'dist', 'bin.cjs');
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((m, e) => {
      const p = join(dir, e.name);
      return Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
    }, 0);
  if (existsSync(bin) && statSync(bin).mtimeMs >= newest(join(root, 'src'))) return;
  try {
    execFileSync('npx', ['tsup'], { cwd: root, stdio: 'pipe' });
  } catch (error) {
    // The declaration build needs the siblings' dist; the JavaScript the tests spawn is written first.
    if (!existsSync(bin)) throw error;
  }
}
