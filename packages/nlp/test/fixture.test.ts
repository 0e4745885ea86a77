import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTinyBertOnnx, tinyBertFiles, tinyBertWeights } from '../scripts/make-tiny-bert';
import { NlpError, onnxParams, readOnnxGraph } from '../src/index';
import { TINY_BERT_DIR } from './helpers/tiny-bert-suite';

describe('tiny BERT fixture', () => {
  it('is exactly what scripts/make-tiny-bert.ts generates (seeded, byte-reproducible)', () => {
    const weights = tinyBertWeights();
    const committed = readFileSync(join(TINY_BERT_DIR, 'onnx', 'model.onnx'));
    expect(Buffer.from(buildTinyBertOnnx(weights)).equals(committed)).toBe(true);
    for (const [name, value] of Object.entries(tinyBertFiles(weights.vocab))) {
      expect(readFileSync(join(TINY_BERT_DIR, name), 'utf8')).toBe(`${JSON.stringify(value, null, 2)}\n`);
    }
    expect(committed.byteLength).toBeGreaterThan(100_000);
    expect(committed.byteLength).toBeLessThan(300_000);
  });

  it('lists every weight the script wrote, and only float weights, from the protobuf', () => {
    const bytes = new Uint8Array(readFileSync(join(TINY_BERT_DIR, 'onnx', 'model.onnx')));
    const graph = readOnnxGraph(bytes);
    const { tensors } = tinyBertWeights();
    const params = onnxParams(bytes, { prefix: 'encoder/' });
    expect(params.map((p) => p.name.slice('encoder/'.length))).toEqual([...tensors.keys()]);
    for (const p of params) expect(p.shape).toEqual(tensors.get(p.name.slice(8))!.shape);
    // Shape constants (int64) and scalar floats are initializers too, but not parameters.
    expect(graph.initializers.length).toBeGreaterThan(params.length);
    expect(graph.consumers.get('embeddings.word_embeddings.weight')).toBe('Gather');
    expect(params.find((p) => p.name.endsWith('output.LayerNorm.weight'))?.layerType).toBe('LayerNorm');
    expect(() => onnxParams(bytes.slice(0, 5000))).toThrow(NlpError);
  });
});
