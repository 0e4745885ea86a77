import * as tf from '@tensorflow/tfjs';
import type { Initializer } from '../build-utils';

/**
 * How one PyTorch state_dict key becomes one TF.js weight:
 * - `conv`: Conv2d weight OIHW → Conv2D kernel HWIO;
 * - `depthwise`: depthwise Conv2d weight (C, 1, kh, kw) → DepthwiseConv2D kernel (kh, kw, C, 1);
 * - `linear`: Linear weight (out, in) → Dense kernel (in, out);
 * - `same`: vectors (biases, BatchNorm weight/bias/running stats) copied as they are.
 */
export type TorchLayout = 'conv' | 'depthwise' | 'linear' | 'same';

export interface TorchBinding {
  /** The state_dict key, e.g. `layer4.0.conv1.weight`. */
  key: string;
  /** The TF.js layer (named after the PyTorch module path, e.g. `layer4.0.conv1`). */
  layer: string;
  /** The TF.js weight inside it: `kernel`, `depthwise_kernel`, `bias`, `gamma`, `beta`, `moving_mean`, `moving_variance`. */
  weight: string;
  layout: TorchLayout;
  /** The shape the key must have in the checkpoint (PyTorch layout). */
  torchShape: number[];
}

/** Permutation from the PyTorch layout to the TF.js one (and its inverse, for saving back). */
export const TO_TF: Record<TorchLayout, number[] | undefined> = {
  conv: [2, 3, 1, 0],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  same: undefined,
};
export const TO_TORCH: Record<TorchLayout, number[] | undefined> = {
  conv: [3, 2, 0, 1],
  depthwise: [2, 3, 0, 1],
  linear: [1, 0],
  same: undefined,
};

type Sym = tf.SymbolicTensor;

/**
 * Builds a torchvision-layout graph: every layer is named after its PyTorch module, every weighted layer
 * records the state_dict keys it takes (`bindings`), and BatchNorm keys that carry no TF.js weight
 * (`num_batches_tracked`) are listed as `buffers`.
 */
export class TorchGraph {
  readonly bindings: TorchBinding[] = [];
  /** `*.num_batches_tracked` keys of the architecture (allowed, optional, kept for saving back). */
  readonly buffers: string[] = [];

  /** `init` initialises the classifier (which `strict: false` may replace); convolutions start at zero. */
  constructor(private readonly init: () => Initializer | undefined) {}

  private bind(key: string, layer: string, weight: string, layout: TorchLayout, torchShape: number[]) {
    this.bindings.push({ key, layer, weight, layout, torchShape });
  }

  /** torch `padding=p` as an explicit symmetric ZeroPadding2D (TF.js `same` pads asymmetrically at stride 2). */
  pad(x: Sym, p: number, name: string): Sym {
    if (p === 0) return x;
    const padding: [[number, number], [number, number]] = [
      [p, p],
      [p, p],
    ];
    return tf.layers.zeroPadding2d({ padding, name }).apply(x) as Sym;
  }

  /** nn.Conv2d(bias=False) with padding (k-1)/2, named `name`; keys `${name}.weight`. */
  conv(x: Sym, filters: number, kernel: number, stride: number, name: string): Sym {
    const inC = x.shape[3]!;
    const y = this.pad(x, (kernel - 1) >> 1, `${name}.pad`);
    const layer = tf.layers.conv2d({
      filters,
      kernelSize: kernel,
      strides: stride,
      padding: 'valid',
      useBias: false,
      name,
      kernelInitializer: 'zeros', // always overwritten from the checkpoint: no random init to compute
    });
    this.bind(`${name}.weight`, name, 'kernel', 'conv', [filters, inC, kernel, kernel]);
    return layer.apply(y) as Sym;
  }

  /** nn.Conv2d(C, C, k, groups=C, bias=False): a depthwise conv with multiplier 1. */
  depthwise(x: Sym, kernel: number, stride: number, name: string): Sym {
    const c = x.shape[3]!;
    const y = this.pad(x, (kernel - 1) >> 1, `${name}.pad`);
    const layer = tf.layers.depthwiseConv2d({
      kernelSize: kernel,
      strides: stride,
      padding: 'valid',
      useBias: false,
      name,
      depthwiseInitializer: 'zeros',
    });
    this.bind(`${name}.weight`, name, 'depthwise_kernel', 'depthwise', [c, 1, kernel, kernel]);
    return layer.apply(y) as Sym;
  }

  /** nn.BatchNorm2d(eps=1e-5, momentum=0.1): Keras momentum is 1 − torch momentum. */
  bn(x: Sym, name: string): Sym {
    const c = x.shape[3]!;
    const layer = tf.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, name });
    const weights: Array<[string, string]> = [
      ['weight', 'gamma'],
      ['bias', 'beta'],
      ['running_mean', 'moving_mean'],
      ['running_var', 'moving_variance'],
    ];
    for (const [torch, tfName] of weights) this.bind(`${name}.${torch}`, name, tfName, 'same', [c]);
    this.buffers.push(`${name}.num_batches_tracked`);
    return layer.apply(x) as Sym;
  }

  /** nn.Linear(in, units) with bias; `activation` only when asked (torch returns logits). */
  linear(x: Sym, units: number, name: string, activation: 'linear' | 'softmax' = 'linear'): Sym {
    const inF = x.shape[1]!;
    const layer = tf.layers.dense({ units, activation, name, kernelInitializer: this.init() });
    this.bind(`${name}.weight`, name, 'kernel', 'linear', [units, inF]);
    this.bind(`${name}.bias`, name, 'bias', 'same', [units]);
    return layer.apply(x) as Sym;
  }

  relu(x: Sym, name: string, max?: number): Sym {
    return tf.layers.reLU({ ...(max ? { maxValue: max } : {}), name }).apply(x) as Sym;
  }

  add(a: Sym, b: Sym, name: string): Sym {
    return tf.layers.add({ name }).apply([a, b]) as Sym;
  }
}
