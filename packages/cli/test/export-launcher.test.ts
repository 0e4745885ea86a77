import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/args';
import { CliError } from '../src/errors';
import { runCli } from './helpers/cli';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const base = ['export', '--policy', 'p.yaml', '--model', 'm'];

describe('frostline export --launcher', () => {
  it('parses ddp and fsdp; rejects other launchers and non-PyTorch targets', () => {
    expect(parseCommandLine([...base, '--to', 'pytorch', '--launcher', 'fsdp'])).toMatchObject({
      command: 'export',
      to: 'pytorch',
      launcher: 'fsdp',
    });
    expect(parseCommandLine([...base, '--to', 'pytorch'])).not.toHaveProperty('launcher');
    const err = (argv: string[]) => {
      try {
        parseCommandLine(argv);
      } catch (e) {
        return e as CliError;
      }
      throw new Error('expected a CliError');
    };
    expect(err([...base, '--to', 'pytorch', '--launcher', 'horovod']).message).toBe(
      "--launcher must be one of ddp, fsdp, got 'horovod'",
    );
    const paddle = err([...base, '--to', 'paddle', '--launcher', 'ddp']);
    expect(paddle).toBeInstanceOf(CliError);
    expect(paddle.code).toBe('BAD_OPTION');
    expect(paddle.message).toMatch(/--launcher ddp needs --to pytorch/);
  });

  it('prints the torchrun script with the plan fingerprint', async () => {
    const argv = ['export', '--policy', fx('freeze-fc1.yaml'), '--model', 'mlp-100-50-10', '--to', 'pytorch'];
    const r = await runCli([...argv, '--launcher', 'ddp', '--lr', '0.01']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('from torch.nn.parallel import DistributedDataParallel as DDP');
    expect(r.stdout).toContain('LR = 0.01');
    const fp = /PLAN_FINGERPRINT = "([0-9a-f]{16})"/.exec(r.stdout)?.[1];
    expect(fp).toBeDefined();
    const again = await runCli([...argv, '--launcher', 'ddp']);
    expect(again.stdout).toContain(`PLAN_FINGERPRINT = "${fp}"`);
    const fsdp = await runCli([...argv, '--launcher', 'fsdp', '--json']);
    expect(JSON.parse(fsdp.stdout).code).toContain('use_orig_params=True');
  });
});
