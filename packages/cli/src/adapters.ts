/**
 * The CLI loads the ML packages lazily: `frostline plan linear-10x10` or `frostline export` must not
 * pay for starting TF.js. Types come from the packages themselves through type-only imports (erased
 * at build time), so the lazy `import()`s below stay the only runtime references.
 */

import type * as FrostlineNlp from '@frostline/nlp';
import type * as FrostlineTfjs from '@frostline/tfjs';
import type * as FrostlineVision from '@frostline/vision';
import type * as Tf from '@tensorflow/tfjs';

export type TfjsModule = typeof FrostlineTfjs;
export type VisionModule = typeof FrostlineVision;
export type NlpModule = typeof FrostlineNlp;
export type TfModule = typeof Tf;

export type { TextEncoder } from '@frostline/nlp';
export type { CacheStatus, EpochLogs, StreamSource, TrainEvent, TrainResult } from '@frostline/tfjs';
export type { Backbone, Stage } from '@frostline/vision';
export type LayersModel = Tf.LayersModel;
export type Tensor = Tf.Tensor;

export function loadTfjs(): Promise<TfjsModule> {
  return import('@frostline/tfjs');
}
export function loadVision(): Promise<VisionModule> {
  return import('@frostline/vision');
}
export function loadNlp(): Promise<NlpModule> {
  return import('@frostline/nlp');
}
export function loadTf(): Promise<TfModule> {
  return import('@tensorflow/tfjs');
}

/** The backends a run config may name (`auto` lets @frostline/tfjs pick the fastest installed). */
export type BackendChoice = 'auto' | FrostlineTfjs.BackendCandidate;

let backendReady: Promise<string> | undefined;
/** Picks the TF.js backend once per process (tfjs-node(-gpu) → wasm → cpu), quietly. */
export function ensureBackend(prefer: BackendChoice = 'auto'): Promise<string> {
  backendReady ??= (async () => {
    // Production mode also silences TF.js's "install tfjs-node" banner on stderr: the CLI already
    // picks the fastest installed backend and says so, and its stderr is for one-line errors.
    const tf = await loadTf();
    tf.enableProdMode();
    const tfjs = await loadTfjs();
    const chosen = await tfjs.selectBackend({ quiet: true, ...(prefer !== 'auto' ? { prefer } : {}) });
    return chosen.name;
  })();
  return backendReady;
}
