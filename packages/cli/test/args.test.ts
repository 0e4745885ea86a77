import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../src/args';
import { CliError } from '../src/errors';

const err = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    return e as CliError;
  }
  throw new Error('expected an error');
};

describe('parseCommandLine', () => {
  it('parses plan with defaults and options', () => {
    expect(parseCommandLine(['plan', 'mlp-100-50-10', '--policy', 'p.yaml'])).toMatchObject({
      command: 'plan',
      model: 'mlp-100-50-10',
      policy: 'p.yaml',
      format: 'table',
      by: 'layer',
      epoch: 0,
      flags: { json: false, debug: false },
    });
    expect(
      parseCommandLine(['plan', 'm', '-p', 'p.yaml', '-f', 'markdown', '--epoch', '3', '--json', '--debug']),
    ).toMatchObject({
      format: 'markdown',
      epoch: 3,
      flags: { json: true, debug: true },
    });
  });

  it('parses train and export', () => {
    expect(parseCommandLine(['train', '--config', 'run.yaml', '--resume', 'runs/a'])).toMatchObject({
      command: 'train',
      config: 'run.yaml',
      resume: 'runs/a',
    });
    expect(parseCommandLine(['train', '--resume', 'runs/a'])).toMatchObject({
      command: 'train',
      resume: 'runs/a',
    });
    expect(
      parseCommandLine(['export', '--policy', 'p.yaml', '--model', 'linear-10x10', '--to', 'paddle']),
    ).toMatchObject({
      command: 'export',
      to: 'paddle',
      model: 'linear-10x10',
    });
  });

  it('handles help and version anywhere', () => {
    expect(parseCommandLine([])).toMatchObject({ command: 'help' });
    expect(parseCommandLine(['--help'])).toMatchObject({ command: 'help' });
    expect(parseCommandLine(['help', 'train'])).toMatchObject({ command: 'help', topic: 'train' });
    expect(parseCommandLine(['plan', '--help'])).toMatchObject({ command: 'help', topic: 'plan' });
    expect(parseCommandLine(['--version'])).toMatchObject({ command: 'version' });
    expect(parseCommandLine(['-v'])).toMatchObject({ command: 'version' });
  });

  it('rejects bad usage with one actionable line (exit 2)', () => {
    expect(err(['plna']).message).toBe(
      "unknown command 'plna' (did you mean 'plan'?); commands: plan, train, export, cache, help",
    );
    expect(err(['plan', 'x', '--polcy', 'p']).message).toBe(
      "unknown option '--polcy' for 'frostline plan'; run 'frostline plan --help'",
    );
    expect(err(['plan', 'x']).message).toMatch(/^missing --policy/);
    expect(err(['plan', '--policy', 'p.yaml']).message).toMatch(/^missing <model>/);
    expect(err(['plan', 'a', 'b', '--policy', 'p']).message).toMatch(/takes one <model>/);
    expect(err(['plan', 'a', '--policy', 'p', '--format', 'html']).message).toBe(
      "--format must be one of table, markdown, json, got 'html'",
    );
    expect(err(['plan', 'a', '--policy', 'p', '--epoch', '-1']).code).toBe('BAD_OPTION');
    expect(err(['plan', 'a', '--policy']).message).toMatch(/needs a value/);
    expect(err(['train']).message).toMatch(/^missing --config/);
    expect(err(['train', '--config', 'x', 'extra']).message).toMatch(/unexpected argument 'extra'/);
    expect(err(['export', '--policy', 'p', '--model', 'm', '--to', 'jax']).message).toMatch(
      /--to must be one of pytorch, paddle/,
    );
    expect(
      err(['export', '--policy', 'p', '--model', 'm', '--to', 'paddle', '--lr', 'fast']).message,
    ).toMatch(/--lr/);
    for (const e of [err(['plna']), err(['plan', 'x'])]) expect(e.exitCode).toBe(2);
  });
});
