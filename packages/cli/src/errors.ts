import { FrostlineError, isFrostlineError } from '@frostline/core';

/**
 * One error class for the CLI, and the one place where any error becomes what the user reads.
 * Errors are created with their fields (`file`, `path`, `hint`) where they are thrown; `describeError`
 * formats them once, at the edge, and picks the exit code from the one table below.
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
  | 'OUTPUT_NOT_EMPTY'
  | 'MISSING_PEER'
  | 'INTERRUPTED'
  | 'FAILED';

/**
 * The exit codes, all of them:
 * 0 ok · 2 the user's input (command line, config, policy, model or data files) · 1 a frostline bug or
 * a failure of the run itself · 130 interrupted (Ctrl-C; `train` saves a checkpoint first).
 */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
/** 128 + SIGINT, what shells report for a command stopped with Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

export interface CliErrorOptions {
  cause?: unknown;
  hint?: string;
  /** The file the error is about; the message then need not repeat it. */
  file?: string;
  /** Where inside that file (`dataset.mnist.perClass`). */
  path?: string;
  /** 1-based line and column in `file` (syntax errors). */
  line?: number;
  column?: number;
}

export class CliError extends FrostlineError {
  declare readonly code: CliErrorCode;
  readonly exitCode: number;
  constructor(code: CliErrorCode, message: string, opts: CliErrorOptions = {}) {
    const exitCode =
      code === 'FAILED' ? EXIT_FAILURE : code === 'INTERRUPTED' ? EXIT_INTERRUPTED : EXIT_BAD_INPUT;
    const { line, column, ...rest } = opts;
    super(code, message, {
      ...rest,
      ...(line !== undefined ? { details: { line, ...(column !== undefined ? { column } : {}) } } : {}),
      userFault: exitCode === EXIT_BAD_INPUT,
    });
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * Errors thrown by other packages (core's planner, vision, nlp) cannot know which file the user
 * wrote them in; the CLI records that here, next to the error, instead of editing its message.
 * `within` names the section of that file (`policy` for a policy inline in a run config).
 */
export interface Blame {
  file: string;
  within?: string;
}
const BLAMES = new WeakMap<object, Blame>();

/** Records which file (and section) an error is about, unless it already names one; returns it. */
export function blame<E>(error: E, where: Blame): E {
  if (typeof error === 'object' && error !== null && !BLAMES.has(error)) {
    if (!(isFrostlineError(error) && error.file)) BLAMES.set(error, where);
  }
  return error;
}

/** Runs `fn`; whatever it throws is blamed on `where`. */
export function blaming<T>(where: Blame, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw blame(error, where);
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

/** `file: section.path: message (hint)` from an error's fields, each part once. */
function formatFrostline(error: FrostlineError): string {
  const where = BLAMES.get(error);
  const file = fileAndLine(error.file ?? where?.file, error.details);
  let message = error.message;
  if (error.path && !message.startsWith(error.path)) message = `${error.path}: ${message}`;
  if (where?.within) {
    message =
      error.path && message.startsWith(error.path)
        ? `${where.within}.${message}`
        : `${where.within}: ${message}`;
  }
  if (file && !message.includes(file)) message = `${file}: ${message}`;
  if (error.hint && !message.includes(error.hint)) message = `${message} (${error.hint})`;
  return message;
}

/** `run.yaml:4:1` when the error knows the line (and column). */
function fileAndLine(
  file: string | undefined,
  details: Record<string, unknown> | undefined,
): string | undefined {
  const line = details?.line;
  if (file === undefined || typeof line !== 'number') return file;
  return typeof details?.column === 'number' ? `${file}:${line}:${details.column}` : `${file}:${line}`;
}

/** Turns anything thrown into the one-line message and exit code the CLI reports (the table above). */
export function describeError(error: unknown): DescribedError {
  if (isFrostlineError(error)) {
    // Every package's error says whose fault it was; the CLI never needs to know their codes.
    const exitCode =
      error instanceof CliError ? error.exitCode : error.userFault ? EXIT_BAD_INPUT : EXIT_FAILURE;
    return {
      code: error.code,
      message: clip(oneLine(formatFrostline(error))),
      exitCode,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  if (error instanceof Error) {
    const rawCode = (error as { code?: unknown }).code;
    const code = typeof rawCode === 'string' ? rawCode : '';
    const file = BLAMES.get(error)?.file;
    const message = file && !error.message.includes(file) ? `${file}: ${error.message}` : error.message;
    return {
      code: code || error.name || 'FAILED',
      message: clip(oneLine(message)),
      exitCode: BAD_PATH_CODES.has(code) ? EXIT_BAD_INPUT : EXIT_FAILURE,
      ...(error.stack ? { stack: error.stack } : {}),
    };
  }
  return { code: 'FAILED', message: clip(oneLine(String(error))), exitCode: EXIT_FAILURE };
}

/** Collapses a multi-line message (YAML code frames, hints on their own line) to one terminal line. */
export function oneLine(message: string): string {
  return message
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The longest message the CLI prints: a pasted 100 KB regex must not flood the terminal. */
export const MAX_MESSAGE_LENGTH = 600;

function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH - 1)}…`;
}
