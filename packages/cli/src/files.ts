import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { CliError } from './errors';

/** Reads a text file the user named, or fails with one line that names it (exit 2). */
export function readUserFile(path: string, what: string): string {
  const abs = resolve(path);
  if (!existsSync(abs)) {
    throw new CliError('FILE_NOT_FOUND', `${what} not found: ${path}`, {
      file: path,
      hint: 'check the path',
    });
  }
  if (statSync(abs).isDirectory()) {
    throw new CliError('FILE_NOT_FOUND', `${what} is a folder, expected a file: ${path}`, { file: path });
  }
  return readFileSync(abs, 'utf8');
}

export function formatOf(path: string): 'json' | 'yaml' {
  const ext = extname(path).toLowerCase();
  return ext === '.json' ? 'json' : 'yaml';
}
