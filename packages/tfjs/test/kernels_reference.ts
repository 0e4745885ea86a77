// Naive float64 references for the conv gradients, written from the definitions (not from any
// backend), so dilations and explicit pads are checked even where tfjs' cpu kernels ignore them.
export interface RefConv {
  xShape: [number, number, number, number];
  dyShape: [number, number, number, number];
  kh: number;
  kw: number;
  stride: [number, number];
  dilation: [number, number];
  padTop: number;
  padLeft: number;
}

function forEachTap(
  g: RefConv,
  f: (n: number, oy: number, ox: number, i: number, j: number, y: number, x: number) => void,
): void {
  const [nb, h, w] = g.xShape;
  const [, ho, wo] = g.dyShape;
  for (let n = 0; n < nb; n++)
    for (let oy = 0; oy < ho; oy++)
      for (let ox = 0; ox < wo; ox++)
        for (let i = 0; i < g.kh; i++) {
          const y = oy * g.stride[0] + i * g.dilation[0] - g.padTop;
          if (y < 0 || y >= h) continue;
          for (let j = 0; j < g.kw; j++) {
            const x = ox * g.stride[1] + j * g.dilation[1] - g.padLeft;
            if (x < 0 || x >= w) continue;
            f(n, oy, ox, i, j, y, x);
          }
        }
}

export function refConv2DFilterGrad(g: RefConv, x: Float32Array, dy: Float32Array, co: number): Float64Array {
  const [, h, w, ci] = g.xShape;
  const [, ho, wo] = g.dyShape;
  const out = new Float64Array(g.kh * g.kw * ci * co);
  forEachTap(g, (n, oy, ox, i, j, yy, xx) => {
    const xb = ((n * h + yy) * w + xx) * ci;
    const db = ((n * ho + oy) * wo + ox) * co;
    for (let a = 0; a < ci; a++) {
      const xv = x[xb + a] as number;
      const ob = ((i * g.kw + j) * ci + a) * co;
      for (let b = 0; b < co; b++) out[ob + b] = (out[ob + b] as number) + xv * (dy[db + b] as number);
    }
  });
  return out;
}

export function refDepthwiseFilterGrad(
  g: RefConv,
  x: Float32Array,
  dy: Float32Array,
  mult: number,
): Float64Array {
  const [, h, w, c] = g.xShape;
  const [, ho, wo] = g.dyShape;
  const out = new Float64Array(g.kh * g.kw * c * mult);
  forEachTap(g, (n, oy, ox, i, j, yy, xx) => {
    const xb = ((n * h + yy) * w + xx) * c;
    const db = ((n * ho + oy) * wo + ox) * c * mult;
    const ob = (i * g.kw + j) * c * mult;
    for (let a = 0; a < c; a++)
      for (let m = 0; m < mult; m++)
        out[ob + a * mult + m] =
          (out[ob + a * mult + m] as number) + (x[xb + a] as number) * (dy[db + a * mult + m] as number);
  });
  return out;
}

export function refDepthwiseInputGrad(
  g: RefConv,
  dy: Float32Array,
  filter: Float32Array,
  mult: number,
): Float64Array {
  const [nb, h, w, c] = g.xShape;
  const [, ho, wo] = g.dyShape;
  const out = new Float64Array(nb * h * w * c);
  forEachTap(g, (n, oy, ox, i, j, yy, xx) => {
    const xb = ((n * h + yy) * w + xx) * c;
    const db = ((n * ho + oy) * wo + ox) * c * mult;
    const fb = (i * g.kw + j) * c * mult;
    for (let a = 0; a < c; a++)
      for (let m = 0; m < mult; m++)
        out[xb + a] =
          (out[xb + a] as number) + (dy[db + a * mult + m] as number) * (filter[fb + a * mult + m] as number);
  });
  return out;
}

/** Deterministic uniform(-1, 1) values (mulberry32), so failures reproduce. */
export function seededValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** max |a-b| relative to max |b| (floored at 1e-3 so all-tiny outputs are not over-weighted). */
export function relMaxError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let err = 0;
  let mag = 1e-3;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs((a[i] as number) - (b[i] as number)));
    mag = Math.max(mag, Math.abs(b[i] as number));
  }
  return err / mag;
}

export function refConv2DInputGrad(
  g: RefConv,
  dy: Float32Array,
  filter: Float32Array,
  co: number,
): Float64Array {
  const [nb, h, w, ci] = g.xShape;
  const [, ho, wo] = g.dyShape;
  const out = new Float64Array(nb * h * w * ci);
  forEachTap(g, (n, oy, ox, i, j, yy, xx) => {
    const xb = ((n * h + yy) * w + xx) * ci;
    const db = ((n * ho + oy) * wo + ox) * co;
    for (let a = 0; a < ci; a++) {
      const fb = ((i * g.kw + j) * ci + a) * co;
      let acc = 0;
      for (let b = 0; b < co; b++) acc += (dy[db + b] as number) * (filter[fb + b] as number);
      out[xb + a] = (out[xb + a] as number) + acc;
    }
  });
  return out;
}
