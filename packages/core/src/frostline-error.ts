/**
 * The root of frostline's error family. Every package's error class (`PolicyError` here,
 * `FrostlineTfjsError`, `VisionError`, `NlpError`, the CLI's `CliError`) extends it, so a caller can
 * handle any frostline failure in one place: a stable `code` for programs, a `message` that says what was
 * wrong, a `hint` that says how to fix it, where it happened (`path` inside a policy or config, `file` on
 * disk) and whose fault it was (`userFault`: the input, or frostline itself).
 *
 * `isFrostlineError` recognises an error by a `Symbol.for` brand rather than by class identity, so it also
 * works for an error thrown by a second copy of a package (a CJS and an ESM build, or two installs).
 */

const BRAND: unique symbol = Symbol.for('frostline.error') as never;

export interface FrostlineErrorOptions {
  /** How to fix it, when the message alone does not say. */
  hint?: string;
  /** Where inside a structured input, e.g. `rules[2].freeze`, `params[3]`, `train.epochs`. */
  path?: string;
  /** The file on disk the error is about. */
  file?: string;
  /** True (the default) when the input is at fault; false for a frostline bug or an internal failure. */
  userFault?: boolean;
  /** Structured data for programs (e.g. the parameters that changed). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class FrostlineError extends Error {
  readonly code: string;
  readonly hint?: string;
  readonly path?: string;
  readonly file?: string;
  /** Whose fault: true = the user's input (CLI exit 2), false = frostline or the runtime (exit 1). */
  readonly userFault: boolean;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, opts: FrostlineErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'FrostlineError';
    this.code = code;
    if (opts.hint !== undefined) this.hint = opts.hint;
    if (opts.path !== undefined) this.path = opts.path;
    if (opts.file !== undefined) this.file = opts.file;
    if (opts.details !== undefined) this.details = opts.details;
    this.userFault = opts.userFault ?? true;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
  }
}

/** True for any error of frostline's family, also one thrown by another copy of a frostline package. */
export function isFrostlineError(e: unknown): e is FrostlineError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as Record<symbol, unknown>)[BRAND] === true &&
    typeof (e as { code?: unknown }).code === 'string'
  );
}
