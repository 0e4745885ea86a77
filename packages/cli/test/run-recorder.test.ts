import { planFreeze } from '@frostline/core';
import type { TrainEvent } from '@frostline/tfjs';
import { describe, expect, it } from 'vitest';
import { renderReport } from '../src/report';
import { RunRecorder } from '../src/run-recorder';
import { TOY_MODELS } from '../src/toy-models';

const params = TOY_MODELS.find((m) => m.name === 'mlp-100-50-10')!.params();
const frozenFc1 = planFreeze(params, { rules: [{ freeze: 'fc1' }] }, { epoch: 0 });
const allTrainable = planFreeze(params, {}, { epoch: 2 });

const epochEnd = (epoch: number, ms: number): TrainEvent => ({
  type: 'epochEnd',
  epoch,
  epochs: 4,
  logs: { epoch, loss: 1 / (epoch + 1), acc: 0.5 + epoch / 10, val_loss: 1.2 / (epoch + 1), val_acc: 0.4 },
  ms,
  frozenMs: ms / 2,
  trainableMs: ms / 4,
});

/** A four-epoch run: cache built in epoch 0, hit in epoch 1 (no event), invalidated by a schedule in 2. */
const EVENTS: TrainEvent[] = [
  {
    type: 'start',
    epochs: 4,
    initialEpoch: 0,
    examples: 200,
    validationExamples: 50,
    batchSize: 20,
    batches: 10,
    backend: 'wasm',
    loss: 'categoricalCrossentropy',
    optimizer: 'adam',
  },
  { type: 'plan', epoch: 0, plan: frozenFc1, summary: frozenFc1.summary },
  { type: 'cache', epoch: 0, status: 'built', reason: 'frozen prefix', prefixLayers: 1, ms: 30 },
  epochEnd(0, 100),
  epochEnd(1, 20),
  { type: 'plan', epoch: 2, plan: allTrainable, summary: allTrainable.summary },
  { type: 'cache', epoch: 2, status: 'invalidated', reason: 'fc1 unfrozen', prefixLayers: 0, ms: 1 },
  epochEnd(2, 80),
  { type: 'cache', epoch: 3, status: 'hit', reason: '', prefixLayers: 1, ms: 0 },
  epochEnd(3, 40),
  { type: 'end', epochs: 4, stoppedEarly: true, ms: 300 },
];

describe('RunRecorder (one run record from TrainEvents, shared by the CLI and the demo)', () => {
  it('records epochs, carries the plan forward, folds the cache status per epoch', () => {
    const rec = new RunRecorder();
    for (const e of EVENTS) rec.onEvent(e);
    const epochs = rec.epochs();
    expect(epochs.map((e) => [e.epoch, e.cache])).toEqual([
      [0, 'built'],
      [1, 'hit'],
      [2, 'invalidated'],
      [3, 'hit'],
    ]);
    expect(epochs[0]).toMatchObject({ loss: 1, acc: 0.5, valLoss: 1.2, valAcc: 0.4, ms: 100, frozenMs: 50 });
    expect(epochs[0]!.examplesPerSec).toBe(2000); // 200 examples in 100 ms
    expect(rec.plans().map((p) => [p.epoch, p.summary.trainableParams])).toEqual([
      [0, 620],
      [1, 620],
      [2, 5670],
      [3, 5670],
    ]);
    expect(rec.cache().map((c) => `${c.epoch}:${c.status}`)).toEqual(['0:built', '2:invalidated']);
    expect(rec.stoppedEarly).toBe(true);
    const run = rec.record({ title: 't', status: 'stopped-early' });
    expect(run).toMatchObject({ title: 't', status: 'stopped-early' });
    expect(run.cache).toHaveLength(2);
    // Plain JSON: what plans.json stores.
    expect(JSON.parse(JSON.stringify(run.plans[0]))).toEqual(run.plans[0]);
  });

  it('one fixed plan for every epoch (a text head: the plan over encoder + head, made once)', () => {
    const rec = new RunRecorder();
    for (const e of EVENTS) rec.onEvent(e);
    rec.usePlan(frozenFc1);
    expect(rec.plans().map((p) => [p.epoch, p.summary.trainableParams])).toEqual([
      [0, 620],
      [1, 620],
      [2, 620],
      [3, 620],
    ]);
  });

  it('continues a resumed run after its earlier epochs and plans', () => {
    const first = new RunRecorder();
    for (const e of EVENTS.slice(0, 5)) first.onEvent(e);
    const resumed = new RunRecorder({ prior: { epochs: first.epochs(), plans: first.plans() } });
    for (const e of EVENTS.slice(5)) resumed.onEvent(e);
    expect(resumed.epochs().map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    expect(resumed.plans().map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
  });

  it('keeps which engine ran the frozen part, how fast, and its speed-up; the report shows it', () => {
    const rec = new RunRecorder();
    rec.onEvent({
      type: 'cache',
      epoch: 0,
      status: 'built',
      reason: 'frozen prefix of 156 layers',
      prefixLayers: 156,
      ms: 1234,
      engine: 'onnxruntime',
      engineReason: 'fastest engine present',
      examplesPerSec: 812.4,
      engineSpeedup: 4.93,
    });
    for (const e of EVENTS.filter((x) => x.type !== 'cache')) rec.onEvent(e);
    expect(rec.cache()[0]).toMatchObject({
      engine: 'onnxruntime',
      examplesPerSec: 812.4,
      engineSpeedup: 4.93,
    });
    const html = renderReport(rec.record({ title: 'engines', status: 'completed' }));
    expect(html).toContain(
      'frozen part on <span class="engine" data-engine="onnxruntime">onnxruntime</span>, 812 images/s, 4.9× TF.js on the first batch',
    );
  });
});
