/** Command-line flags of the demo. Kept dependency-free so a typo gives a one-line usage error. */
export interface DemoOptions {
  /** Tiny sizes for a smoke test (about a minute instead of several). */
  quick: boolean;
  /** Which parts to run (1 = plans, 2 = MNIST transfer, 3 = MobileNetV2 cache, 4 = sentiment). */
  only: number[];
  /** Run folder; default `runs/demo-<timestamp>` under the repository root. */
  out?: string;
  /** Seed for data subsets, shuffling and head initialisation. */
  seed: number;
  /** Force a TF.js backend instead of the fastest one that works. */
  backend?: 'wasm' | 'cpu' | 'tfjs-node' | 'tfjs-node-gpu';
}

export const ALL_PARTS = [1, 2, 3, 4] as const;

export const USAGE = `usage: pnpm --filter @frostline/demo start [-- options]
  --quick            tiny sizes (smoke test)
  --only 1,2,4       run only these parts (1 plans, 2 MNIST transfer, 3 MobileNetV2 cache, 4 sentiment)
  --out <dir>        run folder for report.html (default runs/demo-<timestamp> under the repo root)
  --seed <n>         seed (default 42)
  --backend <name>   force wasm | cpu (default: fastest that works)
  -h, --help         this text`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export function parseArgs(argv: readonly string[]): DemoOptions & { help: boolean } {
  const opts: DemoOptions & { help: boolean } = { quick: false, only: [...ALL_PARTS], seed: 42, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i] as string;
    // `--flag=value` is accepted as well as `--flag value`.
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const take = (): string => {
      if (inline !== undefined) return inline;
      const v = value(i, flag);
      i++;
      return v;
    };
    switch (flag) {
      case '--':
        break; // pnpm/npm pass a literal `--` through
      case '--quick':
        opts.quick = true;
        break;
      case '--only': {
        const parts = take()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map(Number);
        const bad = parts.filter((n) => !(ALL_PARTS as readonly number[]).includes(n));
        if (parts.length === 0 || bad.length > 0) {
          throw new UsageError(`--only takes a comma list of parts 1-4, got "${argv[i]}"`);
        }
        opts.only = [...new Set(parts)].sort();
        break;
      }
      case '--out':
        opts.out = take();
        break;
      case '--seed': {
        const s = Number(take());
        if (!Number.isInteger(s)) throw new UsageError('--seed takes an integer');
        opts.seed = s;
        break;
      }
      case '--backend': {
        const b = take();
        if (b !== 'wasm' && b !== 'cpu' && b !== 'tfjs-node' && b !== 'tfjs-node-gpu') {
          throw new UsageError(`--backend takes wasm, cpu, tfjs-node or tfjs-node-gpu, got "${b}"`);
        }
        opts.backend = b;
        break;
      }
      case '-h':
      case '--help':
        opts.help = true;
        break;
      default:
        throw new UsageError(`unknown option "${raw}"`);
    }
  }
  return opts;
}
