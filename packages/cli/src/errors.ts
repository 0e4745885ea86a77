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

export class CliError extends Error {
  override name = 'CliError';
  readonly code: CliErrorCode;
  readonly exitCode: number;
  constructor(code: CliErrorCode, message: string, opts: { exitCode?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.exitCode = opts.exitCode ?? (code === 'FAILED' ? EXIT_FAILURE : EXIT_BAD_INPUT);
  }
}

/**
 * Codes of sibling packages' errors that mean "your input is wrong" (exit 2) rather than "the run
 * failed" (exit 1). Matched by duck typing so the CLI never needs a sibling's class identity (two
 * copies of a package in node_modules would break `instanceof`).
 */
const BAD_INPUT_CODES = new Set([
  // core PolicyError: every code is about the policy or the model the user gave
  'UNKNOWN_KEY',
  'INVALID_TYPE',
  'EMPTY_RULE',
  'CONTRADICTORY_RULE',
  'INVALID_EPOCH',
  'INVALID_REGEX',
  'INVALID_SELECTOR',
  'INVALID_FACTOR',
  'DUPLICATE_PARAMETER',
  'NO_MATCH',
  'FIXED_PARAMETER',
  'PARSE_ERROR',
  'INVALID_FORMAT',
  'EMPTY_MODEL',
  // tfjs / vision / nlp input problems
  'BAD_DATA',
  'CHECKPOINT_INVALID',
  'UNSAFE_PATH',
  'WEIGHT_SIZE_MISMATCH',
  'BACKEND_UNAVAILABLE',
  'MODEL_NOT_FOUND',
  'BAD_MODEL',
  'UNKNOWN_BACKBONE',
  'UNKNOWN_MODEL',
  'EMPTY_DATASET',
  'EMPTY_CLASS',
  'SINGLE_CLASS',
  'CLASS_MISMATCH',
  'NOT_FOUND',
  'MISSING_COLUMN',
  'EMPTY_TEXT',
  'UNKNOWN_LABEL',
  'BAD_IMAGE',
  'INVALID_OPTION',
  'INVALID_INPUT_SIZE',
  'UNKNOWN_LAYER',
  'NO_IMAGES',
  'UNREADABLE_IMAGE',
  'CHANNEL_MISMATCH',
  'SHAPE_MISMATCH',
  'LOAD_FAILED',
  'BAD_OPTION',
  'UNSUPPORTED_MODEL',
  'MODEL_FILE_MISSING',
  'MODEL_FILE_INVALID',
  'POOLING_UNAVAILABLE',
  'DATA_PARSE',
  'DATA_MISSING_COLUMN',
  'DATA_EMPTY_TEXT',
  'DATA_UNKNOWN_LABEL',
  'DATA_SINGLE_CLASS',
  'DATA_EMPTY',
  'BAD_CHANNELS',
  'MISSING_PEER',
  'PEER_MISSING',
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EACCES',
]);

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
  if (error instanceof Error) {
    const rawCode = (error as { code?: unknown }).code;
    const code = typeof rawCode === 'string' ? rawCode : '';
    const badInput = error.name === 'PolicyError' || BAD_INPUT_CODES.has(code);
    let message = error.message;
    const path = (error as { path?: unknown }).path;
    if (error.name === 'PolicyError' && typeof path === 'string' && path && !message.includes(path)) {
      message = `policy ${path}: ${message}`;
    }
    const hint = (error as { hint?: unknown }).hint;
    if (typeof hint === 'string' && hint && !message.includes(hint)) message = `${message} (${hint})`;
    return {
      code: code || error.name || 'FAILED',
      message: oneLine(message),
      exitCode: badInput ? EXIT_BAD_INPUT : EXIT_FAILURE,
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
