import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type SafetensorsInput, selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyBertWeights } from '../scripts/make-tiny-bert';
import { type BertTextModel, loadEncoder, loadTextModel } from '../src/index';
import { maxAbsDiff } from './helpers/hf-fixtures';
import { referenceHidden, referencePooler, referenceTokenize } from './helpers/reference-bert';
import { SENTENCES, TINY_BERT_DIR } from './helpers/tiny-bert-suite';

/**
 * The tiny BERT ONNX fixture's own weights (the generator's, ONNX MatMul layout [in, out]) written as a
 * Hugging Face model.safetensors (Linear weights transposed to PyTorch's [out, in]): the TF.js model and
 * transformers.js' ONNX forward then run the very same numbers.
 */
function twinSafetensors(): Uint8Array {
  const out: Record<string, SafetensorsInput> = {};
  for (const [name, t] of tinyBertWeights().tensors) {
    const linear = name.endsWith('.weight') && !name.startsWith('embeddings.') && !name.includes('LayerNorm');
    if (!linear) {
      out[name] = { dtype: 'F32', shape: t.shape, data: t.data };
      continue;
    }
    const [rows, cols] = t.shape as [number, number];
    const data = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[j * rows + i] = t.data[i * cols + j]!;
    out[name] = { dtype: 'F32', shape: [cols, rows], data };
  }
  return encodeSafetensors(out, { format: 'pt' });
}

describe('TF.js BERT vs the ONNX twin (same weights) through transformers.js', () => {
  let dir: string;
  let m: BertTextModel;
  beforeAll(async () => {
    await selectBackend({ prefer: 'wasm', quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'frostline-bert-twin-'));
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      copyFileSync(join(TINY_BERT_DIR, f), join(dir, f));
    writeFileSync(join(dir, 'model.safetensors'), twinSafetensors());
    m = await loadTextModel({ path: dir });
  });
  afterAll(() => {
    m.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('matches the independent float64 forward pass (padded batch vs each sentence alone)', () => {
    const batch = m.tokenize(SENTENCES);
    const out = m.forward(batch);
    const [, t, h] = out.lastHiddenState.shape;
    const hidden = out.lastHiddenState.dataSync();
    const pooled = out.poolerOutput!.dataSync();
    SENTENCES.forEach((s, i) => {
      const ids = referenceTokenize(s);
      expect(batch.input_ids[i]!.slice(0, ids.length)).toEqual(ids);
      const want = referenceHidden(ids).flat();
      expect(maxAbsDiff(hidden.subarray(i * t * h, i * t * h + ids.length * h), want), s).toBeLessThan(1e-4);
      expect(maxAbsDiff(pooled.subarray(i * h, (i + 1) * h), referencePooler(ids)), s).toBeLessThan(1e-4);
    });
    tf.dispose([out.lastHiddenState, out.poolerOutput!]);
  });

  it("equals transformers.js' ONNX forward (pooler and [CLS])", async () => {
    for (const pooling of ['pooler', 'cls'] as const) {
      const onnx = await loadEncoder({
        kind: 'transformers',
        model: TINY_BERT_DIR,
        pooling,
        runtime: '@huggingface/transformers',
      });
      const tfjs = await loadTextModel({ path: dir, pooling });
      const [a, b] = [await onnx.embed(SENTENCES), await tfjs.embed(SENTENCES)];
      expect(
        maxAbsDiff(
          a.flatMap((v) => [...v]),
          b.flatMap((v) => [...v]),
        ),
        pooling,
      ).toBeLessThan(1e-4);
      await onnx.dispose();
      tfjs.dispose();
    }
  });
});
