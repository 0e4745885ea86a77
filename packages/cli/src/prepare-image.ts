import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset, ImageFolderStream } from '@frostline/vision';
import { type Backbone, loadVision } from './adapters';
import type { RunConfig } from './config';
import { buildBuiltinBackbone, findBuiltinBackbone, unknownModelError } from './models';
import type { PreparedTfjsRun, TensorSplit } from './prepared';

/** Loads the backbone a config names, features only: a built-in name or a folder with model.json. */
async function loadConfiguredBackbone(config: RunConfig): Promise<Backbone> {
  const spec = typeof config.backbone === 'string' ? { name: config.backbone } : config.backbone!;
  const inputSize = ('inputSize' in spec ? spec.inputSize : undefined) ?? config.dataset.imageSize;
  const size = inputSize !== undefined ? { inputSize } : {};
  const builtin = existsSync(spec.name) ? undefined : await findBuiltinBackbone(spec.name);
  // The configured head replaces the built-in classifier: build the features only.
  if (builtin) return buildBuiltinBackbone(builtin, { ...size, numClasses: false });
  if (!existsSync(spec.name)) {
    throw await unknownModelError(spec.name, 'backbone', {
      path: 'backbone',
      ...(config.source ? { file: config.source } : {}),
    });
  }
  const vision = await loadVision();
  // A saved classifier's own top is replaced by the configured head.
  return vision.loadBackbone(spec.name, { includeTop: false, ...size });
}

/** Folders of more images than this are streamed when `dataset.stream` is `auto` (the default). */
export const STREAM_THRESHOLD = 2000;

interface ImageData {
  data: ImageDataset | ImageFolderStream;
  test?: ImageDataset;
  notes: string[];
}

/** Image files under `root/<class>/` (a quick count: names only, nothing decoded). */
function countImages(root: string): number {
  let n = 0;
  for (const d of readdirSync(root, { withFileTypes: true })) {
    if (!d.isDirectory() || d.name.startsWith('.')) continue;
    for (const f of readdirSync(join(root, d.name))) if (/\.(png|jpe?g|webp)$/i.test(f)) n++;
  }
  return n;
}

/** Whether to stream the configured image folder: as configured, or (auto) above STREAM_THRESHOLD images. */
function shouldStream(root: string, setting: boolean | 'auto' | undefined): boolean {
  if (setting === true || setting === false) return setting;
  return countImages(root) > STREAM_THRESHOLD;
}

/** MNIST digits or an ImageFolder, preprocessed for `base`. */
async function readImageData(config: RunConfig, base: Backbone, owned: ImageDataset[]): Promise<ImageData> {
  const vision = await loadVision();
  const ds = config.dataset;
  const notes: string[] = [];
  if (ds.mnist) {
    const common = { digits: ds.mnist.digits, seed: config.seed, backbone: base };
    const data = await vision.mnistDataset({
      ...common,
      perClass: ds.mnist.perClass,
      valSplit: ds.validationSplit,
    });
    owned.push(data);
    let test: ImageDataset | undefined;
    if (ds.mnist.testPerClass) {
      test = await vision.mnistDataset({ ...common, perClass: ds.mnist.testPerClass, split: 'test' });
      owned.push(test);
    }
    notes.push(
      `MNIST digits ${ds.mnist.digits.join(', ')} (${ds.mnist.perClass} per class, labels = positions in that list)`,
    );
    return { data, ...(test ? { test } : {}), notes };
  }
  const common = {
    valSplit: ds.validationSplit,
    seed: config.seed,
    backbone: base,
    onWarning: (m: string) => notes.push(m),
  };
  if (shouldStream(ds.imageFolder!, ds.stream)) {
    const data = await vision.imageFolder(ds.imageFolder!, {
      ...common,
      stream: true,
      batchSize: config.batchSize,
    });
    notes.push(`streaming ${data.report.total} images a batch at a time (features go to the feature cache)`);
    return { data, notes };
  }
  const data = await vision.imageFolder(ds.imageFolder!, common);
  owned.push(data);
  const skipped = data.report.skipped.length;
  if (skipped) notes.push(`${skipped} unreadable image${skipped === 1 ? '' : 's'} skipped`);
  return { data, notes };
}

const split = (s: { x: TensorSplit['x']; y: TensorSplit['y'] }): TensorSplit => ({ x: s.x, y: s.y });

const isStream = (d: ImageDataset | ImageFolderStream): d is ImageFolderStream =>
  'stream' in d && d.stream === true;

/** Tensors of an in-memory dataset, or the splits of a streamed one, as `train` takes them. */
function runData(d: ImageDataset | ImageFolderStream): PreparedTfjsRun['data'] {
  if (isStream(d)) return { train: d.train, ...(d.validation ? { validation: d.validation } : {}) };
  return { train: split(d.train), ...(d.validation ? { validation: split(d.validation) } : {}) };
}

const rowsOf = (s: { x: TensorSplit['x'] } | { size: number }): number =>
  'size' in s ? s.size : (s.x.shape[0] ?? 0);

/** image-classification: backbone + new head, MNIST or ImageFolder data preprocessed for it. */
export async function prepareImage(config: RunConfig): Promise<PreparedTfjsRun> {
  const vision = await loadVision();
  const base = await loadConfiguredBackbone(config);
  const owned: ImageDataset[] = [];
  try {
    const { data, test, notes } = await readImageData(config, base, owned);
    const classes = [...data.classNames];
    const headed = vision.withHead(base, {
      numClasses: classes.length,
      ...(config.head.hidden !== undefined ? { hidden: config.head.hidden } : {}),
      ...(config.head.dropout !== undefined ? { dropout: config.head.dropout } : {}),
      ...(config.head.pooling !== undefined ? { pooling: config.head.pooling } : {}),
      seed: config.seed,
    });
    vision.checkCompatible(headed, { classNames: data.classNames, imageShape: data.imageShape });
    return {
      kind: 'tfjs',
      modelName: `${base.name} + head`,
      model: headed.model,
      data: runData(data),
      ...(test ? { test: split(test.train) } : {}),
      aliases: (p) => headed.aliases(p),
      stages: headed.stages.map((s) => ({ name: s.name, layers: [...s.layers], aliases: [...s.aliases] })),
      classes,
      counts: {
        train: rowsOf(data.train),
        validation: data.validation ? rowsOf(data.validation) : 0,
        ...(test ? { test: test.train.x.shape[0] ?? 0 } : {}),
      },
      notes,
      dispose: () => {
        for (const o of owned) o.dispose();
      },
    };
  } catch (error) {
    for (const o of owned) o.dispose();
    base.model.dispose();
    throw error;
  }
}
