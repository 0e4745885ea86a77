import { basename, join } from 'node:path';
import { type ParamInfo, type PolicySpec, planFreeze } from '@frostline/core';
import { type EncoderLike, type Loose, loadNlp, loadTf, loadTfjs } from './adapters';
import type { RunConfig } from './config';
import type { PrepareContext, PreparedRun } from './prepared';

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Reads the configured text dataset: a CSV/TSV/JSONL file split into train/validation, or the built-in set. */
async function readTextData(
  nlp: Loose,
  config: RunConfig,
): Promise<{ train: Loose; validation: Loose; test?: Loose }> {
  const ds = config.dataset;
  const valSplit = ds.validationSplit ?? 0.2;
  if (ds.builtin === 'sentiment') {
    const { train, test } = await nlp.sentimentDataset();
    const parts = nlp.stratifiedSplit(train, { testFraction: valSplit, seed: config.seed });
    return { train: parts.train, validation: parts.test, test };
  }
  const file = (ds.csv ?? ds.tsv ?? ds.jsonl)!;
  const opts = {
    ...(ds.textColumn ? { textColumn: ds.textColumn } : {}),
    ...(ds.labelColumn ? { labelColumn: ds.labelColumn } : {}),
  };
  const all = ds.csv
    ? await nlp.readCsv(file, opts)
    : ds.tsv
      ? await nlp.readTsv(file, opts)
      : await nlp.readJsonl(file, opts);
  const parts = nlp.stratifiedSplit(all, { testFraction: valSplit, seed: config.seed });
  return { train: parts.train, validation: parts.test };
}

/**
 * text-classification: a frozen encoder (USE-lite or a transformers.js folder) embeds every text once
 * (cached in memory and under <output>/embeddings), and a small TF.js head trains on the vectors.
 * The encoder's parameters appear in plans and the report as fixed and frozen.
 */
export async function prepareText(
  config: RunConfig,
  ctx: PrepareContext = { note: () => {} },
): Promise<PreparedRun> {
  const nlp = await loadNlp();
  const tf = await loadTf();
  const tfjs = await loadTfjs();
  const data = await readTextData(nlp, config);
  const spec = config.encoder!;
  const encoder: EncoderLike = await nlp.loadEncoder(
    spec.kind === 'use-lite'
      ? { kind: 'use-lite' }
      : {
          kind: 'transformers',
          model: spec.model,
          ...(spec.pooling ? { pooling: spec.pooling } : {}),
          ...(spec.normalize !== undefined ? { normalize: spec.normalize } : {}),
          ...(spec.maxLength ? { maxLength: spec.maxLength } : {}),
        },
  );
  const owned: Array<{ dispose(): void }> = [];
  try {
    const cache = new nlp.EmbeddingCache({ dir: join(config.output, 'embeddings') });
    const labelNames: string[] = data.train.labelNames;
    const k = labelNames.length;
    const tensors = async (ds: Loose) => {
      const vecs: Float32Array[] = await cache.embed(encoder, ds.texts);
      const flat = new Float32Array(vecs.length * encoder.dim);
      for (let i = 0; i < vecs.length; i++) flat.set(vecs[i]!, i * encoder.dim);
      const x = tf.tensor2d(flat, [vecs.length, encoder.dim]);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(ds.labels, 'int32'), k).toFloat());
      owned.push(x, y);
      return { x, y };
    };
    const total =
      data.train.texts.length + (data.validation?.texts.length ?? 0) + (data.test?.texts.length ?? 0);
    ctx.note(`embedding ${total} texts with ${encoder.id} (${encoder.runtime}); cached in ${cache.dir}`);
    const t0 = Date.now();
    const train = await tensors(data.train);
    const validation = data.validation?.texts.length ? await tensors(data.validation) : undefined;
    const test = data.test ? await tensors(data.test) : undefined;
    const stats = cache.stats as { hits: number; misses: number };
    ctx.note(
      `embedded in ${((Date.now() - t0) / 1000).toFixed(1)}s (${stats.hits} from cache, ${stats.misses} computed)`,
    );
    const hidden = config.head.hidden;
    const head = nlp.buildHead(encoder.dim, k, {
      ...(hidden !== undefined ? { type: 'mlp', hidden } : {}),
      ...(config.head.dropout !== undefined ? { dropout: config.head.dropout } : {}),
      seed: config.seed,
    });
    const encoderParams: ParamInfo[] = encoder.params();
    const headNames = tfjs.listParams(head).map((p) => p.name);
    return {
      modelName: `${spec.kind === 'use-lite' ? 'use-lite' : basename(spec.model ?? 'encoder')} + head`,
      model: head,
      data: { train, ...(validation ? { validation } : {}) },
      ...(test ? { test } : {}),
      classes: labelNames,
      counts: {
        train: data.train.texts.length,
        validation: data.validation?.texts.length ?? 0,
        ...(data.test ? { test: data.test.texts.length } : {}),
      },
      externalParams: encoderParams,
      stages: [
        {
          name: 'encoder',
          layers: [...new Set(encoderParams.map((p) => p.layer ?? p.name.replace(/\/[^/]*$/, '')))],
        },
        { name: 'head', layers: tfjs.listParams(head).map((p) => p.layer ?? p.name.replace(/\/[^/]*$/, '')) },
      ],
      notes: [
        `encoder ${encoder.id} (${encoder.dim}-d, frozen: inference-only runtime); embeddings cached in ${cache.dir}`,
      ],
      // The head trains alone: hand the trainer exactly the head parameters the full plan leaves trainable.
      trainerPolicy: (policy: PolicySpec) => {
        const plan = planFreeze([...encoderParams, ...tfjs.listParams(head)], policy, { epoch: 0 });
        const trainable = plan.entries
          .filter((e) => e.trainable && headNames.includes(e.name))
          .map((e) => e.name);
        const lrMult = plan.entries
          .filter((e) => e.trainable && headNames.includes(e.name) && e.lrFactor !== 1)
          .map((e) => ({ select: { regex: `^${escapeRegex(e.name)}$` }, factor: e.lrFactor }));
        return {
          default: 'frozen',
          rules: trainable.length
            ? [{ unfreeze: { regex: `^(?:${trainable.map(escapeRegex).join('|')})$` } }]
            : [],
          ...(lrMult.length ? { lr: { mult: lrMult } } : {}),
        };
      },
      dispose: async () => {
        for (const t of owned) t.dispose();
        await encoder.dispose();
      },
    };
  } catch (error) {
    for (const t of owned) t.dispose();
    await encoder.dispose();
    throw error;
  }
}
