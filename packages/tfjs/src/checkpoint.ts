import { type ParamInfo, type PolicySpec, validatePolicy } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';
import type { EpochLogs } from './events';
import { artifactsToFiles, readModelFolder, resolveFolder, toArtifacts, writeFolderAtomic } from './io';
import { nodeFs, nodePath } from './node';
import { type OptimizerConfig, type OptimizerState, ParamOptimizer } from './optimizer';

export const CHECKPOINT_JSON = 'frostline.json';
export const OPTIMIZER_BIN = 'optimizer.bin';
const FORMAT = 'frostline-checkpoint';

/** What frostline.json holds besides the model folder. */
export interface CheckpointMeta {
  format: typeof FORMAT;
  version: 1;
  createdAt: string;
  /** The next epoch to run (0-based) = epochs completed. */
  epoch: number;
  /** Shuffles are derived from (seed, epoch), so this is the whole RNG state. */
  seed: number;
  policy: PolicySpec;
  history: EpochLogs[];
  /** Trainable parameter names of the last plan applied (for checks and reports). */
  trainable: string[];
  earlyStopping?: { best: number; bestEpoch?: number; wait: number };
  optimizer?: {
    config: OptimizerConfig;
    file: string;
    params: Array<{
      name: string;
      step: number;
      slots: Record<string, { offset: number; length: number; shape: number[] }>;
    }>;
  };
}

export interface LoadedCheckpoint {
  dir: string;
  model: tf.LayersModel;
  meta: CheckpointMeta;
  /** Optimizer state as tensors (owned by this object; `dispose()` frees them). */
  optimizer?: OptimizerState;
  dispose(): void;
}

export interface SaveCheckpointArgs {
  model: tf.LayersModel;
  policy: PolicySpec;
  /** Epochs completed (the epoch training resumes at). */
  epoch: number;
  optimizer?: ParamOptimizer | OptimizerState;
  seed?: number;
  history?: EpochLogs[];
  earlyStopping?: { best: number; bestEpoch?: number; wait: number } | undefined;
  trainable?: string[];
  aliases?: ((p: ParamInfo) => string[]) | undefined;
}

/** RegExp selectors become their `/source/flags` string form, which core parses back. */
function policyToJson(policy: PolicySpec): PolicySpec {
  const walk = (v: unknown): unknown => {
    if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(policy) as PolicySpec;
}

/**
 * Write a resumable checkpoint folder atomically: model.json + weights.bin (a plain layers model any TF.js
 * loads), frostline.json (policy, epoch, seed, history, early-stopping state) and optimizer.bin (slot
 * tensors by parameter name).
 */
export async function saveCheckpoint(dir: string, args: SaveCheckpointArgs): Promise<void> {
  const artifacts = await toArtifacts(args.model);
  const files = artifactsToFiles(artifacts);
  const state = args.optimizer instanceof ParamOptimizer ? args.optimizer.getState() : args.optimizer;
  let optMeta: CheckpointMeta['optimizer'];
  if (state) {
    const chunks: Float32Array[] = [];
    let offset = 0;
    const params = state.params.map((p) => ({
      name: p.name,
      step: p.step,
      slots: Object.fromEntries(
        Object.entries(p.slots).map(([k, t]) => {
          const data = Float32Array.from(t.dataSync() as Float32Array);
          chunks.push(data);
          const entry = { offset, length: data.length, shape: [...t.shape] };
          offset += data.length;
          return [k, entry];
        }),
      ),
    }));
    const all = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    files.push([OPTIMIZER_BIN, new Uint8Array(all.buffer)]);
    optMeta = { config: state.config, file: OPTIMIZER_BIN, params };
  }
  const meta: CheckpointMeta = {
    format: FORMAT,
    version: 1,
    createdAt: new Date().toISOString(),
    epoch: args.epoch,
    seed: args.seed ?? 42,
    policy: policyToJson(args.policy),
    history: args.history ?? [],
    trainable: args.trainable ?? [],
    ...(args.earlyStopping ? { earlyStopping: args.earlyStopping } : {}),
    ...(optMeta ? { optimizer: optMeta } : {}),
  };
  // frostline.json last: a reader that sees it knows the model files of the same folder are complete.
  files.push([CHECKPOINT_JSON, JSON.stringify(meta, null, 1)]);
  await writeFolderAtomic(dir, files);
}

function invalid(dir: string, what: string, cause?: unknown): FrostlineTfjsError {
  return new FrostlineTfjsError(
    'CHECKPOINT_INVALID',
    `'${dir}' is not a usable frostline checkpoint: ${what}. Point resumeFrom at a folder written by train({ checkpoint }) or saveCheckpoint.`,
    cause === undefined ? undefined : { cause },
  );
}

/** Read a checkpoint folder: the model (plain TF.js load), its metadata and optimizer state. */
export async function loadCheckpoint(dirIn: string): Promise<LoadedCheckpoint> {
  const fs = await nodeFs();
  const dir = await resolveFolder(dirIn);
  const path = await nodePath();
  let meta: CheckpointMeta;
  try {
    meta = JSON.parse(await fs.promises.readFile(path.join(dir, CHECKPOINT_JSON), 'utf8')) as CheckpointMeta;
  } catch (e) {
    throw invalid(dir, `${CHECKPOINT_JSON} is missing or not JSON`, e);
  }
  if (meta.format !== FORMAT || meta.version !== 1)
    throw invalid(dir, `unknown format ${meta.format}@${meta.version}`);
  if (!Number.isInteger(meta.epoch) || meta.epoch < 0) throw invalid(dir, `bad epoch ${meta.epoch}`);
  try {
    meta.policy = validatePolicy(meta.policy);
  } catch (e) {
    throw invalid(dir, `its policy is invalid (${(e as Error).message})`, e);
  }
  const artifacts = await readModelFolder(dir);
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  let optimizer: OptimizerState | undefined;
  if (meta.optimizer) {
    const o = meta.optimizer;
    let floats: Float32Array;
    try {
      const b = await fs.promises.readFile(path.join(dir, path.basename(o.file)));
      floats = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    } catch (e) {
      model.dispose();
      throw invalid(dir, `${o.file} is missing`, e);
    }
    const need = o.params.reduce((a, p) => a + Object.values(p.slots).reduce((x, s) => x + s.length, 0), 0);
    if (need !== floats.length) {
      model.dispose();
      throw new FrostlineTfjsError(
        'WEIGHT_SIZE_MISMATCH',
        `${o.file} in '${dir}' holds ${floats.length} floats but frostline.json describes ${need}. The checkpoint is damaged; use an earlier one.`,
      );
    }
    optimizer = {
      config: o.config,
      params: o.params.map((p) => ({
        name: p.name,
        step: p.step,
        slots: Object.fromEntries(
          Object.entries(p.slots).map(([k, s]) => [
            k,
            tf.tensor(floats.subarray(s.offset, s.offset + s.length), s.shape),
          ]),
        ),
      })),
    };
  }
  let disposed = false;
  return {
    dir,
    model,
    meta,
    ...(optimizer ? { optimizer } : {}),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const p of optimizer?.params ?? []) for (const t of Object.values(p.slots)) t.dispose();
    },
  };
}
