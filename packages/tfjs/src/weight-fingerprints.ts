import { hashBytes } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';

/**
 * Key frostline adds to every entry of a weights manifest it writes: a 64-bit hash of that weight's
 * bytes (core's `hashBytes`). Plain TF.js ignores unknown entry keys, and a model it re-saves gets a
 * fresh manifest without them, so a stale fingerprint can never travel with changed weights.
 */
export const FINGERPRINT_KEY = 'frostlineFingerprint';

type Entry = tf.io.WeightsManifestEntry & { [FINGERPRINT_KEY]?: unknown };

/** Bytes one weight entry takes in a weights file (undefined for variable-length string tensors). */
export function specBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const q = spec.quantization?.dtype;
  if (q) return size * (q === 'uint8' ? 1 : 2);
  switch (spec.dtype) {
    case 'float32':
    case 'int32':
      return size * 4;
    case 'bool':
      return size;
    case 'complex64':
      return size * 8;
    default:
      return undefined;
  }
}

/** Byte ranges of each entry in the concatenated weight data; undefined when a size is unknowable. */
function ranges(specs: readonly tf.io.WeightsManifestEntry[]): Array<[number, number]> | undefined {
  const out: Array<[number, number]> = [];
  let at = 0;
  for (const s of specs) {
    const n = specBytes(s);
    if (n === undefined) return undefined;
    out.push([at, at + n]);
    at += n;
  }
  return out;
}

/** The specs with a fingerprint of each weight's bytes (unchanged when a string tensor makes offsets unknowable). */
export function withFingerprints(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
): tf.io.WeightsManifestEntry[] {
  const r = ranges(specs);
  if (!r || r[r.length - 1]?.[1] !== data.byteLength) return specs.map((s) => ({ ...s }));
  return specs.map((s, i) => {
    const [a, b] = r[i]!;
    return { ...s, [FINGERPRINT_KEY]: hashBytes(new Uint8Array(data, a, b - a)) } as Entry;
  });
}

/**
 * Check every weight that carries a fingerprint against the bytes the manifest assigns to it. A
 * manifest whose entries were reordered or edited, or a weights file changed in place, fails here
 * instead of loading scrambled weights. Manifests without fingerprints (foreign models) pass.
 */
export function verifyFingerprints(
  specs: readonly tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  where: string,
): void {
  const entries = specs as readonly Entry[];
  if (!entries.some((e) => e[FINGERPRINT_KEY] !== undefined)) return;
  const r = ranges(specs);
  if (!r) return;
  for (const [i, e] of entries.entries()) {
    const want = e[FINGERPRINT_KEY];
    if (want === undefined) continue;
    const [a, b] = r[i]!;
    const got = b <= data.byteLength ? hashBytes(new Uint8Array(data, a, b - a)) : 'missing bytes';
    if (got !== want) {
      throw new FrostlineTfjsError(
        'WEIGHT_CHECKSUM_MISMATCH',
        `Weight '${e.name}' (entry ${i + 1} of the manifest in ${where}) does not match the fingerprint saved with it. ` +
          'The manifest was reordered or edited, or the weights file was changed after saving; re-save the model or restore the original files.',
        { details: { weight: e.name, index: i, expected: want, actual: got } },
      );
    }
  }
}
