import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureFastBackend, selectBackend } from '../src/index';

afterAll(async () => {
  await tf.setBackend('cpu');
});

// One process-wide TF.js engine: these run in order, from a fresh engine (vitest isolates test files).
describe('ensureFastBackend', () => {
  const lines: string[] = [];
  const logger = (l: string) => lines.push(l);

  it("replaces TF.js' lazy cpu default with the fastest backend and says so once", async () => {
    // What a user does first: build something. TF.js then initialises its default, cpu, by itself.
    const before = tf.tensor1d([1, 2, 3]);
    expect(tf.getBackend()).toBe('cpu');
    const r = await ensureFastBackend({ logger });
    expect(r).toMatchObject({ backend: 'wasm', chosenBy: 'frostline' });
    expect(r.choice?.tried.map((t) => t.name)).toEqual(['tfjs-node-gpu', 'tfjs-node', 'wasm']);
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/using TF\.js backend 'wasm'.*choose another with tf\.setBackend/);
    // A tensor made on cpu before the switch is still usable.
    expect(Array.from(tf.mul(before, 2).dataSync())).toEqual([2, 4, 6]);
    before.dispose();
    const again = await ensureFastBackend({ logger });
    expect(again.backend).toBe('wasm');
    expect(lines).toHaveLength(1);
  });

  it('keeps a backend the user set with tf.setBackend, silently', async () => {
    await tf.setBackend('cpu');
    const r = await ensureFastBackend({ logger });
    expect(r).toEqual({ backend: 'cpu', chosenBy: 'user' });
    expect(tf.getBackend()).toBe('cpu');
    expect(lines).toHaveLength(1);
  });

  it('counts selectBackend as the user choosing', async () => {
    await selectBackend({ prefer: 'wasm', quiet: true });
    expect(await ensureFastBackend({ logger })).toEqual({ backend: 'wasm', chosenBy: 'user' });
  });

  it('in browsers tries webgpu, then webgl, then wasm', async () => {
    const choice = await selectBackend({
      runtime: 'browser',
      quiet: true,
      importer: async (s) => {
        if (s === '@tensorflow/tfjs-backend-webgpu') throw new Error(`Cannot find package '${s}'`);
        return import(/* @vite-ignore */ s);
      },
    });
    expect(choice.tried.map((t) => [t.name, t.ok])).toEqual([
      ['webgpu', false],
      ['webgl', false],
      ['wasm', true],
    ]);
    expect(choice.tried[0]?.reason).toBe('not installed');
    expect(choice.name).toBe('wasm');
  });
});
