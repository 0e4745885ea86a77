import { type Fingerprint, fingerprint, type Plan, type PolicySpec, verifyFrozen } from '@frostline/core';
import { type TrainEvent, type TrainResult, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { StudioModel } from './model';
import type { Settings } from './project';

export interface FrozenCheck {
  /** Frozen tensors (parameters and inference-mode BN statistics) compared bit for bit. */
  checked: number;
  changed: string[];
  /** Short digest of all frozen tensors before and after. */
  before: string;
  after: string;
}

export interface RunResult {
  result: TrainResult;
  frozen: FrozenCheck;
  plan: Plan;
}

/** Values of every tensor the plan keeps fixed: frozen parameters and the BN statistics it runs in inference mode. */
function frozenValues(m: StudioModel, plan: Plan): Map<string, Float32Array> {
  const fixed = new Set(
    plan.entries
      .filter((e) => (e.kind === 'buffer' ? e.bnMode === 'inference' : !e.trainable))
      .map((e) => e.name),
  );
  const out = new Map<string, Float32Array>();
  for (const layer of m.headed.model.layers) {
    for (const w of layer.weights) {
      const name = `${layer.name}/${w.originalName.split('/').pop()}`;
      if (fixed.has(name)) out.set(name, w.read().dataSync() as Float32Array);
    }
  }
  return out;
}

/** One digest over a fingerprint's per-tensor hashes (what the screen shows). */
const digest = (fp: Fingerprint) => {
  let h = 0x811c9dc5;
  for (const [k, v] of Object.entries(fp).sort(([a], [b]) => (a < b ? -1 : 1))) {
    for (const ch of k + v) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
};

/**
 * Train with frostline's trainer (plan applied, frozen BN in inference mode, activation cache) and,
 * on top of its per-epoch verification, fingerprint every frozen tensor of the first epoch's plan
 * before and after, with core's `fingerprint` / `verifyFrozen`.
 */
export async function runTraining(args: {
  model: StudioModel;
  /**
   * What is trained: the full model, or (head-only plans) the head model on persisted features, which
   * shares its layers with `model`. The fingerprints are always taken over the full model and plan.
   */
  net: { model: tf.LayersModel; headOnly: boolean };
  policy: PolicySpec;
  plan: Plan;
  data: { train: { x: tf.Tensor; y: tf.Tensor }; validation: { x: tf.Tensor; y: tf.Tensor } };
  settings: Settings;
  signal: AbortSignal;
  onEvent: (e: TrainEvent) => void;
}): Promise<RunResult> {
  const { model, plan, settings } = args;
  const before = fingerprint(frozenValues(model, plan));
  const result = await train(args.net.model, args.data, {
    policy: args.policy,
    aliases: model.headed.aliases,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    optimizer: 'adam',
    learningRate: settings.learningRate,
    loss: 'categoricalCrossentropy',
    metrics: ['acc'],
    seed: settings.seed,
    cache: 'auto',
    verifyFrozen: 'epoch',
    signal: args.signal,
    onEvent: (e) => args.onEvent(e),
  });
  // The last plan decides what stayed frozen through the whole run (schedules only unfreeze more).
  const last = args.net.headOnly ? plan : (result.plans[result.plans.length - 1] ?? plan);
  const keptFrozen = new Set(frozenValues(model, last).keys());
  const beforeKept: Fingerprint = Object.fromEntries(
    Object.entries(before).filter(([k]) => keptFrozen.has(k)),
  );
  const after = fingerprint(frozenValues(model, last));
  const check = verifyFrozen(last, beforeKept, after);
  return {
    result,
    plan: last,
    frozen: {
      checked: check.checked,
      changed: [...check.changed],
      before: digest(beforeKept),
      after: digest(after),
    },
  };
}

/** Rows of class probabilities of `net` on inputs it takes as they are (features, or preprocessed images). */
export function predictRows(net: tf.LayersModel, x: tf.Tensor, batchSize: number): Float32Array[] {
  const probs = tf.tidy(() => net.predict(x, { batchSize }) as tf.Tensor2D);
  const flat = probs.dataSync() as Float32Array;
  const [n, c] = probs.shape;
  probs.dispose();
  return Array.from({ length: n }, (_, i) => flat.slice(i * c, (i + 1) * c));
}

/** Class probabilities of 0..255 images through the full model (preprocessing included). */
export function predictImages(m: StudioModel, x: tf.Tensor4D, batchSize: number): Float32Array[] {
  const input = m.headed.preprocess(x);
  try {
    return predictRows(m.headed.model, input, batchSize);
  } finally {
    input.dispose();
  }
}
