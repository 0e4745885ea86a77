import { FrostlineError } from '@frostline/core';

/** Stable codes: callers (CLI, demo) branch on these, never on message text. */
export type NlpErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_FILE_MISSING'
  | 'MODEL_FILE_INVALID'
  | 'RUNTIME_UNAVAILABLE'
  | 'RUNTIME_BROKEN'
  | 'BAD_OPTION'
  | 'POOLING_UNAVAILABLE'
  | 'DATA_PARSE'
  | 'DATA_MISSING_COLUMN'
  | 'DATA_EMPTY_TEXT'
  | 'DATA_UNKNOWN_LABEL'
  | 'DATA_SINGLE_CLASS'
  | 'DATA_EMPTY'
  | 'CACHE_IO'
  | 'UNKNOWN_MODEL_TYPE'
  | 'WEIGHTS_MISMATCH';

/** The one error class of @frostline/nlp: what was wrong, and (in `hint`) how to fix it. */
export class NlpError extends FrostlineError {
  declare readonly code: NlpErrorCode;
  /** 1-based line of the input file, for data errors. */
  readonly line?: number;

  constructor(
    code: NlpErrorCode,
    message: string,
    opts: {
      hint?: string;
      line?: number;
      file?: string;
      /** The key inside the file (a checkpoint tensor, a config field). */
      path?: string;
      details?: Record<string, unknown>;
      cause?: unknown;
    } = {},
  ) {
    const where = opts.file
      ? `${opts.file}${opts.line ? `:${opts.line}` : ''}: `
      : opts.line
        ? `line ${opts.line}: `
        : '';
    super(code, `${where}${message}${opts.hint ? `\n  hint: ${opts.hint}` : ''}`, {
      ...(opts.hint !== undefined ? { hint: opts.hint } : {}),
      ...(opts.file !== undefined ? { file: opts.file } : {}),
      ...(opts.path !== undefined ? { path: opts.path } : {}),
      ...(opts.details !== undefined ? { details: opts.details } : {}),
      ...(opts.cause !== undefined ? { cause: opts.cause } : {}),
      userFault: code !== 'RUNTIME_BROKEN' && code !== 'CACHE_IO',
    });
    this.name = 'NlpError';
    if (opts.line !== undefined) this.line = opts.line;
  }
}
