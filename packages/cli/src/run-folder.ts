import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError } from './errors';

/**
 * The output folder of `frostline train`. frostline writes only into folders it made: a new folder, an
 * empty one, or one that carries its marker file. A folder with anything else in it belongs to the
 * user and is refused, so a run never overwrites a user's `report.html` or config.
 */
export const RUN_MARKER = '.frostline-run';

/** The files a run writes at the top of its folder. */
export const RUN_FILES = ['config.json', 'metrics.json', 'plans.json', 'report.html'] as const;
/** The folders a run writes. */
export const RUN_DIRS = ['model', 'checkpoint', 'embeddings'] as const;

export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** True when frostline made `dir` (it carries the marker). */
export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, RUN_MARKER));
}

/**
 * Makes sure `dir` may be written by a run and marks it as frostline's; refuses a user's folder, a file,
 * and a run that would write over a protected file (a `config.json` there is skipped by the caller).
 */
export interface ClaimOptions {
  /** Files the run must never write (the `--config` file). */
  protect?: readonly string[];
  /** A run folder being resumed: frostline wrote it (maybe before folders were marked). */
  adopt?: boolean;
  version?: string;
}

export function claimRunFolder(dir: string, opts: ClaimOptions = {}): void {
  checkRunFolder(dir, opts);
  markRunFolder(dir, opts.version);
}

/** The checks of `claimRunFolder`, writing nothing (run them before slow work that may fail). */
export function checkRunFolder(dir: string, opts: ClaimOptions = {}): void {
  const abs = resolve(dir);
  for (const file of opts.protect ?? []) {
    const target = resolve(file);
    const inside = (f: string) => target === join(abs, f) || target.startsWith(`${join(abs, f)}/`);
    const clash = [...RUN_FILES, ...RUN_DIRS].find(inside);
    if (clash && clash !== 'config.json') {
      throw new CliError('OUTPUT_NOT_EMPTY', `the run would write over ${file}`, {
        file: dir,
        hint: 'choose another --output folder',
      });
    }
  }
  if (!existsSync(abs)) return;
  if (!statSync(abs).isDirectory()) {
    throw new CliError('OUTPUT_NOT_EMPTY', 'the output path is a file, not a folder', {
      file: dir,
      hint: 'choose a new or empty --output folder',
    });
  }
  if (!opts.adopt && !isRunFolder(abs) && readdirSync(abs).length > 0) {
    throw new CliError('OUTPUT_NOT_EMPTY', 'the output folder is not empty and was not made by frostline', {
      file: dir,
      hint: `choose a new or empty --output folder; frostline marks its own folders with ${RUN_MARKER}`,
    });
  }
}

/** Creates `dir` if needed and marks it as frostline's. */
export function markRunFolder(dir: string, version?: string): void {
  const abs = resolve(dir);
  mkdirSync(abs, { recursive: true });
  if (isRunFolder(abs)) return;
  writeJsonAtomic(join(abs, RUN_MARKER), {
    createdBy: 'frostline',
    ...(version ? { version } : {}),
    createdAt: new Date().toISOString(),
  });
}
