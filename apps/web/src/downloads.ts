import { exportPlan, type Plan } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { download } from './dom';

/** The trained model as TF.js layers-model files: model.json + weights.bin (loadable with tf.loadLayersModel). */
export async function downloadModel(model: tf.LayersModel, baseName: string): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const weightData =
        a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
      const json = {
        modelTopology: a.modelTopology,
        format: 'layers-model',
        generatedBy: 'frostline studio',
        weightsManifest: [{ paths: [`${baseName}.weights.bin`], weights: a.weightSpecs ?? [] }],
      };
      download(`${baseName}.json`, JSON.stringify(json), 'application/json');
      download(`${baseName}.weights.bin`, weightData);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

export const downloadPolicy = (text: string) => download('policy.yaml', text, 'text/yaml');

/** core's exportPlan: a runnable Python snippet applying the same plan to a PyTorch or Paddle model. */
export function planSnippet(plan: Plan, target: 'pytorch' | 'paddle'): string {
  return exportPlan(plan, target);
}

export const downloadSnippet = (plan: Plan, target: 'pytorch' | 'paddle') =>
  download(`freeze_plan_${target}.py`, planSnippet(plan, target), 'text/x-python');
