/**
 * An independent float64 forward pass of the tiny BERT, straight from the generator's weights: the
 * hand check that the ONNX graph (and each transformers.js runtime running it) computes BERT.
 */
import { TINY_BERT, tinyBertWeights } from '../../scripts/make-tiny-bert';

const weights = tinyBertWeights();
const W = (name: string) => {
  const t = weights.tensors.get(name);
  if (!t) throw new Error(`no weight ${name}`);
  return t.data;
};

/** BertTokenizer for a plain ASCII sentence: lowercase, split punctuation, greedy WordPiece. */
export function referenceTokenize(text: string): number[] {
  const vocab = new Map(weights.vocab.map((t, i) => [t, i]));
  const words = text.toLowerCase().match(/[a-z0-9]+|[^\sa-z0-9]/g) ?? [];
  const ids = [vocab.get('[CLS]')!];
  for (const w of words) {
    let start = 0;
    const pieces: number[] = [];
    while (start < w.length) {
      let end = w.length;
      let found: number | undefined;
      while (end > start) {
        const piece = (start > 0 ? '##' : '') + w.slice(start, end);
        found = vocab.get(piece);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        pieces.length = 0;
        pieces.push(vocab.get('[UNK]')!);
        break;
      }
      pieces.push(found);
      start = end;
    }
    ids.push(...pieces);
  }
  ids.push(vocab.get('[SEP]')!);
  return ids;
}

function erf(x: number): number {
  if (Math.abs(x) >= 5) return Math.sign(x);
  // Maclaurin series: float64 keeps ~1e-10 accuracy for |x| < 5 here, far below float32 noise.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 200; n++) {
    const add = term / (2 * n + 1);
    sum += add;
    if (Math.abs(add) < 1e-17) break;
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

function layerNorm(x: number[], prefix: string): number[] {
  const g = W(`${prefix}.weight`);
  const b = W(`${prefix}.bias`);
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  const inv = 1 / Math.sqrt(variance + TINY_BERT.eps);
  return x.map((v, i) => (v - mean) * inv * g[i]! + b[i]!);
}

function dense(x: number[], prefix: string, out: number): number[] {
  const w = W(`${prefix}.weight`); // [in, out]
  const b = W(`${prefix}.bias`);
  const y = Array.from({ length: out }, (_, j) => b[j]!);
  for (let i = 0; i < x.length; i++) for (let j = 0; j < out; j++) y[j]! += x[i]! * w[i * out + j]!;
  return y;
}

/** last_hidden_state [seq][hidden] for one unpadded sequence of token ids. */
export function referenceHidden(ids: number[]): number[][] {
  const { hidden: H, heads, layers, intermediate: I } = TINY_BERT;
  const hd = H / heads;
  const word = W('embeddings.word_embeddings.weight');
  const pos = W('embeddings.position_embeddings.weight');
  const type = W('embeddings.token_type_embeddings.weight');
  let x = ids.map((id, s) =>
    layerNorm(
      Array.from({ length: H }, (_, h) => word[id * H + h]! + pos[s * H + h]! + type[h]!),
      'embeddings.LayerNorm',
    ),
  );
  for (let l = 0; l < layers; l++) {
    const p = `encoder.layer.${l}`;
    const q = x.map((r) => dense(r, `${p}.attention.self.query`, H));
    const k = x.map((r) => dense(r, `${p}.attention.self.key`, H));
    const v = x.map((r) => dense(r, `${p}.attention.self.value`, H));
    const ctx = x.map(() => new Array<number>(H).fill(0));
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < x.length; i++) {
        const scores = x.map((_, j) => {
          let s = 0;
          for (let d = 0; d < hd; d++) s += q[i]![h * hd + d]! * k[j]![h * hd + d]!;
          return s / Math.sqrt(hd);
        });
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        for (let j = 0; j < x.length; j++) {
          for (let d = 0; d < hd; d++) ctx[i]![h * hd + d]! += (e[j]! / z) * v[j]![h * hd + d]!;
        }
      }
    }
    x = x.map((r, i) => {
      const a = dense(ctx[i]!, `${p}.attention.output.dense`, H);
      const y = layerNorm(
        a.map((val, j) => val + r[j]!),
        `${p}.attention.output.LayerNorm`,
      );
      const inter = dense(y, `${p}.intermediate.dense`, I).map((t) => 0.5 * t * (1 + erf(t / Math.SQRT2)));
      const o = dense(inter, `${p}.output.dense`, H);
      return layerNorm(
        o.map((val, j) => val + y[j]!),
        `${p}.output.LayerNorm`,
      );
    });
  }
  return x;
}

export function referencePool(ids: number[], pooling: 'cls' | 'mean' | 'max'): number[] {
  const x = referenceHidden(ids);
  if (pooling === 'cls') return x[0]!;
  if (pooling === 'max') return x[0]!.map((_, h) => Math.max(...x.map((r) => r[h]!)));
  return x[0]!.map((_, h) => x.reduce((a, r) => a + r[h]!, 0) / x.length);
}

export function referencePooler(ids: number[]): number[] {
  return dense(referenceHidden(ids)[0]!, 'pooler.dense', TINY_BERT.hidden).map(Math.tanh);
}
