/**
 * Backend choice for the demo: the fastest that works (@frostline/tfjs `selectBackend`), and on wasm
 * frostline's conv-gradient kernels, so every part (frozen prefixes and trained convs alike) runs on it.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { registerWasmGradKernels, selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';

/**
 * The wasm binaries next to the demo's own @tensorflow/tfjs-backend-wasm, passed to selectBackend's
 * documented `wasmPaths` so the choice does not depend on how a bundled dist resolves modules.
 */
function demoWasmPaths(): string {
  return `${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

export async function setupBackend(
  prefer: 'wasm' | 'cpu' | 'tfjs-node' | 'tfjs-node-gpu' | undefined,
  quiet = true,
): Promise<{ name: string; reason: string }> {
  const chosen = await selectBackend({ ...(prefer ? { prefer } : {}), wasmPaths: demoWasmPaths(), quiet });
  // Without these kernels wasm cannot train a conv layer (`Conv2DBackpropFilter` is missing).
  if (tf.getBackend() === 'wasm') registerWasmGradKernels();
  return { name: tf.getBackend(), reason: chosen.reason };
}
