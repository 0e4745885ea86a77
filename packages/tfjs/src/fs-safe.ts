import { FrostlineTfjsError } from './errors';

type NodeFs = typeof import('node:fs');
type NodePath = typeof import('node:path');

/** True for Node's system errors (they carry a string `code` such as ENOENT, EACCES, ENOTDIR). */
export function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}

const HINTS: Record<string, string> = {
  ENOENT: 'the folder above it does not exist or does not accept new entries (e.g. under /proc or /sys)',
  ENOTDIR: 'a part of the path is a regular file, not a folder',
  EEXIST: 'a file with that name is in the way',
  EACCES: 'you lack permission there; pick a folder you own',
  EPERM: 'the operation is not permitted there; pick a folder you own',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full; free space or pick another disk',
  EISDIR: 'a folder is in the way where a file is expected',
};

/**
 * The one typed error for an operating-system failure on a user's path: what was tried, on which
 * path, the OS code, and what usually fixes it. Frostline errors pass through unchanged.
 */
export function ioError(action: string, target: string, cause: unknown): Error {
  if (cause instanceof FrostlineTfjsError || !isSystemError(cause)) return cause as Error;
  const code = cause.code ?? 'EIO';
  const hint = HINTS[code] ?? 'check the path and its permissions';
  return new FrostlineTfjsError('IO_ERROR', `Cannot ${action} '${target}' (${code}): ${hint}.`, {
    cause,
    file: target,
    hint,
    details: { code, target, action },
  });
}

/**
 * `mkdir -p` that never hangs: Node 20's `mkdirSync(p, { recursive: true })` loops forever on a path
 * under /proc, so the missing folders are created one at a time, each with a plain `mkdir`. Every
 * failure (a regular file in the path, no permission, a pseudo file system) is a typed IO_ERROR.
 */
export function ensureDirSync(
  fs: NodeFs,
  path: NodePath,
  dir: string,
  purpose = 'create the folder',
  shownAs = dir,
): void {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let stat: import('node:fs').Stats | undefined;
    try {
      stat = fs.statSync(at);
    } catch (e) {
      if (!isSystemError(e) || e.code !== 'ENOENT') throw ioError(purpose, shownAs, e);
    }
    if (stat) {
      if (!stat.isDirectory()) {
        const err = Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
        throw ioError(purpose, shownAs, err);
      }
      break;
    }
    missing.unshift(at);
    const up = path.dirname(at);
    if (up === at) break;
    at = up;
  }
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      // Another process may have created it in between; anything else is a real failure.
      if (!(isSystemError(e) && e.code === 'EEXIST' && fs.statSync(d).isDirectory()))
        throw ioError(purpose, shownAs, e);
    }
  }
}

/** Whether a process with this id runs on this machine (EPERM: it exists but belongs to someone else). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return isSystemError(e) && e.code === 'EPERM';
  }
}
