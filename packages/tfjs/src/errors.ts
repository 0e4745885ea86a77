import { FrostlineError, type FrostlineErrorOptions } from '@frostline/core';

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
  | 'KERNEL_UNAVAILABLE'
  // Checkpoint readers (safetensors, torch.save zip archives): see src/weights/.
  | 'WEIGHTS_FORMAT'
  | 'WEIGHTS_TRUNCATED'
  | 'WEIGHTS_OUT_OF_RANGE'
  | 'WEIGHTS_OVERLAP'
  | 'WEIGHTS_CORRUPT'
  | 'WEIGHTS_DTYPE'
  | 'WEIGHTS_NO_DATA_PKL'
  | 'WEIGHTS_UNKNOWN_KEY'
  | 'WEIGHTS_EXISTS'
  | 'UNSAFE_PICKLE';

/** Codes that mean the run or the runtime failed, not the user's input (the CLI exits 1 for these). */
const INTERNAL_CODES: ReadonlySet<FrostlineTfjsErrorCode> = new Set([
  'NAN_LOSS',
  'FROZEN_CHANGED',
  'PLAN_MISMATCH',
  'ABORTED',
  'KERNEL_UNAVAILABLE',
]);

/**
 * The one error class of this package. `message` says what went wrong and how to fix it; `code` is stable
 * for programs; `details` carries structured data (e.g. the parameters that changed).
 */
export class FrostlineTfjsError extends FrostlineError {
  declare readonly code: FrostlineTfjsErrorCode;
  constructor(
    code: FrostlineTfjsErrorCode,
    message: string,
    opts: Omit<FrostlineErrorOptions, 'userFault'> = {},
  ) {
    super(code, message, { ...opts, userFault: !INTERNAL_CODES.has(code) });
    this.name = 'FrostlineTfjsError';
  }
}
