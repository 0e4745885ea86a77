/**
 * Python source fragments shared by every export: literals, the plan as Python data and the
 * run-time helpers that find frozen BatchNorm modules (PyTorch) or BatchNorm statistics (Paddle).
 */
import { formatSummaryLine } from './format';
import { formatFactor } from './plan';
import type { Plan } from './types';

/** A Python string literal (JSON string escapes are valid Python escapes). */
export function py(s: string): string {
  return JSON.stringify(s);
}

export function pyList(items: readonly string[], indent: string): string {
  if (items.length === 0) return '[]';
  return `[\n${items.map((s) => `${indent}    ${py(s)},`).join('\n')}\n${indent}]`;
}

export function pyFloat(x: number): string {
  const s = formatFactor(x);
  return /[.e]/.test(s) ? s : `${s}.0`;
}

/**
 * Paddle's `BatchNorm*` lists its moving statistics in `named_parameters()` as `<bn>._mean` and
 * `<bn>._variance` (with `stop_gradient=True`); they are statistics, never trained.
 */
const PADDLE_BN_STAT = /(^|[./])_(mean|variance)$/;

export function isPaddleBnStatistic(name: string): boolean {
  return PADDLE_BN_STAT.test(name);
}

/** Trainable parameters grouped by LR factor, largest factor first. */
function lrGroups(plan: Plan, skip: (name: string) => boolean): Array<[number, string[]]> {
  const groups = new Map<number, string[]>();
  for (const e of plan.entries) {
    if (e.kind !== 'parameter' || !e.trainable || skip(e.name)) continue;
    const f = Number(e.lrFactor.toPrecision(12));
    const list = groups.get(f);
    if (list) list.push(e.name);
    else groups.set(f, [e.name]);
  }
  return [...groups.entries()].sort((a, b) => b[0] - a[0]);
}

/** Layers whose BatchNorm must run in inference mode, as far as the parameter list told the planner. */
function bnInference(plan: Plan): string[] {
  return plan.layers.filter((l) => l.bnMode === 'inference').map((l) => l.name);
}

export function header(plan: Plan, target: string): string[] {
  return [`# frostline plan (epoch ${plan.epoch}) exported for ${target}`, `# ${formatSummaryLine(plan)}`];
}

/**
 * The plan as Python data, the same for every target: base LR, frozen names, BN layers, LR groups.
 * `statistics` names (Paddle's BN `_mean`/`_variance`) are listed apart and never frozen or trained.
 */
export function planData(plan: Plan, lr: number, statistics?: (name: string) => boolean): string[] {
  const isStat = statistics ?? (() => false);
  // Parameters (a list that marked nothing) or buffers (core recognises the names): statistics either way.
  const stats = plan.entries.filter((e) => isStat(e.name)).map((e) => e.name);
  return [
    '',
    `LR = ${pyFloat(lr)}`,
    `FROZEN = set(${pyList(
      plan.frozenNames().filter((n) => !isStat(n)),
      '',
    )})`,
    `BN_INFERENCE = ${pyList(bnInference(plan), '')}`,
    ...(statistics ? [`BN_STATISTICS = set(${pyList(stats, '')})`] : []),
    `BN_POLICY = ${py(plan.policy.batchNorm ?? 'frozen')}`,
    'LR_GROUPS = [',
    ...lrGroups(plan, isStat).map(([f, names]) => `    (${pyFloat(f)}, ${pyList(names, '    ')}),`),
    ']',
  ];
}

/**
 * PyTorch: the BatchNorm modules that must run in eval mode, found at run time over
 * `named_modules()`, so the result does not depend on what the parameter list told the planner.
 */
export const TORCH_FROZEN_BN: readonly string[] = [
  'def frostline_frozen_batchnorm(module):',
  '    """BatchNorm modules whose own parameters are all frozen (or that the plan lists): they run in eval',
  '    mode so their running statistics never drift. Found at run time, whatever the parameter list held."""',
  '    found = []',
  '    for name, m in module.named_modules():',
  '        if not isinstance(m, torch.nn.modules.batchnorm._BatchNorm):',
  '            continue',
  '        own = [f"{name}.{n}" if name else n for n, _ in m.named_parameters(recurse=False)]',
  '        frozen = bool(own) and all(n in FROZEN for n in own) and BN_POLICY != "train"',
  '        if name in BN_INFERENCE or frozen:',
  '            found.append(m)',
  '    return found',
];
