import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * One digest of a folder tree (names, kinds, contents, link targets), for the bad-input suites'
 * "nothing on disk changed" checks. A missing path hashes as such, so a created folder shows too.
 */
export function treeHash(root: string): string {
  const h = createHash('sha256');
  const walk = (dir: string, rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      h.update(`missing:${rel}\n`);
      return;
    }
    for (const name of names) {
      const full = join(dir, name);
      const st = lstatSync(full);
      if (st.isSymbolicLink()) h.update(`link:${rel}/${name}->${readlinkSync(full)}\n`);
      else if (st.isDirectory()) {
        h.update(`dir:${rel}/${name}\n`);
        walk(full, `${rel}/${name}`);
      } else h.update(`file:${rel}/${name}:${st.size}\n`).update(readFileSync(full));
    }
  };
  walk(root, '');
  return h.digest('hex');
}
