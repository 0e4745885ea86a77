/**
 * Outgrowing JavaScript: a plan as a short Python snippet that applies the same freezing, frozen-BN
 * behaviour and LR factors to a PyTorch or PaddlePaddle model (so a policy written here can drive a
 * multi-machine job). Names are the plan's parameter names, so list them from the Python model
 * (`named_parameters()`), not from a TF.js one.
 */
import { PolicyError } from './errors';
import { formatSummaryLine } from './format';
import { describeValue } from './model';
import { formatFactor } from './plan';
import { nearestNames } from './suggest';
import type { ExportOptions, ExportTarget, Plan } from './types';

const TARGETS: ExportTarget[] = ['pytorch', 'paddle'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** A Python string literal (JSON string escapes are valid Python escapes). */
function py(s: string): string {
  return JSON.stringify(s);
}

function pyList(items: readonly string[], indent: string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((s) => `${indent}    ${py(s)},`).join('\n')}\n${indent}]`;
}

function pyFloat(x: number): string {
  const s = formatFactor(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

function lrGroups(plan: Plan): Array<[number, string[]]> {
  const groups = new Map<number, string[]>();
  for (const e of plan.entries) {
    if (e.kind !== 'parameter' || !e.trainable) continue;
    const f = Number(e.lrFactor.toPrecision(12));
    const list = groups.get(f);
    if (list) list.push(e.name);
    else groups.set(f, [e.name]);
  }
  return [...groups.entries()].sort((a, b) => b[0] - a[0]);
}

function checkOpts(opts: ExportOptions): Required<ExportOptions> {
  const modelVar = opts.modelVar ?? 'model';
  const optimizer = opts.optimizer ?? 'AdamW';
  const lr = opts.lr ?? 1e-3;
  if (typeof modelVar !== 'string' || !IDENT.test(modelVar)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `modelVar must be a Python identifier, got ${describeValue(modelVar)}`,
      {
        path: 'modelVar',
      },
    );
  }
  if (typeof optimizer !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(optimizer)) {
    throw new PolicyError(
      'INVALID_TYPE',
      `optimizer must be an optimizer class name like 'AdamW', got ${describeValue(optimizer)}`,
      {
        path: 'optimizer',
      },
    );
  }
  if (typeof lr !== 'number' || !Number.isFinite(lr) || lr <= 0) {
    throw new PolicyError('INVALID_FACTOR', `lr must be a finite number > 0, got ${describeValue(lr)}`, {
      path: 'lr',
    });
  }
  return { modelVar, optimizer, lr };
}

/** Layers whose BatchNorm must run in inference mode. */
function bnInference(plan: Plan): string[] {
  return plan.layers.filter((l) => l.bnMode === 'inference').map((l) => l.name);
}

function header(plan: Plan, target: string): string[] {
  return [`# frostline plan (epoch ${plan.epoch}) exported for ${target}`, `# ${formatSummaryLine(plan)}`];
}

/** The plan as Python data, the same for every target: base LR, frozen names, BN layers, LR groups. */
function planData(plan: Plan, lr: number): string[] {
  return [
    '',
    `LR = ${pyFloat(lr)}`,
    `FROZEN = set(${pyList(plan.frozenNames(), '')})`,
    `BN_INFERENCE = ${pyList(bnInference(plan), '')}`,
    'LR_GROUPS = [',
    ...lrGroups(plan).map(([f, names]) => `    (${pyFloat(f)}, ${pyList(names, '    ')}),`),
    ']',
  ];
}

function pytorch(plan: Plan, o: Required<ExportOptions>): string {
  const m = o.modelVar;
  const lines = [
    ...header(plan, 'PyTorch'),
    'import torch',
    ...planData(plan, o.lr),
    '',
    '',
    'def frostline_bn_inference(module):',
    '    """Frozen BatchNorm layers keep their moving statistics: call after every module.train()."""',
    '    layers = dict(module.named_modules())',
    '    for name in BN_INFERENCE:',
    '        layers[name].eval()',
    '',
    '',
    `params = dict(${m}.named_parameters())`,
    'unknown = (FROZEN | {n for _, names in LR_GROUPS for n in names}) - set(params)',
    'if unknown:',
    '    raise KeyError(f"frostline: not parameters of this model: {sorted(unknown)[:5]}")',
    `for name, p in ${m}.named_parameters():`,
    '    p.requires_grad_(name not in FROZEN)',
    `${m}.train()`,
    `frostline_bn_inference(${m})`,
    `optimizer = torch.optim.${o.optimizer}(`,
    '    [{"params": [params[n] for n in names], "lr": LR * factor} for factor, names in LR_GROUPS],',
    '    lr=LR,',
    ')',
  ];
  return `${lines.join('\n')}\n`;
}

function paddle(plan: Plan, o: Required<ExportOptions>): string {
  const m = o.modelVar;
  const lines = [
    ...header(plan, 'PaddlePaddle'),
    'import paddle',
    ...planData(plan, o.lr),
    '',
    '',
    'def frostline_bn_inference(layer):',
    '    """Frozen BatchNorm layers keep their moving statistics: call after every layer.train()."""',
    '    layers = dict(layer.named_sublayers())',
    '    for name in BN_INFERENCE:',
    '        layers[name].eval()',
    '',
    '',
    `params = dict(${m}.named_parameters())`,
    'unknown = (FROZEN | {n for _, names in LR_GROUPS for n in names}) - set(params)',
    'if unknown:',
    '    raise KeyError(f"frostline: not parameters of this model: {sorted(unknown)[:5]}")',
    `for name, p in ${m}.named_parameters():`,
    '    p.stop_gradient = name in FROZEN',
    `${m}.train()`,
    `frostline_bn_inference(${m})`,
    '# In Paddle a parameter group\'s "learning_rate" scales the optimizer\'s learning_rate.',
    `optimizer = paddle.optimizer.${o.optimizer}(`,
    '    learning_rate=LR,',
    '    parameters=[{"params": [params[n] for n in names], "learning_rate": factor} for factor, names in LR_GROUPS],',
    ')',
  ];
  return `${lines.join('\n')}\n`;
}

/** A runnable Python snippet that applies `plan` to a PyTorch or PaddlePaddle model. */
export function exportPlan(plan: Plan, target: ExportTarget, opts: ExportOptions = {}): string {
  if (!TARGETS.includes(target)) {
    throw new PolicyError('INVALID_FORMAT', `unknown export target ${describeValue(target)}`, {
      path: 'target',
      suggestions: typeof target === 'string' ? nearestNames(target, TARGETS, 1) : [],
      hint: `Use one of: ${TARGETS.join(', ')}.`,
    });
  }
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.entries)) {
    throw new PolicyError('INVALID_TYPE', `expected a plan from planFreeze(), got ${describeValue(plan)}`, {
      path: 'plan',
    });
  }
  const o = checkOpts(opts ?? {});
  return target === 'pytorch' ? pytorch(plan, o) : paddle(plan, o);
}
