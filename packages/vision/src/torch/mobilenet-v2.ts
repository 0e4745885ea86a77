import * as tf from '@tensorflow/tfjs';
import type { StageClassifier } from '../backbone';
import { TorchGraph } from './layers';
import type { TorchArchBuild, TorchBuildOptions } from './types';

/** torchvision's inverted-residual setting: [expansion t, channels c, repeats n, first stride s]. */
const SETTING: Array<[number, number, number, number]> = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

// features.N → stage, grouped by output channels as in the paper (and as the Keras-named MobileNetV2).
const STAGE_OF_FEATURE = [0, 0, 1, 1, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 6, 6];

/** `features.0`–`features.1` → stem, `features.2`…`features.18` → stage1…stage6, `classifier` → head. */
export const torchMobileNetV2Stages: StageClassifier = (name) => {
  const m = /^features\.(\d+)(\.|$)/.exec(name);
  if (m) {
    const s = STAGE_OF_FEATURE[Number(m[1])];
    return s == null ? undefined : s === 0 ? 'stem' : `stage${s}`;
  }
  if (name === 'avgpool') return 'stage6';
  return undefined;
};

type Sym = tf.SymbolicTensor;

/** A torchvision InvertedResidual at `features.N` (`conv.0` expand, `conv.1` depthwise, then project + BN). */
function invertedResidual(
  g: TorchGraph,
  x: Sym,
  t: number,
  hidden: number,
  out: number,
  stride: number,
  name: string,
): Sym {
  const inC = x.shape[3]!;
  let y = x;
  let i = 0;
  if (t !== 1) {
    y = g.relu(g.bn(g.conv(y, hidden, 1, 1, `${name}.conv.0.0`), `${name}.conv.0.1`), `${name}.conv.0.2`, 6);
    i = 1;
  }
  y = g.depthwise(y, 3, stride, `${name}.conv.${i}.0`);
  y = g.relu(g.bn(y, `${name}.conv.${i}.1`), `${name}.conv.${i}.2`, 6);
  y = g.bn(g.conv(y, out, 1, 1, `${name}.conv.${i + 1}`), `${name}.conv.${i + 2}`);
  return stride === 1 && inC === out ? g.add(x, y, `${name}.add`) : y;
}

/**
 * torchvision's MobileNetV2 with PyTorch module names (`features.0.0`, `features.3.conv.1.0`,
 * `classifier.1`). Widths come from the checkpoint's shapes (any `width_mult`), else torchvision's defaults.
 */
export function buildTorchMobileNetV2(
  shapeOf: (key: string) => number[] | undefined,
  opts: TorchBuildOptions,
): TorchArchBuild {
  const g = new TorchGraph(opts.init);
  const size = opts.inputSize;
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  const stem = shapeOf('features.0.0.weight')?.[0] ?? 32;
  let x = g.relu(g.bn(g.conv(input, stem, 3, 2, 'features.0.0'), 'features.0.1'), 'features.0.2', 6);
  let idx = 1;
  for (const [t, c, n, s] of SETTING) {
    for (let r = 0; r < n; r++, idx++) {
      const name = `features.${idx}`;
      const inC = x.shape[3]!;
      const hidden = t === 1 ? inC : (shapeOf(`${name}.conv.0.0.weight`)?.[0] ?? Math.round(inC * t));
      const out = shapeOf(`${name}.conv.${t === 1 ? 1 : 2}.weight`)?.[0] ?? c;
      x = invertedResidual(g, x, t, hidden, out, r === 0 ? s : 1, name);
    }
  }
  const last = shapeOf('features.18.0.weight')?.[0] ?? 1280;
  x = g.relu(g.bn(g.conv(x, last, 1, 1, 'features.18.0'), 'features.18.1'), 'features.18.2', 6);
  const featureMap = 'features.18.2';
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as Sym;
  if (opts.includeTop) {
    x = tf.layers.dropout({ rate: 0.2, name: 'classifier.0' }).apply(x) as Sym;
    const classes = opts.numClasses ?? shapeOf('classifier.1.weight')?.[0] ?? 1000;
    x = g.linear(x, classes, 'classifier.1', opts.activation);
  }
  return {
    model: tf.model({ inputs: input, outputs: x, name: 'mobilenet_v2' }),
    graph: g,
    classify: torchMobileNetV2Stages,
    featureLayer: 'avgpool',
    featureMap,
    topKeys: ['classifier.1.weight', 'classifier.1.bias'],
  };
}
