import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli';
import { mnistConfig, tempDir, writeConfig } from './helpers/configs';

/**
 * Ctrl-C on the real bin: spawn `node dist/bin.cjs train --json`, send SIGINT after the first
 * epochEnd event. Contract: the process saves (keeps) the checkpoint of the last finished epoch,
 * writes metrics/report, and exits with 130 (128 + SIGINT).
 */
describe('frostline train (spawned bin)', () => {
  it('SIGINT after the first epoch: checkpoint saved, exit code 130', async () => {
    const dir = tempDir('sigint');
    const config = writeConfig(dir, mnistConfig({ epochs: 200 }));
    const child = spawn(process.execPath, [BIN, 'train', '--config', config, '--json'], {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d) => {
        stdout += d;
        if (!sent && stdout.includes('"type":"epochEnd"')) {
          sent = true;
          child.kill('SIGINT');
        }
      });
      child.on('close', (c) => resolve(c));
    });
    expect(stderr).toBe('');
    expect(sent).toBe(true);
    expect(code).toBe(130);
    const done = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(done).toMatchObject({ type: 'done', ok: false, status: 'interrupted' });
    const out = join(dir, 'out');
    const ckpt = JSON.parse(readFileSync(join(out, 'checkpoint', 'frostline.json'), 'utf8'));
    expect(ckpt.epoch).toBeGreaterThanOrEqual(1);
    expect(ckpt.epoch).toBeLessThan(200);
    expect(existsSync(join(out, 'checkpoint', 'model.json'))).toBe(true);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
