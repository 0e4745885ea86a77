import { type Plan, type PolicySpec, planFreeze } from '@frostline/core';
import type * as tf from '@tensorflow/tfjs';
import { isBatchNorm, setBatchNormMode } from './batchnorm';
import { FrostlineTfjsError } from './errors';
import { type AliasFn, type ModelLike, resolveModel } from './model-names';
import { isContainer, type ParamRef, paramRefs } from './params';

export interface ApplyPlanOptions {
  /** Compile the model with these arguments after applying (else an already compiled model is refreshed). */
  compile?: tf.ModelCompileArgs;
  aliases?: AliasFn;
  /**
   * Names of plan entries the model does not own (a frozen external encoder planned together with this
   * model's head): they are left alone instead of failing with PLAN_MISMATCH.
   */
  external?: Iterable<string>;
}

/** Check a plan was made for this model: same parameter names. Returns the refs keyed by name. */
export function matchPlan(
  refs: readonly ParamRef[],
  plan: Plan,
  external: ReadonlySet<string> = new Set(),
): Map<string, ParamRef> {
  const byName = new Map(refs.map((r) => [r.info.name, r]));
  const missing = refs.filter((r) => !plan.get(r.info.name)).map((r) => r.info.name);
  const extra = plan.entries.filter((e) => !byName.has(e.name) && !external.has(e.name)).map((e) => e.name);
  if (missing.length > 0 || extra.length > 0) {
    const show = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? `, … (${xs.length})` : '');
    throw new FrostlineTfjsError(
      'PLAN_MISMATCH',
      `The plan was made for a different model: ${missing.length > 0 ? `model parameters not in the plan: ${show(missing)}. ` : ''}` +
        `${extra.length > 0 ? `plan entries not in the model: ${show(extra)}. ` : ''}` +
        'Build the plan from listParams(model) of this very model (same aliases), e.g. with applyPolicy(model, policy).',
      { details: { missing, extra } },
    );
  }
  return byName;
}

/**
 * Make `plan` real on `model`: per-layer and per-weight `trainable` flags (LayerVariable.trainable, which
 * tfjs-layers' `trainableWeights` honours weight by weight), BatchNorm run modes (frozen BN in inference
 * mode), then refresh the compiled state so `model.fit` sees the new trainable set.
 */
export function applyPlan(modelLike: ModelLike, plan: Plan, opts: ApplyPlanOptions = {}): void {
  const { model, aliases } = resolveModel(modelLike, opts.aliases);
  const refs = paramRefs(model, aliases ? { aliases } : {});
  matchPlan(refs, plan, new Set(opts.external ?? []));
  const byLayer = new Map<tf.layers.Layer, ParamRef[]>();
  for (const r of refs) {
    const list = byLayer.get(r.layer);
    if (list) list.push(r);
    else byLayer.set(r.layer, [r]);
  }
  const trainable = (r: ParamRef) => r.info.kind !== 'buffer' && plan.get(r.info.name)?.trainable === true;

  // Top-down: a container's `trainable` setter rewrites its direct children's weight flags, and a leaf's
  // setter rewrites its own weights' flags, so per-weight flags are set last.
  const visit = (container: tf.LayersModel): boolean => {
    const anyIn = (c: tf.LayersModel): boolean =>
      c.layers.some((l) => (isContainer(l) ? anyIn(l) : (byLayer.get(l) ?? []).some(trainable)));
    const any = anyIn(container);
    container.trainable = any;
    // A Sequential trains through an inner functional model that mirrors its flag only at build time.
    const inner = sequentialInner(container);
    if (inner) inner.trainable = any;
    for (const layer of container.layers) {
      if (isContainer(layer)) {
        visit(layer);
        continue;
      }
      const ps = byLayer.get(layer) ?? [];
      const layerTrainable = ps.some(trainable);
      // Weightless layers keep trainable = true (harmless; Keras does the same).
      layer.trainable = ps.length === 0 ? true : layerTrainable;
      for (const r of ps) if (r.info.kind !== 'buffer') r.variable.trainable = trainable(r);
      if (isBatchNorm(layer)) {
        const mode = ps.map((r) => plan.get(r.info.name)?.bnMode).find((m) => m !== undefined);
        setBatchNormMode(layer, mode === 'inference' ? 'inference' : mode === 'train' ? 'train' : 'auto');
      }
    }
    return any;
  };
  visit(model);
  rememberFlags(model, refs);

  if (opts.compile) {
    model.compile(opts.compile);
  } else {
    // compile() captures the trainable list once ("collectedTrainableWeights"); refreshing it is what a
    // recompile does for training, without dropping the user's optimizer, losses or metrics.
    const target = sequentialInner(model) ?? model;
    const m = target as unknown as { optimizer_?: unknown; collectedTrainableWeights?: unknown };
    if (m.optimizer_ != null) m.collectedTrainableWeights = target.trainableWeights;
  }
}

const FLAGS = Symbol.for('frostline.weightFlags');
type Remembering = tf.LayersModel & {
  [FLAGS]?: Array<[tf.LayerVariable, boolean]>;
  compile: (args: tf.ModelCompileArgs) => void;
};

/**
 * `Sequential.compile()` rebuilds its inner model and copies the model-level `trainable` onto every weight,
 * wiping per-weight flags. Remember the flags and wrap this instance's `compile` to put them back.
 */
function rememberFlags(model: tf.LayersModel, refs: readonly ParamRef[]): void {
  const m = model as Remembering;
  const flags = refs
    .filter((r) => r.info.kind !== 'buffer')
    .map((r): [tf.LayerVariable, boolean] => [r.variable, r.variable.trainable]);
  const first = m[FLAGS] === undefined;
  Object.defineProperty(m, FLAGS, { value: flags, writable: true, configurable: true, enumerable: false });
  if (!first || (m as unknown as { getClassName(): string }).getClassName() !== 'Sequential') return;
  const original = m.compile;
  const compile = function (this: Remembering, args: tf.ModelCompileArgs) {
    original.call(this, args);
    for (const [v, t] of this[FLAGS] ?? []) v.trainable = t;
    const inner = sequentialInner(this);
    if (inner)
      (inner as unknown as { collectedTrainableWeights: unknown }).collectedTrainableWeights =
        inner.trainableWeights;
  };
  Object.defineProperty(m, 'compile', {
    value: compile,
    writable: true,
    configurable: true,
    enumerable: false,
  });
}

function sequentialInner(model: tf.LayersModel): tf.LayersModel | undefined {
  const seq = model as unknown as {
    model?: tf.LayersModel;
    inputs?: tf.SymbolicTensor[];
    build?: (shape: unknown) => void;
    getClassName(): string;
  };
  // A Sequential builds its inner model lazily (at compile/fit) and copies its own `trainable` onto every
  // layer then, wiping per-weight flags: build it now so that happens before the flags are set.
  if (seq.getClassName() === 'Sequential' && seq.model == null && seq.inputs && seq.inputs.length > 0) {
    seq.build?.(seq.inputs[0]!.shape);
  }
  const inner = seq.model;
  return inner && inner !== model && isContainer(inner) ? inner : undefined;
}

export interface ApplyPolicyOptions extends ApplyPlanOptions {
  /** 0-based epoch at which schedules are evaluated (default 0). */
  epoch?: number;
}

/** Plan `policy` over `listParams(model)` with core and apply it; returns the plan applied. */
export function applyPolicy(modelLike: ModelLike, policy: PolicySpec, opts: ApplyPolicyOptions = {}): Plan {
  const { model, aliases } = resolveModel(modelLike, opts.aliases);
  const refs = paramRefs(model, aliases ? { aliases } : {});
  const plan = planFreeze(
    refs.map((r) => r.info),
    policy,
    { epoch: opts.epoch ?? 0 },
  );
  applyPlan(model, plan, { ...opts, ...(aliases ? { aliases } : {}) });
  return plan;
}
