import * as tf from '@tensorflow/tfjs';
import { type ArtifactOptions, modelFromArtifacts } from './artifacts';
import { type Backbone, createBackbone, type StageClassifier } from './backbone';
import { VisionError } from './errors';
import { detectFamily, topologyLayers } from './families';
import { readModelArtifacts } from './fs-io';
import type { PreprocessMode } from './preprocess';
import { loadTorchBackbone, type TorchBackbone, type TorchBackboneOptions } from './torch/load';

/**
 * Public TF.js layers models with Keras-applications names, fetched only when a user asks for them
 * (never in tests). `loadBackbone('mobilenet_v1_0.25_224')` resolves through this table.
 */
export const PRETRAINED_URLS: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(
    ['0.25', '0.50', '0.75', '1.0'].flatMap((alpha) =>
      ['128', '160', '192', '224'].map((size) => [
        `mobilenet_v1_${alpha}_${size}`,
        `https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_${alpha}_${size}/model.json`,
      ]),
    ),
  ),
);

export interface LoadBackboneOptions {
  /** New square input size (global pools follow). */
  inputSize?: number;
  /** Keep the model's classifier. Default true; false cuts at the detected feature layer. */
  includeTop?: boolean;
  /** Cut at this layer instead (its output becomes the features). */
  featureLayer?: string;
  /** Override the detected preprocessing. */
  preprocessing?: PreprocessMode;
  /** Override the detected stage assignment. */
  classify?: StageClassifier;
  stageAliases?: Record<string, string[]>;
  /** Override the detected architecture name. */
  name?: string;
}

function isArtifacts(x: unknown): x is tf.io.ModelArtifacts {
  return typeof x === 'object' && x !== null && 'modelTopology' in x;
}

async function readSource(source: string | tf.io.ModelArtifacts): Promise<tf.io.ModelArtifacts> {
  if (isArtifacts(source)) return source;
  if (typeof source !== 'string') {
    throw new VisionError(
      'INVALID_OPTION',
      'loadBackbone(source): source must be a URL, a folder or model artifacts',
    );
  }
  const known = PRETRAINED_URLS[source];
  if (known || /^https?:\/\//.test(source)) {
    try {
      const handler = tf.io.http(known ?? source);
      return await handler.load!();
    } catch (err) {
      throw new VisionError(
        'LOAD_FAILED',
        `could not download ${known ?? source}: ${(err as Error).message}`,
        'check the URL and your network; for offline use, loadPretrained("mobilenet_v2") ships its weights',
      );
    }
  }
  return readModelArtifacts(source);
}

/**
 * Load a layers model as a Backbone from a URL (`https://…/model.json` or a name from
 * PRETRAINED_URLS), a local folder with model.json, or in-memory artifacts. Keras-applications
 * models (MobileNet V1/V2, ResNet) get their named stages; others get `stage1` + `head`.
 */
export async function loadBackbone(
  source: string | tf.io.ModelArtifacts,
  opts?: LoadBackboneOptions,
): Promise<Backbone>;
/**
 * Build a torchvision architecture (`resnet18`, `resnet34`, `resnet50`, `mobilenet_v2`) in TF.js and load a
 * PyTorch state_dict into it from a `.safetensors` or `torch.save` (`.pth`/`.bin`) file: see TorchBackboneOptions.
 * The model computes torch's `forward` (logits); `preprocess` applies torchvision's ImageNet normalisation.
 */
export async function loadBackbone(opts: TorchBackboneOptions): Promise<TorchBackbone>;
export async function loadBackbone(
  source: string | tf.io.ModelArtifacts | TorchBackboneOptions,
  opts: LoadBackboneOptions = {},
): Promise<Backbone> {
  if (typeof source === 'object' && source !== null && 'arch' in source && 'weights' in source) {
    return loadTorchBackbone(source);
  }
  const artifacts = await readSource(source as string | tf.io.ModelArtifacts);
  const { layers, modelName } = topologyLayers(artifacts.modelTopology);
  const family = detectFamily(layers, modelName);
  const cut = opts.featureLayer ?? (opts.includeTop === false ? family.featureLayer : undefined);
  const artifactOpts: ArtifactOptions = {};
  if (opts.inputSize != null) artifactOpts.inputSize = opts.inputSize;
  if (cut) artifactOpts.outputLayer = cut;
  const model = await modelFromArtifacts(artifacts, artifactOpts);
  return createBackbone({
    name: opts.name ?? family.name,
    model,
    classify: opts.classify ?? family.classify,
    stageAliases: opts.stageAliases ?? family.stageAliases,
    preprocessing: opts.preprocessing ?? family.preprocessing,
    ...(cut ? { featureLayer: cut } : {}),
  });
}
