import { existsSync } from 'node:fs';
import type { ImageDataset } from '@frostline/vision';
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

interface ImageData {
  data: ImageDataset;
  test?: ImageDataset;
  notes: string[];
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
  const data = await vision.imageFolder(ds.imageFolder!, {
    valSplit: ds.validationSplit,
    seed: config.seed,
    backbone: base,
    onWarning: (m: string) => notes.push(m),
  });
  owned.push(data);
  const skipped = data.report.skipped.length;
  if (skipped) notes.push(`${skipped} unreadable image${skipped === 1 ? '' : 's'} skipped`);
  return { data, notes };
}

const split = (s: { x: TensorSplit['x']; y: TensorSplit['y'] }): TensorSplit => ({ x: s.x, y: s.y });

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
    vision.checkCompatible(headed, data);
    return {
      kind: 'tfjs',
      modelName: `${base.name} + head`,
      model: headed.model,
      data: { train: split(data.train), ...(data.validation ? { validation: split(data.validation) } : {}) },
      ...(test ? { test: split(test.train) } : {}),
      aliases: (p) => headed.aliases(p),
      stages: headed.stages.map((s) => ({ name: s.name, layers: [...s.layers], aliases: [...s.aliases] })),
      classes,
      counts: {
        train: data.train.x.shape[0] ?? 0,
        validation: data.validation?.x.shape[0] ?? 0,
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
