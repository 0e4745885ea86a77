import type { CheckpointReader, SafetensorsInput } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { NlpError } from '../errors';
import type { BertConfig } from './config';
import { BertBlock, BertEmbeddings, BertPooler, bertInputNames } from './layers';

type Sym = tf.SymbolicTensor;
type HfLayer = BertEmbeddings | BertBlock | BertPooler;

/** The TF.js graph of one BERT-family model, before any read-out or head. */
export interface BertGraph {
  config: BertConfig;
  /** Model inputs in order: `input_ids`, `attention_mask`, (`token_type_ids`, `task_type_ids`). */
  inputs: Sym[];
  inputNames: string[];
  /** Output of the last block: hidden states + mask channel, `[batch, seq, hidden + 1]`. */
  packed: Sym;
  /** Pooler output `[batch, hidden]`, when the model has a pooler (DistilBERT has none). */
  pooled?: Sym;
  /** The layers that own weights, in order: embeddings, blocks, pooler. */
  layers: HfLayer[];
}

export interface BuildBertOptions {
  /** `zeros` (default, weights come from a checkpoint next) or seeded `random` (truncated normal, std 0.02). */
  init?: 'zeros' | 'random';
  seed?: number;
  /** Build the pooler (default true except DistilBERT). */
  pooler?: boolean;
}

/** Name of transformer block `i`: `encoder.layer.i`, or DistilBERT's `transformer.layer.i`. */
export function blockName(c: BertConfig, i: number): string {
  return `${c.kind === 'distilbert' ? 'transformer' : 'encoder'}.layer.${i}`;
}

/** Build the architecture of `config` with Hugging Face module names as layer names. */
export function buildBert(config: BertConfig, opts: BuildBertOptions = {}): BertGraph {
  const base = { config, init: opts.init ?? 'zeros', seed: opts.seed ?? 0 } as const;
  const inputNames = bertInputNames(config);
  const inputs = inputNames.map((name) => tf.input({ shape: [null], dtype: 'int32', name }));
  const embeddings = new BertEmbeddings({ ...base, name: 'embeddings' });
  const layers: HfLayer[] = [embeddings];
  let x = embeddings.apply(inputs) as Sym;
  for (let i = 0; i < config.layers; i++) {
    const block = new BertBlock({ ...base, name: blockName(config, i), seed: base.seed + 1000 * (i + 1) });
    layers.push(block);
    x = block.apply(x) as Sym;
  }
  const graph: BertGraph = { config, inputs, inputNames, packed: x, layers };
  if (opts.pooler ?? config.kind !== 'distilbert') {
    const pooler = new BertPooler({ ...base, name: 'pooler', seed: base.seed + 999_000 });
    layers.push(pooler);
    graph.pooled = pooler.apply(x) as Sym;
  }
  return graph;
}

/** Every weight as `{ key: Hugging Face state_dict key, variable }`, in module order. */
export function bertBindings(g: BertGraph): Array<{ key: string; variable: tf.LayerVariable }> {
  return g.layers.flatMap((l) =>
    l.hfKeys().map((sub) => ({ key: `${l.name}.${sub}`, variable: l.variable(sub)! })),
  );
}

/** Buffers HF checkpoints may carry that the model recomputes (position ids, the default token types). */
const IGNORABLE = /^embeddings\.(position_ids|token_type_ids)$/;

/** The checkpoint's key prefix: none for a base model, `bert.` (etc.) for a `BertFor…` task model. */
export function checkpointPrefix(reader: CheckpointReader, c: BertConfig): string {
  const probe = 'embeddings.word_embeddings.weight';
  if (reader.has(probe)) return '';
  if (reader.has(`${c.kind}.${probe}`)) return `${c.kind}.`;
  const found = reader.keys().find((k) => k.endsWith(`.${probe}`));
  return found ? found.slice(0, -probe.length) : '';
}

export interface BertKeyReport {
  prefix: string;
  missing: string[];
  unexpected: string[];
  mismatched: string[];
  /** Checkpoint keys outside the base model (a task head such as `cls.*` or `classifier.*`): not loaded. */
  unused: string[];
}

/** Compare the checkpoint with the graph's weights, as `load_state_dict(strict=True)` would. */
export function matchBertKeys(reader: CheckpointReader, g: BertGraph): BertKeyReport {
  const prefix = checkpointPrefix(reader, g.config);
  const report: BertKeyReport = { prefix, missing: [], unexpected: [], mismatched: [], unused: [] };
  const bound = new Set<string>();
  for (const { key, variable } of bertBindings(g)) {
    bound.add(key);
    if (!reader.has(prefix + key)) {
      report.missing.push(key);
      continue;
    }
    const e = reader.entry(prefix + key);
    const same = e.shape.length === variable.shape.length && e.shape.every((d, i) => d === variable.shape[i]);
    if (!same || !/^(F|BF)/.test(e.dtype))
      report.mismatched.push(
        `${key}: checkpoint ${e.dtype}[${e.shape.join(', ')}] vs model [${variable.shape.join(', ')}]`,
      );
  }
  for (const k of reader.keys()) {
    if (!k.startsWith(prefix)) report.unused.push(k);
    else if (!bound.has(k.slice(prefix.length)) && !IGNORABLE.test(k.slice(prefix.length)))
      report.unexpected.push(k.slice(prefix.length));
  }
  return report;
}

const list = (title: string, items: string[]) =>
  items.length
    ? `\n  ${title} (${items.length}): ${items.slice(0, 12).join(', ')}${items.length > 12 ? ', …' : ''}`
    : '';

/** Throw WEIGHTS_MISMATCH naming the file and every missing, unexpected or wrongly shaped key. */
export function assertBertKeys(report: BertKeyReport, c: BertConfig, file: string): void {
  const { missing, unexpected, mismatched } = report;
  if (missing.length + unexpected.length + mismatched.length === 0) return;
  const first = missing[0] ?? mismatched[0]?.split(':')[0] ?? unexpected[0]!;
  throw new NlpError(
    'WEIGHTS_MISMATCH',
    `the weights do not fit the ${c.kind} architecture of config.json (first: '${report.prefix}${first}'):${list('missing keys', missing)}${list('unexpected keys', unexpected)}${list('wrong shapes', mismatched)}`,
    {
      file,
      path: report.prefix + first,
      hint: 'check that config.json and the weights file come from the same model (same sizes and model_type)',
      details: { ...report },
    },
  );
}

/** Read every bound tensor into the graph's variables, one tensor in memory at a time. */
export async function loadBertWeights(g: BertGraph, reader: CheckpointReader, prefix: string): Promise<void> {
  for (const { key, variable } of bertBindings(g)) {
    const w = await reader.read(prefix + key);
    const t = tf.tensor(w.data, w.shape, 'float32');
    variable.write(t);
    t.dispose();
  }
}

/** The weights as a Hugging Face state_dict (the live variables; do not dispose them). */
export function bertStateDict(g: BertGraph): Record<string, SafetensorsInput> {
  const out: Record<string, SafetensorsInput> = {};
  for (const { key, variable } of bertBindings(g)) out[key] = variable.read();
  return out;
}
