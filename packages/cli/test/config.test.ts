import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRunConfig, parseConfigText, resolvePolicy, validateRunConfig } from '../src/config';
import { CliError, describeError } from '../src/errors';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'frostline-config-'));
  mkdirSync(join(dir, 'flowers', 'rose'), { recursive: true });
  writeFileSync(join(dir, 'reviews.csv'), 'text,label\ngood,pos\nbad,neg\n');
  writeFileSync(join(dir, 'policy.yaml'), 'rules:\n  - freeze: "**"\n  - unfreeze: head\n');
});

const fail = (value: unknown): string => {
  try {
    validateRunConfig(value, dir, 'run.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(CliError);
    expect((e as CliError).exitCode).toBe(2);
    // Messages are formatted once, at the CLI edge: file, path and message from the error's fields.
    const message = describeError(e).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected a config error');
};

const mnist = {
  task: 'image-classification',
  backbone: 'mnist-cnn',
  dataset: { mnist: { digits: [5, 6], perClass: 20 } },
};

describe('run config', () => {
  it('fills defaults and resolves paths against the config folder', () => {
    const c = validateRunConfig({ ...mnist, epochs: 2, output: 'out' }, dir);
    expect(c.dataset.validationSplit).toBe(0.2);
    expect(c.head).toEqual({});
    expect(c).toMatchObject({
      epochs: 2,
      batchSize: 32,
      learningRate: 0.001,
      optimizer: 'adam',
      seed: 42,
      cache: 'auto',
    });
    expect(c.output).toBe(join(dir, 'out'));
    const img = validateRunConfig(
      {
        task: 'image-classification',
        backbone: { name: 'mobilenet_v2', inputSize: 96 },
        dataset: { imageFolder: 'flowers' },
        policy: 'policy.yaml',
      },
      dir,
    );
    expect(img.dataset.imageFolder).toBe(join(dir, 'flowers'));
    expect(img.policy).toBe(join(dir, 'policy.yaml'));
    expect(resolvePolicy(img).rules).toHaveLength(2);
    const text = validateRunConfig(
      { task: 'text-classification', dataset: { csv: 'reviews.csv', textColumn: 'text' } },
      dir,
    );
    expect(text.encoder).toEqual({ kind: 'use-lite' });
    expect(text.dataset.csv).toBe(join(dir, 'reviews.csv'));
  });

  it('names the exact path of a bad value', () => {
    expect(fail({ ...mnist, epochs: 'two' })).toBe('run.yaml: epochs: expected an integer ≥ 1, got "two"');
    expect(fail({ ...mnist, dataset: { mnist: { digits: [5, 6], perClass: 0 } } })).toBe(
      'run.yaml: dataset.mnist.perClass: expected an integer ≥ 1, got number 0',
    );
    expect(fail({ ...mnist, dataset: { mnist: { digits: [5, 12], perClass: 3 } } })).toMatch(
      /dataset\.mnist\.digits\[1\]: expected an integer ≥ 0 and ≤ 9/,
    );
    expect(fail({ ...mnist, head: { dropout: 'lots' } })).toMatch(
      /^run\.yaml: head\.dropout: expected a number/,
    );
    expect(fail({ ...mnist, task: 'image-classificaton' })).toMatch(
      /task: expected one of .* \(did you mean 'image-classification'\?\)/,
    );
  });

  it('rejects unknown keys with a suggestion', () => {
    expect(fail({ ...mnist, epoch: 3 })).toMatch(
      /^run\.yaml: epoch: unknown key \(did you mean 'epochs'\?\); allowed here: /,
    );
    expect(fail({ ...mnist, dataset: { mnist: { digits: [1, 2], perClas: 3 } } })).toMatch(
      /dataset\.mnist\.perClas: unknown key \(did you mean 'perClass'\?\)/,
    );
  });

  it('checks task, dataset source and paths', () => {
    expect(
      fail({ task: 'image-classification', backbone: 'mnist-cnn', dataset: { imageFolder: 'nope' } }),
    ).toBe('run.yaml: dataset.imageFolder: folder not found: nope (paths are relative to the config file)');
    expect(fail({ task: 'image-classification', backbone: 'mnist-cnn', dataset: {} })).toMatch(
      /dataset: needs exactly one source/,
    );
    expect(
      fail({ task: 'image-classification', backbone: 'mnist-cnn', dataset: { csv: 'reviews.csv' } }),
    ).toMatch(/dataset\.csv: not a source for task 'image-classification'/);
    expect(
      fail({ task: 'image-classification', dataset: { mnist: { digits: [1, 2], perClass: 2 } } }),
    ).toMatch(/backbone: is required/);
    expect(fail({ task: 'text-classification', dataset: { csv: 'missing.csv' } })).toMatch(
      /dataset\.csv: file not found: missing\.csv/,
    );
    expect(fail({ ...mnist, policy: 'nope.yaml' })).toMatch(/policy: file not found: nope\.yaml/);
    expect(fail({ ...mnist, dataset: undefined })).toBe('run.yaml: dataset: is required');
  });

  it('reports malformed YAML and JSON with line and column', () => {
    const bad = 'task: image-classification\ndataset:\n  mnist: { digits: [1, 2], perClass: 3\nepochs: 2\n';
    const parseFails = (text: string, file: string) => {
      try {
        parseConfigText(text, file);
      } catch (e) {
        return describeError(e).message;
      }
      throw new Error('expected a parse error');
    };
    expect(parseFails(bad, 'run.yaml')).toMatch(/^run\.yaml:\d+:\d+: malformed YAML: /);
    const dup = 'epochs: 1\nepochs: 2\n';
    expect(parseFails(dup, 'run.yaml')).toMatch(/^run\.yaml:2:1: malformed YAML: Map keys must be unique/);
    expect(parseFails('{"epochs": 2,,}', 'run.json')).toMatch(/^run\.json:1:\d+: malformed JSON/);
  });

  it('loads a file from disk', () => {
    const file = join(dir, 'run.yaml');
    writeFileSync(
      file,
      'task: image-classification\nbackbone: mnist-cnn\ndataset:\n  mnist: { digits: [5, 6], perClass: 4 }\nepochs: 1\n',
    );
    expect(loadRunConfig(file)).toMatchObject({ epochs: 1, source: file });
    expect(() => loadRunConfig(join(dir, 'nope.yaml'))).toThrow(/config file not found/);
  });

  it('validates an inline policy through core', () => {
    const c = validateRunConfig({ ...mnist, policy: { rules: [{ freez: 'x' }] } }, dir);
    expect(() => resolvePolicy(c)).toThrow(/freez/);
  });
});
