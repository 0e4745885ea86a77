import { type EngineChoice, type EngineReport, predictWithEngine } from '@frostline/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { Backbone } from './backbone';

export interface PredictImagesOptions {
  /** What runs the network: `auto` (default) the fastest engine present (onnxruntime, workers, TF.js). */
  engine?: EngineChoice;
  /** Images per engine call (default 32). */
  batchSize?: number;
  /** Names for the class indices (e.g. `dataset.classNames`). */
  classNames?: readonly string[];
}

export interface ImagePredictions {
  /** Class probabilities, one row per image (the caller disposes it). */
  probabilities: tf.Tensor2D;
  /** Arg-max class index per image. */
  labels: number[];
  /** Arg-max class name per image, when `classNames` was given. */
  classes?: string[];
  /** Which engine ran the network and why (first batch checked against TF.js). */
  engine: EngineReport;
  imagesPerSec: number;
}

const isBackbone = (m: Backbone | tf.LayersModel): m is Backbone => 'preprocess' in m && 'stages' in m;

/**
 * Classify images with a trained model (frozen backbone + head, or any image model) on the fastest
 * engine present. With a Backbone, `images` are 0..255 RGB and its preprocessing is applied; with a
 * LayersModel they go in as they are.
 */
export async function predictImages(
  model: Backbone | tf.LayersModel,
  images: tf.Tensor4D,
  opts: PredictImagesOptions = {},
): Promise<ImagePredictions> {
  const net = isBackbone(model) ? model.model : model;
  const input = isBackbone(model) ? model.preprocess(images) : images;
  try {
    const r = await predictWithEngine(net, input, {
      ...(opts.engine ? { engine: opts.engine } : {}),
      ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    });
    const probabilities = r.output as tf.Tensor2D;
    const best = probabilities.argMax(-1);
    const labels = Array.from(best.dataSync());
    best.dispose();
    const names = opts.classNames;
    return {
      probabilities,
      labels,
      ...(names ? { classes: labels.map((l) => names[l] ?? String(l)) } : {}),
      engine: r.engine,
      imagesPerSec: r.examplesPerSec,
    };
  } finally {
    if (input !== images) input.dispose();
  }
}
