import path from 'node:path';
import { openSafetensors } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { TorchArch } from '../src/index';

/** Written by scripts/make-torch-fixtures.py (torch 1.13 + torchvision 0.14). */
export const TORCH_FIX = path.join(import.meta.dirname, 'fixtures', 'torch');

/** The fixture's fixed input (NCHW → NHWC) and PyTorch's eval-mode logits for it. */
export async function reference(arch: TorchArch): Promise<{ x: tf.Tensor4D; logits: tf.Tensor2D }> {
  const r = await openSafetensors(path.join(TORCH_FIX, `${arch}.reference.safetensors`));
  const input = await r.readTensor('input');
  const x = tf.tidy(() => input.transpose([0, 2, 3, 1]) as tf.Tensor4D);
  const logits = (await r.readTensor('logits')) as tf.Tensor2D;
  input.dispose();
  await r.close();
  return { x, logits };
}
