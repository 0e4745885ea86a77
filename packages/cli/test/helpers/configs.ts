import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';

/**
 * The image backbone for training tests: the project's MNIST CNN when vision ships its weights,
 * else the shipped MobileNetV2 at 32×32 (both offline and small enough for a 2-core machine).
 */
export function imageBackbone(): string | { name: string; inputSize: number } {
  const weights = fileURLToPath(new URL('../../../vision/assets/mnist-cnn-0to4/model.json', import.meta.url));
  return existsSync(weights) ? 'mnist-cnn' : { name: 'mobilenet_v2', inputSize: 32 };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `frostline-${prefix}-`));
}

/** Writes a YAML config into `dir` and returns its path. */
export function writeConfig(dir: string, config: Record<string, unknown>, name = 'run.yaml'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, stringify(config));
  return path;
}

export function mnistConfig(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'mnist 5 vs 6',
    task: 'image-classification',
    backbone: imageBackbone(),
    dataset: { mnist: { digits: [5, 6], perClass: 20 }, validationSplit: 0.25 },
    policy: { rules: [{ freeze: '**' }, { unfreeze: 'head' }] },
    epochs: 2,
    batchSize: 10,
    learningRate: 0.01,
    seed: 7,
    output: 'out',
    ...over,
  };
}
