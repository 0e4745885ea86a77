import { FrostlineError, isFrostlineError } from '@frostline/core';

/**
 * One error class for the CLI. Every failure the user sees is one line that says what was wrong and
 * how to fix it; the exit code says whose fault it was (2: the command line or an input file, 1: the
 * run itself failed).
 */
export type CliErrorCode =
  | 'USAGE'
  | 'UNKNOWN_COMMAND'
  | 'UNKNOWN_OPTION'
  | 'MISSING_OPTION'
  | 'BAD_OPTION'
  | 'FILE_NOT_FOUND'
  | 'BAD_CONFIG'
  | 'PARSE_ERROR'
  | 'UNKNOWN_MODEL'
  | 'BAD_MODEL'
  | 'BAD_DATASET'
  | 'MISSING_PEER'
  | 'INTERRUPTED'
  | 'FAILED';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
/** 128 + SIGINT, what shells report for a command stopped with Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export class CliError extends FrostlineError {
  declare readonly code: CliErrorCode;
  readonly exitCode: number;
  constructor(
    code: CliErrorCode,
    message: string,
    opts: { exitCode?: number; cause?: unknown; hint?: string; file?: string } = {},
  ) {
    const exitCode =
      opts.exitCode ??
      (code === 'FAILED' ? EXIT_FAILURE : code === 'INTERRUPTED' ? EXIT_INTERRUPTED : EXIT_BAD_INPUT);
    const { exitCode: _ignored, ...rest } = opts;
    super(code, message, { ...rest, userFault: exitCode === EXIT_BAD_INPUT });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Node's file-system error codes that mean "the path you gave is wrong" (exit 2). */
const BAD_PATH_CODES = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENAMETOOLONG']);

export interface DescribedError {
  code: string;
  message: string;
  exitCode: number;
  stack?: string;
}

/** Turns anything thrown into the one-line message and exit code the CLI reports. */
export function describeError(error: unknown): DescribedError {
  if (error instanceof CliError) {
    return {
      code: error.code,
      message: oneLine(error.message),
      exitCode: error.exitCode,
      stack: error.stack,
    };
  }
  if (isFrostlineError(error)) {
    // Every package's error says whose fault it was; the CLI never needs to know their codes.
    let message = error.message;
    if (error.path && error.name === 'PolicyError' && !message.includes(error.path)) {
      message = `policy ${error.path}: ${message}`;
    }
    if (error.hint && !message.includes(error.hint)) message = `${message} (${error.hint})`;
    return {
      code: error.code,
      message: oneLine(message),
      exitCode: error.userFault ? EXIT_BAD_INPUT : EXIT_FAILURE,
      stack: error.stack,
    };
  }
  if (error instanceof Error) {
    const rawCode = (error as { code?: unknown }).code;
    const code = typeof rawCode === 'string' ? rawCode : '';
    return {
      code: code || error.name || 'FAILED',
      message: oneLine(error.message),
      exitCode: BAD_PATH_CODES.has(code) ? EXIT_BAD_INPUT : EXIT_FAILURE,
      stack: error.stack,
    };
  }
  return { code: 'FAILED', message: oneLine(String(error)), exitCode: EXIT_FAILURE };
}

/** Collapses a multi-line message (YAML code frames, tfjs notes) to the one line a terminal shows. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}
