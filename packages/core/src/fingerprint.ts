/**
 * "Frozen means unchanged", checked on bytes. A fingerprint is a fast, non-cryptographic 64-bit
 * hash per tensor (two independent 32-bit murmur3-style lanes over 32-bit words, so a tensor of
 * millions of floats hashes in milliseconds); it only needs to notice accidental changes.
 */
import { PolicyError } from './errors';
import { describeValue } from './model';
import type { Fingerprint, FrozenCheck, Plan, TensorValues } from './types';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
const C3 = 0x85ebca6b;
const C4 = 0xc2b2ae35;

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, C3);
  h ^= h >>> 13;
  h = Math.imul(h, C4);
  return (h ^ (h >>> 16)) >>> 0;
}

/** 64-bit hash of a byte view as 16 hex digits. */
export function hashBytes(view: ArrayBufferView): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  const len = bytes.length;
  const words = len >>> 2;
  let h1 = 0x9747b28c;
  let h2 = 0x2f0a8c3d ^ len;
  const step = (k: number) => {
    let k1 = Math.imul(k, C1);
    k1 = (k1 << 15) | (k1 >>> 17);
    k1 = Math.imul(k1, C2);
    h1 ^= k1;
    h1 = (h1 << 13) | (h1 >>> 19);
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0;
    let k2 = Math.imul(k ^ 0x5bd1e995, C2);
    k2 = (k2 << 17) | (k2 >>> 15);
    k2 = Math.imul(k2, C1);
    h2 ^= k2;
    h2 = (h2 << 19) | (h2 >>> 13);
    h2 = (Math.imul(h2, 5) + 0x1b873593) | 0;
  };
  if ((bytes.byteOffset & 3) === 0) {
    const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, words);
    for (let i = 0; i < words; i++) step(u32[i]!);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < words; i++) step(dv.getUint32(i * 4, true));
  }
  let tail = 0;
  for (let i = words * 4; i < len; i++) tail = (tail << 8) | bytes[i]!;
  step(tail ^ (len << 2));
  h1 ^= len;
  h2 ^= len;
  h1 = (h1 + h2) | 0;
  h2 = (h2 + h1) | 0;
  const a = fmix(h1);
  const b = fmix(h2);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

function entriesOf(values: unknown, what: string): Array<[string, unknown]> {
  if (values instanceof Map) return [...values.entries()];
  if (typeof values === 'object' && values !== null && !Array.isArray(values)) return Object.entries(values);
  throw new PolicyError(
    'INVALID_TYPE',
    `${what} must be a Map or a record of name → typed array, got ${describeValue(values)}`,
    {
      path: what,
    },
  );
}

/** name → 64-bit hex digest of the tensor's bytes. */
export function fingerprint(values: TensorValues): Fingerprint {
  const out: Fingerprint = {};
  for (const [name, v] of entriesOf(values, 'values')) {
    if (!ArrayBuffer.isView(v)) {
      throw new PolicyError(
        'INVALID_TYPE',
        `value of ${JSON.stringify(name)} must be a typed array, got ${describeValue(v)}`,
        {
          path: `values.${name}`,
        },
      );
    }
    out[name] = hashBytes(v);
  }
  return out;
}

/** Accept a fingerprint, raw values, or a mix. */
function digests(x: Fingerprint | TensorValues, what: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, v] of entriesOf(x, what)) {
    if (typeof v === 'string') out.set(name, v);
    else if (ArrayBuffer.isView(v)) out.set(name, hashBytes(v));
    else {
      throw new PolicyError(
        'INVALID_TYPE',
        `${what} of ${JSON.stringify(name)} must be a digest or a typed array, got ${describeValue(v)}`,
        {
          path: `${what}.${name}`,
        },
      );
    }
  }
  return out;
}

/**
 * Check that every frozen parameter (and every buffer of a BatchNorm layer in inference mode) has
 * the same bytes after as before. Names absent from `before` are not checked.
 */
export function verifyFrozen(
  plan: Plan,
  before: Fingerprint | TensorValues,
  after: Fingerprint | TensorValues,
): FrozenCheck {
  if (typeof plan !== 'object' || plan === null || !Array.isArray(plan.entries)) {
    throw new PolicyError('INVALID_TYPE', `expected a plan from planFreeze(), got ${describeValue(plan)}`, {
      path: 'plan',
    });
  }
  const a = digests(before, 'before');
  const b = digests(after, 'after');
  const changed: string[] = [];
  const missing: string[] = [];
  let checked = 0;
  for (const e of plan.entries) {
    const mustHold = e.kind === 'buffer' ? e.bnMode === 'inference' : !e.trainable;
    if (!mustHold) continue;
    const d0 = a.get(e.name);
    if (d0 === undefined) continue;
    const d1 = b.get(e.name);
    if (d1 === undefined) {
      missing.push(e.name);
      continue;
    }
    checked++;
    if (d0 !== d1) changed.push(e.name);
  }
  return { ok: changed.length === 0 && missing.length === 0, changed, missing, checked };
}
