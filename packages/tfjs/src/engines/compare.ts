/** How far an engine's output is from TF.js' (see `outputDifference`). */
export interface OutputDifference {
  /** Largest elementwise |a − b|. */
  maxAbs: number;
  /** `maxAbs` over the reference's largest magnitude: the error relative to the output's scale. */
  relative: number;
  /** A length mismatch, a NaN on one side only, or an infinity: never within any tolerance. */
  incomparable?: string;
}

/** The tolerance of the exactness guard and of the exporter's tests. */
export const ENGINE_TOLERANCE = 1e-4;

/**
 * Compare an engine's output with the TF.js reference, both as float32. The error is taken relative
 * to the reference's largest magnitude (features near zero would make an elementwise ratio blow up).
 */
export function outputDifference(actual: Float32Array, reference: Float32Array): OutputDifference {
  if (actual.length !== reference.length) {
    return {
      maxAbs: Number.POSITIVE_INFINITY,
      relative: Number.POSITIVE_INFINITY,
      incomparable: `${actual.length} values vs ${reference.length}`,
    };
  }
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const r = reference[i]!;
    if (Number.isNaN(a) !== Number.isNaN(r) || (!Number.isFinite(a) && a !== r)) {
      return {
        maxAbs: Number.POSITIVE_INFINITY,
        relative: Number.POSITIVE_INFINITY,
        incomparable: `value ${i}: ${a} vs ${r}`,
      };
    }
    if (Number.isNaN(a) || !Number.isFinite(a)) continue;
    maxAbs = Math.max(maxAbs, Math.abs(a - r));
    scale = Math.max(scale, Math.abs(r));
  }
  return { maxAbs, relative: maxAbs === 0 ? 0 : maxAbs / Math.max(scale, Number.MIN_VALUE) };
}
