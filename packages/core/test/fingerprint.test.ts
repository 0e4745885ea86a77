import { describe, expect, it } from 'vitest';
import { fingerprint, hashBytes, type ParamInfo, PolicyError, planFreeze, verifyFrozen } from '../src/index';
import { cnn } from './fixtures/models';

const values = (params: ParamInfo[]) =>
  Object.fromEntries(
    params.map((p) => [
      p.name,
      Float32Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5),
    ]),
  );

describe('fingerprint', () => {
  it('is a stable 64-bit hex digest of the bytes', () => {
    const a = new Float32Array([1, 2, 3]);
    expect(hashBytes(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(hashBytes(a)).toBe(hashBytes(new Float32Array([1, 2, 3])));
    expect(hashBytes(a)).not.toBe(hashBytes(new Float32Array([1, 2, 3.0000002])));
    expect(hashBytes(new Uint8Array([1, 2, 3]))).not.toBe(hashBytes(new Uint8Array([1, 2, 3, 0])));
    expect(hashBytes(new Uint8Array(0))).toMatch(/^[0-9a-f]{16}$/);
    // Unaligned views hash like aligned copies of the same bytes.
    const buf = new Uint8Array(13);
    buf.set([9, 8, 7, 6, 5, 4, 3, 2, 1], 1);
    expect(hashBytes(buf.subarray(1, 10))).toBe(hashBytes(new Uint8Array([9, 8, 7, 6, 5, 4, 3, 2, 1])));
    const fp = fingerprint(new Map([['w', a]]));
    expect(Object.keys(fp)).toEqual(['w']);
  });
  it('distinguishes many random tensors', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(hashBytes(new Float32Array([i, i * 3, 7])));
    expect(seen.size).toBe(2000);
  });
  it('rejects non-typed-array values', () => {
    expect(() => fingerprint({ w: [1, 2] as never })).toThrow(PolicyError);
    expect(() => fingerprint(null as never)).toThrow(PolicyError);
  });
});

describe('verifyFrozen', () => {
  const plan = planFreeze(cnn, { rules: [{ freeze: ['conv1', 'bn1'] }] });
  it('passes when frozen tensors are unchanged (fingerprints or raw values)', () => {
    const before = values(cnn);
    const after = values(cnn);
    after['fc.weight']![0] = 42; // trainable: may change
    after['bn2.running_mean']![0] = 1; // BN in training mode: stats may move
    expect(verifyFrozen(plan, fingerprint(before), after)).toEqual({
      ok: true,
      changed: [],
      missing: [],
      checked: 5,
    });
    expect(verifyFrozen(plan, before, fingerprint(after)).ok).toBe(true);
  });
  it('names every frozen parameter and inference-BN buffer whose bytes changed', () => {
    const before = values(cnn);
    const after = values(cnn);
    after['conv1.weight']![3] = -1;
    after['bn1.running_var']![0] = 9;
    delete after['bn1.bias'];
    const r = verifyFrozen(plan, before, after);
    expect(r.ok).toBe(false);
    expect(r.changed).toEqual(['conv1.weight', 'bn1.running_var']);
    expect(r.missing).toEqual(['bn1.bias']);
  });
  it('rejects garbage', () => {
    expect(() => verifyFrozen(plan, { a: 3 } as never, {})).toThrow(PolicyError);
    expect(() => verifyFrozen({} as never, {}, {})).toThrow(PolicyError);
  });
});
