import { fileSystemIO } from '@frostline/tfjs';
import type * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';

/**
 * Read a layers model folder (`dir`, `dir/model.json` or `file://…`) into in-memory artifacts with
 * @frostline/tfjs's file IO (the one place frostline touches model files), so vision can edit the
 * topology (input size, head cut) before building the model.
 */
export async function readModelArtifacts(source: string): Promise<tf.io.ModelArtifacts> {
  const dir = source.endsWith('.json') ? source.slice(0, source.lastIndexOf('/') + 1) || '.' : source;
  try {
    return await fileSystemIO(dir).load!();
  } catch (err) {
    throw new VisionError(
      'LOAD_FAILED',
      `cannot read a layers model from ${source}: ${(err as Error).message.split('\n')[0]}`,
      'the folder must contain a TF.js layers model: model.json plus the weight files it lists',
    );
  }
}
