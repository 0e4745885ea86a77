import { parseArgs } from 'node:util';
import { CliError } from './errors';

/** Options every command takes. */
export interface GlobalFlags {
  json: boolean;
  debug: boolean;
  help: boolean;
  version: boolean;
}

export type ParsedCommand =
  | { command: 'help'; topic?: string; flags: GlobalFlags }
  | { command: 'version'; flags: GlobalFlags }
  | {
      command: 'plan';
      flags: GlobalFlags;
      model: string;
      policy: string;
      format: 'table' | 'markdown' | 'json';
      by: 'layer' | 'parameter';
      epoch: number;
      maxRows?: number;
      numClasses?: number;
    }
  | {
      command: 'train';
      flags: GlobalFlags;
      config?: string;
      resume?: string;
      output?: string;
      numClasses?: number;
    }
  | {
      command: 'export';
      flags: GlobalFlags;
      model: string;
      /** Required for pytorch/paddle; unused for onnx. */
      policy?: string;
      to: 'pytorch' | 'paddle' | 'onnx';
      epoch: number;
      modelVar?: string;
      lr?: number;
      numClasses?: number;
      launcher?: 'ddp' | 'fsdp';
      /** onnx: the .onnx file to write (never overwritten), optional prefix end and opset. */
      output?: string;
      upTo?: string;
      opset?: number;
    }
  | {
      command: 'cache';
      flags: GlobalFlags;
      action: 'ls' | 'clear';
      /** The feature store's folder (default: FROSTLINE_CACHE_DIR, else the user's cache folder). */
      dir?: string;
      /** `clear` only these entries. */
      keys?: string[];
    };

export const COMMANDS = ['plan', 'train', 'export', 'cache', 'help'] as const;

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

const COMMAND_OPTIONS = {
  plan: {
    policy: { type: 'string', short: 'p' },
    format: { type: 'string', short: 'f' },
    by: { type: 'string' },
    epoch: { type: 'string' },
    'max-rows': { type: 'string' },
    'num-classes': { type: 'string' },
  },
  train: {
    config: { type: 'string', short: 'c' },
    resume: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'num-classes': { type: 'string' },
  },
  export: {
    policy: { type: 'string', short: 'p' },
    model: { type: 'string', short: 'm' },
    to: { type: 'string' },
    epoch: { type: 'string' },
    'model-var': { type: 'string' },
    lr: { type: 'string' },
    'num-classes': { type: 'string' },
    launcher: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'up-to': { type: 'string' },
    opset: { type: 'string' },
  },
  cache: {
    dir: { type: 'string' },
  },
} as const;

export const HELP: Record<'main' | 'plan' | 'train' | 'export' | 'cache', string> = {
  main: `frostline: declarative, verifiable and fast parameter freezing

Usage:
  frostline plan <model> --policy <file> [--format table|markdown|json]
  frostline train --config <run.yaml|json> [--resume <dir>] [--output <dir>]
  frostline export --policy <file> --model <model> --to pytorch|paddle [--launcher ddp|fsdp]
  frostline export --model <run>/model --to onnx --output <file.onnx>
  frostline cache ls|clear [<key>...] [--dir <folder>]

<model> is a built-in name (a toy model such as mlp-100-50-10, a backbone of @frostline/vision such
as resnet50 or mobilenet_v2, an encoder of @frostline/nlp such as use-lite; 'frostline help models'
lists them all), a folder with model.json, a Hugging Face model folder (config.json + onnx/), or a
JSON file listing parameters ([{ "name", "shape" }, ...]). Built-in backbones come with their
classifier, as torchvision's do (ResNets and MobileNets: a 1000-class fc); --num-classes N replaces it.

Options on every command:
  --json       machine-readable output (JSON; train prints one JSON event per line)
  --debug      print stack traces on errors
  -h, --help   show help for a command
  -v, --version

Exit codes: 0 ok; 2 your input is wrong (command line, config, policy, model or data file: the
message names it); 1 frostline itself failed (a bug, or the run broke); 130 interrupted by Ctrl-C
(train saves a checkpoint first). Run 'frostline <command> --help' for a command's options.`,
  plan: `Usage: frostline plan <model> --policy <file> [options]

Shows which parameters a policy freezes: per layer, parameters, trainable, frozen and the deciding
rule, then the one-line summary.

Options:
  -p, --policy <file>    policy file (.yaml, .yml or .json)
  -f, --format <f>       table (default), markdown or json
      --by <unit>        layer (default) or parameter
      --epoch <n>        evaluate schedules at this 0-based epoch (default 0)
      --max-rows <n>     cut long tables
      --num-classes <n>  a built-in backbone with a new n-class classifier (fc)
      --json             JSON object with the summary and the per-layer plan`,
  train: `Usage: frostline train --config <run.yaml|json> [options]

Trains a model as the config says, writing into the output folder: model/ (TF.js layers model),
metrics.json, plans.json, report.html and checkpoint/.

Options:
  -c, --config <file>    run config (.yaml, .yml or .json); see the README for its keys
      --resume <dir>     continue from a run folder (or its checkpoint/ folder); without
                         --config, the run folder's config.json is used
  -o, --output <dir>     override the config's output folder; it must be new, empty or a
                         folder an earlier frostline run made (marked with .frostline-run)
      --num-classes <n>  check that the dataset has n classes (the new head's size)
      --json             one JSON event per line instead of progress bars

Ctrl-C saves a checkpoint and exits with code 130; resume with --resume <output>.`,
  export: `Usage: frostline export --policy <file> --model <model> --to pytorch|paddle [options]

Prints a Python snippet that applies the same plan in PyTorch (requires_grad_) or Paddle
(stop_gradient), with optimizer parameter groups for the learning-rate factors. With --launcher,
a complete torchrun training script instead (run: torchrun --nproc_per_node=N train.py).

Options:
  -p, --policy <file>    policy file (.yaml, .yml or .json)
  -m, --model <model>    model whose parameter names the plan uses
      --to <target>      pytorch or paddle
      --epoch <n>        evaluate schedules at this 0-based epoch (default 0)
      --model-var <v>    Python variable holding the model (default: model)
      --lr <x>           base learning rate written into the optimizer
      --num-classes <n>  a built-in backbone with a new n-class classifier (fc)
      --launcher <l>     ddp or fsdp (pytorch only): a multi-process training script
      --json             JSON object with the snippet

  frostline export --model <dir> --to onnx --output <file.onnx> [--up-to <layer>] [--opset <n>]
writes a trained TF.js model (a folder with model.json, e.g. a run's model/) as ONNX for deployment
elsewhere (inference mode; NHWC input as in TF.js). An existing file is never overwritten.
  -o, --output <file>    the .onnx file to write
      --up-to <layer>    export only up to this layer (e.g. the frozen backbone)
      --opset <n>        ONNX opset, 13–18 (default 13)`,
  cache: `Usage: frostline cache ls|clear [<key>...] [options]

The feature cache keeps the frozen prefix's outputs between runs, so training on the same folder,
backbone and cut again runs no prefix forward. 'ls' lists its entries (most recently used first),
'clear' removes them all (or the given keys) and says how much it freed.

Options:
      --dir <folder>     the cache folder (default: $FROSTLINE_CACHE_DIR, else $XDG_CACHE_HOME/frostline,
                         else ~/.cache/frostline)
      --json             JSON output`,
};

function rewriteParseError(error: unknown, command: string): CliError {
  const e = error as { code?: string; message?: string };
  const where = command ? `'frostline ${command}'` : "'frostline'";
  const helpCmd = command ? `frostline ${command} --help` : 'frostline --help';
  const option = /'([^']+)'/.exec(e.message ?? '')?.[1];
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    return new CliError('UNKNOWN_OPTION', `unknown option '${option}' for ${where}; run '${helpCmd}'`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new CliError('BAD_OPTION', `option '${option}' needs a value; run '${helpCmd}'`);
  }
  if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new CliError('USAGE', `unexpected argument '${option}' for ${where}; run '${helpCmd}'`);
  }
  return new CliError('USAGE', `${(e.message ?? String(error)).split('\n')[0]}; run '${helpCmd}'`);
}

/**
 * `--epoch -1` would read as a value-less `--epoch` followed by an option `-1`; a value that looks
 * like a negative number is the option's value, so it reaches the option's own check ("must be an
 * integer ≥ 0, got '-1'").
 */
function joinNegativeValues(
  args: readonly string[],
  options: Record<string, { type: string; short?: string }>,
): string[] {
  const takesValue = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (o.short) takesValue.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (takesValue.has(a) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new CliError('BAD_OPTION', `--${name} must be an integer ≥ ${min}, got '${value}'`);
  }
  return n;
}

function enumOption<T extends string>(
  value: string | undefined,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new CliError('BAD_OPTION', `--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function required(value: string | undefined, name: string, command: string): string {
  if (value === undefined || value === '') {
    throw new CliError(
      'MISSING_OPTION',
      `missing --${name} for 'frostline ${command}'; run 'frostline ${command} --help'`,
    );
  }
  return value;
}

/** Parses argv (without `node` and the script) into one command. Throws `CliError` (exit 2). */
export function parseCommandLine(argv: readonly string[]): ParsedCommand {
  const first = argv.find((a) => !a.startsWith('-'));
  const command = first ?? '';
  const at = first === undefined ? -1 : argv.indexOf(first);
  const rest = argv.filter((_, i) => i !== at);

  if (command === '' || command === 'help') {
    let parsed: { values: Record<string, unknown>; positionals: string[] };
    try {
      parsed = parseArgs({ args: rest, options: GLOBAL_OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw rewriteParseError(error, '');
    }
    const flags = toFlags(parsed.values);
    if (flags.version) return { command: 'version', flags };
    return { command: 'help', topic: parsed.positionals[0], flags };
  }
  if (!(command in COMMAND_OPTIONS)) {
    const known = COMMANDS.join(', ');
    const close = COMMANDS.find((c) => c.startsWith(command.slice(0, 2)));
    throw new CliError(
      'UNKNOWN_COMMAND',
      `unknown command '${command}'${close ? ` (did you mean '${close}'?)` : ''}; commands: ${known}`,
    );
  }
  const name = command as keyof typeof COMMAND_OPTIONS;
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    const options = { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[name] };
    parsed = parseArgs({
      args: joinNegativeValues(rest, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw rewriteParseError(error, name);
  }
  const flags = toFlags(parsed.values);
  if (flags.help) return { command: 'help', topic: name, flags };
  if (flags.version) return { command: 'version', flags };
  const v = parsed.values as Record<string, string | undefined>;
  if (name === 'plan') return planCommandLine(v, parsed.positionals, flags);
  if (name === 'cache') return cacheCommandLine(v, parsed.positionals, flags);
  if (parsed.positionals.length > 0) {
    throw new CliError(
      'USAGE',
      `unexpected argument '${parsed.positionals[0]}' for 'frostline ${name}'; run 'frostline ${name} --help'`,
    );
  }
  return name === 'train' ? trainCommandLine(v, flags) : exportCommandLine(v, flags);
}

type Values = Record<string, string | undefined>;

function planCommandLine(v: Values, positionals: string[], flags: GlobalFlags): ParsedCommand {
  if (positionals.length === 0) {
    throw new CliError(
      'MISSING_OPTION',
      "missing <model> for 'frostline plan'; e.g. 'frostline plan mlp-100-50-10 --policy policy.yaml'",
    );
  }
  if (positionals.length > 1) {
    throw new CliError(
      'USAGE',
      `'frostline plan' takes one <model>, got ${positionals.length}: ${positionals.join(' ')}`,
    );
  }
  const maxRows = v['max-rows'] === undefined ? undefined : intOption(v['max-rows'], 'max-rows', 0, 1);
  const format = enumOption(v.format, 'format', ['table', 'markdown', 'json'] as const, 'table');
  return {
    command: 'plan',
    flags,
    model: positionals[0]!,
    policy: required(v.policy, 'policy', 'plan'),
    format,
    by: enumOption(v.by, 'by', ['layer', 'parameter'] as const, 'layer'),
    epoch: intOption(v.epoch, 'epoch', 0),
    ...(maxRows === undefined ? {} : { maxRows }),
    ...numClassesOption(v),
  };
}

function cacheCommandLine(v: Values, positionals: string[], flags: GlobalFlags): ParsedCommand {
  const [action, ...keys] = positionals;
  if (action !== 'ls' && action !== 'clear') {
    throw new CliError(
      action === undefined ? 'MISSING_OPTION' : 'USAGE',
      `'frostline cache' needs 'ls' or 'clear'${action === undefined ? '' : `, got '${action}'`}; run 'frostline cache --help'`,
    );
  }
  if (action === 'ls' && keys.length > 0) {
    throw new CliError('USAGE', `'frostline cache ls' takes no keys, got ${keys.join(' ')}`);
  }
  return {
    command: 'cache',
    flags,
    action,
    ...(v.dir === undefined ? {} : { dir: required(v.dir, 'dir', 'cache') }),
    ...(keys.length > 0 ? { keys } : {}),
  };
}

function trainCommandLine(v: Values, flags: GlobalFlags): ParsedCommand {
  if (v.resume === undefined) required(v.config, 'config', 'train');
  return {
    command: 'train',
    flags,
    ...(v.config === undefined ? {} : { config: v.config }),
    ...(v.resume === undefined ? {} : { resume: v.resume }),
    ...(v.output === undefined ? {} : { output: v.output }),
    ...numClassesOption(v),
  };
}

function exportCommandLine(v: Values, flags: GlobalFlags): ParsedCommand {
  let lr: number | undefined;
  if (v.lr !== undefined) {
    lr = Number(v.lr);
    if (!Number.isFinite(lr) || lr <= 0)
      throw new CliError('BAD_OPTION', `--lr must be a positive number, got '${v.lr}'`);
  }
  const to = enumOption(
    required(v.to, 'to', 'export'),
    'to',
    ['pytorch', 'paddle', 'onnx'] as const,
    'pytorch',
  );
  const launcher =
    v.launcher === undefined
      ? undefined
      : enumOption(v.launcher, 'launcher', ['ddp', 'fsdp'] as const, 'ddp');
  if (launcher !== undefined && to !== 'pytorch') {
    throw new CliError(
      'BAD_OPTION',
      `--launcher ${launcher} needs --to pytorch (DDP and FSDP scripts are PyTorch only)`,
    );
  }
  return {
    command: 'export',
    flags,
    ...(to === 'onnx'
      ? {
          output: required(v.output, 'output', 'export'),
          ...(v['up-to'] === undefined ? {} : { upTo: v['up-to'] }),
          ...(v.opset === undefined ? {} : { opset: intOption(v.opset, 'opset', 13, 1) }),
        }
      : { policy: required(v.policy, 'policy', 'export') }),
    model: required(v.model, 'model', 'export'),
    to,
    epoch: intOption(v.epoch, 'epoch', 0),
    ...(v['model-var'] === undefined ? {} : { modelVar: v['model-var'] }),
    ...(lr === undefined ? {} : { lr }),
    ...numClassesOption(v),
    ...(launcher === undefined ? {} : { launcher }),
  };
}

/** `--num-classes N`: a classifier needs at least 1 class. */
function numClassesOption(v: Record<string, string | undefined>): { numClasses?: number } {
  const raw = v['num-classes'];
  return raw === undefined ? {} : { numClasses: intOption(raw, 'num-classes', 0, 1) };
}

function toFlags(values: Record<string, unknown>): GlobalFlags {
  return {
    json: values.json === true,
    debug: values.debug === true,
    help: values.help === true,
    version: values.version === true,
  };
}

/** Cheap pre-scan so errors thrown while parsing still honour --json / --debug. */
export function scanGlobalFlags(argv: readonly string[]): Pick<GlobalFlags, 'json' | 'debug'> {
  return { json: argv.includes('--json'), debug: argv.includes('--debug') };
}
