import * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';

/*
 * A minimal file IO for layers models in Node. TF.js without tfjs-node has no `file://` handler
 * (see FINDINGS); @frostline/tfjs owns the full IO (`fileSystemIO`, checkpoints). This covers what
 * vision needs itself: reading a folder with model.json + shards, and writing the shipped MNIST CNN.
 */

async function nodeFs() {
  try {
    const [fs, path] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    return { fs, path };
  } catch {
    throw new VisionError(
      'UNSUPPORTED_ENVIRONMENT',
      'reading a model folder needs Node.js file access',
      'in a browser, pass the model.json URL or in-memory artifacts to loadBackbone',
    );
  }
}

/** Read `<dir>/model.json` and its weight shards into in-memory artifacts. */
export async function readModelFolder(dir: string): Promise<tf.io.ModelArtifacts> {
  const { fs, path } = await nodeFs();
  const file = dir.endsWith('.json') ? dir : path.join(dir, 'model.json');
  const base = path.dirname(file);
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new VisionError(
      'LOAD_FAILED',
      `cannot read ${file}: ${(err as Error).message}`,
      'the folder must contain a TF.js layers model: model.json plus the weight files it lists',
    );
  }
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const group of json.weightsManifest ?? []) {
    weightSpecs.push(...group.weights);
    for (const p of group.paths) {
      const resolved = path.resolve(base, p);
      // A manifest path must stay inside the model folder (no ../ escapes from a downloaded model.json).
      if (!resolved.startsWith(path.resolve(base) + path.sep)) {
        throw new VisionError('LOAD_FAILED', `weight path "${p}" points outside ${base}`, 'fix weightsManifest paths');
      }
      try {
        chunks.push(await fs.readFile(resolved));
      } catch (err) {
        throw new VisionError(
          'LOAD_FAILED',
          `cannot read weight file ${resolved}: ${(err as Error).message}`,
          'copy every shard listed in model.json next to it',
        );
      }
    }
  }
  const total = chunks.reduce((n, c) => n + c.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    weightData.set(c, offset);
    offset += c.byteLength;
  }
  return {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData: weightData.buffer,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy,
    ...(json.trainingConfig ? { trainingConfig: json.trainingConfig } : {}),
  };
}

/** Save a layers model as `<dir>/model.json` + `<dir>/weights.bin` (one shard). */
export async function writeModelFolder(model: tf.LayersModel, dir: string): Promise<void> {
  const { fs, path } = await nodeFs();
  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData;
      const bytes = new Uint8Array(Array.isArray(data) ? await new Blob(data).arrayBuffer() : (data ?? new ArrayBuffer(0)));
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: '@frostline/vision',
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      await fs.writeFile(path.join(dir, 'model.json'), `${JSON.stringify(modelJson)}\n`);
      await fs.writeFile(path.join(dir, 'weights.bin'), bytes);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}
