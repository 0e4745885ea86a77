/**
 * The BERT family as TF.js layers, one layer per Hugging Face module that owns weights: `embeddings`,
 * `encoder.layer.N` (DistilBERT: `transformer.layer.N`) and `pooler`. Each weight keeps its Hugging Face
 * name (after the layer name) and its PyTorch layout (Linear weights `[out, in]`), so parameter names read
 * `encoder.layer.11/attention.self.query.weight` and a save back to `.safetensors` copies bytes unchanged.
 *
 * Between layers flows ONE tensor `[batch, seq, hidden + 1]`: the hidden states with the attention mask
 * (1 = token, 0 = padding) as the last channel. One tensor, not two, so that every layer boundary is a
 * single-tensor cut where `@frostline/tfjs`' activation cache can store the frozen prefix's output.
 */
import * as tf from '@tensorflow/tfjs';
import type { BertConfig, BertKind } from './config';

type Tensor = tf.Tensor;
type Init = 'zeros' | 'random';

/** HF's additive mask value: `torch.finfo(torch.float32).min`. */
const MASK_MIN = -3.4028234663852886e38;

/** `x @ W^T + b` with W in PyTorch's `[out, in]` layout, for any leading shape of x. */
export function linear(x: Tensor, w: Tensor, b: Tensor): Tensor {
  const lead = x.shape.slice(0, -1);
  const y = tf.add(tf.matMul(x.reshape([-1, x.shape[x.shape.length - 1]!]), w, false, true), b);
  return y.reshape([...lead, w.shape[0]!]);
}

/** torch.nn.LayerNorm over the last axis (biased variance, eps inside the square root). */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** The exact GELU (`hidden_act: "gelu"`): x · Φ(x) with the error function. */
export function gelu(x: Tensor): Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Split the packed tensor into hidden states `[B, T, H]` and the 0/1 mask `[B, T]`. */
export function unpack(x: Tensor): { hidden: Tensor; mask: Tensor } {
  const [b, t, c] = x.shape as [number, number, number];
  return {
    hidden: tf.slice(x, [0, 0, 0], [b, t, c - 1]),
    mask: tf.slice(x, [0, 0, c - 1], [b, t, 1]).reshape([b, t]),
  };
}

function initializer(
  init: Init,
  kind: 'matrix' | 'gamma' | 'beta',
  seed: number,
): ReturnType<typeof tf.initializers.zeros> {
  if (init === 'zeros' || kind === 'beta') return tf.initializers.zeros();
  if (kind === 'gamma') return tf.initializers.ones();
  return tf.initializers.truncatedNormal({ stddev: 0.02, seed });
}

interface WeightedArgs {
  name: string;
  config: BertConfig;
  init?: Init;
  seed?: number;
  trainable?: boolean;
}

/** Shared plumbing: HF-named weights in HF layout, and the serialisable config. */
abstract class HfLayer extends tf.layers.Layer {
  readonly cfg: BertConfig;
  protected readonly init: Init;
  protected readonly seed: number;
  protected readonly w = new Map<string, tf.LayerVariable>();

  constructor(args: WeightedArgs) {
    super({ name: args.name, trainable: args.trainable ?? true });
    this.cfg = args.config;
    this.init = args.init ?? 'zeros';
    this.seed = args.seed ?? 0;
  }

  protected weight(key: string, shape: number[], kind: 'matrix' | 'gamma' | 'beta' = 'matrix'): void {
    const init = initializer(this.init, kind, this.seed + this.w.size);
    this.w.set(key, this.addWeight(key, shape, 'float32', init));
  }

  protected linearWeights(key: string, out: number, inp: number): void {
    this.weight(`${key}.weight`, [out, inp]);
    this.weight(`${key}.bias`, [out], 'beta');
  }

  protected normWeights(key: string, h: number): void {
    this.weight(`${key}.weight`, [h], 'gamma');
    this.weight(`${key}.bias`, [h], 'beta');
  }

  protected v(key: string): Tensor {
    return this.w.get(key)!.read();
  }

  protected lin(x: Tensor, key: string): Tensor {
    return linear(x, this.v(`${key}.weight`), this.v(`${key}.bias`));
  }

  protected norm(x: Tensor, key: string): Tensor {
    return layerNorm(x, this.v(`${key}.weight`), this.v(`${key}.bias`), this.cfg.layerNormEps);
  }

  /** Hugging Face key (after the layer name) of each weight, in creation order. */
  hfKeys(): string[] {
    return [...this.w.keys()];
  }

  variable(key: string): tf.LayerVariable | undefined {
    return this.w.get(key);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      config: this.cfg as unknown as tf.serialization.ConfigDictValue,
      init: this.init,
      seed: this.seed,
    };
  }
}

/** Inputs of the embeddings layer, in model-input order. */
export function bertInputNames(c: BertConfig): string[] {
  const names = ['input_ids', 'attention_mask'];
  if (c.kind === 'bert' || c.kind === 'ernie') names.push('token_type_ids');
  if (c.taskTypeVocabSize > 0) names.push('task_type_ids');
  return names;
}

/** word + position (+ token type, + ERNIE task type) embeddings → LayerNorm; packs the mask alongside. */
export class BertEmbeddings extends HfLayer {
  static className = 'FrostlineBertEmbeddings';

  override build(): void {
    const c = this.cfg;
    this.weight('word_embeddings.weight', [c.vocabSize, c.hidden]);
    this.weight('position_embeddings.weight', [c.maxPositions, c.hidden]);
    if (c.kind !== 'distilbert') this.weight('token_type_embeddings.weight', [c.typeVocabSize, c.hidden]);
    if (c.taskTypeVocabSize > 0) this.weight('task_type_embeddings.weight', [c.taskTypeVocabSize, c.hidden]);
    this.normWeights('LayerNorm', c.hidden);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const ids = (inputShape as tf.Shape[])[0]!;
    return [ids[0]!, ids[1]!, this.cfg.hidden + 1];
  }

  /** Position ids: 0…T-1, or RoBERTa's `cumsum(ids != pad) * (ids != pad) + pad`. */
  private positions(ids: Tensor): Tensor {
    const c = this.cfg;
    const t = ids.shape[1]!;
    if (c.kind !== 'roberta') return tf.range(0, t, 1, 'int32').reshape([1, t]);
    const keep = tf.notEqual(ids, c.padTokenId).cast('float32');
    return tf.add(tf.mul(tf.cumsum(keep, 1), keep), c.padTokenId).cast('int32');
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const [idsIn, maskIn, types, tasks] = inputs as Tensor[];
      const ids = idsIn!.cast('int32');
      const mask = maskIn!.cast('float32');
      let x = tf.add(
        tf.gather(this.v('word_embeddings.weight'), ids),
        tf.gather(this.v('position_embeddings.weight'), this.positions(ids)),
      );
      // Missing token/task types are all zeros: row 0 of the table, as in HF when the ids are not given.
      const row0 = (key: string) => tf.slice(this.v(key), [0, 0], [1, this.cfg.hidden]);
      if (this.w.has('token_type_embeddings.weight')) {
        const key = 'token_type_embeddings.weight';
        x = tf.add(x, types ? tf.gather(this.v(key), types.cast('int32')) : row0(key));
      }
      if (this.w.has('task_type_embeddings.weight')) {
        const key = 'task_type_embeddings.weight';
        x = tf.add(x, tasks ? tf.gather(this.v(key), tasks.cast('int32')) : row0(key));
      }
      return tf.concat([this.norm(x, 'LayerNorm'), mask.expandDims(-1)], -1);
    });
  }
}

/** Sub-module names of one transformer block: BERT's and DistilBERT's spellings of the same roles. */
export function blockKeys(kind: BertKind) {
  return kind === 'distilbert'
    ? {
        q: 'attention.q_lin',
        k: 'attention.k_lin',
        v: 'attention.v_lin',
        o: 'attention.out_lin',
        ln1: 'sa_layer_norm',
        up: 'ffn.lin1',
        down: 'ffn.lin2',
        ln2: 'output_layer_norm',
      }
    : {
        q: 'attention.self.query',
        k: 'attention.self.key',
        v: 'attention.self.value',
        o: 'attention.output.dense',
        ln1: 'attention.output.LayerNorm',
        up: 'intermediate.dense',
        down: 'output.dense',
        ln2: 'output.LayerNorm',
      };
}

/** One post-LN transformer block: self-attention (additive mask) → Add&Norm → GELU MLP → Add&Norm. */
export class BertBlock extends HfLayer {
  static className = 'FrostlineBertBlock';

  override build(): void {
    const { hidden: h, intermediate: i } = this.cfg;
    const k = blockKeys(this.cfg.kind);
    for (const m of [k.q, k.k, k.v, k.o]) this.linearWeights(m, h, h);
    this.normWeights(k.ln1, h);
    this.linearWeights(k.up, i, h);
    this.linearWeights(k.down, h, i);
    this.normWeights(k.ln2, h);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return inputShape as tf.Shape;
  }

  private attention(x: Tensor, mask: Tensor): Tensor {
    const k = blockKeys(this.cfg.kind);
    const [b, t, h] = x.shape as [number, number, number];
    const heads = this.cfg.heads;
    const d = h / heads;
    const split = (key: string) => this.lin(x, key).reshape([b, t, heads, d]).transpose([0, 2, 1, 3]);
    const additive = tf.mul(tf.sub(1, mask), MASK_MIN).reshape([b, 1, 1, t]);
    const scores = tf.add(tf.div(tf.matMul(split(k.q), split(k.k), false, true), Math.sqrt(d)), additive);
    const context = tf.matMul(tf.softmax(scores, -1), split(k.v));
    return this.lin(context.transpose([0, 2, 1, 3]).reshape([b, t, h]), k.o);
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const k = blockKeys(this.cfg.kind);
      const packed = Array.isArray(inputs) ? inputs[0]! : inputs;
      const { hidden, mask } = unpack(packed);
      const a = this.norm(tf.add(this.attention(hidden, mask), hidden), k.ln1);
      const out = this.norm(tf.add(this.lin(gelu(this.lin(a, k.up)), k.down), a), k.ln2);
      return tf.concat([out, mask.expandDims(-1)], -1);
    });
  }
}

/** BERT's pooler: tanh(dense(hidden state of the first token)) — `outputs[1]` / `pooler_output`. */
export class BertPooler extends HfLayer {
  static className = 'FrostlineBertPooler';

  override build(): void {
    this.linearWeights('dense', this.cfg.hidden, this.cfg.hidden);
    this.built = true;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    return [(inputShape as tf.Shape)[0]!, this.cfg.hidden];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const packed = Array.isArray(inputs) ? inputs[0]! : inputs;
      return tf.tanh(this.lin(firstToken(packed), 'dense'));
    });
  }
}

function firstToken(packed: Tensor): Tensor {
  const [b, , c] = packed.shape as [number, number, number];
  return tf.slice(packed, [0, 0, 0], [b, 1, c - 1]).reshape([b, c - 1]);
}

export type TokenReduction = 'cls' | 'mean' | 'hidden';

/** Weightless read-outs of the packed tensor: `[CLS]` state, masked mean, or the hidden states alone. */
export class TokenReadout extends tf.layers.Layer {
  static className = 'FrostlineTokenReadout';
  readonly mode: TokenReduction;

  constructor(args: { name: string; mode: TokenReduction }) {
    super({ name: args.name, trainable: false });
    this.mode = args.mode;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape {
    const s = inputShape as tf.Shape;
    const h = s[2] === null ? null : s[2]! - 1;
    return this.mode === 'hidden' ? [s[0]!, s[1]!, h] : [s[0]!, h];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tf.tidy(() => {
      const packed = Array.isArray(inputs) ? inputs[0]! : inputs;
      if (this.mode === 'cls') return firstToken(packed);
      const { hidden, mask } = unpack(packed);
      if (this.mode === 'hidden') return hidden;
      const m = mask.expandDims(-1);
      return tf.div(tf.sum(tf.mul(hidden, m), 1), tf.maximum(tf.sum(m, 1), 1e-9));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode };
  }
}

for (const cls of [BertEmbeddings, BertBlock, BertPooler, TokenReadout]) tf.serialization.registerClass(cls);
