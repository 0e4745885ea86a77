import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportOnnx, saveModel } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli';

/** A small trained-model folder, as `frostline train` writes it (model/ with model.json). */
async function modelFolder(): Promise<{ run: string; model: tf.LayersModel }> {
  const run = mkdtempSync(join(tmpdir(), 'frostline-onnx-'));
  const model = tf.sequential({
    name: 'trained',
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: 'conv' }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 3, activation: 'softmax', name: 'head' }),
    ],
  });
  await saveModel(model, join(run, 'model'));
  return { run, model };
}

describe('frostline export --to onnx', () => {
  it('writes the trained model (from its run folder) as the same ONNX bytes exportOnnx gives, and never overwrites', async () => {
    const { run, model } = await modelFolder();
    const out = join(run, 'deploy', 'model.onnx');
    const r = await runCli(['export', '--model', run, '--to', 'onnx', '--output', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, target: 'onnx', output: out });
    expect(new Uint8Array(readFileSync(out))).toEqual(await exportOnnx(model));

    const prefix = join(run, 'backbone.onnx');
    const p = await runCli([
      'export',
      '--model',
      join(run, 'model'),
      '--to',
      'onnx',
      '-o',
      prefix,
      '--up-to',
      'flat',
    ]);
    expect(p.code).toBe(0);
    expect(new Uint8Array(readFileSync(prefix))).toEqual(await exportOnnx(model, { upTo: 'flat' }));

    writeFileSync(join(run, 'taken.onnx'), 'mine');
    const again = await runCli([
      'export',
      '--model',
      run,
      '--to',
      'onnx',
      '--output',
      join(run, 'taken.onnx'),
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; frostline never overwrites/);
    expect(readFileSync(join(run, 'taken.onnx'), 'utf8')).toBe('mine');
    model.dispose();
  });

  it('needs --output, a model folder, and names an unsupported layer', async () => {
    const { run } = await modelFolder();
    expect((await runCli(['export', '--model', run, '--to', 'onnx'])).stderr).toMatch(/missing --output/);
    const none = await runCli([
      'export',
      '--model',
      join(run, 'nope'),
      '--to',
      'onnx',
      '-o',
      join(run, 'a.onnx'),
    ]);
    expect(none.stderr).toMatch(/no model.json/);
    const bad = await runCli([
      'export',
      '--model',
      run,
      '--to',
      'onnx',
      '-o',
      join(run, 'b.onnx'),
      '--up-to',
      'missing',
    ]);
    expect(bad.stderr).toMatch(/no layer 'missing'/);
    expect(existsSync(join(run, 'b.onnx'))).toBe(false);
  });
});
