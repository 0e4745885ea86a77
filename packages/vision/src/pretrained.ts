import type * as tf from '@tensorflow/tfjs';
import { modelFromArtifacts } from './artifacts';
import { type Backbone, createBackbone } from './backbone';
import { VisionError } from './errors';
import { readModelArtifacts } from './fs-io';
import { mnistCnnStageAliases, mnistCnnStages } from './mnist-cnn';
import { mobileNetStageAliases, mobileNetV2Stages } from './mobilenet-v2';
import { nodeImport, nodeRequire, resolvePeer } from './peers';

export type PretrainedName = 'mobilenet_v2' | 'mnist-cnn';

export interface LoadPretrainedOptions {
  /** mobilenet_v2: square input side, a multiple of 32 (default 224). */
  inputSize?: number;
  /** mnist-cnn: keep the 0–4 classifier (default true). mobilenet_v2 never keeps nsfwjs' 5-class head. */
  includeTop?: boolean;
}

/**
 * nsfwjs@4.3.0 ships a Keras MobileNetV2 (ImageNet-initialised, fine-tuned on its own 5 classes) as
 * CommonJS modules next to its code: `models/mobilenet_v2/model.min.js` (the model.json object) and
 * `group1-shard1of1.min.js` (the one weight shard as a base64 string, uint8-quantised). The shard is
 * read as text and the string cut out instead of `require`d: V8 takes ~15 s to compile that 3.5 MB
 * module, the regex takes milliseconds.
 */
async function nsfwjsArtifacts(): Promise<tf.io.ModelArtifacts> {
  const purpose = 'loadPretrained("mobilenet_v2")';
  const entry = await resolvePeer('nsfwjs/models/mobilenet_v2', purpose, '4.3.0');
  const [{ readFile }, path, req] = await Promise.all([
    nodeImport<typeof import('node:fs/promises')>('node:fs/promises'),
    nodeImport<typeof import('node:path')>('node:path'),
    nodeRequire(),
  ]);
  const dir = path.join(path.dirname(entry), '..', '..', 'models', 'mobilenet_v2');
  const layoutError = (why: string) =>
    new VisionError(
      'LOAD_FAILED',
      `nsfwjs is installed but its MobileNetV2 files are not the 4.3.0 layout (${why})`,
      'install exactly nsfwjs@4.3.0 (later versions package the model differently)',
    );
  let json: tf.io.ModelJSON;
  let shard: string;
  try {
    json = req(path.join(dir, 'model.min.js')) as tf.io.ModelJSON;
    shard = await readFile(path.join(dir, 'group1-shard1of1.min.js'), 'utf8');
  } catch (err) {
    throw layoutError((err as Error).message);
  }
  const b64 = /exports\s*=\s*"([A-Za-z0-9+/=]+)"/.exec(shard)?.[1];
  if (!b64 || !json?.modelTopology || !json.weightsManifest) throw layoutError('no base64 weight string');
  const bytes = Buffer.from(b64, 'base64');
  return {
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  };
}

/** Folder of the MNIST CNN weights shipped with this package (`assets/mnist-cnn-0to4`). */
export async function mnistCnnAssetDir(): Promise<string> {
  const { fileURLToPath } = await nodeImport<typeof import('node:url')>('node:url');
  // Same relative path from src/ (tests) and dist/ (published build): both sit one level below the package root.
  // Node-only path: the hint keeps bundlers from trying to emit the folder as a browser asset.
  return fileURLToPath(new URL(/* @vite-ignore */ '../assets/mnist-cnn-0to4/', import.meta.url));
}

/**
 * Real pretrained backbones that work offline:
 * - `mobilenet_v2`: the MobileNetV2 inside nsfwjs@4.3.0 (optional peer), head stripped, features at
 *   `flatten_1` (1280-d global average). `inputSize` lowers the resolution (multiple of 32).
 * - `mnist-cnn`: this package's small CNN trained on MNIST digits 0–4 (scripts/pretrain-mnist.ts).
 */
export async function loadPretrained(
  name: PretrainedName,
  opts: LoadPretrainedOptions = {},
): Promise<Backbone> {
  if (name === 'mobilenet_v2') {
    const size = opts.inputSize ?? 224;
    if (!Number.isInteger(size) || size < 32 || size % 32 !== 0) {
      throw new VisionError(
        'INVALID_INPUT_SIZE',
        `mobilenet_v2: inputSize must be a multiple of 32 (the network's total stride), got ${size}`,
        `use inputSize: ${Math.max(32, Math.round(size / 32) * 32)}`,
      );
    }
    const model = await modelFromArtifacts(await nsfwjsArtifacts(), {
      inputSize: size,
      outputLayer: 'flatten_1',
    });
    return createBackbone({
      name: 'mobilenet_v2',
      model,
      classify: mobileNetV2Stages,
      stageAliases: mobileNetStageAliases,
      preprocessing: 'mobilenet',
      featureLayer: 'flatten_1',
    });
  }
  if (name === 'mnist-cnn') {
    if (opts.inputSize != null && opts.inputSize !== 28) {
      throw new VisionError('INVALID_INPUT_SIZE', 'mnist-cnn takes 28×28 gray images only', 'omit inputSize');
    }
    const artifacts = await readModelArtifacts(await mnistCnnAssetDir());
    const model = await modelFromArtifacts(
      artifacts,
      opts.includeTop === false ? { outputLayer: 'flatten' } : {},
    );
    return createBackbone({
      name: 'mnist-cnn',
      model,
      classify: mnistCnnStages,
      stageAliases: mnistCnnStageAliases,
      preprocessing: 'unit',
      featureLayer: 'flatten',
    });
  }
  throw new VisionError(
    'UNKNOWN_MODEL',
    `no offline pretrained model named "${String(name)}"`,
    'offline: "mobilenet_v2" (from nsfwjs@4.3.0) or "mnist-cnn"; for public TF.js URLs use loadBackbone(url or name in PRETRAINED_URLS)',
  );
}
