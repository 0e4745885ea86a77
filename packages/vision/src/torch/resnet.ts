import * as tf from '@tensorflow/tfjs';
import type { StageClassifier } from '../backbone';
import { TorchGraph } from './layers';
import type { TorchArchBuild, TorchBuildOptions } from './types';

export type TorchResNetArch = 'resnet18' | 'resnet34' | 'resnet50';

const BLOCKS: Record<TorchResNetArch, [number, number, number, number]> = {
  resnet18: [2, 2, 2, 2],
  resnet34: [3, 4, 6, 3],
  resnet50: [3, 4, 6, 3],
};

/** `conv1`, `bn1`, `relu`, `maxpool` → stem; `layerN.*` → stageN; `fc` → head (avgpool joins stage4). */
export const torchResNetStages: StageClassifier = (name) => {
  if (/^(conv1|bn1|relu|maxpool)(\.|$)/.test(name)) return 'stem';
  const m = /^layer([1-4])\./.exec(name);
  if (m) return `stage${m[1]}`;
  if (name === 'avgpool') return 'stage4';
  return undefined;
};

type Sym = tf.SymbolicTensor;

/** torchvision BasicBlock: 3×3 (stride here) → 3×3, projection `downsample` when the shape changes. */
function basicBlock(g: TorchGraph, x: Sym, planes: number, stride: number, name: string): Sym {
  const inC = x.shape[3]!;
  let y = g.relu(g.bn(g.conv(x, planes, 3, stride, `${name}.conv1`), `${name}.bn1`), `${name}.relu`);
  y = g.bn(g.conv(y, planes, 3, 1, `${name}.conv2`), `${name}.bn2`);
  const identity =
    stride !== 1 || inC !== planes
      ? g.bn(g.conv(x, planes, 1, stride, `${name}.downsample.0`), `${name}.downsample.1`)
      : x;
  return g.relu(g.add(y, identity, `${name}.add`), `${name}.relu_out`);
}

/** torchvision Bottleneck (ResNet v1.5): 1×1 → 3×3 (stride here) → 1×1 to `out` channels. */
function bottleneck(g: TorchGraph, x: Sym, width: number, out: number, stride: number, name: string): Sym {
  const inC = x.shape[3]!;
  let y = g.relu(g.bn(g.conv(x, width, 1, 1, `${name}.conv1`), `${name}.bn1`), `${name}.relu`);
  y = g.relu(g.bn(g.conv(y, width, 3, stride, `${name}.conv2`), `${name}.bn2`), `${name}.relu_2`);
  y = g.bn(g.conv(y, out, 1, 1, `${name}.conv3`), `${name}.bn3`);
  const identity =
    stride !== 1 || inC !== out
      ? g.bn(g.conv(x, out, 1, stride, `${name}.downsample.0`), `${name}.downsample.1`)
      : x;
  return g.relu(g.add(y, identity, `${name}.add`), `${name}.relu_out`);
}

/**
 * torchvision's ResNet18/34/50 with PyTorch module names as layer names. Channel widths come from the
 * checkpoint's shapes when it has them (reduced or wide variants), else torchvision's defaults; `shapeOf`
 * answers for a state_dict key.
 */
export function buildTorchResNet(
  arch: TorchResNetArch,
  shapeOf: (key: string) => number[] | undefined,
  opts: TorchBuildOptions,
): TorchArchBuild {
  const bottle = arch === 'resnet50';
  const g = new TorchGraph(opts.init);
  const size = opts.inputSize;
  const input = tf.input({ shape: [size, size, 3], name: 'input' });
  const stem = shapeOf('conv1.weight')?.[0] ?? 64;
  let x = g.relu(g.bn(g.conv(input, stem, 7, 2, 'conv1'), 'bn1'), 'relu');
  x = g.pad(x, 1, 'maxpool.pad'); // after a ReLU, zero padding equals torch's -inf padding
  x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'maxpool' }).apply(x) as Sym;
  BLOCKS[arch].forEach((n, s) => {
    const layer = `layer${s + 1}`;
    const planes = 64 * 2 ** s * (stem / 64);
    const width = shapeOf(`${layer}.0.conv1.weight`)?.[0] ?? planes;
    const out = bottle ? (shapeOf(`${layer}.0.conv3.weight`)?.[0] ?? planes * 4) : width;
    for (let b = 0; b < n; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      x = bottle
        ? bottleneck(g, x, width, out, stride, `${layer}.${b}`)
        : basicBlock(g, x, width, stride, `${layer}.${b}`);
    }
  });
  const featureMap = x.sourceLayer.name;
  x = tf.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as Sym;
  if (opts.includeTop)
    x = g.linear(x, opts.numClasses ?? shapeOf('fc.weight')?.[0] ?? 1000, 'fc', opts.activation);
  return {
    model: tf.model({ inputs: input, outputs: x, name: arch }),
    graph: g,
    classify: torchResNetStages,
    featureLayer: 'avgpool',
    featureMap,
    topKeys: ['fc.weight', 'fc.bias'],
  };
}
