import type { ParamInfo } from '@frostline/core';
import { type CheckpointReader, openCheckpoint } from '@frostline/tfjs';
import { type Backbone, createBackbone } from '../backbone';
import { checkInputSize, initializerFactory } from '../build-utils';
import { VisionError } from '../errors';
import type { TorchBinding } from './layers';
import { buildTorchMobileNetV2 } from './mobilenet-v2';
import { buildTorchResNet } from './resnet';
import { assertMatched, type KeyReport, loadBindings, matchKeys } from './state-dict';
import type { TorchArchBuild, TorchBuildOptions } from './types';

export type TorchArch = 'resnet18' | 'resnet34' | 'resnet50' | 'mobilenet_v2';
export const TORCH_ARCHS: readonly TorchArch[] = ['resnet18', 'resnet34', 'resnet50', 'mobilenet_v2'];

export interface TorchBackboneOptions {
  /** The torchvision architecture the state_dict belongs to. */
  arch: TorchArch;
  /** A `.safetensors` file or a `torch.save` archive (`.pth`, `.bin`) of its state_dict: a path, bytes or an open reader. */
  weights: string | Uint8Array | CheckpointReader;
  /** Square input side in pixels (default 224; at least 32). */
  inputSize?: number;
  /** Keep the classifier (`fc` / `classifier.1`); default true. False: the model outputs the pooled `avgpool` features. */
  includeTop?: boolean;
  /**
   * Like `load_state_dict(strict=...)`. Default true: any missing, unexpected or wrongly shaped key is a
   * WEIGHTS_MISMATCH error. False: only the classifier may differ (a replaced `fc` with `numClasses`, or none in
   * the file); it then starts from a fresh (seeded) initialisation. Every other key must still match.
   */
  strict?: boolean;
  /** Classes of the classifier (default: the checkpoint's). A different count needs `strict: false`. */
  numClasses?: number;
  /** Output activation: `linear` (default, torch's logits) or `softmax`. */
  activation?: 'linear' | 'softmax';
  /** Seed for the initialisation of a replaced classifier. */
  seed?: number;
}

/** What a torchvision-layout backbone remembers about its checkpoint (for saving back with the same names). */
export interface TorchCheckpointInfo {
  arch: TorchArch;
  file: string;
  /** state_dict key → TF.js layer/weight, in checkpoint order. */
  bindings: TorchBinding[];
  /** `num_batches_tracked` values from the file (saved back unchanged). */
  batchesTracked: Map<string, number>;
  report: KeyReport;
}

export interface TorchBackbone extends Backbone {
  torch: TorchCheckpointInfo;
}

export function isTorchArch(a: unknown): a is TorchArch {
  return typeof a === 'string' && (TORCH_ARCHS as readonly string[]).includes(a);
}

function build(
  arch: TorchArch,
  shapeOf: (k: string) => number[] | undefined,
  o: TorchBuildOptions,
): TorchArchBuild {
  return arch === 'mobilenet_v2' ? buildTorchMobileNetV2(shapeOf, o) : buildTorchResNet(arch, shapeOf, o);
}

/** `module.` (nn.DataParallel / DDP) prefixes every key of some checkpoints; strip it when all keys carry it. */
function keyPrefix(reader: CheckpointReader): string {
  const keys = reader.keys();
  return keys.length > 0 && keys.every((k) => k.startsWith('module.')) ? 'module.' : '';
}

function checkOptions(opts: TorchBackboneOptions): void {
  if (!isTorchArch(opts.arch)) {
    throw new VisionError(
      'UNKNOWN_MODEL',
      `loadBackbone: unknown arch ${JSON.stringify(opts.arch)}`,
      `use one of ${TORCH_ARCHS.map((a) => `'${a}'`).join(', ')}`,
    );
  }
  if (opts.numClasses != null && !(Number.isInteger(opts.numClasses) && opts.numClasses > 0)) {
    throw new VisionError(
      'INVALID_OPTION',
      `loadBackbone: numClasses must be a positive integer, got ${opts.numClasses}`,
    );
  }
}

/** Torch-name aliases: parameter `layer4.0.conv1/kernel` also answers to `layer4.0.conv1.weight`. */
function torchAliases(base: Backbone['aliases'], bindings: readonly TorchBinding[]): Backbone['aliases'] {
  const byParam = new Map(bindings.map((b) => [`${b.layer}/${b.weight}`, b.key]));
  return (p: ParamInfo) => {
    const key = byParam.get(p.name);
    return key ? [...base(p), key] : base(p);
  };
}

/**
 * Build a torchvision architecture in TF.js and load a PyTorch state_dict into it. Layers are named after the
 * PyTorch modules (`conv1`, `layer4.0.conv2`, `fc`, `features.17.conv.1.0`), so `{ unfreeze: 'layer4' }` reads
 * as in PyTorch; parameters also answer to their state_dict names (`layer4.0.conv2.weight`).
 */
export async function loadTorchBackbone(opts: TorchBackboneOptions): Promise<TorchBackbone> {
  checkOptions(opts);
  const inputSize = opts.inputSize ?? 224;
  checkInputSize(opts.arch, inputSize, 32);
  const strict = opts.strict ?? true;
  const includeTop = opts.includeTop ?? true;
  const w = opts.weights;
  const reader = typeof w === 'string' || w instanceof Uint8Array ? await openCheckpoint(w) : w;
  try {
    const prefix = keyPrefix(reader);
    const shapeOf = (k: string) => (reader.has(prefix + k) ? reader.entry(prefix + k).shape : undefined);
    const built = build(opts.arch, shapeOf, {
      inputSize,
      includeTop,
      activation: opts.activation ?? 'linear',
      init: initializerFactory(opts.seed ?? 0),
      ...(opts.numClasses != null ? { numClasses: opts.numClasses } : {}),
    });
    const g = built.graph;
    const report = matchKeys(
      reader,
      prefix,
      g.bindings,
      { optional: g.buffers, ignorable: includeTop ? [] : built.topKeys, replaceable: built.topKeys },
      strict,
    );
    try {
      assertMatched(report, opts.arch, reader.file, built.topKeys[0]!.replace(/\.weight$/, ''));
      await loadBindings(built.model, reader, prefix, g.bindings, new Set(report.replaced));
    } catch (e) {
      built.model.dispose();
      throw e;
    }
    const batchesTracked = new Map<string, number>();
    for (const k of g.buffers)
      if (reader.has(prefix + k)) batchesTracked.set(k, (await reader.read(prefix + k)).data[0]!);
    const backbone = createBackbone({
      name: opts.arch,
      model: built.model,
      classify: built.classify,
      preprocessing: 'torch',
      featureLayer: built.featureLayer,
    });
    const order = new Map(reader.keys().map((k, i) => [k.slice(prefix.length), i]));
    const bindings = [...g.bindings].sort((a, b) => (order.get(a.key) ?? 1e9) - (order.get(b.key) ?? 1e9));
    return {
      ...backbone,
      aliases: torchAliases(backbone.aliases, bindings),
      torch: { arch: opts.arch, file: reader.file, bindings, batchesTracked, report },
    };
  } finally {
    if (reader !== opts.weights) await reader.close();
  }
}
