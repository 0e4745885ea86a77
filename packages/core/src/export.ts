/**
 * Outgrowing JavaScript: a plan as a short Python snippet that applies the same freezing, frozen-BN
 * behaviour and LR factors to a PyTorch or PaddlePaddle model, or (`launcher: 'ddp' | 'fsdp'`) as a
 * whole `torchrun` training script. Names are the plan's parameter names, so list them from the
 * Python model (`named_parameters()`), not from a TF.js one.
 */
import { PolicyError } from './errors';
import { pytorchLauncherScript } from './export-launcher';
import { header, isPaddleBnStatistic, planData, TORCH_FROZEN_BN } from './export-python';
import { describeValue } from './model';
import { nearestNames } from './suggest';
import type { ExportLauncher, ExportOptions, ExportTarget, Plan } from './types';

const TARGETS: ExportTarget[] = ['pytorch', 'paddle'];
const LAUNCHERS: ExportLauncher[] = ['ddp', 'fsdp'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Checked options; `launcher` stays undefined for the plain snippet. */
interface CheckedExportOptions {
  modelVar: string;
  optimizer: string;
  lr: number;
  launcher: ExportLauncher | undefined;
}

function checkLauncher(launcher: unknown, target: ExportTarget): ExportLauncher | undefined {
  if (launcher === undefined) return undefined;
  if (!LAUNCHERS.includes(launcher as ExportLauncher)) {
    throw new PolicyError('INVALID_FORMAT', `unknown launcher ${describeValue(launcher)}`, {
      path: 'launcher',
      suggestions: typeof launcher === 'string' ? nearestNames(launcher, LAUNCHERS, 1) : [],
      hint: `Use one of: ${LAUNCHERS.join(', ')} (or leave it out for a single-process snippet).`,
    });
  }
  if (target !== 'pytorch') {
    throw new PolicyError('INVALID_FORMAT', `launcher ${describeValue(launcher)} needs target 'pytorch'`, {
      path: 'launcher',
      hint: 'DDP and FSDP scripts are PyTorch only; export to paddle without a launcher.',
    });
  }
  return launcher as ExportLauncher;
}

function checkOpts(opts: ExportOptions, target: ExportTarget): CheckedExportOptions {
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
  const launcher = checkLauncher(opts.launcher, target);
  if (launcher !== undefined && opts.modelVar !== undefined) {
    throw new PolicyError('UNKNOWN_KEY', `modelVar has no effect with launcher '${launcher}'`, {
      path: 'modelVar',
      hint: 'The script builds its model in build_model(); leave modelVar out.',
    });
  }
  return { modelVar, optimizer, lr, launcher };
}

function pytorch(plan: Plan, o: CheckedExportOptions): string {
  const m = o.modelVar;
  const lines = [
    ...header(plan, 'PyTorch'),
    'import torch',
    ...planData(plan, o.lr),
    '',
    '',
    ...TORCH_FROZEN_BN,
    '',
    '',
    'def frostline_bn_inference(module):',
    '    """Frozen BatchNorm layers keep their moving statistics: call after every module.train()."""',
    '    for bn in frostline_frozen_batchnorm(module):',
    '        bn.eval()',
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

/** Paddle's BatchNorm classes and the run-time helpers that keep its statistics out of training. */
const PADDLE_BN: readonly string[] = [
  'BN_TYPES = tuple(',
  '    t',
  '    for t in (getattr(paddle.nn.layer.norm, "_BatchNormBase", None), getattr(paddle.nn, "BatchNorm", None))',
  '    if t is not None',
  ')',
  '',
  '',
  'def frostline_sublayers(layer):',
  '    return [("", layer)] + list(layer.named_sublayers())',
  '',
  '',
  'def frostline_bn_statistics(layer):',
  '    """Paddle\'s BatchNorm lists its moving _mean/_variance in named_parameters() (stop_gradient=True):',
  '    statistics, never unfrozen and never handed to the optimizer."""',
  '    stats = set(BN_STATISTICS)',
  '    for name, sub in frostline_sublayers(layer):',
  '        if isinstance(sub, BN_TYPES):',
  '            for leaf in ("_mean", "_variance"):',
  '                if getattr(sub, leaf, None) is not None:',
  '                    stats.add(f"{name}.{leaf}" if name else leaf)',
  '    return stats',
  '',
  '',
  'def frostline_bn_inference(layer):',
  '    """BatchNorm layers whose weight and bias are frozen (found at run time, or listed by the plan) keep',
  '    their moving statistics: call after every layer.train()."""',
  '    stats = frostline_bn_statistics(layer)',
  '    for name, sub in frostline_sublayers(layer):',
  '        if not isinstance(sub, BN_TYPES):',
  '            continue',
  '        own = [f"{name}.{n}" if name else n for n, _ in sub.named_parameters(include_sublayers=False)]',
  '        own = [n for n in own if n not in stats]',
  '        frozen = bool(own) and all(n in FROZEN for n in own) and BN_POLICY != "train"',
  '        if name in BN_INFERENCE or frozen:',
  '            sub.eval()',
];

function paddle(plan: Plan, o: CheckedExportOptions): string {
  const m = o.modelVar;
  const lines = [
    ...header(plan, 'PaddlePaddle'),
    'import paddle',
    ...planData(plan, o.lr, isPaddleBnStatistic),
    '',
    ...PADDLE_BN,
    '',
    '',
    `params = dict(${m}.named_parameters())`,
    `stats = frostline_bn_statistics(${m})`,
    'unknown = (FROZEN | {n for _, names in LR_GROUPS for n in names}) - set(params)',
    'if unknown:',
    '    raise KeyError(f"frostline: not parameters of this model: {sorted(unknown)[:5]}")',
    `for name, p in ${m}.named_parameters():`,
    '    if name not in stats:  # BN statistics keep stop_gradient=True',
    '        p.stop_gradient = name in FROZEN',
    `${m}.train()`,
    `frostline_bn_inference(${m})`,
    '# In Paddle a parameter group\'s "learning_rate" scales the optimizer\'s learning_rate.',
    `optimizer = paddle.optimizer.${o.optimizer}(`,
    '    learning_rate=LR,',
    '    parameters=[',
    '        {"params": [params[n] for n in names if n not in stats], "learning_rate": factor}',
    '        for factor, names in LR_GROUPS',
    '    ],',
    ')',
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * A runnable Python snippet that applies `plan` to a PyTorch or PaddlePaddle model; with
 * `launcher: 'ddp' | 'fsdp'` (PyTorch), a complete `torchrun` training-script skeleton.
 */
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
  const o = checkOpts(opts ?? {}, target);
  if (o.launcher) return pytorchLauncherScript(plan, o.launcher, o.optimizer, o.lr);
  return target === 'pytorch' ? pytorch(plan, o) : paddle(plan, o);
}
