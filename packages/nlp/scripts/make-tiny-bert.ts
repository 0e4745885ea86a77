/**
 * Writes the tiny BERT test model used by the transformers.js tests, in the standard Hugging Face
 * layout (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx).
 *
 * Pure JS on purpose: the ONNX graph is written node by node with `onnx-proto`, so anyone can
 * regenerate the fixture with npm alone (no Python, no torch). The weights come from a seeded PRNG
 * and the protobuf encoding is deterministic, so the output is byte-reproducible.
 *
 *   npx tsx packages/nlp/scripts/make-tiny-bert.ts [outDir]
 *
 * Architecture (BertModel, post-LN): word + position + token-type embeddings → LayerNorm →
 * 2 × [self-attention (2 heads, additive mask) → Add+LayerNorm → Dense-GELU(erf)-Dense → Add+LayerNorm]
 * → `last_hidden_state`; plus the BERT pooler (tanh Dense on [CLS]) → `pooler_output`.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@frostline/core';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const TINY_BERT = {
  hidden: 32,
  layers: 2,
  heads: 2,
  intermediate: 64,
  maxPositions: 64,
  typeVocab: 2,
  eps: 1e-12,
  seed: 20241128,
} as const;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
const PUNCT = [...'.,!?\'"-:;()/&$%*+'];
const LETTERS = [...'abcdefghijklmnopqrstuvwxyz'];
const DIGITS = [...'0123456789'];
// Whole words that dominate review text; anything else falls back to letter pieces.
const WORDS = `the a an and or but is was are were be been it this that these those i we you he she they
my our your his her their me us them not no never very too so really just quite pretty more most
less much all some any every one two of to in on at for with from by about as if than then there
here what when where who how why good great excellent amazing wonderful fantastic perfect best love
loved lovely nice fine fun friendly fresh delicious tasty enjoyed happy recommend worth beautiful
bad terrible awful horrible worst poor boring bland cold rude slow broken waste disappointing
disappointed hate hated ugly cheap dull stale mess movie film story plot acting actors cast scene
ending music food meal dish service staff waiter restaurant place price product quality phone battery
screen sound book time day night again back would will could should have has had do did does get got
make made go went come came buy bought use used work works worked well like`
  .split(/\s+/)
  .filter(Boolean);
const SUFFIXES = ['##s', '##ed', '##ing', '##ly', '##er', '##est', '##n', '##t'];

export function tinyBertVocab(): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const t of [
    ...SPECIAL,
    ...PUNCT,
    ...DIGITS,
    ...LETTERS,
    ...LETTERS.map((l) => `##${l}`),
    ...DIGITS.map((d) => `##${d}`),
    ...SUFFIXES,
    ...WORDS,
  ]) {
    if (!seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  }
  return out;
}

/** core's mulberry32: seedable, identical on every platform (the fixture's weights depend on it). */
const rng = seededRandom;

export interface TinyBertWeights {
  vocab: string[];
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** All weights, in graph order; exported so tests can run an independent forward pass. */
export function tinyBertWeights(): TinyBertWeights {
  const { hidden: H, layers, intermediate: I, maxPositions, typeVocab, seed } = TINY_BERT;
  const vocab = tinyBertVocab();
  const rand = rng(seed);
  const normal = (std: number) => {
    const u = Math.max(rand(), 1e-12);
    const v = rand();
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  const add = (name: string, shape: number[], fill: () => number) => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(fill());
    tensors.set(name, { shape, data });
  };
  // Larger-than-BERT init (std 0.2 for matrices) so attention is not uniform and poolings differ.
  const w = () => normal(0.2);
  const b = () => normal(0.02);
  const gamma = () => 1 + normal(0.05);
  add('embeddings.word_embeddings.weight', [vocab.length, H], () => normal(0.5));
  add('embeddings.position_embeddings.weight', [maxPositions, H], () => normal(0.1));
  add('embeddings.token_type_embeddings.weight', [typeVocab, H], () => normal(0.1));
  add('embeddings.LayerNorm.weight', [H], gamma);
  add('embeddings.LayerNorm.bias', [H], b);
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    for (const m of ['query', 'key', 'value']) {
      add(`${p}.attention.self.${m}.weight`, [H, H], w);
      add(`${p}.attention.self.${m}.bias`, [H], b);
    }
    add(`${p}.attention.output.dense.weight`, [H, H], w);
    add(`${p}.attention.output.dense.bias`, [H], b);
    add(`${p}.attention.output.LayerNorm.weight`, [H], gamma);
    add(`${p}.attention.output.LayerNorm.bias`, [H], b);
    add(`${p}.intermediate.dense.weight`, [H, I], w);
    add(`${p}.intermediate.dense.bias`, [I], b);
    add(`${p}.output.dense.weight`, [I, H], w);
    add(`${p}.output.dense.bias`, [H], b);
    add(`${p}.output.LayerNorm.weight`, [H], gamma);
    add(`${p}.output.LayerNorm.bias`, [H], b);
  }
  add('pooler.dense.weight', [H, H], w);
  add('pooler.dense.bias', [H], b);
  return { vocab, tensors };
}

// ---- ONNX graph building -------------------------------------------------------------------------

const FLOAT = 1;
const INT64 = 7;
const A = onnx.AttributeProto.AttributeType;

function f32Bytes(data: Float32Array): Uint8Array {
  const out = new Uint8Array(data.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}
function i64Bytes(data: number[]): Uint8Array {
  const out = new Uint8Array(data.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) view.setBigInt64(i * 8, BigInt(data[i]!), true);
  return out;
}

type Attr = { name: string } & (
  | { f: number }
  | { i: number }
  | { ints: number[] }
  | { t: onnxProto.onnx.ITensorProto }
);

class GraphBuilder {
  nodes: onnxProto.onnx.INodeProto[] = [];
  initializers: onnxProto.onnx.ITensorProto[] = [];
  private n = 0;

  node(op: string, inputs: string[], attrs: Attr[] = [], name?: string): string {
    const id = name ?? `${op}_${this.n++}`;
    const out = `${id}_output_0`;
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [out],
      name: id,
      attribute: attrs.map((a) => {
        if ('f' in a) return { name: a.name, type: A.FLOAT, f: a.f };
        if ('i' in a) return { name: a.name, type: A.INT, i: a.i };
        if ('ints' in a) return { name: a.name, type: A.INTS, ints: a.ints };
        return { name: a.name, type: A.TENSOR, t: a.t };
      }),
    });
    return out;
  }

  floatInit(name: string, shape: number[], data: Float32Array): string {
    this.initializers.push({ name, dims: shape, dataType: FLOAT, rawData: f32Bytes(data) });
    return name;
  }

  constI64(name: string, values: number[], shape: number[] = [values.length]): string {
    this.initializers.push({ name, dims: shape, dataType: INT64, rawData: i64Bytes(values) });
    return name;
  }

  constF(name: string, value: number): string {
    this.initializers.push({ name, dims: [], dataType: FLOAT, rawData: f32Bytes(new Float32Array([value])) });
    return name;
  }
}

export function buildTinyBertOnnx(weights: TinyBertWeights = tinyBertWeights()): Uint8Array {
  const { hidden: H, heads, layers, eps } = TINY_BERT;
  const hd = H / heads;
  const g = new GraphBuilder();
  for (const [name, t] of weights.tensors) g.floatInit(name, t.shape, t.data);
  const W = (name: string) => {
    if (!weights.tensors.has(name)) throw new Error(`no weight ${name}`);
    return name;
  };

  // Constants (named so the graph reads well in Netron).
  const zero1 = g.constI64('const.zero_1d', [0]);
  const one1 = g.constI64('const.one_1d', [1]);
  const axisOne = g.constI64('const.axes_1_2', [1, 2]);
  const headShape = g.constI64('const.head_shape', [0, 0, heads, hd]);
  const mergeShape = g.constI64('const.merge_shape', [0, 0, H]);
  const oneF = g.constF('const.one', 1);
  const maskNeg = g.constF('const.mask_negative', -10000);
  const scale = g.constF('const.attention_scale', 1 / Math.sqrt(hd));
  const half = g.constF('const.half', 0.5);
  const invSqrt2 = g.constF('const.inv_sqrt2', Math.SQRT1_2);
  const clsIndex = g.constI64('const.cls_index', [0], []);

  // Embeddings: positions are the first seq_len rows of the table, sliced by the input's length.
  const word = g.node(
    'Gather',
    [W('embeddings.word_embeddings.weight'), 'input_ids'],
    [{ name: 'axis', i: 0 }],
  );
  const shape = g.node('Shape', ['input_ids']);
  const seqLen = g.node('Slice', [shape, one1, g.constI64('const.two_1d', [2])]);
  const pos = g.node('Slice', [W('embeddings.position_embeddings.weight'), zero1, seqLen, zero1]);
  const type = g.node(
    'Gather',
    [W('embeddings.token_type_embeddings.weight'), 'token_type_ids'],
    [{ name: 'axis', i: 0 }],
  );
  const emb = g.node('Add', [g.node('Add', [word, pos]), type]);
  const ln = (x: string, prefix: string) =>
    g.node(
      'LayerNormalization',
      [x, W(`${prefix}.weight`), W(`${prefix}.bias`)],
      [
        { name: 'axis', i: -1 },
        { name: 'epsilon', f: eps },
      ],
    );
  let x = ln(emb, 'embeddings.LayerNorm');

  // Additive mask: 0 where attended, -10000 where padded, shaped [B,1,1,S] to broadcast over heads/queries.
  const maskF = g.node('Cast', ['attention_mask'], [{ name: 'to', i: FLOAT }]);
  const inv = g.node('Sub', [oneF, maskF]);
  const additive = g.node('Unsqueeze', [g.node('Mul', [inv, maskNeg]), axisOne]);

  const dense = (inp: string, prefix: string) =>
    g.node('Add', [g.node('MatMul', [inp, W(`${prefix}.weight`)]), W(`${prefix}.bias`)]);

  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const split = (t: string, perm: number[]) =>
      g.node('Transpose', [g.node('Reshape', [t, headShape])], [{ name: 'perm', ints: perm }]);
    const q = split(dense(x, `${p}.attention.self.query`), [0, 2, 1, 3]);
    const k = split(dense(x, `${p}.attention.self.key`), [0, 2, 3, 1]);
    const v = split(dense(x, `${p}.attention.self.value`), [0, 2, 1, 3]);
    const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [q, k]), scale]), additive]);
    const probs = g.node('Softmax', [scores], [{ name: 'axis', i: -1 }]);
    const ctx = g.node('Transpose', [g.node('MatMul', [probs, v])], [{ name: 'perm', ints: [0, 2, 1, 3] }]);
    const merged = g.node('Reshape', [ctx, mergeShape]);
    const attnOut = dense(merged, `${p}.attention.output.dense`);
    x = ln(g.node('Add', [attnOut, x]), `${p}.attention.output.LayerNorm`);
    const h = dense(x, `${p}.intermediate.dense`);
    // Exact GELU: 0.5 · h · (1 + erf(h / √2)).
    const erf = g.node('Erf', [g.node('Mul', [h, invSqrt2])]);
    const gelu = g.node('Mul', [g.node('Mul', [h, half]), g.node('Add', [erf, oneF])]);
    const out = dense(gelu, `${p}.output.dense`);
    x = ln(g.node('Add', [out, x]), `${p}.output.LayerNorm`);
  }
  g.node('Identity', [x], [], 'last_hidden_state_node');
  g.nodes[g.nodes.length - 1]!.output = ['last_hidden_state'];
  const cls = g.node('Gather', ['last_hidden_state', clsIndex], [{ name: 'axis', i: 1 }]);
  g.node('Tanh', [dense(cls, 'pooler.dense')], [], 'pooler_output_node');
  g.nodes[g.nodes.length - 1]!.output = ['pooler_output'];

  const tensorType = (elemType: number, dims: Array<string | number>) => ({
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'frostline make-tiny-bert',
    producerVersion: '1',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny_bert',
      node: g.nodes,
      initializer: g.initializers,
      input: ['input_ids', 'attention_mask', 'token_type_ids'].map((name) => ({
        name,
        type: tensorType(INT64, ['batch_size', 'sequence_length']),
      })),
      output: [
        { name: 'last_hidden_state', type: tensorType(FLOAT, ['batch_size', 'sequence_length', H]) },
        { name: 'pooler_output', type: tensorType(FLOAT, ['batch_size', H]) },
      ],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

// ---- tokenizer + config files --------------------------------------------------------------------

export function tinyBertFiles(vocab: string[]): Record<string, unknown> {
  const { hidden, layers, heads, intermediate, maxPositions, typeVocab, eps } = TINY_BERT;
  const id = (t: string) => vocab.indexOf(t);
  const special = (t: string) => ({
    id: id(t),
    content: t,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxPositions,
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  const config = {
    _name_or_path: 'frostline/tiny-bert',
    architectures: ['BertModel'],
    model_type: 'bert',
    vocab_size: vocab.length,
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    intermediate_size: intermediate,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    max_position_embeddings: maxPositions,
    type_vocab_size: typeVocab,
    layer_norm_eps: eps,
    pad_token_id: 0,
    initializer_range: 0.02,
    position_embedding_type: 'absolute',
    transformers_version: '4.40.0',
  };
  return { 'tokenizer.json': tokenizer, 'tokenizer_config.json': tokenizerConfig, 'config.json': config };
}

export function writeTinyBert(outDir: string): { files: string[]; bytes: number } {
  const weights = tinyBertWeights();
  const files: string[] = [];
  let bytes = 0;
  mkdirSync(join(outDir, 'onnx'), { recursive: true });
  for (const [name, value] of Object.entries(tinyBertFiles(weights.vocab))) {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    writeFileSync(join(outDir, name), text);
    files.push(name);
    bytes += Buffer.byteLength(text);
  }
  const model = buildTinyBertOnnx(weights);
  writeFileSync(join(outDir, 'onnx', 'model.onnx'), model);
  files.push('onnx/model.onnx');
  bytes += model.length;
  return { files, bytes };
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const here = dirname(fileURLToPath(import.meta.url));
  const out = resolve(process.argv[2] ?? join(here, '..', 'test', 'fixtures', 'tiny-bert'));
  const { files, bytes } = writeTinyBert(out);
  console.log(`wrote ${files.join(', ')} to ${out} (${(bytes / 1024).toFixed(1)} KB)`);
}
