import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from '../errors';
import type { RunConfig } from './setup';
import type { TrainState } from './state';

/** A tenth of the learning rate, printed short (1e+29, not 1.0000000000000001e+29). */
const lower = (lr: number) => Number((lr / 10).toPrecision(3));

/** The loss became NaN or infinite: say where, and what usually fixes it. */
export function nanLossError(
  epoch: number,
  batch: number,
  batches: number,
  value: number,
  lr: number,
): FrostlineTfjsError {
  const where = batch >= 0 ? `epoch ${epoch + 1}, batch ${batch + 1}/${batches}` : `epoch ${epoch + 1}`;
  return new FrostlineTfjsError(
    'NAN_LOSS',
    `The loss became ${value} at ${where}. Lower the learning rate (now ${lr}; try ${lower(lr)}), ` +
      'check the inputs for NaN/Infinity and scale them (e.g. pixels to [0, 1]), and make sure labels match the loss.',
    { details: { epoch, batch, learningRate: lr } },
  );
}

/**
 * Fail when a trainable weight holds NaN or ±Infinity after `epoch`. A diverging run can keep a finite
 * loss (crossentropy clips its input), so the loss alone does not show it. Cheap: one `x·0` sum per
 * trainable variable (NaN exactly when the variable holds a non-finite value) and a single read.
 */
export function checkFiniteWeights(run: RunConfig, state: TrainState, epoch: number): void {
  const { params, vars } = state.plan;
  if (vars.length === 0) return;
  const flags = tf.tidy(() => tf.stack(vars.map((v) => tf.sum(tf.mul(v, 0)))));
  const sums = flags.dataSync();
  flags.dispose();
  const bad = sums.findIndex((s) => s !== 0);
  if (bad < 0) return;
  const lr = run.optimizer.config.learningRate;
  const name = params[bad]!.name;
  throw new FrostlineTfjsError(
    'NON_FINITE_WEIGHTS',
    `Parameter '${name}' holds NaN or Infinity after epoch ${epoch + 1}: training diverged. ` +
      `Lower the learning rate (now ${lr}; try ${lower(lr)}) and check the inputs for NaN/Infinity.`,
    { details: { epoch, parameter: name, learningRate: lr } },
  );
}
