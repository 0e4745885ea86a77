import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BertKind } from '../../src/index';

/** Tiny HF folders written by scripts/make-bert-fixtures.py (plain-torch reference modules). */
export const HF_FIXTURES = fileURLToPath(new URL('../fixtures/hf', import.meta.url));
export const fixtureDir = (kind: BertKind) => join(HF_FIXTURES, kind);

export interface BertReference {
  sentences: string[];
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  task_type_ids?: number[][];
  last_hidden_state: number[];
  hidden_shape: [number, number, number];
  pooler_output: number[] | null;
}

export function reference(kind: BertKind): BertReference {
  return JSON.parse(readFileSync(join(fixtureDir(kind), 'reference.json'), 'utf8')) as BertReference;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
