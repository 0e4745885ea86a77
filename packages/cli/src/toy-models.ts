import type { ParamInfo } from '@frostline/core';

/**
 * The seed's toy models, as PyTorch would name their parameters, so `frostline plan` works without
 * any ML runtime. `mlp-100-50-10` also carries an `fc10` layer: it is the one a substring test
 * (`'fc1' in name`) wrongly freezes together with `fc1`, and the plan shows it untouched.
 */
function linear(name: string, inFeatures: number, outFeatures: number): ParamInfo[] {
  return [
    { name: `${name}.weight`, shape: [outFeatures, inFeatures], layer: name, layerType: 'Linear' },
    { name: `${name}.bias`, shape: [outFeatures], layer: name, layerType: 'Linear' },
  ];
}

export interface ToyModel {
  name: string;
  description: string;
  params(): ParamInfo[];
}

export const TOY_MODELS: readonly ToyModel[] = [
  {
    name: 'linear-10x10',
    description: 'one Linear(10, 10) layer named `linear` (the seed: freeze only linear.weight)',
    params: () => linear('linear', 10, 10),
  },
  {
    name: 'mlp-100-50-10',
    description:
      'Linear(100, 50) `fc1` → Linear(50, 10) `fc2`, plus a Linear(10, 10) `fc10` that `fc1` must not match',
    params: () => [...linear('fc1', 100, 50), ...linear('fc2', 50, 10), ...linear('fc10', 10, 10)],
  },
];

export function findToyModel(name: string): ToyModel | undefined {
  return TOY_MODELS.find((m) => m.name === name);
}
