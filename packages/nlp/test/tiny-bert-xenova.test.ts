import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadEncoder, NlpError } from '../src/index';
import { TINY_BERT_DIR, tinyBertSuite } from './helpers/tiny-bert-suite';

tinyBertSuite('@xenova/transformers');

describe('transformers.js model folder errors', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'frostline-nlp-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const broken = (name: string, edit: (dir: string) => void) => {
    const dir = join(tmp, name);
    cpSync(TINY_BERT_DIR, dir, { recursive: true });
    edit(dir);
    return dir;
  };
  const load = (model: string, extra: object = {}) =>
    loadEncoder({ kind: 'transformers', model, runtime: '@xenova/transformers', ...extra });
  const rejects = async (p: Promise<unknown>, code: string, text: RegExp) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NlpError);
    expect((err as NlpError).code).toBe(code);
    expect((err as NlpError).message).toMatch(text);
  };

  it('missing folder', async () => {
    await rejects(load(join(tmp, 'nope')), 'MODEL_NOT_FOUND', /does not exist/);
  });
  it('unknown hub id while offline', async () => {
    await rejects(
      load('someone/not-downloaded-model'),
      'MODEL_NOT_FOUND',
      /not available locally[\s\S]*allowRemote/,
    );
  });
  it('missing config.json / tokenizer.json / onnx file', async () => {
    await rejects(
      load(broken('no-config', (d) => rmSync(join(d, 'config.json')))),
      'MODEL_FILE_MISSING',
      /config\.json is missing/,
    );
    await rejects(
      load(broken('no-tokenizer', (d) => rmSync(join(d, 'tokenizer.json')))),
      'MODEL_FILE_MISSING',
      /tokenizer\.json is missing/,
    );
    await rejects(
      load(broken('no-onnx', (d) => rmSync(join(d, 'onnx'), { recursive: true }))),
      'MODEL_FILE_MISSING',
      /model\.onnx/,
    );
    await rejects(load(TINY_BERT_DIR, { quantized: true }), 'MODEL_FILE_MISSING', /model_quantized\.onnx/);
  });
  it('malformed JSON and a corrupt ONNX file', async () => {
    await rejects(
      load(broken('bad-json', (d) => writeFileSync(join(d, 'config.json'), '{"model_type": "bert",'))),
      'MODEL_FILE_INVALID',
      /config\.json is not valid JSON/,
    );
    await rejects(
      load(
        broken('bad-onnx', (d) =>
          writeFileSync(join(d, 'onnx', 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\n'),
        ),
      ),
      'MODEL_FILE_INVALID',
      /could not load|not a readable ONNX/,
    );
  });
  it('a quantized-only folder loads model_quantized.onnx (v2 defaults to it)', async () => {
    const dir = broken('q8-only', (d) =>
      cpSync(join(d, 'onnx', 'model.onnx'), join(d, 'onnx', 'model_quantized.onnx')),
    );
    rmSync(join(dir, 'onnx', 'model.onnx'));
    const enc = await load(dir, { pooling: 'mean' });
    const ref = await load(TINY_BERT_DIR, { pooling: 'mean' });
    const [a] = await enc.embed(['great food']);
    const [b] = await ref.embed(['great food']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    // The id carries a digest of the weights, so a renamed or moved copy is recognisably the same model.
    expect(enc.id.split('@')[1]).toBe(ref.id.split('@')[1]);
  });
  it('bad options', async () => {
    await rejects(load(TINY_BERT_DIR, { pooling: 'median' }), 'BAD_OPTION', /unknown pooling/);
    await rejects(load(TINY_BERT_DIR, { maxLength: 1000 }), 'BAD_OPTION', /exceeds the model's limit of 64/);
    await rejects(load(TINY_BERT_DIR, { runtime: 'onnx' }), 'BAD_OPTION', /unknown runtime/);
    await rejects(loadEncoder({ kind: 'gpt' } as never), 'BAD_OPTION', /unknown encoder kind/);
    // 'bert' is a kind now (the TF.js BERT family): without a folder it says what it needs.
    await rejects(loadEncoder({ kind: 'bert' } as never), 'BAD_OPTION', /needs \{ path/);
  });
  it('refuses to mix the two runtimes in one process', async () => {
    await rejects(
      load(TINY_BERT_DIR, { runtime: '@huggingface/transformers' }),
      'RUNTIME_BROKEN',
      /cannot share a process|already runs/,
    );
  });
});
