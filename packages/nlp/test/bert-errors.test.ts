import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isFrostlineError } from '@frostline/core';
import { encodeSafetensors, openCheckpoint, type SafetensorsInput, selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEncoder, loadTextModel, NlpError, type TrainableTextEncoder } from '../src/index';
import { fixtureDir, maxAbsDiff, reference } from './helpers/hf-fixtures';

const BERT = fixtureDir('bert');
let root: string;
let n = 0;

/** A copy of the tiny BERT folder with an edited config and/or weights. */
async function variant(
  opts: {
    config?: (c: Record<string, unknown>) => void;
    tensors?: (t: Record<string, SafetensorsInput>) => void;
    weights?: Uint8Array | null;
  } = {},
): Promise<string> {
  const dir = join(root, `v${n++}`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir);
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(BERT, f), join(dir, f));
  const config = JSON.parse(readFileSync(join(BERT, 'config.json'), 'utf8'));
  opts.config?.(config);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  if (opts.weights === null) return dir;
  if (opts.weights) {
    writeFileSync(join(dir, 'model.safetensors'), opts.weights);
    return dir;
  }
  const reader = await openCheckpoint(join(BERT, 'model.safetensors'));
  const tensors: Record<string, SafetensorsInput> = {};
  for (const k of reader.keys()) {
    const w = await reader.read(k);
    tensors[k] = { dtype: 'F32', shape: w.shape, data: w.data as Float32Array };
  }
  await reader.close();
  opts.tensors?.(tensors);
  writeFileSync(join(dir, 'model.safetensors'), encodeSafetensors(tensors, { format: 'pt' }));
  return dir;
}

async function failure(p: Promise<unknown>): Promise<NlpError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NlpError);
  expect(isFrostlineError(e)).toBe(true);
  return e as NlpError;
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', quiet: true });
  root = mkdtempSync(join(tmpdir(), 'frostline-bert-bad-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('BERT-family bad input: typed NlpError naming the file and the key', () => {
  it('unknown model_type', async () => {
    const dir = await variant({ config: (c) => (c.model_type = 'gpt2') });
    const e = await failure(loadTextModel({ path: dir }));
    expect(e.code).toBe('UNKNOWN_MODEL_TYPE');
    expect(e.file).toBe(join(dir, 'config.json'));
    expect(e.path).toBe('model_type');
    expect(e.message).toContain("'gpt2'");
  });

  it('no weights file; a config key missing', async () => {
    expect((await failure(loadTextModel({ path: await variant({ weights: null }) }))).code).toBe(
      'MODEL_FILE_MISSING',
    );
    const e = await failure(loadTextModel({ path: await variant({ config: (c) => delete c.hidden_size }) }));
    expect([e.code, e.path]).toEqual(['MODEL_FILE_INVALID', 'hidden_size']);
  });

  it('a missing key, an unexpected key and a wrong shape are listed, the first one named', async () => {
    const gone = 'encoder.layer.1.output.dense.weight';
    let dir = await variant({ tensors: (t) => delete t[gone] });
    let e = await failure(loadTextModel({ path: dir }));
    expect(e.code).toBe('WEIGHTS_MISMATCH');
    expect(e.file).toBe(join(dir, 'model.safetensors'));
    expect(e.path).toBe(gone);
    expect((e.details as { missing: string[] }).missing).toEqual([gone]);

    dir = await variant({
      tensors: (t) =>
        (t['encoder.layer.2.output.dense.bias'] = { dtype: 'F32', shape: [32], data: new Float32Array(32) }),
    });
    e = await failure(loadTextModel({ path: dir }));
    expect((e.details as { unexpected: string[] }).unexpected).toEqual(['encoder.layer.2.output.dense.bias']);

    dir = await variant({ config: (c) => (c.intermediate_size = 48) });
    e = await failure(loadTextModel({ path: dir }));
    expect(e.path).toBe('encoder.layer.0.intermediate.dense.weight');
    expect(e.message).toContain('checkpoint F32[64, 32] vs model [48, 32]');
  });

  it("a corrupt weights file is the reader's error as an NlpError (file, key, reader code)", async () => {
    const bytes = new Uint8Array(readFileSync(join(BERT, 'model.safetensors')));
    const dir = await variant({ weights: bytes.subarray(0, bytes.length - 100) });
    const e = await failure(loadTextModel({ path: dir }));
    expect(e.code).toBe('MODEL_FILE_INVALID');
    expect(e.file).toBe(join(dir, 'model.safetensors'));
    expect((e.details as { readerCode: string }).readerCode).toBe('WEIGHTS_OUT_OF_RANGE');
    expect(e.path).toBeTruthy();
  });

  it('DistilBERT has no pooler; a kind that does not match model_type', async () => {
    expect((await failure(loadTextModel({ path: fixtureDir('distilbert'), pooling: 'pooler' }))).code).toBe(
      'POOLING_UNAVAILABLE',
    );
    expect((await failure(loadEncoder({ kind: 'roberta', path: BERT }))).code).toBe('BAD_OPTION');
  });
});

describe('loading variants', () => {
  it('a BertFor… checkpoint (bert.* keys + a task head) loads its base model; the head keys are reported unused', async () => {
    const dir = await variant({
      tensors: (t) => {
        for (const k of Object.keys(t)) {
          t[`bert.${k}`] = t[k]!;
          delete t[k];
        }
        t['classifier.weight'] = { dtype: 'F32', shape: [2, 32], data: new Float32Array(64) };
      },
    });
    const m = await loadTextModel({ path: dir });
    expect(m.source.keyReport).toMatchObject({ prefix: 'bert.', unused: ['classifier.weight'] });
    const ref = reference('bert');
    const out = m.forward(ref);
    expect(maxAbsDiff(out.poolerOutput!.dataSync(), ref.pooler_output!)).toBeLessThan(1e-4);
    tf.dispose([out.lastHiddenState, out.poolerOutput!]);
    m.dispose();
  });

  it('a sharded checkpoint (model.safetensors.index.json) loads as one', async () => {
    const dir = await variant({ weights: null });
    const reader = await openCheckpoint(join(BERT, 'model.safetensors'));
    const shards: Array<Record<string, SafetensorsInput>> = [{}, {}];
    const weightMap: Record<string, string> = {};
    for (const [i, k] of reader.keys().entries()) {
      const w = await reader.read(k);
      shards[i % 2]![k] = { dtype: 'F32', shape: w.shape, data: w.data as Float32Array };
      weightMap[k] = `model-0000${(i % 2) + 1}-of-00002.safetensors`;
    }
    await reader.close();
    shards.forEach((t, i) => {
      writeFileSync(
        join(dir, `model-0000${i + 1}-of-00002.safetensors`),
        encodeSafetensors(t, { format: 'pt' }),
      );
    });
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ metadata: {}, weight_map: weightMap }),
    );
    const m = await loadTextModel({ path: dir });
    expect(m.source.weightsFile).toBe(join(dir, 'model.safetensors.index.json'));
    const ref = reference('bert');
    const out = m.forward(ref);
    expect(maxAbsDiff(out.lastHiddenState.dataSync(), ref.last_hidden_state)).toBeLessThan(1e-4);
    tf.dispose([out.lastHiddenState, out.poolerOutput!]);
    m.dispose();
  });

  it('a folder with only vocab.txt (no tokenizer.json, as ERNIE 3.0 ships) tokenizes like the fast tokenizer', async () => {
    const dir = await variant();
    const vocab = JSON.parse(readFileSync(join(BERT, 'tokenizer.json'), 'utf8')).model.vocab as Record<
      string,
      number
    >;
    const byId = Object.entries(vocab).sort((a, b) => a[1] - b[1]);
    writeFileSync(join(dir, 'vocab.txt'), `${byId.map(([t]) => t).join('\n')}\n`);
    rmSync(join(dir, 'tokenizer.json'));
    const m = await loadTextModel({ path: dir });
    const ref = reference('bert');
    const tok = m.tokenize(ref.sentences);
    expect(tok.input_ids).toEqual(ref.input_ids);
    expect(tok.attention_mask).toEqual(ref.attention_mask);
    m.dispose();
  });

  it("loadEncoder({ kind: 'bert', path }) embeds with the pooler (outputs[1]) and exposes the trainable model", async () => {
    const enc = (await loadEncoder({ kind: 'bert', path: BERT })) as TrainableTextEncoder;
    expect([enc.kind, enc.dim, enc.pooling, enc.trainable]).toEqual(['bert', 32, 'pooler', true]);
    expect(enc.params()[0]).toMatchObject({ name: 'encoder/embeddings/word_embeddings.weight', fixed: true });
    const ref = reference('bert');
    const before = tf.memory().numTensors;
    const got = await enc.embed(ref.sentences, { batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    // Each sentence embedded in a different batch (other padding) still matches the padded reference batch.
    expect(
      maxAbsDiff(
        got.flatMap((v) => [...v]),
        ref.pooler_output!,
      ),
    ).toBeLessThan(1e-4);
    expect(enc.textModel.params().length).toBe(5 + 2 * 16 + 2);
    await enc.dispose();
  });
});
