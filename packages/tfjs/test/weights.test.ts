import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { isFrostlineError } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  encodeSafetensors,
  openCheckpoint,
  openSafetensors,
  openShardedCheckpoint,
  openTorchCheckpoint,
  saveSafetensors,
} from '../src/index';

const FIX = path.join(import.meta.dirname, 'fixtures', 'weights');
const VISION_FIX = path.join(import.meta.dirname, '..', '..', 'vision', 'test', 'fixtures', 'torch');
const tmp = mkdtempSync(path.join(tmpdir(), 'frostline-weights-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The error `fn` rejects with, asserted to be one of frostline's typed errors. */
async function failure(fn: () => Promise<unknown>) {
  try {
    await fn();
  } catch (e) {
    expect(isFrostlineError(e)).toBe(true);
    return e as { code: string; file?: string; path?: string; message: string };
  }
  throw new Error('expected a failure');
}

/** Hand-made safetensors bytes: a JSON header (no padding) followed by `data`. */
function rawSafetensors(header: unknown, data = new Uint8Array(0), lengthDelta = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length + lengthDelta), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors and torch.save readers', () => {
  it('read every dtype the fixtures hold, converted exactly as torch converts them', async () => {
    for (const file of ['dtypes.safetensors', 'dtypes.pth']) {
      const r = await openCheckpoint(path.join(FIX, file));
      expect(r.format).toBe(file.endsWith('.pth') ? 'torch' : 'safetensors');
      for (const kind of ['f16', 'bf16', 'f64']) {
        if (!r.has(kind)) continue;
        const got = await r.read(kind);
        const want = await r.read(`${kind}_as_f32`);
        expect(got.dtype).toBe('float32');
        expect(got.sourceDType).toBe(kind.toUpperCase());
        expect(got.shape).toEqual([2, 3]);
        expect(Array.from(got.data)).toEqual(Array.from(want.data));
      }
      const i64 = await r.read('i64');
      expect([i64.dtype, i64.sourceDType, Array.from(i64.data)]).toEqual([
        'int32',
        'I64',
        [0, 1, -7, 2147483647],
      ]);
      expect(Array.from((await r.read('i32')).data)).toEqual([5, -5]);
      const scalar = await r.read('scalar');
      expect([scalar.shape, Array.from(scalar.data)]).toEqual([[], [4.5]]);
      await r.close();
    }
    const bf = await openTorchCheckpoint(path.join(FIX, 'bf16.pth'));
    expect(Array.from((await bf.read('bf16')).data)).toEqual([
      0, 1, -2.5, 3.140625, 65536, 0.00099945068359375,
    ]);
    await bf.close();
  });

  it('reads views that share a storage (transpose, offset row, strided column) in row-major order, stored or deflated', async () => {
    for (const file of ['views.pth', 'views-deflated.pth']) {
      const r = await openTorchCheckpoint(path.join(FIX, file));
      expect(r.keys()).toEqual(['base', 't', 'row', 'col']);
      expect(Array.from((await r.read('t')).data)).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
      expect(Array.from((await r.read('row')).data)).toEqual([4, 5, 6, 7]);
      expect(Array.from((await r.read('col')).data)).toEqual([2, 6, 10]);
      await r.close();
    }
  });

  it('the same state_dict reads identically from .pth and .safetensors (lazily, key by key)', async () => {
    const a = await openCheckpoint(path.join(VISION_FIX, 'resnet18.pth'));
    const b = await openCheckpoint(path.join(VISION_FIX, 'resnet18.safetensors'));
    expect(a.keys()).toEqual(b.keys());
    expect(a.keys()).toHaveLength(122);
    expect(a.entry('layer4.1.conv2.weight')).toEqual({
      key: 'layer4.1.conv2.weight',
      dtype: 'F32',
      shape: [64, 64, 3, 3],
    });
    expect(a.entry('bn1.num_batches_tracked').dtype).toBe('I64');
    expect(b.metadata).toEqual({ format: 'pt' });
    for (const k of a.keys()) expect((await a.read(k)).data).toEqual((await b.read(k)).data);
    const t = await b.readTensor('fc.weight');
    expect(t.shape).toEqual([10, 64]);
    t.dispose();
    await Promise.all([a.close(), b.close()]);
  });

  it('writes safetensors atomically, refuses to overwrite, and reads back exactly (file and memory)', async () => {
    const w = tf.tensor2d([
      [1.5, -2],
      [3, 1e-7],
    ]);
    const file = path.join(tmp, 'out.safetensors');
    const inputs = {
      'fc.weight': w,
      'bn.num_batches_tracked': { dtype: 'I64' as const, shape: [], data: Int32Array.of(12345) },
      steps: { dtype: 'I32' as const, shape: [3], data: Int32Array.of(1, -2, 3) },
    };
    const { bytes } = await saveSafetensors(file, inputs, { metadata: { format: 'pt' } });
    expect(bytes).toBe(readFileSync(file).length);
    expect(readdirSync(tmp)).toEqual(['out.safetensors']);
    const bad = await failure(() => saveSafetensors(file, inputs));
    expect([bad.code, bad.file]).toEqual(['WEIGHTS_EXISTS', file]);
    for (const r of [
      await openSafetensors(file),
      await openSafetensors(encodeSafetensors(inputs, { format: 'pt' })),
    ]) {
      expect(r.metadata).toEqual({ format: 'pt' });
      expect(Array.from((await r.read('fc.weight')).data)).toEqual(Array.from(w.dataSync()));
      expect(await r.read('bn.num_batches_tracked')).toMatchObject({
        sourceDType: 'I64',
        shape: [],
        data: Int32Array.of(12345),
      });
      expect(r.entry('steps')).toEqual({ key: 'steps', dtype: 'I32', shape: [3] });
      await r.close();
    }
    // the header is padded to 8 bytes, as the format asks
    const n = Number(readFileSync(file).readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    w.dispose();
  });
});

describe('sharded Hugging Face checkpoints', () => {
  it('read through model.safetensors.index.json as one checkpoint; shard names cannot leave the folder', async () => {
    const dir = mkdtempSync(path.join(tmp, 'sharded-'));
    const a = { dtype: 'F32' as const, shape: [2], data: Float32Array.of(1, 2) };
    const b = { dtype: 'I32' as const, shape: [1], data: Int32Array.of(7) };
    await saveSafetensors(path.join(dir, 'model-00001-of-00002.safetensors'), { 'encoder.a': a });
    await saveSafetensors(path.join(dir, 'model-00002-of-00002.safetensors'), { 'pooler.b': b });
    const index = path.join(dir, 'model.safetensors.index.json');
    const weightMap = {
      'encoder.a': 'model-00001-of-00002.safetensors',
      'pooler.b': 'model-00002-of-00002.safetensors',
    };
    writeFileSync(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const r = await openCheckpoint(index);
    expect([r.file, r.keys()]).toEqual([index, ['encoder.a', 'pooler.b']]);
    expect(Array.from((await r.read('encoder.a')).data)).toEqual([1, 2]);
    expect(r.entry('pooler.b')).toEqual({ key: 'pooler.b', dtype: 'I32', shape: [1] });
    await r.close();
    const evil = path.join(dir, 'evil.index.json');
    writeFileSync(evil, JSON.stringify({ weight_map: { x: '../outside.safetensors' } }));
    const e = await failure(() => openShardedCheckpoint(evil));
    expect([e.code, e.path]).toEqual(['UNSAFE_PATH', 'x']);
    const lying = path.join(dir, 'lying.index.json');
    writeFileSync(lying, JSON.stringify({ weight_map: { ghost: 'model-00001-of-00002.safetensors' } }));
    expect((await failure(() => openCheckpoint(lying))).code).toBe('WEIGHTS_UNKNOWN_KEY');
  });
});

describe('bad checkpoints: typed errors naming the file and the key, nothing executed or read out of bounds', () => {
  const good = rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));

  it('a truncated header, and a header length larger than the file', async () => {
    const short = await failure(() => openCheckpoint(good.subarray(0, 5), 'short.safetensors'));
    expect([short.code, short.file]).toEqual(['WEIGHTS_TRUNCATED', 'short.safetensors']);
    const cut = await failure(() => openSafetensors(good.subarray(0, 20), 'cut.safetensors'));
    expect(cut.code).toBe('WEIGHTS_TRUNCATED');
    expect(cut.message).toMatch(/header length \(\d+ bytes\) is larger than the rest of the file/);
    const file = path.join(tmp, 'long-header.safetensors');
    writeFileSync(file, rawSafetensors({}, new Uint8Array(0), 1000));
    const long = await failure(() => openCheckpoint(file));
    expect([long.code, long.file]).toEqual(['WEIGHTS_TRUNCATED', file]);
  });

  it('offsets out of range, overlapping, or not matching the shape', async () => {
    const out = await failure(() =>
      openSafetensors(
        rawSafetensors(
          { 'fc.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
          new Uint8Array(8),
        ),
        'x.safetensors',
      ),
    );
    expect([out.code, out.path, out.file]).toEqual(['WEIGHTS_OUT_OF_RANGE', 'fc.weight', 'x.safetensors']);
    const overlap = await failure(() =>
      openSafetensors(
        rawSafetensors(
          {
            a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
            b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
          },
          new Uint8Array(12),
        ),
      ),
    );
    expect([overlap.code, overlap.path]).toEqual(['WEIGHTS_OVERLAP', 'b']);
    expect(overlap.message).toContain("'a'");
    const size = await failure(() =>
      openSafetensors(
        rawSafetensors({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)),
      ),
    );
    expect([size.code, size.path]).toEqual(['WEIGHTS_CORRUPT', 'a']);
  });

  it('an unsupported dtype, invalid JSON, an unknown key', async () => {
    const dtype = await failure(() =>
      openSafetensors(
        rawSafetensors({ q: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1)),
        'f8.safetensors',
      ),
    );
    expect([dtype.code, dtype.path, dtype.file]).toEqual(['WEIGHTS_DTYPE', 'q', 'f8.safetensors']);
    const json = new TextEncoder().encode('{"a": ');
    const bytes = new Uint8Array(8 + json.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    expect((await failure(() => openSafetensors(bytes))).code).toBe('WEIGHTS_CORRUPT');
    const r = await openSafetensors(good);
    const unknown = await failure(() => r.read('nope'));
    expect([unknown.code, unknown.path]).toEqual(['WEIGHTS_UNKNOWN_KEY', 'nope']);
  });

  it('a torch view that reaches past its storage is refused, naming the tensor', async () => {
    const bytes = new Uint8Array(readFileSync(path.join(FIX, 'views.pth')));
    // the first persistent id: BINUNICODE 'cpu', BINPUT 7, BININT1 12 (numel); claim 4 elements instead
    const pattern = [0x58, 3, 0, 0, 0, 0x63, 0x70, 0x75, 0x71, 7, 0x4b, 12];
    const at = bytes.findIndex((_, i) => pattern.every((b, j) => bytes[i + j] === b));
    expect(at).toBeGreaterThan(0);
    bytes[at + pattern.length - 1] = 4;
    const e = await failure(() => openCheckpoint(bytes, 'views-patched.pth'));
    expect([e.code, e.path, e.file]).toEqual(['WEIGHTS_OUT_OF_RANGE', 'base', 'views-patched.pth']);
  });

  it('pickles with code-executing globals or opcodes are refused before anything runs', async () => {
    rmSync('/tmp/frostline-pwned', { force: true });
    const cases: Array<[string, RegExp]> = [
      ['evil-os-system.pth', /posix\.system|os\.system/],
      ['evil-eval.pth', /__builtin__\.eval|builtins\.eval/],
      ['evil-inst.pth', /opcode 0x69/],
    ];
    for (const [name, re] of cases) {
      const file = path.join(FIX, name);
      const e = await failure(() => openCheckpoint(file));
      expect(e.code).toBe('UNSAFE_PICKLE');
      expect(e.file).toBe(file);
      expect(e.path).toMatch(/data\.pkl$/);
      expect(e.message).toMatch(re);
    }
    expect(existsSync('/tmp/frostline-pwned')).toBe(false);
  });

  it('a zip without data.pkl, a truncated archive, a legacy torch.save file', async () => {
    const file = path.join(FIX, 'no-data-pkl.zip');
    const e = await failure(() => openCheckpoint(file));
    expect([e.code, e.file]).toEqual(['WEIGHTS_NO_DATA_PKL', file]);
    expect(e.message).toContain('archive/data/0');
    const pth = readFileSync(path.join(VISION_FIX, 'resnet34.pth'));
    const cut = await failure(() => openCheckpoint(pth.subarray(0, pth.length >> 1), 'half.pth'));
    expect(['WEIGHTS_FORMAT', 'WEIGHTS_TRUNCATED', 'WEIGHTS_OUT_OF_RANGE']).toContain(cut.code);
    const legacy = Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8);
    expect((await failure(() => openCheckpoint(legacy, 'old.pth'))).code).toBe('WEIGHTS_FORMAT');
  });
});
