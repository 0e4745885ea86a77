import * as tf from '@tensorflow/tfjs';
import { type Backbone, truncateBackbone } from './backbone';
import { VisionError } from './errors';

/** Options shared by every built-in architecture. */
export interface BackboneOptions {
  /** Square input side in pixels. Default 224. */
  inputSize?: number;
  /** Keep the ImageNet-style classifier (`predictions`). Default false. */
  includeTop?: boolean;
  /** Classes of the top classifier when `includeTop`. Default 1000. */
  classes?: number;
  /** Without top: global pooling after the last stage (`avg`, `max`) or none (a feature map). Default none. */
  pooling?: 'avg' | 'max' | null;
  /** Cut the network at this layer (its output becomes the features). */
  featureLayer?: string;
  /** Seed for the weight initializers, so a built model is reproducible. */
  seed?: number;
}

/** Hands out seeded initializers (a new seed per layer) or undefined for the TF.js defaults. */
export type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;

export function initializerFactory(seed: number | undefined): () => Initializer | undefined {
  let k = 0;
  return () => (seed == null ? undefined : tf.initializers.glorotUniform({ seed: seed * 7919 + k++ }));
}

export function checkInputSize(name: string, size: number, min: number): void {
  if (!Number.isInteger(size) || size < min) {
    throw new VisionError(
      'INVALID_INPUT_SIZE',
      `${name}: inputSize must be an integer of at least ${min} pixels, got ${size}`,
      `use inputSize: ${Math.max(min, 32 * Math.round(Math.max(size, min) / 32))}`,
    );
  }
}

/** Apply `featureLayer` truncation when asked for. */
export function maybeTruncate(backbone: Backbone, featureLayer: string | undefined): Backbone {
  return featureLayer ? truncateBackbone(backbone, featureLayer) : backbone;
}

export function globalPool(x: tf.SymbolicTensor, pooling: 'avg' | 'max', name?: string): tf.SymbolicTensor {
  const layer =
    pooling === 'avg'
      ? tf.layers.globalAveragePooling2d(name ? { name } : {})
      : tf.layers.globalMaxPooling2d(name ? { name } : {});
  return layer.apply(x) as tf.SymbolicTensor;
}

/**
 * Optional global pooling after the last stage (no top), under the Keras layer names, so the
 * pooled layer can be named as `featureLayer`. Without pooling, returns the input unchanged.
 */
export function poolFeatures(
  x: tf.SymbolicTensor,
  pooling: 'avg' | 'max' | null | undefined,
  featureLayer: string,
): { output: tf.SymbolicTensor; featureLayer: string } {
  if (!pooling) return { output: x, featureLayer };
  const name = pooling === 'avg' ? 'global_average_pooling2d' : 'global_max_pooling2d';
  return { output: globalPool(x, pooling, name), featureLayer: name };
}
