/** Stable codes for every error `@frostline/tfjs` throws on purpose. */
export type FrostlineTfjsErrorCode =
  | 'NAN_LOSS'
  | 'FROZEN_CHANGED'
  | 'BAD_DATA'
  | 'LABEL_MISMATCH'
  | 'BAD_OPTION'
  | 'UNSUPPORTED_MODEL'
  | 'PLAN_MISMATCH'
  | 'CHECKPOINT_INVALID'
  | 'UNSAFE_PATH'
  | 'WEIGHT_SIZE_MISMATCH'
  | 'IO_UNAVAILABLE'
  | 'MODEL_LOAD_FAILED'
  | 'ABORTED'
  | 'BACKEND_UNAVAILABLE'
  | 'KERNEL_UNAVAILABLE';

/**
 * The one error class of this package. `message` says what went wrong and how to fix it; `code` is stable
 * for programs; `details` carries structured data (e.g. the parameters that changed).
 */
export class FrostlineTfjsError extends Error {
  readonly code: FrostlineTfjsErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(
    code: FrostlineTfjsErrorCode,
    message: string,
    opts?: { details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, opts?.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FrostlineTfjsError';
    this.code = code;
    if (opts?.details) this.details = opts.details;
  }
}
