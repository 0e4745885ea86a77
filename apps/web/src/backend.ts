import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import { StudioError } from './errors';
import type { BackendPref } from './project';

export interface BackendInUse {
  name: 'webgl' | 'wasm' | 'cpu';
  /** What was tried before it, and why it was skipped. */
  skipped: string[];
  /** wasm only: SIMD / threads as the backend reports them. */
  detail?: string;
}

const ORDER: Array<BackendInUse['name']> = ['webgl', 'wasm', 'cpu'];
const wasmKernels = new Set<string>();

// The .wasm binaries are copied into the app's own static files (scripts/copy-assets.mjs): no CDN.
const wasmPaths = () => new URL('wasm/', document.baseURI).href;

async function activate(name: BackendInUse['name']): Promise<string | undefined> {
  if (name === 'webgl') {
    if (!(await tf.setBackend('webgl'))) throw new Error('WebGL is not available in this browser');
    // A context can exist yet fail on first use (blocklisted drivers): run one op to be sure.
    tf.tidy(() => tf.add(tf.ones([2]), tf.ones([2])).dataSync());
    return `WebGL ${tf.env().getNumber('WEBGL_VERSION')}`;
  }
  // frostline's selectBackend sets the wasm paths and registers its conv gradient kernels (needed to
  // unfreeze conv layers on wasm); the module is bundled, so its importer hands over this copy.
  const choice = await selectBackend({
    prefer: name,
    quiet: true,
    wasmPaths: wasmPaths(),
    importer: async (s) => {
      if (s === '@tensorflow/tfjs-backend-wasm') return wasm;
      throw new Error(`${s} is not bundled with this app`);
    },
  });
  if (name !== 'wasm') return undefined;
  // selectBackend lists only kernels it newly registered; remember them across calls.
  for (const k of choice.kernelsRegistered) wasmKernels.add(k);
  const n = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? wasm.getThreadsCount() : 1;
  return `${tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? 'SIMD' : 'no SIMD'}, ${n} thread${n === 1 ? '' : 's'}; frostline gradient kernels: ${[...wasmKernels].join(', ') || 'none'}`;
}

/** webgl, falling back to wasm, then cpu (or the one the user picked). */
export async function chooseBackend(pref: BackendPref): Promise<BackendInUse> {
  const skipped: string[] = [];
  for (const name of pref === 'auto' ? ORDER : [pref]) {
    try {
      const detail = await activate(name);
      return { name, skipped, ...(detail ? { detail } : {}) };
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new StudioError(
    'NO_BACKEND',
    `no TensorFlow.js backend could start (${skipped.join('; ')})`,
    pref === 'auto' ? 'try another browser' : 'choose "auto" under Advanced settings',
  );
}

export function describeBackend(b: BackendInUse): string {
  const tail = b.skipped.length ? ` (skipped ${b.skipped.join('; ')})` : '';
  return `${b.name}${b.detail ? ` — ${b.detail}` : ''}${tail}`;
}
