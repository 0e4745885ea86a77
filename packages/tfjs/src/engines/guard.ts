import type * as tf from '@tensorflow/tfjs';
import { ENGINE_TOLERANCE, type OutputDifference, outputDifference } from './compare';
import type { EngineName, FrozenEngine } from './types';

/** What the exactness guard found on the first batch. */
export interface GuardResult {
  /** The engine checked against TF.js. */
  engine: EngineName;
  ok: boolean;
  maxAbs: number;
  relative: number;
  tolerance: number;
  /** Why it failed (difference, or the engine's error). */
  reason?: string;
  /**
   * Milliseconds of the first batch on TF.js (its `checkedRows`) and on the engine (all `rows`), outputs read
   * back, and the per-row ratio: the engine's speed-up over TF.js in this run (its first-call warm-up
   * included, so a lower bound).
   */
  tfjsMs?: number;
  engineMs?: number;
  speedup?: number;
  /** Rows of the first batch (the engine ran them all) and how many of them TF.js checked. */
  rows?: number;
  checkedRows?: number;
}

/**
 * Wraps a chosen engine with the exactness guard: the first batch runs on the engine, and its first
 * GUARD_ROWS rows also on the TF.js reference; when their outputs differ by more than `tolerance` (relative
 * to the output's scale, as float32) — or the engine throws, then or later — every batch from then on runs
 * on TF.js, and `fallback` says why. The reference costs a few rows, once.
 */
export class GuardedEngine {
  private active: FrozenEngine;
  private checked: boolean;
  private readonly tolerance: number;
  guard?: GuardResult;
  fallback?: string;

  constructor(
    private readonly chosen: FrozenEngine,
    private readonly reference: FrozenEngine,
    opts: { check?: boolean; tolerance?: number } = {},
  ) {
    this.active = chosen;
    this.checked = opts.check === false;
    this.tolerance = opts.tolerance ?? ENGINE_TOLERANCE;
  }

  /** The engine that runs now (the reference after a fallback). */
  get name(): EngineName {
    return this.active.name;
  }

  get detail(): string {
    return this.active.detail;
  }

  async run(x: tf.Tensor): Promise<tf.Tensor> {
    if (this.active === this.reference) return this.reference.run(x);
    if (!this.checked) return this.firstBatch(x);
    try {
      return await this.active.run(x);
    } catch (e) {
      await this.fallBack(`${this.chosen.name} failed on a later batch: ${(e as Error).message}`);
      return this.reference.run(x);
    }
  }

  /**
   * The first batch: the engine runs all of it, TF.js only its first GUARD_ROWS rows — enough to catch a
   * wrong engine, and TF.js' wasm heap (which never shrinks) grows for a few rows instead of a whole batch
   * (MobileNetV2 at 224 px, 32 rows: gigabytes).
   */
  private async firstBatch(x: tf.Tensor): Promise<tf.Tensor> {
    this.checked = true;
    const rows = x.shape[0] ?? 1;
    const probeRows = Math.min(rows, GUARD_ROWS);
    const probe = probeRows < rows ? x.slice(0, probeRows) : x;
    try {
      const t0 = now();
      const ref = await this.reference.run(probe);
      await ref.data();
      const tfjsMs = now() - t0;
      let got: tf.Tensor;
      let engineMs: number;
      try {
        const t1 = now();
        got = await this.chosen.run(x);
        await got.data();
        engineMs = now() - t1;
      } catch (e) {
        ref.dispose();
        const reason = `${this.chosen.name} failed on the first batch: ${(e as Error).message}`;
        this.guard = {
          engine: this.chosen.name,
          ok: false,
          maxAbs: Number.NaN,
          relative: Number.NaN,
          tolerance: this.tolerance,
          reason,
        };
        await this.fallBack(reason);
        return this.reference.run(x);
      }
      const d = await compareRows(got, ref, probeRows);
      const ok = d.incomparable === undefined && d.relative <= this.tolerance;
      this.guard = {
        engine: this.chosen.name,
        ok,
        maxAbs: d.maxAbs,
        relative: d.relative,
        tolerance: this.tolerance,
        tfjsMs,
        engineMs,
        // Per row: TF.js ran `probeRows` rows, the engine the whole batch.
        speedup: engineMs > 0 ? tfjsMs / probeRows / (engineMs / rows) : Number.POSITIVE_INFINITY,
        rows,
        checkedRows: probeRows,
      };
      ref.dispose();
      if (ok) return got;
      got.dispose();
      const reason = `${this.chosen.name} differs from TF.js on the first batch (${d.incomparable ?? `relative difference ${d.relative.toExponential(2)} > ${this.tolerance}`})`;
      this.guard.reason = reason;
      await this.fallBack(reason);
      return this.reference.run(x);
    } finally {
      if (probe !== x) probe.dispose();
    }
  }

  private async fallBack(reason: string): Promise<void> {
    this.fallback = `${reason}; fell back to TF.js`;
    const chosen = this.active;
    this.active = this.reference;
    await chosen.dispose().catch(() => {});
  }

  async dispose(): Promise<void> {
    await Promise.all([this.chosen.dispose(), this.reference.dispose()]);
  }
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Rows of the first batch that also run on TF.js (the exactness guard's sample). */
export const GUARD_ROWS = 4;

/** The engine's first `rows` rows against TF.js' output for them. */
async function compareRows(got: tf.Tensor, ref: tf.Tensor, rows: number): Promise<OutputDifference> {
  const head = got.shape[0] !== rows ? got.slice(0, rows) : got;
  try {
    if (!sameShape(head, ref)) {
      return {
        maxAbs: Number.POSITIVE_INFINITY,
        relative: Number.POSITIVE_INFINITY,
        incomparable: `shape [${got.shape}] vs [${ref.shape}] (first ${rows} rows)`,
      };
    }
    return outputDifference((await head.data()) as Float32Array, (await ref.data()) as Float32Array);
  } finally {
    if (head !== got) head.dispose();
  }
}

function sameShape(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}
