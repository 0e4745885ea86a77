import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../src/backend';
import { conv2DBackpropInputWasm } from '../src/kernels/conv2d_backprop_input';
import { registerWasmGradKernels, wasmGradKernelConfigs } from '../src/kernels/register';
import {
  type RefConv,
  refConv2DFilterGrad,
  refConv2DInputGrad,
  refDepthwiseFilterGrad,
  refDepthwiseInputGrad,
  relMaxError,
  seededValues,
} from './kernels_reference';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  x: Shape4;
  k: [number, number];
  /** output channels (conv) or channel multiplier (depthwise) */
  out: number;
  s: number | [number, number];
  d?: number;
  pad: Pad;
  round?: 'floor' | 'round' | 'ceil';
}

const TOL = 1e-4;

function runKernel(
  backendName: string,
  kernelName: string,
  inputs: Record<string, { shape: number[]; values: Float32Array }>,
  attrs: object,
): { shape: number[]; values: Float32Array } {
  const backend = tf.findBackend(backendName);
  const kernel = tf.getKernel(kernelName, backendName);
  if (!backend || !kernel) throw new Error(`no ${kernelName} on ${backendName}`);
  const infos: Record<string, tf.TensorInfo> = {};
  for (const [k, v] of Object.entries(inputs)) {
    infos[k] = { dataId: backend.write(v.values, v.shape, 'float32'), shape: v.shape, dtype: 'float32' };
  }
  const before = backend.numDataIds();
  const out = kernel.kernelFunc({ inputs: infos, backend, attrs: attrs as tf.NamedAttrMap }) as tf.TensorInfo;
  // exactly one new buffer: the output; every intermediate was released
  expect(backend.numDataIds()).toBe(before + 1);
  const values = Float32Array.from(backend.readSync(out.dataId) as Float32Array);
  backend.disposeData(out.dataId);
  for (const t of Object.values(infos)) backend.disposeData(t.dataId);
  return { shape: out.shape, values };
}

function geometry(c: Case, depthwise: boolean): RefConv & { dyShape: Shape4 } {
  const info = tf.backend_util.computeConv2DInfo(
    c.x,
    [c.k[0], c.k[1], c.x[3], depthwise ? c.out : c.out],
    c.s,
    c.d ?? 1,
    c.pad,
    c.round,
    depthwise,
  );
  const co = depthwise ? c.x[3] * c.out : c.out;
  return {
    xShape: c.x,
    dyShape: [c.x[0], info.outHeight, info.outWidth, co],
    kh: c.k[0],
    kw: c.k[1],
    stride: [info.strideHeight, info.strideWidth],
    dilation: [info.dilationHeight, info.dilationWidth],
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

const label = (c: Case) =>
  `x=${c.x} k=${c.k} out=${c.out} s=${c.s} d=${c.d ?? 1} pad=${JSON.stringify(c.pad)}${c.round ? ` ${c.round}` : ''}`;

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
  tf.findBackend('cpu'); // initialise the reference backend too (synchronous)
});

describe('registerWasmGradKernels', () => {
  it('registers the three missing kernels once and keeps existing ones', () => {
    for (const k of wasmGradKernelConfigs) expect(tf.getKernel(k.kernelName, 'wasm')).toBeDefined();
    expect(registerWasmGradKernels()).toEqual([]);
  });
});

const convCases: Case[] = [
  { x: [1, 5, 5, 2], k: [3, 3], out: 3, s: 1, pad: 'same' },
  { x: [3, 7, 9, 3], k: [3, 3], out: 4, s: 2, pad: 'same' },
  { x: [3, 7, 9, 3], k: [3, 3], out: 4, s: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: [1, 1], out: 5, s: 1, pad: 'valid' },
  { x: [2, 6, 5, 6], k: [1, 1], out: 3, s: 1, pad: 'same' },
  { x: [2, 9, 9, 3], k: [1, 1], out: 4, s: 2, pad: 'same' },
  { x: [1, 11, 7, 2], k: [5, 3], out: 2, s: [2, 1], pad: 'same' },
  { x: [3, 10, 10, 3], k: [3, 3], out: 2, s: 3, pad: 'valid' },
  {
    x: [2, 8, 9, 3],
    k: [3, 3],
    out: 4,
    s: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  {
    x: [3, 6, 6, 8],
    k: [3, 3],
    out: 8,
    s: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0],
    ],
  },
  { x: [1, 12, 10, 3], k: [2, 2], out: 3, s: 2, pad: 'valid' },
  { x: [1, 7, 8, 2], k: [3, 3], out: 3, s: 2, pad: 1, round: 'floor' },
  { x: [2, 16, 16, 3], k: [3, 3], out: 8, s: 2, pad: 'same' }, // a stem conv
];

describe('Conv2DBackpropInput on wasm (replaces the slow native one)', () => {
  it('is registered in place of the native kernel', () => {
    expect(registerWasmGradKernels()).toEqual([]);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')?.kernelFunc).toBe(conv2DBackpropInputWasm);
  });
  for (const c of convCases) {
    it(`matches cpu and the float64 reference: ${label(c)}`, () => {
      const g = geometry(c, false);
      const filterShape = [c.k[0], c.k[1], c.x[3], c.out];
      const dy = seededValues(size(g.dyShape), 12);
      const filter = seededValues(size(filterShape), 13);
      const attrs = {
        strides: c.s,
        pad: c.pad,
        dataFormat: 'NHWC',
        dimRoundingMode: c.round,
        inputShape: c.x,
      };
      const inputs = { dy: { shape: g.dyShape, values: dy }, filter: { shape: filterShape, values: filter } };
      const wasm = runKernel('wasm', 'Conv2DBackpropInput', inputs, attrs);
      const cpu = runKernel('cpu', 'Conv2DBackpropInput', inputs, attrs);
      const ref = refConv2DInputGrad(g, dy, filter, c.out);
      expect(wasm.shape).toEqual(c.x);
      expect(relMaxError(cpu.values, ref)).toBeLessThan(TOL);
      expect(relMaxError(wasm.values, cpu.values)).toBeLessThan(TOL);
    });
  }

  it('honours a dilations attr and NCHW', () => {
    const c: Case = { x: [2, 9, 9, 2], k: [3, 3], out: 3, s: 1, d: 2, pad: 'same' };
    const g = geometry(c, false);
    const dy = seededValues(size(g.dyShape), 14);
    const filter = seededValues(3 * 3 * 2 * 3, 15);
    const attrs = { strides: 1, dilations: 2, pad: 'same', dataFormat: 'NHWC', inputShape: c.x };
    const inputs = { dy: { shape: g.dyShape, values: dy }, filter: { shape: [3, 3, 2, 3], values: filter } };
    const wasm = runKernel('wasm', 'Conv2DBackpropInput', inputs, attrs);
    expect(relMaxError(wasm.values, refConv2DInputGrad(g, dy, filter, 3))).toBeLessThan(TOL);

    const nchw = { strides: 2, pad: 'same', dataFormat: 'NCHW', inputShape: [2, 3, 7, 6] };
    const nIn = {
      dy: { shape: [2, 4, 4, 3], values: seededValues(2 * 4 * 4 * 3, 16) },
      filter: { shape: [3, 3, 3, 4], values: seededValues(3 * 3 * 3 * 4, 17) },
    };
    const w2 = runKernel('wasm', 'Conv2DBackpropInput', nIn, nchw);
    const c2 = runKernel('cpu', 'Conv2DBackpropInput', nIn, nchw);
    expect(w2.shape).toEqual([2, 3, 7, 6]);
    expect(relMaxError(w2.values, c2.values)).toBeLessThan(TOL);
  });
});

describe('Conv2DBackpropFilter on wasm', () => {
  for (const c of convCases) {
    it(`matches cpu and the float64 reference: ${label(c)}`, () => {
      const g = geometry(c, false);
      const x = seededValues(size(c.x), 1);
      const dy = seededValues(size(g.dyShape), 2);
      const filterShape = [c.k[0], c.k[1], c.x[3], c.out];
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: c.round, filterShape };
      const inputs = { x: { shape: c.x, values: x }, dy: { shape: g.dyShape, values: dy } };
      const wasm = runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
      const cpu = runKernel('cpu', 'Conv2DBackpropFilter', inputs, attrs);
      const ref = refConv2DFilterGrad(g, x, dy, c.out);
      expect(wasm.shape).toEqual(filterShape);
      expect(relMaxError(cpu.values, ref)).toBeLessThan(TOL); // the reference agrees with tfjs
      expect(relMaxError(wasm.values, cpu.values)).toBeLessThan(TOL);
    });
  }

  it('honours a dilations attr (not emitted by tfjs 4.x, checked against the reference)', () => {
    const c: Case = { x: [2, 9, 9, 2], k: [3, 3], out: 3, s: 1, d: 2, pad: 'same' };
    const g = geometry(c, false);
    const x = seededValues(size(c.x), 3);
    const dy = seededValues(size(g.dyShape), 4);
    const attrs = { strides: 1, dilations: 2, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 2, 3] };
    const wasm = runKernel(
      'wasm',
      'Conv2DBackpropFilter',
      { x: { shape: c.x, values: x }, dy: { shape: g.dyShape, values: dy } },
      attrs,
    );
    expect(relMaxError(wasm.values, refConv2DFilterGrad(g, x, dy, 3))).toBeLessThan(TOL);
  });

  it('supports NCHW inputs like the cpu kernel', () => {
    const xShape = [2, 3, 7, 6];
    const dyShape = [2, 4, 4, 3];
    const x = seededValues(size(xShape), 5);
    const dy = seededValues(size(dyShape), 6);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NCHW', filterShape: [3, 3, 3, 4] };
    const inputs = { x: { shape: xShape, values: x }, dy: { shape: dyShape, values: dy } };
    const wasm = runKernel('wasm', 'Conv2DBackpropFilter', inputs, attrs);
    const cpu = runKernel('cpu', 'Conv2DBackpropFilter', inputs, attrs);
    expect(relMaxError(wasm.values, cpu.values)).toBeLessThan(TOL);
  });
});

const dwCases: Case[] = [
  { x: [1, 5, 5, 2], k: [3, 3], out: 1, s: 1, pad: 'same' },
  { x: [3, 7, 9, 3], k: [3, 3], out: 2, s: 2, pad: 'same' },
  { x: [3, 7, 9, 3], k: [3, 3], out: 1, s: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], k: [3, 3], out: 1, s: 1, d: 2, pad: 'same' },
  { x: [2, 9, 8, 2], k: [3, 3], out: 2, s: 1, d: 2, pad: 'valid' },
  { x: [1, 11, 7, 3], k: [5, 3], out: 1, s: [2, 1], pad: 'same' },
  { x: [3, 10, 10, 2], k: [3, 3], out: 2, s: 3, pad: 'valid' },
  {
    x: [2, 8, 9, 3],
    k: [3, 3],
    out: 1,
    s: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [2, 6, 6, 4], k: [2, 2], out: 1, s: 2, pad: 'same' },
  { x: [1, 13, 13, 8], k: [3, 3], out: 1, s: 2, pad: 'same' },
  { x: [3, 6, 7, 2], k: [1, 1], out: 3, s: 1, pad: 'valid' },
  {
    x: [2, 12, 12, 3],
    k: [3, 3],
    out: 1,
    s: 2,
    pad: [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ],
  },
  { x: [1, 4, 4, 2], k: [3, 3], out: 1, s: 1, d: 2, pad: 'same' },
  { x: [3, 9, 7, 2], k: [3, 3], out: 2, s: 2, pad: 'same' },
  { x: [1, 7, 8, 2], k: [3, 3], out: 2, s: 2, pad: 1, round: 'ceil' },
  { x: [2, 10, 10, 16], k: [3, 3], out: 1, s: 1, pad: 'same' }, // a MobileNet block
];

describe('DepthwiseConv2dNative gradients on wasm', () => {
  for (const c of dwCases) {
    const dilated = (c.d ?? 1) > 1;
    it(`filter and input grads match ${dilated ? 'the float64 reference' : 'cpu and the reference'}: ${label(c)}`, () => {
      const g = geometry(c, true);
      const x = seededValues(size(c.x), 7);
      const dy = seededValues(size(g.dyShape), 8);
      const filterShape: Shape4 = [c.k[0], c.k[1], c.x[3], c.out];
      const filter = seededValues(size(filterShape), 9);
      const common = { strides: c.s, pad: c.pad, dilations: c.d ?? 1, dimRoundingMode: c.round };

      const fAttrs = { ...common, filterShape };
      const fInputs = { x: { shape: c.x, values: x }, dy: { shape: g.dyShape, values: dy } };
      const dW = runKernel('wasm', 'DepthwiseConv2dNativeBackpropFilter', fInputs, fAttrs);
      expect(dW.shape).toEqual(filterShape);
      expect(relMaxError(dW.values, refDepthwiseFilterGrad(g, x, dy, c.out))).toBeLessThan(TOL);

      const iAttrs = { ...common, inputShape: c.x };
      const iInputs = {
        dy: { shape: g.dyShape, values: dy },
        filter: { shape: filterShape, values: filter },
      };
      const dX = runKernel('wasm', 'DepthwiseConv2dNativeBackpropInput', iInputs, iAttrs);
      expect(dX.shape).toEqual(c.x);
      expect(relMaxError(dX.values, refDepthwiseInputGrad(g, dy, filter, c.out))).toBeLessThan(TOL);

      if (!dilated) {
        // tfjs' cpu kernels ignore dilations in these gradients (its ops reject them), so only
        // the undilated cases can be compared with cpu.
        const cpuW = runKernel('cpu', 'DepthwiseConv2dNativeBackpropFilter', fInputs, fAttrs);
        const cpuX = runKernel('cpu', 'DepthwiseConv2dNativeBackpropInput', iInputs, iAttrs);
        expect(relMaxError(dW.values, cpuW.values)).toBeLessThan(TOL);
        expect(relMaxError(dX.values, cpuX.values)).toBeLessThan(TOL);
      }
    });
  }
});

describe('Tile on wasm (replaces the slow native one)', () => {
  const cases: Array<[number[], number[]]> = [
    [
      [1, 1, 1, 5],
      [3, 4, 2, 1],
    ], // BatchNorm gradient: broadcast a per-channel vector
    [
      [2, 3],
      [2, 2],
    ],
    [
      [4, 1, 3],
      [1, 5, 2],
    ],
    [[3], [4]],
    [
      [2, 1, 2, 1, 2],
      [2, 2, 2, 2, 2],
    ], // needs > 6 broadcast axes: native fallback
    [
      [2, 2],
      [1, 1],
    ], // nothing repeated: native fallback
  ];
  for (const [shape, reps] of cases) {
    it(`is exact: x ${shape}, reps ${reps}`, () => {
      const values = seededValues(size(shape), 21);
      values[0] = -0;
      if (values.length > 2) values[1] = Number.NaN;
      if (values.length > 3) values[2] = Number.POSITIVE_INFINITY;
      const inputs = { x: { shape, values } };
      const wasm = runKernel('wasm', 'Tile', inputs, { reps });
      const cpu = runKernel('cpu', 'Tile', inputs, { reps });
      expect(wasm.shape).toEqual(cpu.shape);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values)); // -0, NaN, Inf preserved
    });
  }

  it('hands int32 tiles to the native kernel', async () => {
    const out = tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 1]);
    expect(out.dtype).toBe('int32');
    expect(Array.from(await out.data())).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    out.dispose();
  });
});

describe('Slice on wasm (replaces the native one, which copies the whole input first)', () => {
  const cases: Array<[number[], number[], number[]]> = [
    [
      [8, 3, 4, 2],
      [2, 0, 0, 0],
      [3, 3, 4, 2],
    ], // a batch of rows: contiguous fast path
    [
      [8, 3, 4, 2],
      [5, 0, 0, 0],
      [-1, -1, -1, -1],
    ], // -1 = to the end
    [
      [6, 5],
      [1, 2],
      [1, 3],
    ], // contiguous within one row
    [
      [8, 3, 4, 2],
      [1, 1, 0, 0],
      [2, 2, 4, 2],
    ], // not contiguous: native fallback
    [
      [4, 5, 6],
      [0, 0, 0],
      [0, 5, 6],
    ], // empty
  ];
  for (const [shape, begin, sz] of cases) {
    it(`is exact: x ${shape}, begin ${begin}, size ${sz}`, () => {
      const inputs = { x: { shape, values: seededValues(size(shape), 31) } };
      const wasm = runKernel('wasm', 'Slice', inputs, { begin, size: sz });
      const cpu = runKernel('cpu', 'Slice', inputs, { begin, size: sz });
      expect(wasm.shape).toEqual(cpu.shape);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    });
  }

  it('keeps int32 and bool data and works through tf.slice', async () => {
    const i = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32');
    const b = tf.tensor1d([true, false, true, true], 'bool');
    const si = tf.slice(i, [1, 0], [2, 2]);
    const sb = tf.slice(b, [1], [2]);
    expect(si.dtype).toBe('int32');
    expect(Array.from(await si.data())).toEqual([3, 4, 5, 6]);
    expect(Array.from(await sb.data())).toEqual([0, 1]);
    tf.dispose([i, b, si, sb]);
  });
});
