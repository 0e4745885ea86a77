import { listParams } from '@frostline/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BACKBONE_REGISTRY, backboneNames, buildBackbone, findBackbone, VisionError } from '../src/index';
import { useBackend } from './helpers';

beforeAll(() => useBackend('cpu'));

describe('backbone registry', () => {
  it('lists every built-in backbone once, with its source and classifier', () => {
    expect(backboneNames()).toEqual([
      'mnist-cnn',
      'mobilenet_v2',
      'mobilenet_v1',
      'resnet18',
      'resnet34',
      'resnet50',
    ]);
    expect(new Set(BACKBONE_REGISTRY.flatMap((e) => [e.name, ...e.aliases])).size).toBe(
      BACKBONE_REGISTRY.reduce((n, e) => n + 1 + e.aliases.length, 0),
    );
    expect(findBackbone('mobilenet_v2')?.pretrained).toEqual({
      kind: 'npm',
      package: 'nsfwjs',
      version: '4.3.0',
    });
    expect(findBackbone('resnet50')).toMatchObject({ pretrained: { kind: 'random' }, defaultClasses: 1000 });
  });

  it('resolves aliases and spellings', () => {
    for (const spelling of ['ResNet-50', 'resnet_50', 'RESNET50'])
      expect(findBackbone(spelling)?.name).toBe('resnet50');
    expect(findBackbone('MobileNetV2')?.name).toBe('mobilenet_v2');
    expect(findBackbone('mnist_cnn')?.name).toBe('mnist-cnn');
    expect(findBackbone('resnet5')).toBeUndefined();
  });

  it('builds a ResNet with a torchvision-style classifier `fc`, replaced by numClasses, or none', async () => {
    const withDefault = await buildBackbone('resnet18', { inputSize: 32, seed: 1 });
    const fc = withDefault.model.getLayer('fc');
    expect(fc.outputShape).toEqual([null, 1000]);
    expect(withDefault.stages.at(-1)).toMatchObject({ name: 'head', aliases: ['fc', 'classifier'] });
    const three = await buildBackbone('resnet-18', { inputSize: 32, numClasses: 3, seed: 1 });
    expect(three.model.getLayer('fc').outputShape).toEqual([null, 3]);
    const fcParams = listParams(three.model).filter((p) => p.layer === 'fc');
    expect(fcParams.map((p) => p.shape)).toEqual([[512, 3], [3]]);
    const features = await buildBackbone('resnet18', { inputSize: 32, numClasses: false });
    expect(features.stages.map((s) => s.name)).not.toContain('head');
    for (const b of [withDefault, three, features]) b.model.dispose();
  });

  it('an unknown name is a VisionError UNKNOWN_MODEL listing the built-ins', async () => {
    const error = await buildBackbone('resnet5').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VisionError);
    expect(error).toMatchObject({ code: 'UNKNOWN_MODEL' });
    expect((error as VisionError).hint).toContain('resnet50');
  });
});
