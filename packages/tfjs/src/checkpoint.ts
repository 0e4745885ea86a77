import { type ParamInfo, type PolicySpec, validatePolicy } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { checkCheckpointMeta, checkOptimizerMeta } from './checkpoint-meta';
import { FrostlineTfjsError } from './errors';
import type { EpochLogs } from './events';
import { artifactsToFiles, readModelFolder, resolveFolder, toArtifacts, writeFolderAtomic } from './io';
import { nodeFs, nodePath } from './node';
import { type OptimizerConfig, type OptimizerState, ParamOptimizer } from './optimizer';
import { disposeVariablesOnFailure } from './variables';

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

/** Optimizer slots as one float32 block plus the frostline.json entries that locate each slot in it. */
function packOptimizer(state: OptimizerState): {
  meta: NonNullable<CheckpointMeta['optimizer']>;
  data: Float32Array;
} {
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
  const data = new Float32Array(offset);
  let at = 0;
  for (const c of chunks) {
    data.set(c, at);
    at += c.length;
  }
  return { meta: { config: state.config, file: OPTIMIZER_BIN, params }, data };
}

/** The first slot value that is NaN or ±Infinity, as "'name' slot 'm' value k is NaN". */
function firstNonFinite(
  meta: NonNullable<CheckpointMeta['optimizer']>,
  data: Float32Array,
): string | undefined {
  for (const p of meta.params) {
    for (const [k, s] of Object.entries(p.slots)) {
      for (let i = 0; i < s.length; i++) {
        const v = data[s.offset + i]!;
        if (!Number.isFinite(v))
          return `the optimizer state of '${p.name}' (slot '${k}', value ${i}) is ${v}`;
      }
    }
  }
  return undefined;
}

/** Layer classes of a topology that this TF.js cannot build (custom layers never registered). */
function unknownLayerClasses(topology: unknown): string[] {
  const known = (
    tf.serialization.SerializationMap as unknown as { getMap(): { classNameMap: Record<string, unknown> } }
  ).getMap().classNameMap;
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.class_name === 'string' && 'config' in o && !Object.hasOwn(known, o.class_name))
        out.add(o.class_name);
      for (const x of Object.values(o)) walk(x);
    }
  };
  walk((topology as { model_config?: unknown })?.model_config ?? topology);
  return [...out];
}

function refuseSave(dir: string, why: string): FrostlineTfjsError {
  return new FrostlineTfjsError(
    'CHECKPOINT_INVALID',
    `saveCheckpoint refused to write '${dir}': ${why}. Nothing was written; an existing checkpoint there is unchanged.`,
    { file: dir, details: { reason: why } },
  );
}

function checkSaveArgs(dir: unknown, args: unknown): asserts args is SaveCheckpointArgs {
  if (typeof dir !== 'string' || dir === '')
    throw new FrostlineTfjsError('BAD_OPTION', `saveCheckpoint needs a folder path, got ${String(dir)}.`);
  const a = args as Partial<SaveCheckpointArgs> | null | undefined;
  if (!a || typeof a !== 'object' || !a.model || typeof (a.model as tf.LayersModel).save !== 'function') {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `saveCheckpoint('${dir}', args) needs args = { model: a tf.LayersModel, policy, epoch }.`,
      { file: dir },
    );
  }
}

/**
 * Write a resumable checkpoint folder atomically: model.json + weights.bin (a plain layers model any TF.js
 * loads), frostline.json (policy, epoch, seed, history, early-stopping state) and optimizer.bin (slot
 * tensors by parameter name). Everything loadCheckpoint checks is checked first, so a bad call
 * (epoch NaN, a policy that does not parse, non-finite optimizer state) never replaces a good checkpoint.
 */
export async function saveCheckpoint(dir: string, args: SaveCheckpointArgs): Promise<void> {
  checkSaveArgs(dir, args);
  const state = args.optimizer instanceof ParamOptimizer ? args.optimizer.getState() : args.optimizer;
  const packed = state ? packOptimizer(state) : undefined;
  let policy: PolicySpec;
  try {
    policy = policyToJson(args.policy);
  } catch (e) {
    throw refuseSave(dir, `the policy cannot be stored (${(e as Error).message})`);
  }
  const meta: CheckpointMeta = {
    format: FORMAT,
    version: 1,
    createdAt: new Date().toISOString(),
    epoch: args.epoch,
    seed: args.seed ?? 42,
    policy,
    history: args.history ?? [],
    trainable: args.trainable ?? [],
    ...(args.earlyStopping ? { earlyStopping: args.earlyStopping } : {}),
    ...(packed ? { optimizer: packed.meta } : {}),
  };
  // Check what the loader will read: the JSON form (NaN becomes null there).
  const text = JSON.stringify(meta, null, 1);
  const asRead = JSON.parse(text) as unknown;
  const why =
    checkCheckpointMeta(asRead, FORMAT) ??
    (packed
      ? (checkOptimizerMeta(meta.optimizer, packed.data.length) ?? firstNonFinite(packed.meta, packed.data))
      : undefined);
  if (why) throw refuseSave(dir, why);
  const artifacts = await toArtifacts(args.model);
  const unknown = unknownLayerClasses(artifacts.modelTopology);
  if (unknown.length > 0)
    throw refuseSave(
      dir,
      `the model uses layer classes TF.js cannot load back (${unknown.join(', ')}); register them with tf.serialization.registerClass`,
    );
  const files = artifactsToFiles(artifacts);
  if (packed) files.push([OPTIMIZER_BIN, new Uint8Array(packed.data.buffer)]);
  // frostline.json last: a reader that sees it knows the model files of the same folder are complete.
  files.push([CHECKPOINT_JSON, text]);
  await writeFolderAtomic(dir, files);
}

function invalid(dir: string, what: string, cause?: unknown): FrostlineTfjsError {
  return new FrostlineTfjsError(
    'CHECKPOINT_INVALID',
    `'${dir}' is not a usable frostline checkpoint: ${what}. Point resumeFrom at a folder written by train({ checkpoint }) or saveCheckpoint.`,
    { file: dir, details: { reason: what }, ...(cause === undefined ? {} : { cause }) },
  );
}

async function readMeta(dir: string): Promise<CheckpointMeta> {
  const fs = await nodeFs();
  const path = await nodePath();
  let text: string;
  try {
    text = await fs.promises.readFile(path.join(dir, CHECKPOINT_JSON), 'utf8');
  } catch (e) {
    throw invalid(dir, `${CHECKPOINT_JSON} is missing or unreadable`, e);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (e) {
    throw invalid(dir, `${CHECKPOINT_JSON} is not JSON`, e);
  }
  const why = checkCheckpointMeta(meta, FORMAT);
  if (why) throw invalid(dir, why);
  const m = meta as CheckpointMeta;
  m.policy = validatePolicy(m.policy);
  return m;
}

/** optimizer.bin as floats, checked against frostline.json: whole, the described length, every value finite. */
async function readOptimizerFloats(
  dir: string,
  o: NonNullable<CheckpointMeta['optimizer']>,
): Promise<Float32Array> {
  const fs = await nodeFs();
  const path = await nodePath();
  let b: Uint8Array;
  try {
    b = await fs.promises.readFile(path.join(dir, o.file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw invalid(dir, code === 'ENOENT' ? `${o.file} is missing` : `${o.file} cannot be read (${code})`, e);
  }
  if (b.byteLength % 4 !== 0)
    throw invalid(dir, `${o.file} is cut: ${b.byteLength} bytes is not a whole number of float32 values`);
  const floats = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  const need = o.params.reduce((a, p) => a + Object.values(p.slots).reduce((x, s) => x + s.length, 0), 0);
  if (need !== floats.length)
    throw invalid(
      dir,
      `${o.file} holds ${floats.length} floats but ${CHECKPOINT_JSON} describes ${need} (the file is cut or from another checkpoint)`,
    );
  const why = checkOptimizerMeta(o, floats.length) ?? firstNonFinite(o, floats);
  if (why) throw invalid(dir, why);
  return floats;
}

async function buildModel(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelFolder(dir);
  try {
    return await disposeVariablesOnFailure(() => tf.loadLayersModel(tf.io.fromMemory(artifacts)));
  } catch (e) {
    throw invalid(dir, `its model.json cannot be built (${(e as Error).message.split('\n')[0]})`, e);
  }
}

/**
 * Read a checkpoint folder: the model (plain TF.js load), its metadata and optimizer state. Every
 * failure is a typed error (CHECKPOINT_INVALID with the reason, or the model folder's own codes), and
 * nothing half-loaded is left behind.
 */
export async function loadCheckpoint(dirIn: string): Promise<LoadedCheckpoint> {
  if (typeof dirIn !== 'string' || dirIn === '')
    throw new FrostlineTfjsError('BAD_OPTION', `loadCheckpoint needs a folder path, got ${String(dirIn)}.`);
  const dir = await resolveFolder(dirIn);
  const meta = await readMeta(dir);
  const floats = meta.optimizer ? await readOptimizerFloats(dir, meta.optimizer) : undefined;
  const model = await buildModel(dir);
  let optimizer: OptimizerState | undefined;
  if (meta.optimizer && floats) {
    optimizer = {
      config: meta.optimizer.config,
      params: meta.optimizer.params.map((p) => ({
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
