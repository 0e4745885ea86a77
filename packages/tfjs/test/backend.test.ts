import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { BACKEND_ORDER, selectBackend, wasmBinaryDir } from '../src/backend';
import { FrostlineTfjsError } from '../src/errors';

const realImport = (s: string) => import(/* @vite-ignore */ s);

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('selectBackend', () => {
  it('(first, before wasm is initialised) falls back past packages that import but do not work, and reports why', async () => {
    const lines: string[] = [];
    const importer = async (s: string) => {
      if (s === '@tensorflow/tfjs-node') return {}; // imports, registers no backend (e.g. version mismatch)
      if (s === '@tensorflow/tfjs-backend-wasm') throw new Error('boom: corrupt install');
      return realImport(s);
    };
    const choice = await selectBackend({ importer, logger: (l) => lines.push(l) });
    expect(choice.name).toBe('cpu');
    expect(choice.tried.find((t) => t.name === 'tfjs-node')?.reason).toMatch(
      /registered no "tensorflow" backend/,
    );
    expect(choice.tried.find((t) => t.name === 'wasm')?.reason).toBe('boom: corrupt install');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("using TF.js backend 'cpu'");
  });

  it('skips tfjs-node-gpu and tfjs-node when they are not installed, picks wasm and logs that once', async () => {
    const lines: string[] = [];
    const logger = (l: string) => lines.push(l);
    const choice = await selectBackend({ logger });
    expect(choice.name).toBe('wasm');
    expect(choice.tfBackend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.tried.map((t) => [t.name, t.ok])).toEqual([
      ['tfjs-node-gpu', false],
      ['tfjs-node', false],
      ['wasm', true],
    ]);
    expect(choice.tried[0]?.reason).toBe('not installed');
    expect(choice.reason).toContain('tfjs-node-gpu: not installed');
    expect(choice.reason).toContain('tfjs-node: not installed');
    // the gradient kernels come with the wasm choice
    expect(choice.kernelsRegistered).toEqual([
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
      'Conv2DBackpropInput', // replaced: the native one is a slow loop
      'Tile', // replaced: the native one is ~100x slower than a broadcast
      'Slice', // replaced: the native one copies the whole input first
    ]);
    expect(tf.getKernel('DepthwiseConv2dNativeBackpropInput', 'wasm')).toBeDefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/using TF\.js backend 'wasm'.*tfjs-node: not installed/);

    // the same choice again: no second log line, no second registration
    const again = await selectBackend({ logger });
    expect(again.name).toBe('wasm');
    expect(again.kernelsRegistered).toEqual([]);
    expect(lines).toHaveLength(1);
  });

  it('prefer forces a backend', async () => {
    const choice = await selectBackend({ prefer: 'cpu', quiet: true });
    expect(choice).toMatchObject({ name: 'cpu', tfBackend: 'cpu', reason: "forced with prefer: 'cpu'" });
    expect(tf.getBackend()).toBe('cpu');
    const back = await selectBackend({ prefer: 'wasm', quiet: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(back.name).toBe('wasm');
  });

  it('prefer of a runtime that is not installed throws BACKEND_UNAVAILABLE with a fix', async () => {
    const err = await selectBackend({ prefer: 'tfjs-node', quiet: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FrostlineTfjsError);
    expect((err as FrostlineTfjsError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as Error).message).toMatch(
      /'tfjs-node' is unavailable: not installed\. Install it \(npm i @tensorflow\/tfjs-node/,
    );
    // a failed prefer leaves the active backend alone
    expect(tf.getBackend()).toBe('wasm');
  });

  it('rejects an unknown name', async () => {
    const err = await selectBackend({ prefer: 'webgpu' as never, quiet: true }).catch((e: unknown) => e);
    expect((err as FrostlineTfjsError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as Error).message).toContain(BACKEND_ORDER.join(', '));
  });

  it('resolves the wasm binaries folder in Node', async () => {
    const dir = await wasmBinaryDir();
    const { existsSync } = await import('node:fs');
    expect(existsSync(`${dir}tfjs-backend-wasm-simd.wasm`)).toBe(true);
  });
});
