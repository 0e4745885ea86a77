import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';

export type OptimizerName = 'adam' | 'sgd' | 'momentum' | 'rmsprop';

export interface OptimizerConfig {
  name: OptimizerName;
  learningRate: number;
  /** Decoupled weight decay (AdamW style), applied only to trainable parameters of rank ≥ 2. */
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  momentum: number;
  rho: number;
}

/** One parameter the optimizer updates this step. */
export interface OptimizedParam {
  name: string;
  variable: tf.Variable;
  /** Multiplies the base learning rate (the plan's lrFactor). */
  lrFactor: number;
  decay: boolean;
}

/** Serializable optimizer state: per parameter name, its step count and slot tensors. */
export interface OptimizerState {
  config: OptimizerConfig;
  params: Array<{ name: string; step: number; slots: Record<string, tf.Tensor> }>;
}

const SLOT_NAMES: Record<OptimizerName, string[]> = {
  adam: ['m', 'v'],
  sgd: [],
  momentum: ['accum'],
  rmsprop: ['ms'],
};

export function optimizerConfig(
  name: OptimizerName | undefined,
  learningRate: number | undefined,
  weightDecay: number | undefined,
): OptimizerConfig {
  const n = name ?? 'adam';
  if (!(n in SLOT_NAMES)) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `Unknown optimizer '${String(name)}'. Use one of: ${Object.keys(SLOT_NAMES).join(', ')}.`,
    );
  }
  const lr = learningRate ?? (n === 'sgd' || n === 'momentum' ? 0.01 : 0.001);
  if (!(lr > 0) || !Number.isFinite(lr)) {
    throw new FrostlineTfjsError('BAD_OPTION', `learningRate must be a positive number, got ${lr}.`);
  }
  const wd = weightDecay ?? 0;
  if (!(wd >= 0) || !Number.isFinite(wd)) {
    throw new FrostlineTfjsError('BAD_OPTION', `weightDecay must be ≥ 0, got ${wd}.`);
  }
  return {
    name: n,
    learningRate: lr,
    weightDecay: wd,
    beta1: 0.9,
    beta2: 0.999,
    // tf.backend().epsilon() — the value TF.js' own optimizers use.
    epsilon: 1e-7,
    momentum: 0.9,
    rho: 0.9,
  };
}

interface Slot {
  step: number;
  vars: tf.Variable[];
}

/**
 * A small optimizer whose state is keyed by *parameter name*, not by position in a variable list.
 *
 * Why not TF.js' optimizers: they index their slots by the position of a variable in the list passed to
 * `applyGradients`, so when a schedule changes the trainable set the Adam moments silently move to other
 * variables; and one optimizer per LR group would be needed for discriminative rates (scaling gradients does
 * not scale Adam's step). Here every parameter carries its own LR factor, frozen parameters are never passed
 * in (no decay, no momentum on them), and state survives schedule changes and checkpoints by name.
 * The update formulas are the ones of TF.js' Adam / SGD / Momentum / RMSProp.
 */
export class ParamOptimizer {
  readonly config: OptimizerConfig;
  private readonly slots = new Map<string, Slot>();

  constructor(config: OptimizerConfig) {
    this.config = config;
  }

  /** Apply gradients (keyed by variable name, as `tf.variableGrads` returns them). */
  apply(params: readonly OptimizedParam[], grads: Record<string, tf.Tensor>): void {
    const c = this.config;
    tf.tidy(() => {
      for (const p of params) {
        const g = grads[p.variable.name];
        if (!g) continue;
        const slot = this.slotFor(p);
        slot.step++;
        const lr = c.learningRate * p.lrFactor;
        const value = p.variable;
        let base: tf.Tensor = value;
        if (p.decay && c.weightDecay > 0) base = tf.sub(value, tf.mul(value, lr * c.weightDecay));
        let next: tf.Tensor;
        switch (c.name) {
          case 'sgd':
            next = tf.sub(base, tf.mul(g, lr));
            break;
          case 'momentum': {
            const accum = slot.vars[0]!;
            const a = tf.add(tf.mul(accum, c.momentum), g);
            accum.assign(a);
            next = tf.sub(base, tf.mul(a, lr));
            break;
          }
          case 'rmsprop': {
            const ms = slot.vars[0]!;
            const m = tf.add(tf.mul(ms, c.rho), tf.mul(tf.square(g), 1 - c.rho));
            ms.assign(m);
            next = tf.sub(base, tf.div(tf.mul(g, lr), tf.sqrt(tf.add(m, c.epsilon))));
            break;
          }
          default: {
            const [mVar, vVar] = slot.vars as [tf.Variable, tf.Variable];
            const m = tf.add(tf.mul(mVar, c.beta1), tf.mul(g, 1 - c.beta1));
            const v = tf.add(tf.mul(vVar, c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
            mVar.assign(m);
            vVar.assign(v);
            const mHat = tf.div(m, 1 - c.beta1 ** slot.step);
            const vHat = tf.div(v, 1 - c.beta2 ** slot.step);
            next = tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), c.epsilon)), -lr), base);
          }
        }
        value.assign(next);
      }
    });
  }

  private slotFor(p: OptimizedParam): Slot {
    let slot = this.slots.get(p.name);
    if (!slot) {
      slot = {
        step: 0,
        vars: SLOT_NAMES[this.config.name].map(() => tf.variable(tf.zerosLike(p.variable), false)),
      };
      this.slots.set(p.name, slot);
    }
    return slot;
  }

  /** Parameter names that have optimizer state. */
  names(): string[] {
    return [...this.slots.keys()];
  }

  /** Step count and a copy of the slot values of one parameter (for tests and reports). */
  read(name: string): { step: number; slots: Record<string, Float32Array> } | undefined {
    const s = this.slots.get(name);
    if (!s) return undefined;
    const slots: Record<string, Float32Array> = {};
    SLOT_NAMES[this.config.name].forEach((k, i) => {
      slots[k] = Float32Array.from(s.vars[i]!.dataSync() as Float32Array);
    });
    return { step: s.step, slots };
  }

  /** The state as tensors (not copies: do not dispose them). */
  getState(): OptimizerState {
    const keys = SLOT_NAMES[this.config.name];
    return {
      config: { ...this.config },
      params: [...this.slots].map(([name, s]) => ({
        name,
        step: s.step,
        slots: Object.fromEntries(keys.map((k, i) => [k, s.vars[i]!])),
      })),
    };
  }

  /** Replace all state (values are copied). Slot tensors of a different optimizer kind are an error. */
  setState(state: { params: OptimizerState['params'] }): void {
    this.disposeSlots();
    const keys = SLOT_NAMES[this.config.name];
    for (const p of state.params) {
      const vars = keys.map((k) => {
        const t = p.slots[k];
        if (!t) {
          throw new FrostlineTfjsError(
            'CHECKPOINT_INVALID',
            `Optimizer state for '${p.name}' has no '${k}' slot; it was saved by another optimizer. ` +
              `Resume with optimizer '${this.config.name}' matching the checkpoint, or start fresh.`,
          );
        }
        return tf.variable(t, false);
      });
      this.slots.set(p.name, { step: p.step, vars });
    }
  }

  private disposeSlots(): void {
    for (const s of this.slots.values()) for (const v of s.vars) v.dispose();
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }
}
