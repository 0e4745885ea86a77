import { listParams } from '@frostline/tfjs';
import { type Backbone, loadBackbone, withHead } from '@frostline/vision';
import * as tf from '@tensorflow/tfjs';
import { StudioError } from './errors';
import type { TrainedWeights } from './project';

/** Where the app serves nsfwjs@4.3.0's MobileNetV2 (copied there by scripts/copy-assets.mjs). */
export const MODEL_URL = 'models/mobilenet_v2/model.json';

let artifacts: Promise<tf.io.ModelArtifacts> | undefined;

/** The pretrained MobileNetV2 files, fetched once from the app's own origin. */
function pretrainedArtifacts(): Promise<tf.io.ModelArtifacts> {
  artifacts ??= tf.io.http(new URL(MODEL_URL, document.baseURI).href).load!().catch((e: unknown) => {
    artifacts = undefined;
    throw new StudioError(
      'MODEL_LOAD_FAILED',
      `could not load the MobileNetV2 weights from ${MODEL_URL}: ${(e as Error).message}`,
      'reload the page; when running from source, run `pnpm --filter @frostline/web assets` first',
    );
  });
  return artifacts;
}

export interface StudioModel {
  backbone: Backbone;
  /** Backbone + new classifier head (`head` stage). */
  headed: Backbone;
  inputSize: number;
  classNames: string[];
}

/**
 * MobileNetV2 at `inputSize` (its global pool follows the size), features at `flatten_1` (1280-d),
 * plus a fresh softmax head for `classNames`. The same model `loadPretrained('mobilenet_v2')` builds
 * in Node, loaded from the app's static files.
 */
export async function buildModel(
  inputSize: number,
  classNames: string[],
  seed: number,
): Promise<StudioModel> {
  const a = await pretrainedArtifacts();
  // loadBackbone edits the topology (input size, cut) on its own copy; the weights are shared read-only.
  const backbone = await loadBackbone(
    { ...a, modelTopology: structuredClone(a.modelTopology) },
    { inputSize, featureLayer: 'flatten_1' },
  );
  const headed = withHead(backbone, { numClasses: classNames.length, seed });
  return { backbone, headed, inputSize, classNames };
}

export const paramsOf = (m: StudioModel) => listParams(m.headed.model, { aliases: m.headed.aliases });

/** Weights of the named parameters (what a run trained), to keep with the project. */
export function snapshotWeights(m: StudioModel, names: Set<string>, policyText: string): TrainedWeights {
  const tensors: TrainedWeights['tensors'] = [];
  for (const layer of m.headed.model.layers) {
    for (const w of layer.weights) {
      const name = `${layer.name}/${w.originalName.split('/').pop()}`;
      if (!names.has(name)) continue;
      tensors.push({ name, shape: [...w.shape] as number[], data: w.read().dataSync() as Float32Array });
    }
  }
  return { classNames: [...m.classNames], inputSize: m.inputSize, policyText, tensors };
}

/** Put saved trained weights back (by name; shapes must match). Returns how many were restored. */
export function restoreWeights(m: StudioModel, saved: TrainedWeights): number {
  const byName = new Map(saved.tensors.map((t) => [t.name, t]));
  let n = 0;
  for (const layer of m.headed.model.layers) {
    for (const w of layer.weights) {
      const t = byName.get(`${layer.name}/${w.originalName.split('/').pop()}`);
      if (!t || t.shape.join() !== w.shape.join()) continue;
      w.write(tf.tensor(t.data, t.shape));
      n++;
    }
  }
  return n;
}
