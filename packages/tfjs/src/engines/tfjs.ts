import * as tf from '@tensorflow/tfjs';
import { runFlat } from '../graph';
import type { FrozenEngine, FrozenPrefix } from './types';

/** The prefix on the active TF.js backend, in inference mode: the reference every engine is checked against. */
export function tfjsEngine(prefix: FrozenPrefix): FrozenEngine {
  const { graph, nodeCount, outputKey } = prefix;
  return {
    name: 'tfjs',
    detail: `TF.js backend '${tf.getBackend()}'`,
    run: async (x) =>
      tf.tidy(() => runFlat(graph, 0, nodeCount, new Map([[graph.inputs[0]!, x]]), false).get(outputKey)!),
    dispose: async () => {},
  };
}
