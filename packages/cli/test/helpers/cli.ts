import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BufferStream } from '../../src/io';
import { main } from '../../src/main';

export const PKG_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../dist/bin.cjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI's main() in this process with captured streams. */
export async function runCli(argv: string[], opts: { signal?: AbortSignal } = {}): Promise<CliResult> {
  const stdout = new BufferStream();
  const stderr = new BufferStream();
  const code = await main(argv, { stdout, stderr, env: {}, ...(opts.signal ? { signal: opts.signal } : {}) });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** Spawns the built bin (`node dist/bin.cjs`), as a user's shell would. */
export function runBin(
  argv: string[],
  opts: { cwd?: string; env?: Record<string, string>; timeout?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...argv], {
    cwd: opts.cwd ?? PKG_ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The error contract: exactly one line on stderr, starting with `frostline: error:`. */
export function oneErrorLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  if (lines.length !== 1) throw new Error(`expected one error line, got ${lines.length}:\n${stderr}`);
  if (!lines[0]!.startsWith('frostline: error: ')) throw new Error(`not an error line: ${lines[0]}`);
  return lines[0]!;
}

/** A policy file with a YAML syntax error (written at run time: the linter parses fixture YAML). */
export function badSyntaxPolicy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'frostline-badyaml-'));
  const path = join(dir, 'bad-syntax.yaml');
  writeFileSync(path, 'rules:\n  - freeze: [fc1\n');
  return path;
}
