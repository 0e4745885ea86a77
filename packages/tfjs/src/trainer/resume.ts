import type { ParamInfo, PolicySpec } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { type LoadedCheckpoint, loadCheckpoint } from '../checkpoint';
import { FrostlineTfjsError } from '../errors';
import type { AliasFn } from '../model-names';
import { type ParamRef, paramRefs } from '../params';
import type { TrainOptions } from './options';
import type { Disposer } from './state';

/** A policy that reproduces the model's current trainable flags (used when no policy is given). */
export function policyFromModel(params: readonly ParamInfo[]): PolicySpec {
  const frozen = params.filter((p) => p.kind !== 'buffer' && p.trainable === false).map((p) => p.name);
  return {
    default: 'trainable',
    batchNorm: 'frozen',
    rules: frozen.length > 0 ? [{ freeze: { names: frozen } }] : [],
  };
}

/** Copy weights from `src` into `dst` by parameter name (shapes must agree). */
export function copyWeightsByName(src: tf.LayersModel, dst: tf.LayersModel, aliases?: AliasFn): void {
  const a = new Map(paramRefs(src, aliases ? { aliases } : {}).map((r) => [r.info.name, r] as const));
  const b: ParamRef[] = paramRefs(dst, aliases ? { aliases } : {});
  const missing = b.filter((r) => !a.has(r.info.name)).map((r) => r.info.name);
  if (missing.length > 0) {
    throw new FrostlineTfjsError(
      'CHECKPOINT_INVALID',
      `The checkpoint's model lacks parameters of this model: ${missing.slice(0, 5).join(', ')}. Resume with the same architecture (or call resume(dir, data) to use the saved model).`,
    );
  }
  for (const r of b) {
    const s = a.get(r.info.name)!;
    if (s.variable.shape.join('x') !== r.variable.shape.join('x')) {
      throw new FrostlineTfjsError(
        'CHECKPOINT_INVALID',
        `Shape mismatch for '${r.info.name}': checkpoint [${s.variable.shape}] vs model [${r.variable.shape}].`,
      );
    }
    r.variable.write(s.variable.read());
  }
}

/**
 * The checkpoint a run continues, loaded (when given as a folder) and registered with `disposer` before
 * anything can fail, its weights copied into `model` by parameter name. Undefined when not resuming.
 */
export async function loadResume(
  model: tf.LayersModel,
  options: TrainOptions,
  aliases: AliasFn | undefined,
  disposer: Disposer,
): Promise<LoadedCheckpoint | undefined> {
  const from = options.resumeFrom;
  if (from === undefined) return undefined;
  let ckpt: LoadedCheckpoint;
  if (typeof from === 'string') {
    const own = await loadCheckpoint(from);
    disposer.add(() => {
      if (own.model !== model) own.model.dispose();
      own.dispose();
    });
    ckpt = own;
  } else if (from !== null && typeof from === 'object' && from.meta && from.model) {
    ckpt = from;
  } else {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      'resumeFrom must be a checkpoint folder path or a checkpoint returned by loadCheckpoint().',
    );
  }
  const done = ckpt.meta.epoch;
  if (options.epochs <= done) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `The checkpoint is already at epoch ${done}, so epochs: ${options.epochs} leaves nothing to run. ` +
        `Pass epochs > ${done} to train further (epochs counts from the start of the first run).`,
      { details: { checkpointEpoch: done, epochs: options.epochs } },
    );
  }
  if (ckpt.model !== model) copyWeightsByName(ckpt.model, model, aliases);
  return ckpt;
}
