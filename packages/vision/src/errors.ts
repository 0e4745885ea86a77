import { FrostlineError, type FrostlineErrorOptions } from '@frostline/core';

/** Stable codes: callers (the CLI, tests) switch on these, never on message text. */
export type VisionErrorCode =
  | 'MISSING_PEER'
  | 'UNKNOWN_MODEL'
  | 'INVALID_OPTION'
  | 'INVALID_INPUT_SIZE'
  | 'UNKNOWN_LAYER'
  | 'LOAD_FAILED'
  | 'EMPTY_CLASS'
  | 'SINGLE_CLASS'
  | 'NO_IMAGES'
  | 'UNREADABLE_IMAGE'
  | 'CLASS_MISMATCH'
  | 'CHANNEL_MISMATCH'
  | 'SHAPE_MISMATCH'
  | 'UNSUPPORTED_ENVIRONMENT'
  /** A checkpoint's state_dict does not fit the architecture (missing, unexpected or wrongly shaped keys). */
  | 'WEIGHTS_MISMATCH';

/** The one error class of @frostline/vision: what was wrong, and (in `hint`) how to fix it. */
export class VisionError extends FrostlineError {
  declare readonly code: VisionErrorCode;

  constructor(
    code: VisionErrorCode,
    message: string,
    hint?: string,
    opts: Omit<FrostlineErrorOptions, 'hint'> = {},
  ) {
    super(code, hint ? `${message}\n  hint: ${hint}` : message, {
      ...opts,
      ...(hint !== undefined ? { hint } : {}),
      userFault: opts.userFault ?? code !== 'UNSUPPORTED_ENVIRONMENT',
    });
    this.name = 'VisionError';
  }
}
