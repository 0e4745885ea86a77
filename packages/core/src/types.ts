/**
 * The shared vocabulary of frostline. Adapters (tfjs, vision, nlp) describe a model as a flat list of
 * `ParamInfo`; core turns a `PolicySpec` into a `Plan` over that list. Nothing here knows about any
 * ML runtime.
 */

/** One named tensor of a model, as an adapter lists it. */
export interface ParamInfo {
  /**
   * Hierarchical path. Both `/` (TF.js: `block_16_project/kernel`) and `.` (PyTorch/Paddle:
   * `layer4.0.conv1.weight`) separate segments. Unique within a model.
   */
  name: string;
  shape: readonly number[];
  /** Path of the layer that owns it (defaults to the name without its last segment). */
  layer?: string;
  /** Runtime class of that layer, e.g. `Dense`, `Conv2D`, `BatchNormalization`. */
  layerType?: string;
  /** Trainable state the runtime reports now (informational; plans decide). */
  trainable?: boolean;
  /**
   * `parameter` (default) is learned by gradients; `buffer` is state the runtime updates itself
   * (BatchNorm moving mean/variance). Buffers are never trainable and are counted apart, but they
   * are fingerprinted so a frozen BN proves its statistics did not drift.
   */
  kind?: 'parameter' | 'buffer';
  /**
   * Other full paths this parameter answers to (e.g. a ResNet's `layer4/conv5_block1_1_conv/kernel`
   * for the Keras name `conv5_block1_1_conv/kernel`). Selectors match the name or any alias.
   */
  aliases?: readonly string[];
  /**
   * True for parameters of inference-only runtimes (ONNX via transformers.js, TF.js GraphModels):
   * they are frozen by construction, and a rule that would unfreeze them is an error.
   */
  fixed?: boolean;
}

/**
 * Where a rule points. Strings are the compact form (also what YAML/JSON policies use):
 * - `fc1`, `layer4.0`, `block_16_project/kernel`: a path matched on whole segments, as a contiguous
 *   run anywhere in the name (`fc1` matches `fc1.weight` and `net/fc1/kernel`, never `fc10.weight`);
 * - with `*` (within one segment) or `**` (any number of segments): a glob, matched like a path as
 *   a contiguous run of whole segments anywhere in the name (`fc1*` selects `fc1`, `fc10`, `fc1_x`);
 * - `/regex/flags`: a regular expression tested against the full name (and aliases); patterns that
 *   could backtrack for long are refused (`UNSAFE_REGEX`);
 * - `type:BatchNormalization`: every parameter whose layerType is that (comma list allowed);
 * - `layers:0..5` / `layers:3..` / `layers:..-2`: a range over the ordered layer list (inclusive,
 *   negative from the end); `first:N` and `last:N` are shorthands;
 * - `!sel`: negation of any string form.
 * Arrays are unions. Object forms say the same explicitly; `{ names: [...] }` (object form only) is an
 * exact set of full names.
 */
export type Selector = string | RegExp | readonly Selector[] | SelectorObject;

export type SelectorObject =
  | { name: string }
  /**
   * Exactly the parameters whose full name (or an alias) is in the list: no segment runs, globs or
   * regexes, so `fc1.weight` never selects `fc10.weight`. An empty list is an error; with `strict`
   * (the default) every listed name must exist. What a plan's `trainableNames()` feeds back.
   */
  | { names: readonly string[] }
  | { glob: string }
  | { regex: string; flags?: string }
  | { layerType: string | readonly string[] }
  | { layers: { from?: number; to?: number } }
  | { first: number }
  | { last: number }
  | { any: readonly Selector[] }
  | { all: readonly Selector[] }
  | { not: Selector };

export interface FreezeRule {
  freeze: Selector;
  /** Default true: a rule that matches nothing is a `PolicyError` naming the nearest real names. */
  strict?: boolean;
  note?: string;
}
export interface UnfreezeRule {
  unfreeze: Selector;
  strict?: boolean;
  note?: string;
}
export type Rule = FreezeRule | UnfreezeRule;

/** `frozen`: a BN layer whose parameters are all frozen runs in inference mode (Keras). `train`: BN parameters stay trainable inside frozen blocks and BN runs in training mode (fastai `train_bn`). */
export type BatchNormMode = 'frozen' | 'train';

export interface LrSpec {
  /** MMEngine `lr_mult`: factor for every parameter the selector matches; several matches multiply. */
  mult?: ReadonlyArray<{ select: Selector; factor: number; strict?: boolean }>;
  /** fastai `slice(lo, hi)`: ordered groups (first = earliest), factors spread geometrically from `lo` to `hi`. */
  discriminative?: { groups: readonly Selector[]; lo: number; hi: number };
  /**
   * Layer-wise decay: factor = decay^depth, depth counted from the top. With `groups`, depth is the
   * group index from the last group (last group depth 0); without, it is over the ordered layer list
   * (last layer depth 0).
   */
  layerwiseDecay?: { decay: number; groups?: readonly Selector[] };
}

export type ScheduleStep =
  /** Unfreeze a selector from epoch `at` on (0-based epochs). */
  | { kind: 'unfreeze'; at: number; select: Selector; strict?: boolean }
  /** Freeze a selector from epoch `at` on. */
  | { kind: 'freeze'; at: number; select: Selector; strict?: boolean }
  /**
   * ULMFiT gradual unfreezing: groups ordered earliest→latest; at `start + i*every` the group
   * `groups[n-1-i]` is unfreezed (the top first).
   */
  | { kind: 'gradual'; groups: readonly Selector[]; every: number; start?: number; strict?: boolean }
  /**
   * Lightning `BackboneFinetuning`: `select` is unfreezed at epoch `at`; its LR factor is
   * `initialRatio` then, multiplied by `growth` each later epoch, capped at `cap` (default 1 =
   * the head's rate).
   */
  | {
      kind: 'warmup';
      select: Selector;
      at: number;
      initialRatio?: number;
      growth?: number;
      cap?: number;
      strict?: boolean;
    }
  /**
   * FreezeOut / progressive freezing for speed: groups ordered earliest→latest; at
   * `start + i*every` the group `groups[i]` is frozen (the bottom first).
   */
  | {
      kind: 'progressive-freeze';
      groups: readonly Selector[];
      every: number;
      start?: number;
      strict?: boolean;
    };

export interface PolicySpec {
  /** Parameters that no rule matches: `trainable` (default) or `frozen`. */
  default?: 'trainable' | 'frozen';
  rules?: readonly Rule[];
  batchNorm?: BatchNormMode;
  lr?: LrSpec;
  schedule?: readonly ScheduleStep[];
}

/** A rule as the planner saw it at one epoch: declared rules first, then active schedule steps. */
export interface AppliedRule {
  index: number;
  action: 'freeze' | 'unfreeze';
  selector: string;
  /** Where it came from in the policy, e.g. `rules[2]` or `schedule[0].groups[1]`. */
  source: string;
  strict: boolean;
  /** The rule's `note`, if any. */
  note?: string;
}

export interface PlanEntry {
  name: string;
  shape: readonly number[];
  /** Number of scalars (product of shape). */
  size: number;
  layer: string;
  layerType?: string;
  layerIndex: number;
  kind: 'parameter' | 'buffer';
  trainable: boolean;
  /** Index into `plan.rules` of the rule that decided it; null = default (or buffer/fixed). */
  decidedBy: number | null;
  lrFactor: number;
  /** Only for BatchNorm layers: how the layer runs during training. */
  bnMode?: 'inference' | 'train';
  fixed: boolean;
  /**
   * Why `trainable` is what it is: a rule (`decidedBy`), the policy default, a buffer (never
   * trainable), a fixed parameter (inference-only runtime), or `batchNorm: 'train'` keeping a BN
   * parameter trainable.
   */
  decision?: 'rule' | 'default' | 'buffer' | 'fixed' | 'batchNorm';
}

export interface LayerSummary {
  name: string;
  type?: string;
  index: number;
  params: number;
  trainableParams: number;
  frozenParams: number;
  tensors: number;
  /** Buffer tensors (BN moving statistics) of the layer and their scalars; not in `params`. */
  buffers?: number;
  bufferParams?: number;
  state: 'trainable' | 'frozen' | 'partial' | 'none';
  bnMode?: 'inference' | 'train';
  /** Deciding rule indices seen among its parameters. */
  rules: number[];
}

export interface PlanSummary {
  totalParams: number;
  trainableParams: number;
  frozenParams: number;
  /** 0..100 */
  trainablePercent: number;
  totalTensors: number;
  trainableTensors: number;
  frozenTensors: number;
  bufferTensors: number;
  bufferParams: number;
}

export interface Plan {
  epoch: number;
  policy: PolicySpec;
  rules: readonly AppliedRule[];
  entries: readonly PlanEntry[];
  layers: readonly LayerSummary[];
  summary: PlanSummary;
  get(name: string): PlanEntry | undefined;
  /** One line: why this parameter is frozen or trainable, with its LR factor. */
  explain(name: string): string;
  trainableNames(): string[];
  frozenNames(): string[];
}

export interface PlanOptions {
  /** 0-based epoch at which schedules are evaluated. Default 0. */
  epoch?: number;
}

export interface PlanDiff {
  fromEpoch: number;
  toEpoch: number;
  frozen: string[];
  unfrozen: string[];
  lrChanged: Array<{ name: string; from: number; to: number }>;
  bnChanged: Array<{ layer: string; from?: 'inference' | 'train'; to?: 'inference' | 'train' }>;
  /** True when nothing changed. */
  empty: boolean;
}

/** Bytes of named tensors, as an adapter reads them (Float32Array etc.). */
export type TensorValues = ReadonlyMap<string, ArrayBufferView> | Readonly<Record<string, ArrayBufferView>>;
/** name → hex digest of the bytes (and shape/dtype-independent). */
export type Fingerprint = Record<string, string>;

export interface FrozenCheck {
  ok: boolean;
  /** Frozen parameters (and buffers of inference-mode BN layers) whose bytes changed. */
  changed: string[];
  /** Frozen names present before but absent after. */
  missing: string[];
  checked: number;
}

/** Where a parameter sits in the model, for selectors over the ordered layer list. */
export interface MatchContext {
  /** Index of the parameter's layer in the ordered layer list (order of first appearance). */
  layerIndex: number;
  layerCount: number;
  /**
   * The type of the parameter's layer as a plan sees it (the first `layerType` given among the
   * layer's parameters); `type:` selectors read it before the parameter's own `layerType`.
   */
  layerType?: string;
}

/** A parsed selector. `source` is its canonical string form. */
export interface CompiledSelector {
  source: string;
  /** Layer-range selectors need `ctx`; without it they match nothing. */
  test(p: ParamInfo, ctx?: MatchContext): boolean;
}

export type PlanFormat = 'table' | 'markdown' | 'json';

export interface FormatOptions {
  /** Rows per layer (default) or per parameter. */
  by?: 'layer' | 'parameter';
  /** Show at most this many rows; the rest are summarised in one line. */
  maxRows?: number;
}

export type ExportTarget = 'pytorch' | 'paddle';

/** Multi-process PyTorch: DistributedDataParallel or FullyShardedDataParallel, launched by `torchrun`. */
export type ExportLauncher = 'ddp' | 'fsdp';

export interface ExportOptions {
  /** Python variable that holds the model (default `model`). */
  modelVar?: string;
  /** Optimizer class in `torch.optim` / `paddle.optimizer` (default `AdamW`). */
  optimizer?: string;
  /** Base learning rate (default 1e-3). */
  lr?: number;
  /**
   * PyTorch only: emit a complete `torchrun` training script (process group, plan check across
   * ranks, DDP or FSDP wrapping, DistributedSampler) instead of the single-process snippet.
   */
  launcher?: ExportLauncher;
}
