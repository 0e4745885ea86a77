import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParsedCommand } from '../args';
import { loadRunConfig, type RunConfig } from '../config';
import { CliError, EXIT_INTERRUPTED } from '../errors';
import type { CliIO } from '../io';
import type { PrepareContext, PreparedRun } from '../prepared';
import { findCheckpoint, prepareRun, runTraining, type TrainingOutcome } from '../train';
import { createTrainProgress } from '../train-progress';

type TrainCommand = Extract<ParsedCommand, { command: 'train' }>;

/** The config of a run: --config, else the config.json a resumed run folder holds. */
function configFor(cmd: TrainCommand): RunConfig {
  if (cmd.config) return loadRunConfig(cmd.config);
  if (!cmd.resume) {
    throw new CliError('MISSING_OPTION', "missing --config for 'frostline train'", {
      hint: "run 'frostline train --help'",
    });
  }
  const ckpt = findCheckpoint(cmd.resume);
  const saved = join(resolve(ckpt, '..'), 'config.json');
  if (!existsSync(saved)) {
    throw new CliError('MISSING_OPTION', `${cmd.resume} has no config.json`, {
      hint: "pass the run's --config together with --resume",
    });
  }
  const config = loadRunConfig(saved);
  // A resumed run writes into its own folder unless told otherwise.
  config.output = resolve(ckpt, '..');
  return config;
}

/** `--num-classes N` on train: the new head has the dataset's classes; say so when N differs. */
function checkingClasses(cmd: TrainCommand) {
  const want = cmd.numClasses;
  if (want === undefined) return undefined;
  return async (config: RunConfig, ctx: PrepareContext): Promise<PreparedRun> => {
    const prepared = await prepareRun(config, ctx);
    if (prepared.classes.length !== want) {
      await prepared.dispose();
      if (prepared.kind === 'tfjs') prepared.model.dispose();
      throw new CliError(
        'BAD_OPTION',
        `--num-classes ${want}, but the dataset has ${prepared.classes.length} classes`,
        {
          hint: `the head gets one output per class (${prepared.classes.slice(0, 6).join(', ')}); drop --num-classes or fix the data`,
        },
      );
    }
    return prepared;
  };
}

function summaryLines(outcome: TrainingOutcome): string[] {
  const { files, status } = outcome;
  const n = outcome.epochsCompleted;
  const epochs = `${n} epoch${n === 1 ? '' : 's'}`;
  return [
    status === 'interrupted'
      ? `interrupted after ${epochs}${files.checkpoint ? `: checkpoint saved in ${files.checkpoint}` : ' (no epoch finished, nothing to checkpoint)'}`
      : `done: ${epochs}${status === 'stopped-early' ? ' (stopped early)' : ''}`,
    files.model ? `  model      ${files.model}` : '',
    `  metrics    ${files.metrics}`,
    `  plans      ${files.plans}`,
    `  report     ${files.report}`,
    files.checkpoint ? `  checkpoint ${files.checkpoint}` : '',
    status === 'interrupted' && files.checkpoint
      ? `resume with: frostline train --resume ${outcome.output}`
      : '',
  ].filter(Boolean);
}

export async function trainCommand(cmd: TrainCommand, io: CliIO): Promise<number> {
  const config = configFor(cmd);
  if (cmd.output) config.output = resolve(cmd.output);
  const progress = createTrainProgress({
    stream: io.stdout,
    json: cmd.flags.json,
    ...(io.env?.NO_COLOR ? { color: false } : {}),
  });
  const prepare = checkingClasses(cmd);
  let outcome: TrainingOutcome;
  try {
    outcome = await runTraining(config, {
      onEvent: (e) => progress.onEvent(e),
      onNote: (m, f) => progress.note(m, f),
      ...(io.signal ? { signal: io.signal } : {}),
      ...(cmd.resume ? { resume: cmd.resume } : {}),
      ...(prepare ? { prepare } : {}),
    });
  } finally {
    progress.done();
  }
  if (cmd.flags.json) {
    io.stdout.write(
      `${JSON.stringify({
        type: 'done',
        ok: outcome.status !== 'interrupted',
        status: outcome.status,
        output: outcome.output,
        epochs: outcome.epochsCompleted,
        files: outcome.files,
        final: outcome.run.epochs[outcome.run.epochs.length - 1] ?? null,
        ...(outcome.run.test ? { test: outcome.run.test } : {}),
      })}\n`,
    );
  } else {
    io.stdout.write(`${summaryLines(outcome).join('\n')}\n`);
  }
  return outcome.status === 'interrupted' ? EXIT_INTERRUPTED : 0;
}
