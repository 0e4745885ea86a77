/**
 * Backend choice for the demo: the fastest that works (@frostline/tfjs `selectBackend`), plus the wasm
 * conv-gradient kernels when @frostline/tfjs provides them. Without those kernels, wasm cannot train a
 * conv layer (`Conv2DBackpropFilter` is missing), so only the runs that train convs fall back to cpu.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { DemoContext } from './context.js';

/**
 * The wasm binaries next to the demo's own @tensorflow/tfjs-backend-wasm, passed to selectBackend's
 * documented `wasmPaths` so the choice does not depend on how a bundled dist resolves modules.
 */
function demoWasmPaths(): string | undefined {
  try {
    return `${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`;
  } catch {
    return undefined;
  }
}

let gradKernels: 'registered' | 'missing' | 'unknown' = 'unknown';
let mainBackend = 'cpu';

export async function setupBackend(
  prefer: string | undefined,
  quiet = true,
): Promise<{ name: string; reason: string; gradKernels: boolean }> {
  const tf = await import('@tensorflow/tfjs');
  let chosen: { name: string; reason: string };
  try {
    const ftf = (await import('@frostline/tfjs')) as Record<string, unknown>;
    const select = ftf.selectBackend as
      | ((o?: {
          prefer?: string;
          quiet?: boolean;
          wasmPaths?: string;
        }) => Promise<{ name: string; reason: string }>)
      | undefined;
    if (typeof select !== 'function') throw new Error('selectBackend is not exported');
    const wasmPaths = demoWasmPaths();
    chosen = await select({ ...(prefer ? { prefer } : {}), ...(wasmPaths ? { wasmPaths } : {}), quiet });
    const reg = ftf.registerWasmGradKernels as (() => void) | undefined;
    if (tf.getBackend() === 'wasm') {
      if (typeof reg === 'function') {
        reg();
        gradKernels = 'registered';
      } else {
        gradKernels = 'missing';
      }
    }
  } catch (err) {
    await tf.setBackend('cpu');
    await tf.ready();
    chosen = {
      name: 'cpu',
      reason: `@frostline/tfjs selectBackend unavailable (${(err as Error).message.split('\n')[0]})`,
    };
  }
  mainBackend = tf.getBackend();
  return {
    ...chosen,
    name: mainBackend,
    gradKernels: gradKernels === 'registered' || mainBackend !== 'wasm',
  };
}

/**
 * Switches to a backend that can run `what`: `train-convs` needs conv gradient kernels, which the
 * wasm backend has only after `registerWasmGradKernels()`.
 */
export async function useBackendFor(
  _ctx: DemoContext,
  what: 'inference-convs' | 'train-convs',
): Promise<string> {
  const tf = await import('@tensorflow/tfjs');
  const want =
    what === 'train-convs' && mainBackend === 'wasm' && gradKernels !== 'registered' ? 'cpu' : mainBackend;
  if (tf.getBackend() !== want) {
    await tf.setBackend(want);
    await tf.ready();
  }
  return want;
}

export function wasmGradKernels(): 'registered' | 'missing' | 'unknown' {
  return gradKernels;
}
