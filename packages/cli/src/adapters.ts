/**
 * The CLI loads the ML packages lazily: `frostline plan linear-10x10` or `frostline export` must not
 * pay for starting TF.js. The structural types below name only what the CLI calls, so the CLI keeps
 * compiling while sibling packages grow their surfaces.
 */
import type { ParamInfo, Plan, PolicySpec } from '@frostline/core';

// biome-ignore lint/suspicious/noExplicitAny: tf.LayersModel / tf.Tensor without importing TF.js types here
export type AnyModel = any;

export interface StageLike {
  name: string;
  aliases?: readonly string[];
  layers: readonly string[];
}

export interface BackboneLike {
  name: string;
  model: AnyModel;
  stages: readonly StageLike[];
  inputShape: readonly number[];
  preprocess?(x: AnyModel): AnyModel;
  aliases?(p: ParamInfo): string[];
}

export interface EncoderLike {
  id: string;
  runtime?: string;
  dim: number;
  params(): ParamInfo[];
  embed(texts: string[], opts?: unknown): Promise<Float32Array[]>;
  dispose(): void | Promise<void>;
}

export interface TfjsApi {
  listParams(model: AnyModel, opts?: { aliases?: (p: ParamInfo) => string[] }): ParamInfo[];
  selectBackend(opts?: { prefer?: string; quiet?: boolean }): Promise<{ name: string; reason: string }>;
  train(model: AnyModel, data: unknown, options: Record<string, unknown>): Promise<TrainResultLike>;
  saveModel(model: AnyModel, dir: string): Promise<unknown>;
  loadModel(dir: string): Promise<AnyModel>;
  applyPolicy?(model: AnyModel, policy: PolicySpec, opts?: Record<string, unknown>): Plan;
  /** Inference on the fastest engine present (onnxruntime, workers, TF.js), checked against TF.js. */
  predictWithEngine?(
    model: AnyModel,
    x: AnyModel,
    opts?: Record<string, unknown>,
  ): Promise<{ output: AnyModel; engine: { name: string }; examplesPerSec: number }>;
}

export interface TrainResultLike {
  history: Array<Record<string, number | undefined>>;
  plans: Plan[];
  stoppedEarly?: boolean;
  timing?: unknown;
  cache?: unknown;
  backend?: string;
  interrupted?: boolean;
  aborted?: boolean;
}

export type TrainEventLike = { type: string; [key: string]: unknown };

// biome-ignore lint/suspicious/noExplicitAny: the vision/nlp surfaces are consumed structurally
export type Loose = any;

export async function loadTfjs(): Promise<TfjsApi> {
  return (await import('@frostline/tfjs')) as unknown as TfjsApi;
}
export async function loadVision(): Promise<Loose> {
  return (await import('@frostline/vision')) as unknown as Loose;
}
export async function loadNlp(): Promise<Loose> {
  return (await import('@frostline/nlp')) as unknown as Loose;
}
export async function loadTf(): Promise<Loose> {
  return (await import('@tensorflow/tfjs')) as unknown as Loose;
}

let backendReady: Promise<string> | undefined;
/** Picks the TF.js backend once per process (tfjs-node(-gpu) → wasm → cpu), quietly. */
export function ensureBackend(prefer?: string): Promise<string> {
  backendReady ??= (async () => {
    // Production mode also silences TF.js's "install tfjs-node" banner on stderr: the CLI already
    // picks the fastest installed backend and says so, and its stderr is for one-line errors.
    const tf = await loadTf();
    tf.enableProdMode();
    const tfjs = await loadTfjs();
    if (typeof tfjs.selectBackend === 'function') {
      const r = await tfjs.selectBackend({ quiet: true, ...(prefer && prefer !== 'auto' ? { prefer } : {}) });
      return r.name;
    }
    await tf.setBackend('cpu');
    await tf.ready();
    return 'cpu';
  })();
  return backendReady;
}
