import { existsSync } from 'node:fs';
import { type BackboneLike, type Loose, loadVision } from './adapters';
import type { RunConfig } from './config';
import { canonicalBackboneName, loadBuiltinBackbone, unknownModelError } from './models';
import type { PreparedRun } from './prepared';

/** Loads the backbone a config names: a built-in name or a folder with model.json. */
async function loadConfiguredBackbone(config: RunConfig): Promise<BackboneLike> {
  const spec = typeof config.backbone === 'string' ? { name: config.backbone } : config.backbone!;
  const inputSize = (spec as { inputSize?: number }).inputSize ?? config.dataset.imageSize;
  const builtin = canonicalBackboneName(spec.name);
  if (builtin && !existsSync(spec.name)) return loadBuiltinBackbone(builtin, inputSize ? { inputSize } : {});
  if (!existsSync(spec.name)) throw unknownModelError(spec.name, 'backbone');
  const vision = await loadVision();
  // A saved classifier's own top is replaced by the configured head.
  return vision.loadBackbone(spec.name, { includeTop: false, ...(inputSize ? { inputSize } : {}) });
}

/** image-classification: backbone + new head, MNIST or ImageFolder data preprocessed for it. */
export async function prepareImage(config: RunConfig): Promise<PreparedRun> {
  const vision = await loadVision();
  const base = await loadConfiguredBackbone(config);
  const ds = config.dataset;
  const valSplit = ds.validationSplit ?? 0.2;
  const notes: string[] = [];
  const owned: Array<{ dispose(): void }> = [];
  try {
    let data: Loose;
    let test: Loose;
    if (ds.mnist) {
      data = await vision.mnistDataset({
        digits: ds.mnist.digits,
        perClass: ds.mnist.perClass,
        valSplit,
        seed: config.seed,
        backbone: base,
      });
      owned.push(data);
      if (ds.mnist.testPerClass) {
        test = await vision.mnistDataset({
          digits: ds.mnist.digits,
          perClass: ds.mnist.testPerClass,
          split: 'test',
          seed: config.seed,
          backbone: base,
        });
        owned.push(test);
      }
      notes.push(
        `MNIST digits ${ds.mnist.digits.join(', ')} (${ds.mnist.perClass} per class, labels = positions in that list)`,
      );
    } else {
      data = await vision.imageFolder(ds.imageFolder!, {
        valSplit,
        seed: config.seed,
        backbone: base,
        onWarning: (m: string) => notes.push(m),
      });
      owned.push(data);
      const skipped = data.report?.skipped?.length ?? 0;
      if (skipped) notes.push(`${skipped} unreadable image${skipped === 1 ? '' : 's'} skipped`);
    }
    const classes: string[] = data.classNames;
    const headed: BackboneLike = vision.withHead(base, {
      numClasses: classes.length,
      ...(config.head.hidden !== undefined ? { hidden: config.head.hidden } : {}),
      ...(config.head.dropout !== undefined ? { dropout: config.head.dropout } : {}),
      ...(config.head.pooling !== undefined ? { pooling: config.head.pooling } : {}),
      seed: config.seed,
    });
    vision.checkCompatible(headed, data);
    const split = (s: Loose) => ({ x: s.x, y: s.y });
    return {
      modelName: `${base.name} + head`,
      model: headed.model,
      data: { train: split(data.train), ...(data.validation ? { validation: split(data.validation) } : {}) },
      ...(test ? { test: split(test.train) } : {}),
      aliases: (p) => headed.aliases!(p),
      stages: headed.stages.map((s) => ({
        name: s.name,
        layers: [...s.layers],
        aliases: [...(s.aliases ?? [])],
      })),
      classes,
      counts: {
        train: data.train.x.shape[0],
        validation: data.validation ? data.validation.x.shape[0] : 0,
        ...(test ? { test: test.train.x.shape[0] } : {}),
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
