import { FrostlineError, isFrostlineError } from '@frostline/core';

export type StudioErrorCode =
  | 'NOT_AN_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'UNREADABLE_IMAGE'
  | 'TOO_FEW_CLASSES'
  | 'EMPTY_CLASS'
  | 'TOO_FEW_IMAGES'
  | 'UNNAMED_CLASS'
  | 'DUPLICATE_CLASS'
  | 'BAD_PROJECT_FILE'
  | 'BAD_SETTING'
  | 'NOT_TRAINED'
  | 'MODEL_LOAD_FAILED'
  | 'NO_BACKEND'
  | 'WEBCAM_UNAVAILABLE';

/** The app's own user-facing errors, in frostline's error family (code + hint). */
export class StudioError extends FrostlineError {
  declare readonly code: StudioErrorCode;
  constructor(code: StudioErrorCode, message: string, hint?: string) {
    super(code, message, { ...(hint ? { hint } : {}), userFault: true });
    this.name = 'StudioError';
  }
}

/** One line for the screen: the message, then the hint when the message does not already hold it. */
export function describeError(e: unknown): { message: string; hint?: string; code?: string } {
  if (isFrostlineError(e)) {
    const first = e.message.split('\n  hint:')[0]!;
    const hint = e.hint && !first.includes(e.hint) ? e.hint : undefined;
    return { message: first, code: e.code, ...(hint ? { hint } : {}) };
  }
  if (e instanceof Error) return { message: e.message || e.name };
  return { message: String(e) };
}
