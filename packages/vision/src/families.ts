import type { StageClassifier } from './backbone';
import { mnistCnnStageAliases, mnistCnnStages } from './mnist-cnn';
import { mobileNetV1Stages } from './mobilenet-v1';
import { mobileNetStageAliases, mobileNetV2Stages } from './mobilenet-v2';
import type { PreprocessMode } from './preprocess';
import { resNetStageAliases, resNetStages } from './resnet';

/** What loadBackbone infers about a model from its layer names. */
export interface Family {
  name: string;
  classify: StageClassifier;
  stageAliases: Record<string, string[]>;
  preprocessing: PreprocessMode;
  /** Layer to cut at for `includeTop: false`. */
  featureLayer: string;
}

interface LayerRef {
  name: string;
  className: string;
}

const FEATURE_CLASSES =
  /^(Conv2D|DepthwiseConv2D|SeparableConv2D|BatchNormalization|ReLU|Activation|Add|Concatenate|ZeroPadding2D|MaxPooling2D|AveragePooling2D)$/;

/**
 * Recognise the Keras-applications naming schemes; anything else is one body stage (`stage1`) up to
 * its last convolutional layer, then a head.
 */
export function detectFamily(layers: readonly LayerRef[], modelName?: string): Family {
  const names = new Set(layers.map((l) => l.name));
  const has = (re: RegExp) => layers.some((l) => re.test(l.name));
  if (names.has('block_16_project') || names.has('expanded_conv_project')) {
    return {
      name: 'mobilenet_v2',
      classify: mobileNetV2Stages,
      stageAliases: mobileNetStageAliases,
      preprocessing: 'mobilenet',
      featureLayer: 'out_relu',
    };
  }
  if (has(/^conv_pw_\d+$/)) {
    const last = Math.max(...layers.map((l) => Number(/^conv_pw_(\d+)_relu$/.exec(l.name)?.[1] ?? 0)));
    return {
      name: 'mobilenet_v1',
      classify: mobileNetV1Stages,
      stageAliases: mobileNetStageAliases,
      preprocessing: 'mobilenet',
      featureLayer: `conv_pw_${last}_relu`,
    };
  }
  if (has(/^conv[2-5]_block\d+_/)) {
    const outs = layers.filter((l) => /^conv[2-5]_block\d+_out$/.test(l.name));
    const bottleneck = has(/_3_conv$/);
    const counts = [2, 3, 4, 5].map((s) => outs.filter((l) => l.name.startsWith(`conv${s}_`)).length);
    const arch = bottleneck
      ? counts.join() === '3,4,6,3'
        ? 'resnet50'
        : 'resnet'
      : counts.join() === '2,2,2,2'
        ? 'resnet18'
        : counts.join() === '3,4,6,3'
          ? 'resnet34'
          : 'resnet';
    return {
      name: arch,
      classify: resNetStages,
      stageAliases: resNetStageAliases,
      preprocessing: 'caffe',
      featureLayer: outs.at(-1)?.name ?? layers.at(-1)!.name,
    };
  }
  if (modelName === 'mnist_cnn' && names.has('conv1') && names.has('conv2')) {
    return {
      name: 'mnist-cnn',
      classify: mnistCnnStages,
      stageAliases: mnistCnnStageAliases,
      preprocessing: 'unit',
      featureLayer: 'flatten',
    };
  }
  let lastFeature = 0;
  layers.forEach((l, i) => {
    if (FEATURE_CLASSES.test(l.className)) lastFeature = i;
  });
  const body = new Set(layers.slice(0, lastFeature + 1).map((l) => l.name));
  return {
    name: modelName ?? 'custom',
    classify: (name) => (body.has(name) ? 'stage1' : undefined),
    stageAliases: {},
    preprocessing: 'none',
    featureLayer: layers[lastFeature]!.name,
  };
}

/** Layer names and classes straight from a layers-model topology (no weights needed). */
export function topologyLayers(topology: unknown): { layers: LayerRef[]; modelName?: string } {
  const t = topology as Record<string, unknown>;
  const mc = ((t.model_config as Record<string, unknown> | undefined) ?? t) as {
    config?: {
      name?: string;
      layers?: Array<{ name?: string; class_name: string; config?: { name?: string } }>;
    };
  };
  const layers = (mc.config?.layers ?? []).map((l) => ({
    name: l.name ?? l.config?.name ?? '',
    className: l.class_name,
  }));
  return { layers, ...(mc.config?.name ? { modelName: mc.config.name } : {}) };
}
