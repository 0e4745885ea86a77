import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParsedCommand } from '../args';
import { loadRunConfig, type RunConfig } from '../config';
import { CliError, EXIT_INTERRUPTED } from '../errors';
import type { CliIO } from '../io';
import { findCheckpoint, runTraining } from '../train';
import { createTrainProgress } from '../train-progress';

type TrainCommand = Extract<ParsedCommand, { command: 'train' }>;

/** The config of a run: --config, else the config.json a resumed run folder holds. */
function configFor(cmd: TrainCommand): RunConfig {
  if (cmd.config) return loadRunConfig(cmd.config);
  if (!cmd.resume)
    throw new CliError(
      'MISSING_OPTION',
      "missing --config for 'frostline train'; run 'frostline train --help'",
    );
  const ckpt = findCheckpoint(cmd.resume);
  const saved = join(resolve(ckpt, '..'), 'config.json');
  if (!existsSync(saved)) {
    throw new CliError(
      'MISSING_OPTION',
      `${cmd.resume} has no config.json; pass the run's --config together with --resume`,
    );
  }
  const config = loadRunConfig(saved);
  // A resumed run writes into its own folder unless told otherwise.
  config.output = resolve(ckpt, '..');
  return config;
}

export async function trainCommand(cmd: TrainCommand, io: CliIO): Promise<number> {
  const config = configFor(cmd);
  if (cmd.output) config.output = resolve(cmd.output);
  const progress = createTrainProgress({
    stream: io.stdout,
    json: cmd.flags.json,
    ...(io.env?.NO_COLOR ? { color: false } : {}),
  });
  let outcome: Awaited<ReturnType<typeof runTraining>>;
  try {
    outcome = await runTraining(config, {
      onEvent: (e) => progress.onEvent(e),
      onNote: (m, f) => progress.note(m, f),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(cmd.resume ? { resume: cmd.resume } : {}),
    });
  } finally {
    progress.done();
  }
  const { files, status } = outcome;
  if (cmd.flags.json) {
    io.stdout.write(
      `${JSON.stringify({
        type: 'done',
        ok: status !== 'interrupted',
        status,
        output: outcome.output,
        epochs: outcome.epochsCompleted,
        files,
        final: outcome.run.epochs[outcome.run.epochs.length - 1] ?? null,
        ...(outcome.run.test ? { test: outcome.run.test } : {}),
      })}\n`,
    );
  } else {
    const lines = [
      status === 'interrupted'
        ? `interrupted after ${outcome.epochsCompleted} epoch${outcome.epochsCompleted === 1 ? '' : 's'}${files.checkpoint ? `: checkpoint saved in ${files.checkpoint}` : ' (no epoch finished, nothing to checkpoint)'}`
        : `done: ${outcome.epochsCompleted} epoch${outcome.epochsCompleted === 1 ? '' : 's'}${status === 'stopped-early' ? ' (stopped early)' : ''}`,
      files.model ? `  model      ${files.model}` : '',
      `  metrics    ${files.metrics}`,
      `  plans      ${files.plans}`,
      `  report     ${files.report}`,
      files.checkpoint ? `  checkpoint ${files.checkpoint}` : '',
      status === 'interrupted' && files.checkpoint
        ? `resume with: frostline train --resume ${outcome.output}`
        : '',
    ];
    io.stdout.write(`${lines.filter(Boolean).join('\n')}\n`);
  }
  return status === 'interrupted' ? EXIT_INTERRUPTED : 0;
}
