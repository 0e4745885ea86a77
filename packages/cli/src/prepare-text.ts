import { basename, join } from 'node:path';
import type { TextDataset } from '@frostline/nlp';
import { loadNlp, type NlpModule, type TextEncoder } from './adapters';
import { type EncoderConfig, type RunConfig, trainerOptions } from './config';
import { CliError } from './errors';
import type { PrepareContext, PreparedOwnRun } from './prepared';

interface TextSplits {
  train: TextDataset;
  validation: TextDataset;
  test?: TextDataset;
}

/** Reads the configured text dataset: a CSV/TSV/JSONL file split into train/validation, or the built-in set. */
async function readTextData(nlp: NlpModule, config: RunConfig): Promise<TextSplits> {
  const ds = config.dataset;
  const split = { testFraction: ds.validationSplit, seed: config.seed };
  if (ds.builtin === 'sentiment') {
    const { train, test } = await nlp.sentimentDataset();
    const parts = nlp.stratifiedSplit(train, split);
    return { train: parts.train, validation: parts.test, test };
  }
  const opts = {
    ...(ds.textColumn ? { textColumn: ds.textColumn } : {}),
    ...(ds.labelColumn ? { labelColumn: ds.labelColumn } : {}),
  };
  const all = ds.csv
    ? await nlp.readCsv(ds.csv, opts)
    : ds.tsv
      ? await nlp.readTsv(ds.tsv, opts)
      : await nlp.readJsonl(ds.jsonl!, opts);
  const parts = nlp.stratifiedSplit(all, split);
  return { train: parts.train, validation: parts.test };
}

/** Loads the configured encoder through @frostline/nlp's encoder registry. */
async function loadConfiguredEncoder(nlp: NlpModule, spec: EncoderConfig): Promise<TextEncoder> {
  const entry = nlp.findEncoder(spec.kind);
  if (!entry)
    throw new CliError('UNKNOWN_MODEL', `unknown encoder kind '${spec.kind}'`, { path: 'encoder.kind' });
  return entry.load({
    ...(spec.model !== undefined ? { model: spec.model } : {}),
    ...(spec.pooling !== undefined ? { pooling: spec.pooling } : {}),
    ...(spec.normalize !== undefined ? { normalize: spec.normalize } : {}),
    ...(spec.maxLength !== undefined ? { maxLength: spec.maxLength } : {}),
  });
}

const layerOf = (name: string) => name.replace(/\/[^/]*$/, '');

/**
 * text-classification: a frozen encoder (USE-lite or a transformers.js folder) and a small TF.js head,
 * trained by @frostline/nlp's `trainTextClassifier`: it embeds every text once (cached in memory and
 * under <output>/embeddings), plans encoder + head once (the encoder's parameters fixed and frozen)
 * and trains the head on the vectors.
 */
export async function prepareText(
  config: RunConfig,
  ctx: PrepareContext = { note: () => {} },
): Promise<PreparedOwnRun> {
  const nlp = await loadNlp();
  const data = await readTextData(nlp, config);
  const spec = config.encoder ?? { kind: 'use-lite' };
  const encoder = await loadConfiguredEncoder(nlp, spec);
  const cache = new nlp.EmbeddingCache({ dir: join(config.output, 'embeddings') });
  const total = data.train.texts.length + data.validation.texts.length + (data.test?.texts.length ?? 0);
  ctx.note(`embedding ${total} texts with ${encoder.id} (${encoder.runtime}); cached in ${cache.dir}`);
  const encoderParams = encoder.params();
  const encoderLayers = [...new Set(encoderParams.map((p) => p.layer ?? layerOf(p.name)))];
  const hidden = config.head.hidden;
  return {
    kind: 'own',
    modelName: `${spec.kind === 'use-lite' ? 'use-lite' : basename(spec.model ?? 'encoder')} + head`,
    classes: [...data.train.labelNames],
    counts: {
      train: data.train.texts.length,
      validation: data.validation.texts.length,
      ...(data.test ? { test: data.test.texts.length } : {}),
    },
    stages: [{ name: 'encoder', layers: encoderLayers }],
    notes: [
      `encoder ${encoder.id} (${encoder.dim}-d, frozen: inference-only runtime); embeddings cached in ${cache.dir}`,
    ],
    train: async ({ policy, onEvent, signal, checkpoint, resumeFrom }) => {
      const result = await nlp.trainTextClassifier({
        encoder,
        cache,
        train: data.train,
        ...(data.validation.texts.length ? { validation: data.validation } : {}),
        ...(data.test ? { test: data.test } : {}),
        head: {
          ...(hidden !== undefined ? { type: 'mlp' as const, hidden } : {}),
          ...(config.head.dropout !== undefined ? { dropout: config.head.dropout } : {}),
          seed: config.seed,
        },
        policy,
        ...trainerOptions(config),
        onEvent,
        ...(signal ? { signal } : {}),
        checkpoint,
        ...(resumeFrom ? { resumeFrom } : {}),
      });
      ctx.note(
        `embedded in ${(result.timing.embedMs / 1000).toFixed(1)}s (${result.cache.hits} from cache, ${result.cache.misses} computed); ${result.summary}`,
      );
      const test = result.metrics.test;
      return {
        model: result.classifier.head,
        history: result.history,
        backend: result.backend,
        plan: result.plan,
        stages: [
          { name: 'encoder', layers: encoderLayers },
          {
            name: 'head',
            layers: result.plan.layers.map((l) => l.name).filter((n) => !encoderLayers.includes(n)),
          },
        ],
        ...(test ? { test: { acc: test.accuracy, examples: test.examples } } : {}),
      };
    },
    dispose: () => encoder.dispose(),
  };
}
