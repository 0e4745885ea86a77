import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { BERT_KINDS, loadTextModel } from '../src/index';
import { fixtureDir, maxAbsDiff, reference } from './helpers/hf-fixtures';

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
});

describe.each(
  BERT_KINDS.flatMap((kind) =>
    (['model.safetensors', 'pytorch_model.bin'] as const).map((w) => [kind, w] as const),
  ),
)('%s from %s', (kind, weights) => {
  it('forward equals the PyTorch reference within 1e-4 (last_hidden_state and pooler, padded batch)', async () => {
    const ref = reference(kind);
    const atStart = tf.memory().numTensors;
    const m = await loadTextModel({ path: fixtureDir(kind), weights });
    expect(m.kind).toBe(kind);
    // transformers.js' tokenizer (offline) gives the reference's ids and padding.
    const tok = m.tokenize(ref.sentences);
    expect(tok.input_ids).toEqual(ref.input_ids);
    expect(tok.attention_mask).toEqual(ref.attention_mask);
    const before = tf.memory().numTensors;
    const batch = { ...ref, ...(ref.task_type_ids ? { task_type_ids: ref.task_type_ids } : {}) };
    const out = m.forward(batch);
    expect(out.lastHiddenState.shape).toEqual(ref.hidden_shape);
    expect(maxAbsDiff(out.lastHiddenState.dataSync(), ref.last_hidden_state)).toBeLessThan(1e-4);
    if (ref.pooler_output) {
      expect(maxAbsDiff(out.poolerOutput!.dataSync(), ref.pooler_output)).toBeLessThan(1e-4);
    } else {
      expect(out.poolerOutput).toBeUndefined();
    }
    tf.dispose([out.lastHiddenState, out.poolerOutput!].filter(Boolean));
    expect(tf.memory().numTensors).toBe(before);
    m.classifier(2);
    m.dispose(); // frees the encoder's weights and the classifier head's
    expect(tf.memory().numTensors).toBe(atStart);
  });
});
