import type { Backbone } from './backbone';
import { VisionError } from './errors';
import { withHead } from './head';
import { mobileNetV1 } from './mobilenet-v1';
import { loadPretrained } from './pretrained';
import { resNet18, resNet34, resNet50 } from './resnet';

/**
 * The built-in image backbones, in one table: names, the other spellings they answer to, how to build
 * them and where their pretrained weights come from. The CLI (and anything else that lists backbones)
 * reads this table, so adding a backbone is one entry here.
 */

/** Where a built-in backbone's weights come from. */
export type PretrainedSource =
  | { kind: 'random' }
  /** Weights that ship inside an npm package (offline), e.g. nsfwjs@4.3.0. */
  | { kind: 'npm'; package: string; version?: string }
  /** Weights that ship inside @frostline/vision itself. */
  | { kind: 'bundled'; path: string };

export interface BuildBackboneOptions {
  /** Square input side in pixels (default: the entry's `inputSize`). */
  inputSize?: number;
  /**
   * The classifier on top: a number N replaces the built-in one with a new N-class `fc` (stage `head`,
   * aliases `fc`, `classifier`); `false` returns the features only (for `withHead` with your own
   * options); omitted keeps the one the architecture comes with (`defaultClasses`).
   */
  numClasses?: number | false;
  /** Seed for randomly initialised weights (the classifier, random-init architectures). */
  seed?: number;
}

export interface BackboneEntry {
  /** Canonical name, e.g. `resnet50`. */
  readonly name: string;
  /** Other accepted spellings (matched after lower-casing and turning `-` and spaces into `_`). */
  readonly aliases: readonly string[];
  readonly description: string;
  readonly pretrained: PretrainedSource;
  /** Default square input side. */
  readonly inputSize: number;
  /**
   * Classes of the classifier the architecture comes with (as torchvision's: ResNets and MobileNets a
   * 1000-class `fc`), kept unless `numClasses` says otherwise.
   */
  readonly defaultClasses: number;
  /** Builds the backbone (features only when `numClasses: false`). */
  build(opts?: BuildBackboneOptions): Promise<Backbone>;
}

/** A random-init architecture: features from `make`, then the torchvision-style classifier. */
function architecture(
  make: (o: { inputSize?: number; seed?: number }) => Backbone,
): (opts: BuildBackboneOptions, defaultClasses: number) => Promise<Backbone> {
  return async (opts, defaultClasses) => {
    const features = make({
      ...(opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {}),
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
    return classifierOn(features, opts, defaultClasses);
  };
}

/** Adds the classifier `opts.numClasses` asks for (or the default one) on top of `features`. */
function classifierOn(features: Backbone, opts: BuildBackboneOptions, defaultClasses: number): Backbone {
  const numClasses = opts.numClasses ?? defaultClasses;
  if (numClasses === false) return features;
  return withHead(features, { numClasses, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
}

function entry(
  e: Omit<BackboneEntry, 'build'> & {
    make: (opts: BuildBackboneOptions, defaultClasses: number) => Promise<Backbone>;
  },
): BackboneEntry {
  const { make, ...rest } = e;
  return Object.freeze({
    ...rest,
    aliases: Object.freeze([...rest.aliases]),
    build: (opts: BuildBackboneOptions = {}) => make(opts, rest.defaultClasses),
  });
}

export const BACKBONE_REGISTRY: readonly BackboneEntry[] = Object.freeze([
  entry({
    name: 'mnist-cnn',
    aliases: ['mnist_cnn', 'mnistcnn'],
    description: 'small CNN pretrained on MNIST digits 0–4 (shipped weights)',
    pretrained: { kind: 'bundled', path: 'assets/mnist-cnn-0to4' },
    inputSize: 28,
    defaultClasses: 5,
    // Its own trained 5-class classifier is the default; any other count replaces it.
    make: async (opts, defaultClasses) => {
      const keepTop = opts.numClasses === undefined || opts.numClasses === defaultClasses;
      const features = await loadPretrained('mnist-cnn', {
        ...(opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {}),
        includeTop: keepTop,
      });
      return keepTop ? features : classifierOn(features, opts, defaultClasses);
    },
  }),
  entry({
    name: 'mobilenet_v2',
    aliases: ['mobilenetv2'],
    description: 'MobileNetV2 with the weights nsfwjs@4.3.0 ships (224×224), 1000-class fc',
    pretrained: { kind: 'npm', package: 'nsfwjs', version: '4.3.0' },
    inputSize: 224,
    defaultClasses: 1000,
    make: async (opts, defaultClasses) => {
      const features = await loadPretrained(
        'mobilenet_v2',
        opts.inputSize !== undefined ? { inputSize: opts.inputSize } : {},
      );
      return classifierOn(features, opts, defaultClasses);
    },
  }),
  entry({
    name: 'mobilenet_v1',
    aliases: ['mobilenetv1'],
    description: 'MobileNetV1 architecture (random init), 1000-class fc',
    pretrained: { kind: 'random' },
    inputSize: 224,
    defaultClasses: 1000,
    make: architecture(mobileNetV1),
  }),
  entry({
    name: 'resnet18',
    aliases: ['resnet_18'],
    description: 'ResNet18 architecture (random init), 1000-class fc',
    pretrained: { kind: 'random' },
    inputSize: 224,
    defaultClasses: 1000,
    make: architecture(resNet18),
  }),
  entry({
    name: 'resnet34',
    aliases: ['resnet_34'],
    description: 'ResNet34 architecture (random init), 1000-class fc',
    pretrained: { kind: 'random' },
    inputSize: 224,
    defaultClasses: 1000,
    make: architecture(resNet34),
  }),
  entry({
    name: 'resnet50',
    aliases: ['resnet_50'],
    description: 'ResNet50 architecture, Keras layout (random init), 1000-class fc',
    pretrained: { kind: 'random' },
    inputSize: 224,
    defaultClasses: 1000,
    make: architecture(resNet50),
  }),
]);

const normalise = (name: string) => name.toLowerCase().replace(/[-\s]/g, '_');

/** The canonical names of the built-in backbones, in registry order. */
export function backboneNames(): string[] {
  return BACKBONE_REGISTRY.map((e) => e.name);
}

/** The entry for a name or alias (`MobileNetV2`, `resnet-50`), or undefined. */
export function findBackbone(name: string): BackboneEntry | undefined {
  const key = normalise(name);
  return BACKBONE_REGISTRY.find(
    (e) => normalise(e.name) === key || e.aliases.some((a) => normalise(a) === key),
  );
}

/** Builds a built-in backbone by name or alias; an unknown name is a `VisionError` UNKNOWN_MODEL. */
export async function buildBackbone(name: string, opts: BuildBackboneOptions = {}): Promise<Backbone> {
  const found = findBackbone(name);
  if (!found) {
    throw new VisionError(
      'UNKNOWN_MODEL',
      `no built-in backbone named "${name}"`,
      `built-in: ${backboneNames().join(', ')}`,
    );
  }
  return found.build(opts);
}
