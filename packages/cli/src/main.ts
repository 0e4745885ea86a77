import pkg from '../package.json';
import { HELP, type ParsedCommand, parseCommandLine, scanGlobalFlags } from './args';
import { cacheCommand } from './commands/cache';
import { exportCommand } from './commands/export';
import { planCommand } from './commands/plan';
import { trainCommand } from './commands/train';
import { CliError, describeError } from './errors';
import type { CliIO } from './io';
import { modelsHelp } from './models';

export const VERSION: string = pkg.version;

/**
 * Runs one `frostline` command line and resolves to its exit code. Never throws and never calls
 * `process.exit`, so tests and other programs can run it in-process with captured streams.
 */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const early = scanGlobalFlags(argv);
  try {
    const cmd = parseCommandLine(argv);
    return await dispatch(cmd, io);
  } catch (error) {
    return reportError(error, io, early);
  }
}

async function dispatch(cmd: ParsedCommand, io: CliIO): Promise<number> {
  switch (cmd.command) {
    case 'version':
      io.stdout.write(cmd.flags.json ? `${JSON.stringify({ version: VERSION })}\n` : `${VERSION}\n`);
      return 0;
    case 'help': {
      const topic = cmd.topic ?? 'main';
      if (!(topic in HELP) && topic !== 'models') {
        throw new CliError(
          'UNKNOWN_COMMAND',
          `no help for '${topic}'; topics: plan, train, export, cache, models`,
        );
      }
      const text = topic === 'models' ? await modelsHelp() : HELP[topic as keyof typeof HELP];
      io.stdout.write(cmd.flags.json ? `${JSON.stringify({ help: topic, text })}\n` : `${text}\n`);
      return 0;
    }
    case 'plan':
      return planCommand(cmd, io);
    case 'export':
      return exportCommand(cmd, io);
    case 'train':
      return trainCommand(cmd, io);
    case 'cache':
      return cacheCommand(cmd, io);
  }
}

export function reportError(error: unknown, io: CliIO, flags: { json: boolean; debug: boolean }): number {
  const d = describeError(error);
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ ok: false, error: { code: d.code, message: d.message, exitCode: d.exitCode } })}\n`,
    );
  }
  io.stderr.write(`frostline: error: ${d.message}\n`);
  if (flags.debug && d.stack) io.stderr.write(`${d.stack}\n`);
  return d.exitCode;
}
