import { type ParamInfo, type PolicySpec, planFreeze, scheduleBoundaries } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { decodeBatch } from './dataset';
import type { StudioModel } from './model';
import { featureKey, type ImageRecord, type Project } from './project';

/**
 * True when, at every epoch, the plan trains head parameters only, at LR factor 1, with no BatchNorm in
 * training mode: then the backbone is a fixed function and its features can be kept with the project
 * (the persisted activation cache) instead of being recomputed by every run.
 */
export function isHeadOnly(
  m: StudioModel,
  params: readonly ParamInfo[],
  policy: PolicySpec,
  epochs: number,
): boolean {
  const isHead = (layer: string) => m.headed.stageOf(layer)?.name === 'head';
  for (const epoch of new Set([0, ...scheduleBoundaries(policy, epochs)])) {
    const plan = planFreeze(params, policy, { epoch });
    for (const e of plan.entries) {
      if (e.kind === 'buffer' ? e.bnMode === 'train' : e.trainable && (!isHead(e.layer) || e.lrFactor !== 1))
        return false;
    }
  }
  return true;
}

/** The head alone, on the 1280-d features: the same layer objects, so training it trains the full model's head. */
export function headModel(m: StudioModel): tf.LayersModel {
  const dim = m.backbone.model.outputs[0]!.shape.slice(1) as number[];
  const input = tf.input({ shape: dim });
  let out: tf.SymbolicTensor = input;
  for (const layer of m.headed.model.layers) {
    if (m.headed.stageOf(layer.name)?.name === 'head') out = layer.apply(out) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: input, outputs: out });
}

export interface FeatureBatch {
  x: tf.Tensor2D;
  built: number;
  hit: number;
  ms: number;
}

/**
 * Backbone features of `items`, from the project's store when present (hit), else computed in
 * batches and added to it (built).
 */
export async function featuresFor(
  m: StudioModel,
  project: Project,
  items: ReadonlyArray<{ image: ImageRecord; label: number }>,
  batchSize: number,
  onProgress: (done: number) => void,
  signal?: AbortSignal,
): Promise<FeatureBatch> {
  const t0 = performance.now();
  const store = new Map(project.features.map((f) => [f.key, f.data]));
  const missing = items.filter((it) => !store.has(featureKey(it.image.id, m.inputSize)));
  for (let i = 0; i < missing.length; i += batchSize) {
    signal?.throwIfAborted();
    const chunk = missing.slice(i, i + batchSize);
    const x = await decodeBatch(chunk, m.inputSize);
    const f = tf.tidy(() => m.backbone.model.predict(m.backbone.preprocess(x)) as tf.Tensor2D);
    x.dispose();
    const flat = (await f.data()) as Float32Array;
    const dim = f.shape[1];
    f.dispose();
    chunk.forEach((it, k) => {
      const rec = { key: featureKey(it.image.id, m.inputSize), data: flat.slice(k * dim, (k + 1) * dim) };
      project.features.push(rec);
      store.set(rec.key, rec.data);
    });
    onProgress(i + chunk.length);
  }
  const rows = items.map((it) => store.get(featureKey(it.image.id, m.inputSize))!);
  const dim = rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * dim);
  for (const [i, r] of rows.entries()) data.set(r, i * dim);
  return {
    x: tf.tensor2d(data, [rows.length, dim]),
    built: missing.length,
    hit: items.length - missing.length,
    ms: performance.now() - t0,
  };
}

/** Drop stored features of images that are no longer in the project. */
export function pruneFeatures(project: Project): void {
  const ids = new Set(project.classes.flatMap((c) => c.images.map((i) => i.id)));
  project.features = project.features.filter((f) => ids.has(f.key.slice(f.key.indexOf(':') + 1)));
}
