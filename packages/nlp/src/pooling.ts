import { NlpError } from './errors';

export type Pooling = 'cls' | 'mean' | 'max' | 'pooler';

/**
 * Pools token states [batch, seq, hidden] into one vector per sequence. `mean` and `max` only look
 * at positions whose attention mask is 1, so padding never leaks into an embedding (the batch
 * composition cannot change a sentence's vector).
 */
export function poolHidden(
  hidden: ArrayLike<number>,
  dims: readonly number[],
  mask: ArrayLike<number | bigint>,
  pooling: Exclude<Pooling, 'pooler'>,
): Float32Array[] {
  const [batch, seq, dim] = dims as [number, number, number];
  if (dims.length !== 3) {
    throw new NlpError('POOLING_UNAVAILABLE', `expected token states [batch, seq, hidden], got [${dims}]`);
  }
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    const base = b * seq * dim;
    if (pooling === 'cls') {
      for (let h = 0; h < dim; h++) v[h] = hidden[base + h]!;
    } else {
      let count = 0;
      if (pooling === 'max') v.fill(Number.NEGATIVE_INFINITY);
      // Accumulate in float64: long sequences of float32 sums drift from a reference implementation.
      const acc = pooling === 'mean' ? new Float64Array(dim) : undefined;
      for (let s = 0; s < seq; s++) {
        if (Number(mask[b * seq + s]) === 0) continue;
        count++;
        const off = base + s * dim;
        if (acc) for (let h = 0; h < dim; h++) acc[h]! += hidden[off + h]!;
        else for (let h = 0; h < dim; h++) if (hidden[off + h]! > v[h]!) v[h] = hidden[off + h]!;
      }
      if (acc) for (let h = 0; h < dim; h++) v[h] = count > 0 ? acc[h]! / count : 0;
      else if (count === 0) v.fill(0);
    }
    out.push(v);
  }
  return out;
}

/** L2-normalises in place (a zero vector stays zero) and returns the same array. */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / n;
  return v;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na > 0 && nb > 0 ? dot / Math.sqrt(na * nb) : 0;
}
