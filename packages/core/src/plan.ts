/**
 * The planner: policy + parameter list (+ epoch) → a plan that says, for every parameter, whether
 * it trains, which rule decided, its LR factor and (for BatchNorm layers) how the layer runs.
 * Declared rules apply first, then the schedule's active steps; the last rule that matches wins.
 */
import { PolicyError, q } from './errors';
import { lrFactors, type MatchFn } from './lr';
import { describeValue, indexModelCached, layerMembers, type ModelIndex, nameIndex } from './model';
import { validatePolicy } from './policy';
import { expandSchedule } from './schedule';
import {
  formatSelector,
  matchIndex,
  missingNames,
  noMatchHint,
  parseSelector,
  type SelectorNode,
  suggestFor,
} from './selectors';
import { nearestNames } from './suggest';
import type {
  AppliedRule,
  LayerSummary,
  ParamInfo,
  Plan,
  PlanDiff,
  PlanEntry,
  PlanOptions,
  PlanSummary,
  PolicySpec,
  Selector,
} from './types';

const BN_TYPE = /batch_?norm/i;
const BN_BUFFER = /^(?:(moving|running)_(mean|var|variance)|_mean|_variance)$/;

/** Whether a layer is a BatchNorm layer: by its type, or (untyped lists) by its moving-stat buffers. */
function isBnLayer(ix: ModelIndex, l: number): boolean {
  const t = ix.layerTypes[l];
  if (t !== undefined) return BN_TYPE.test(t);
  for (const i of layerMembers(ix, l)) {
    if (!ix.isBuffer[i]) continue;
    const name = ix.names[i]!;
    if (BN_BUFFER.test(name.slice(Math.max(name.lastIndexOf('.'), name.lastIndexOf('/')) + 1))) return true;
  }
  return false;
}

/** Shortest faithful rendering of a factor: 1, 0.5, 0.001, 0.1 (not 0.1000000000002). */
export function formatFactor(x: number): string {
  return String(Number(x.toPrecision(6)));
}

const DECISIONS = ['rule', 'default', 'buffer', 'fixed', 'batchNorm'] as const;
const D_RULE = 0;
const D_DEFAULT = 1;
const D_BUFFER = 2;
const D_FIXED = 3;
const D_BN = 4;
const BN_MODES = [undefined, 'inference', 'train'] as const;

/** The plan in columns (typed arrays); entry objects are made only when someone asks for them. */
interface Columns {
  trainable: Uint8Array;
  decided: Int32Array;
  decision: Uint8Array;
  lr: Float64Array;
  /** Per layer: 0 not BN, 1 inference, 2 train. */
  bn: Uint8Array;
}

function isNamesSelector(sel: Selector): boolean {
  return typeof sel === 'object' && sel !== null && !Array.isArray(sel) && 'names' in sel;
}

/** `NO_MATCH` for the first name of a `{ names }` selector that no parameter has (as name or alias). */
function checkNames(ix: ModelIndex, node: SelectorNode, path: string): void {
  const missing = missingNames(ix, node);
  if (missing.length === 0) return;
  const more = missing.length > 1 ? ` (and ${missing.length - 1} more)` : '';
  throw new PolicyError(
    'NO_MATCH',
    `name ${q(missing[0]!)} of the names selector matches no parameter${more}`,
    {
      path,
      suggestions: suggestFor(ix, node),
      hint: `${noMatchHint(ix, node)} To ignore unknown names, set \`strict: false\` on this rule.`,
    },
  );
}

/** Compute the plan for `params` under `policy` at `opts.epoch` (default 0). */
export function planFreeze(params: readonly ParamInfo[], policy: PolicySpec, opts: PlanOptions = {}): Plan {
  const spec = validatePolicy(policy);
  const epoch = opts?.epoch ?? 0;
  if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0) {
    throw new PolicyError('INVALID_EPOCH', `epoch must be an integer ≥ 0, got ${describeValue(epoch)}`, {
      path: 'epoch',
    });
  }
  const ix = indexModelCached(params);
  const match = matcher(ix);
  const sched = expandSchedule(spec, epoch);
  const list = collectRules(spec, sched.rules);
  const decisions = decide(ix, list, match, spec.default !== 'frozen');
  // Steps that are not active yet must still match: a typo should fail at epoch 0, not at epoch 20.
  for (const p of sched.pending) match(p.select, p.path, p.strict);
  const bn = bnModes(ix, spec.batchNorm === 'train', decisions);
  const lr = lrFactors(
    ix.n,
    spec.lr,
    match,
    ix.layerOf,
    ix.layers.length,
    sched.warmups,
    (i) => ix.names[i]!,
  );
  const { trainable, decided, decision } = decisions;
  return makePlan(epoch, spec, list.rules, ix, { trainable, decided, decision, lr, bn });
}

/**
 * The plan's selector matcher. Each distinct selector is matched once per parameter list (the
 * index keeps the results, so re-plans reuse them), however many rules and LR groups use it; a strict
 * selector that matches nothing is `NO_MATCH`.
 */
function matcher(ix: ModelIndex): MatchFn {
  const cache = ix.matches;
  return (sel, path, strict) => {
    const key = typeof sel === 'string' ? sel : JSON.stringify(sel);
    let list = cache.get(key);
    let node: SelectorNode | undefined;
    if (list === undefined) {
      node = parseSelector(sel, path);
      list = matchIndex(ix, node);
      cache.set(key, list);
    }
    if (strict && list.length === 0) {
      node ??= parseSelector(sel, path);
      throw new PolicyError('NO_MATCH', `selector ${q(formatSelector(sel))} matches no parameter`, {
        path,
        suggestions: suggestFor(ix, node),
        hint: `${noMatchHint(ix, node)} To allow an empty match, set \`strict: false\` on this rule.`,
      });
    }
    // An exact name set is strict name by name: one stale name is as wrong as all of them.
    if (strict && isNamesSelector(sel)) checkNames(ix, parseSelector(sel, path), path);
    return list;
  };
}

/** The rules in the order they apply: declared rules, then the schedule's active steps. */
interface RuleList {
  rules: AppliedRule[];
  /** Where each rule's selector sits in the policy, for errors. */
  paths: string[];
  selectors: Selector[];
}

function collectRules(spec: PolicySpec, active: ReturnType<typeof expandSchedule>['rules']): RuleList {
  const out: RuleList = { rules: [], paths: [], selectors: [] };
  (spec.rules ?? []).forEach((r, i) => {
    const action = 'freeze' in r ? 'freeze' : 'unfreeze';
    const sel = 'freeze' in r ? r.freeze : r.unfreeze;
    const applied: AppliedRule = {
      index: out.rules.length,
      action,
      selector: formatSelector(sel),
      source: `rules[${i}]`,
      strict: r.strict !== false,
    };
    if (r.note !== undefined) applied.note = r.note;
    out.rules.push(applied);
    out.paths.push(`rules[${i}].${action}`);
    out.selectors.push(sel);
  });
  for (const s of active) {
    const applied = { index: out.rules.length, action: s.action, source: s.source, strict: s.strict };
    out.rules.push({ ...applied, selector: formatSelector(s.select) });
    out.paths.push(s.path);
    out.selectors.push(s.select);
  }
  return out;
}

/** Per parameter: the deciding rule (−1 none), whether it trains, and why. */
interface Decisions {
  decided: Int32Array;
  trainable: Uint8Array;
  decision: Uint8Array;
  /** What a parameter that no rule decides would be: the policy default. */
  defaultTrainable: boolean;
  /** Per rule: 1 for unfreeze. */
  unfreezes: Uint8Array;
}

function decide(ix: ModelIndex, list: RuleList, match: MatchFn, defaultTrainable: boolean): Decisions {
  const { rules, paths } = list;
  const decided = new Int32Array(ix.n).fill(-1);
  rules.forEach((r, k) => {
    const hits = match(list.selectors[k]!, paths[k]!, r.strict);
    for (let i = 0; i < hits.length; i++) decided[hits[i]!] = k;
  });
  const unfreezes = Uint8Array.from(rules, (r) => (r.action === 'unfreeze' ? 1 : 0));
  const trainable = new Uint8Array(ix.n);
  const decision = new Uint8Array(ix.n);
  for (let i = 0; i < ix.n; i++) {
    const r = decided[i]!;
    if (ix.isBuffer[i]) {
      decision[i] = D_BUFFER;
      continue;
    }
    const wants = r >= 0 ? unfreezes[r] === 1 : defaultTrainable;
    if (ix.isFixed[i]) {
      if (r >= 0 && wants) {
        throw new PolicyError(
          'FIXED_PARAMETER',
          `${rules[r]!.source} unfreezes ${q(ix.names[i]!)}, which is fixed (inference-only runtime) and cannot train`,
          {
            path: paths[r]!,
            hint: "Exclude fixed parameters from the selector, e.g. { all: ['**', '!encoder'] }, or train a head on top of them.",
          },
        );
      }
      decision[i] = D_FIXED;
      continue;
    }
    trainable[i] = wants ? 1 : 0;
    decision[i] = r >= 0 ? D_RULE : D_DEFAULT;
  }
  return { decided, trainable, decision, defaultTrainable, unfreezes };
}

/** BatchNorm, per layer (0 not BN, 1 inference, 2 train); `batchNorm: 'train'` also unfreezes BN parameters. */
function bnModes(ix: ModelIndex, trainBn: boolean, d: Decisions): Uint8Array {
  const bn = new Uint8Array(ix.layers.length);
  for (let l = 0; l < ix.layers.length; l++) {
    if (isBnLayer(ix, l))
      bn[l] = trainBn ? trainBnLayer(ix, layerMembers(ix, l), d) : frozenBnMode(ix, layerMembers(ix, l), d);
  }
  return bn;
}

/** fastai `train_bn`: BN parameters train, and the layer runs in training mode. */
function trainBnLayer(ix: ModelIndex, members: Int32Array, d: Decisions): number {
  let anyTrainable = false;
  for (const i of members) {
    if (ix.isBuffer[i] || ix.isFixed[i]) continue;
    anyTrainable = true;
    if (!d.trainable[i]) {
      d.trainable[i] = 1;
      d.decision[i] = D_BN;
    }
  }
  // A BN of an inference-only runtime cannot train; everything else runs in training mode.
  return anyTrainable || !members.some((i) => ix.isFixed[i]) ? 2 : 1;
}

/** Keras: a BN layer whose parameters are all frozen runs in inference mode. */
function frozenBnMode(ix: ModelIndex, members: Int32Array, d: Decisions): number {
  let hasParams = false;
  let frozen = true;
  for (const i of members) {
    if (ix.isBuffer[i]) continue;
    hasParams = true;
    if (d.trainable[i]) frozen = false;
  }
  if (!hasParams) {
    // A BN layer without affine parameters: what the rules would decide for its buffers says.
    for (const i of members) {
      const r = d.decided[i]!;
      if (r >= 0 ? d.unfreezes[r] === 1 : d.defaultTrainable) frozen = false;
    }
  }
  return frozen ? 1 : 2;
}

function summarize(ix: ModelIndex, c: Columns): PlanSummary {
  const s: PlanSummary = {
    totalParams: 0,
    trainableParams: 0,
    frozenParams: 0,
    trainablePercent: 0,
    totalTensors: 0,
    trainableTensors: 0,
    frozenTensors: 0,
    bufferTensors: 0,
    bufferParams: 0,
  };
  for (let i = 0; i < ix.n; i++) {
    const size = ix.sizes[i]!;
    if (ix.isBuffer[i]) {
      s.bufferTensors++;
      s.bufferParams += size;
      continue;
    }
    s.totalTensors++;
    s.totalParams += size;
    if (c.trainable[i]) {
      s.trainableTensors++;
      s.trainableParams += size;
    } else {
      s.frozenTensors++;
      s.frozenParams += size;
    }
  }
  s.trainablePercent = s.totalParams > 0 ? (100 * s.trainableParams) / s.totalParams : 0;
  return s;
}

function layerSummaries(ix: ModelIndex, c: Columns): LayerSummary[] {
  return ix.layers.map((name, l) => {
    const s: LayerSummary = {
      name,
      index: l,
      params: 0,
      trainableParams: 0,
      frozenParams: 0,
      tensors: 0,
      buffers: 0,
      bufferParams: 0,
      state: 'none',
      rules: [],
    };
    const t = ix.layerTypes[l];
    if (t !== undefined) s.type = t;
    const mode = BN_MODES[c.bn[l]!];
    if (mode !== undefined) s.bnMode = mode;
    const rules = new Set<number>();
    let nTrain = 0;
    for (const i of layerMembers(ix, l)) {
      const size = ix.sizes[i]!;
      if (ix.isBuffer[i]) {
        s.buffers!++;
        s.bufferParams! += size;
        continue;
      }
      s.tensors++;
      s.params += size;
      if (c.trainable[i]) {
        s.trainableParams += size;
        nTrain++;
      } else s.frozenParams += size;
      if (c.decision[i] === D_RULE) rules.add(c.decided[i]!);
    }
    s.state =
      s.tensors === 0 ? 'none' : nTrain === s.tensors ? 'trainable' : nTrain === 0 ? 'frozen' : 'partial';
    s.rules = [...rules].sort((a, b) => a - b);
    return s;
  });
}

function makePlan(epoch: number, policy: PolicySpec, rules: AppliedRule[], ix: ModelIndex, c: Columns): Plan {
  const made = new Map<number, PlanEntry>();
  const entryAt = (i: number): PlanEntry => {
    let e = made.get(i);
    if (e) return e;
    const l = ix.layerOf[i]!;
    const d = c.decision[i]!;
    e = {
      name: ix.names[i]!,
      shape: ix.params[i]!.shape,
      size: ix.sizes[i]!,
      layer: ix.layers[l]!,
      layerIndex: l,
      kind: ix.isBuffer[i] ? 'buffer' : 'parameter',
      trainable: c.trainable[i] === 1,
      decidedBy: d === D_RULE ? c.decided[i]! : null,
      lrFactor: c.lr[i]!,
      fixed: ix.isFixed[i] === 1,
      decision: DECISIONS[d]!,
    };
    const t = ix.layerTypes[l];
    if (t !== undefined) e.layerType = t;
    const mode = BN_MODES[c.bn[l]!];
    if (mode !== undefined) e.bnMode = mode;
    made.set(i, e);
    return e;
  };
  let entries: PlanEntry[] | undefined;
  let layers: LayerSummary[] | undefined;
  const lookup = entryLookup(ix, entryAt);
  const namesWhere = (want: number): string[] => {
    const out: string[] = [];
    for (let i = 0; i < ix.n; i++) if (!ix.isBuffer[i] && c.trainable[i] === want) out.push(ix.names[i]!);
    return out;
  };
  const plan = {
    epoch,
    policy,
    rules,
    summary: summarize(ix, c),
    get: (name: string) => lookup(name),
    explain: (name: string) => {
      const e = lookup(name);
      if (!e) {
        const near = nearestNames(String(name), ix.names, 3);
        return `${String(name)}: no such parameter${near.length ? ` (did you mean ${near.map(q).join(', ')}?)` : ''}`;
      }
      return explainEntry(e, rules, policy);
    },
    trainableNames: () => namesWhere(1),
    frozenNames: () => namesWhere(0),
  } as Omit<Plan, 'entries' | 'layers'> as Plan;
  // Entry and layer objects are built on first access: a 100k-tensor plan is computed in columns,
  // and most callers read a few entries or the summary. Enumerable, so JSON.stringify sees them.
  Object.defineProperty(plan, 'entries', {
    enumerable: true,
    get: () => {
      if (!entries) {
        entries = [];
        for (let i = 0; i < ix.n; i++) entries.push(entryAt(i));
      }
      return entries;
    },
  });
  Object.defineProperty(plan, 'layers', {
    enumerable: true,
    get: () => {
      layers ??= layerSummaries(ix, c);
      return layers;
    },
  });
  return plan;
}

/** Entry by name, or by alias: users ask with the names they wrote selectors against. */
function entryLookup(
  ix: ModelIndex,
  entryAt: (i: number) => PlanEntry,
): (name: string) => PlanEntry | undefined {
  let aliasIndex: Map<string, number> | undefined;
  return (name) => {
    const i = nameIndex(ix).get(name);
    if (i !== undefined) return entryAt(i);
    if (ix.aliases.size === 0) return undefined;
    if (!aliasIndex) {
      aliasIndex = new Map();
      for (const [k, a] of ix.aliases)
        for (const s of a.strings) if (!aliasIndex.has(s)) aliasIndex.set(s, k);
    }
    const k = aliasIndex.get(name);
    return k === undefined ? undefined : entryAt(k);
  };
}

function explainEntry(e: PlanEntry, rules: readonly AppliedRule[], policy: PolicySpec): string {
  const state = e.trainable ? 'trainable' : 'frozen';
  let why: string;
  switch (e.decision) {
    case 'buffer':
      why = 'buffer, never trained by gradients';
      break;
    case 'fixed':
      why = 'frozen: fixed parameter of an inference-only runtime';
      break;
    case 'batchNorm':
      why = "trainable: batchNorm 'train' keeps BatchNorm parameters trainable";
      break;
    case 'default':
      why = `${state} by default (no rule matches; default '${policy.default ?? 'trainable'}')`;
      break;
    default: {
      const r = e.decidedBy !== null ? rules[e.decidedBy] : undefined;
      why = r ? `${state} by ${r.source} (${r.action} '${r.selector}')` : state;
    }
  }
  const bn =
    e.bnMode === undefined
      ? ''
      : `; BatchNorm layer '${e.layer}' runs in ${e.bnMode === 'inference' ? 'inference' : 'training'} mode`;
  return `${e.name}: ${why}; lr factor ${formatFactor(e.lrFactor)}${bn}`;
}

/** What changes from plan `a` to plan `b` (e.g. two epochs of a schedule). Parameters are matched by name. */
export function diffPlans(a: Plan, b: Plan): PlanDiff {
  const frozen: string[] = [];
  const unfrozen: string[] = [];
  const lrChanged: PlanDiff['lrChanged'] = [];
  const bnChanged: PlanDiff['bnChanged'] = [];
  const before = new Map<string, PlanEntry>();
  for (const e of a.entries) before.set(e.name, e);
  for (const e of b.entries) {
    const o = before.get(e.name);
    if (!o || e.kind === 'buffer') continue;
    if (o.trainable && !e.trainable) frozen.push(e.name);
    else if (!o.trainable && e.trainable) unfrozen.push(e.name);
    if (Math.abs(o.lrFactor - e.lrFactor) > 1e-12 * Math.max(Math.abs(o.lrFactor), Math.abs(e.lrFactor))) {
      lrChanged.push({ name: e.name, from: o.lrFactor, to: e.lrFactor });
    }
  }
  const layersBefore = new Map<string, (typeof a.layers)[number]>();
  for (const l of a.layers) layersBefore.set(l.name, l);
  for (const l of b.layers) {
    const o = layersBefore.get(l.name);
    if (!o) continue;
    if (o.bnMode !== l.bnMode) {
      const change: PlanDiff['bnChanged'][number] = { layer: l.name };
      if (o.bnMode !== undefined) change.from = o.bnMode;
      if (l.bnMode !== undefined) change.to = l.bnMode;
      bnChanged.push(change);
    }
  }
  return {
    fromEpoch: a.epoch,
    toEpoch: b.epoch,
    frozen,
    unfrozen,
    lrChanged,
    bnChanged,
    empty: frozen.length + unfrozen.length + lrChanged.length + bnChanged.length === 0,
  };
}
