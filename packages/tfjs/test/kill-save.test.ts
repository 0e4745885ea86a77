import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint } from '../src/index';
import { mlp, same, seedWeights, useCpu, values } from './helpers';

/**
 * kill -9 during saveCheckpoint: a child process saving a checkpoint is SIGKILLed at each stage of the
 * atomic write (and at random moments of a save loop). Afterwards the folder must load as exactly one
 * complete version, and the next save must remove the dead writer's temporaries.
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const child = path.join(here, 'children', 'save-checkpoint.ts');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-kill-'));
beforeAll(useCpu);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const policy = { rules: [{ freeze: 'd1' }] };
const weightsOf = (version: number) => {
  const m = mlp();
  seedWeights(m, version);
  const v = values(m);
  m.dispose();
  return v;
};

async function saveVersion(dir: string, version: number): Promise<void> {
  const m = mlp();
  seedWeights(m, version);
  await saveCheckpoint(dir, { model: m, policy, epoch: version });
  m.dispose();
}

/** The checkpoint at `dir` is complete and exactly version `epoch` (weights bit-identical). Returns the epoch. */
async function loadIntact(dir: string): Promise<number> {
  const ck = await loadCheckpoint(dir);
  const epoch = ck.meta.epoch;
  const got = values(ck.model);
  for (const [k, v] of weightsOf(epoch)) expect(same(got.get(k)!, v), `${k} of version ${epoch}`).toBe(true);
  ck.model.dispose();
  ck.dispose();
  return epoch;
}

/** Start the child; resolve when a stdout line matches `until`, then SIGKILL it and wait for its exit. */
function runAndKill(args: string[], until: (line: string) => boolean, delayMs = 0): Promise<string[]> {
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', child, ...args], {
    cwd: here,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise((resolve, reject) => {
    let killed = false;
    proc.stdout!.on('data', (d: Buffer) => {
      for (const line of String(d).split('\n').filter(Boolean)) {
        lines.push(line);
        if (!killed && until(line)) {
          killed = true;
          setTimeout(() => proc.kill('SIGKILL'), delayMs);
        }
      }
    });
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lines);
      else
        reject(new Error(`child exited ${code} before the kill: ${lines.join(' | ')} ${stderr.slice(-800)}`));
    });
  });
}

const leftovers = (dir: string) =>
  fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`.${path.basename(dir)}.`));

describe('kill -9 during saveCheckpoint', () => {
  const stages = [
    ['files', 1],
    ['weights', 1],
    ['commit', 1],
    ['swap', 1],
    ['cleanup', 2],
  ] as const;

  it.each(stages)(
    'killed at %s: the folder loads as version %i, the next save cleans up',
    async (stage, expected) => {
      const dir = path.join(root, `ck-${stage}`);
      await saveVersion(dir, 1);
      const lines = await runAndKill([dir, stage, '2'], (l) => l === `AT ${stage}`);
      expect(lines).toContain(`AT ${stage}`);
      expect(await loadIntact(dir)).toBe(expected);
      // The dead writer left its temporary (or the moved-aside previous version) behind ...
      expect(leftovers(dir).length).toBeGreaterThan(0);
      expect(leftovers(dir).every((f) => /\.(tmp|old)-\d+-/.test(f))).toBe(true);
      // ... and the next save removes it.
      await saveVersion(dir, 3);
      expect(leftovers(dir)).toEqual([]);
      expect(await loadIntact(dir)).toBe(3);
    },
  );

  it('killed at random moments of a save loop: always one complete version, never a stale temporary after', async () => {
    const dir = path.join(root, 'ck-loop');
    await saveVersion(dir, 1);
    const seen: number[] = [];
    for (const delay of [0, 15, 60]) {
      const lines = await runAndKill(
        [dir, 'loop', '2'],
        (l) => l.startsWith('SAVED') || l === 'READY',
        delay,
      );
      const saved = lines.filter((l) => l.startsWith('SAVED')).map((l) => Number(l.slice(6)));
      const epoch = await loadIntact(dir);
      // The folder holds the last completed save or the one being written when killed.
      const last = saved.length ? saved[saved.length - 1]! : 1;
      expect([last, last + 1]).toContain(epoch);
      seen.push(epoch);
      await saveVersion(dir, 1);
      expect(leftovers(dir)).toEqual([]);
    }
    expect(seen).toHaveLength(3);
  });
});
