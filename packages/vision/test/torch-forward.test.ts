import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, TORCH_ARCHS } from '../src/index';
import { useBackend } from './helpers';
import { reference, TORCH_FIX } from './torch-helpers';

beforeAll(() => useBackend('wasm'));

describe('torchvision architectures from PyTorch checkpoints: forward equals PyTorch', () => {
  for (const arch of TORCH_ARCHS) {
    for (const ext of ['safetensors', 'pth']) {
      it(`${arch} from .${ext}: logits within 1e-4 of torch (eval mode)`, async () => {
        const before = tf.memory().numTensors;
        const { x, logits } = await reference(arch);
        const b = await loadBackbone({
          arch,
          weights: path.join(TORCH_FIX, `${arch}.${ext}`),
          inputSize: 64,
        });
        expect(b.name).toBe(arch);
        expect(b.preprocessing).toBe('torch');
        expect(b.torch.report).toMatchObject({ missing: [], unexpected: [], mismatched: [], replaced: [] });
        const stages = arch === 'mobilenet_v2' ? 6 : 4;
        expect(b.stages.map((s) => s.name)).toEqual([
          'stem',
          ...Array.from({ length: stages }, (_, i) => `stage${i + 1}`),
          'head',
        ]);
        expect(b.stages.flatMap((s) => s.layers).sort()).toEqual(b.model.layers.map((l) => l.name).sort());
        expect(b.stages.at(-1)!.layers).toEqual(
          arch === 'mobilenet_v2' ? ['classifier.0', 'classifier.1'] : ['fc'],
        );
        const y = b.model.predict(x) as tf.Tensor;
        expect(y.shape).toEqual(logits.shape);
        const diff = tf.tidy(() => y.sub(logits).abs().max().dataSync()[0]!);
        const scale = tf.tidy(() => logits.abs().max().dataSync()[0]!);
        expect(scale).toBeGreaterThan(0.05);
        expect(diff).toBeLessThan(1e-4);
        tf.dispose([x, logits, y]);
        b.model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});
