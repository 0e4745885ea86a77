/** Entry point: `pnpm --filter @frostline/demo start -- [--quick] [--only 1,2,4] [--out dir]`. */
import { parseArgs, USAGE, UsageError } from './args.js';
import { runDemo } from './demo.js';

async function main(): Promise<number> {
  let opts: ReturnType<typeof parseArgs>;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`frostline demo: ${err.message}\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const result = await runDemo(opts);
  return result.failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`frostline demo failed: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.FROSTLINE_DEBUG && err instanceof Error) console.error(err.stack);
    process.exit(1);
  },
);
