import type { TrainEvent } from '@frostline/tfjs';
import { describe, expect, it } from 'vitest';
import { BufferStream } from '../src/io';
import { ProgressBar, renderBar } from '../src/progress';
import { createTrainProgress } from '../src/train-progress';

describe('progress', () => {
  it('renders bars with eighth-cell resolution', () => {
    expect(renderBar(0, 4)).toBe('    ');
    expect(renderBar(1, 4)).toBe('████');
    expect(renderBar(0.5, 4)).toBe('██  ');
    expect(renderBar(0.53125, 4)).toBe('██▏ ');
    expect(renderBar(Number.NaN, 2)).toBe('  ');
    expect(renderBar(7, 2)).toBe('██');
  });

  it('redraws in place on a TTY, throttled', () => {
    const s = new BufferStream();
    let t = 0;
    const bar = new ProgressBar({ stream: s, tty: true, color: false, now: () => t, intervalMs: 100 });
    bar.update({ epoch: 0, epochs: 2, batch: 1, batches: 4, loss: 0.5, acc: 0.75, examplesPerSec: 1234 });
    expect(s.text).toContain('epoch 1/2');
    expect(s.text).toContain('batch 1/4');
    expect(s.text).toContain('loss 0.5000  acc 0.750  1,234 ex/s');
    const before = s.text.length;
    t = 50;
    bar.update({ epoch: 0, epochs: 2, batch: 2, batches: 4 });
    expect(s.text.length).toBe(before); // throttled
    t = 200;
    bar.update({ epoch: 0, epochs: 2, batch: 3, batches: 4 });
    expect(s.text.slice(before).startsWith('\r\x1b[1A\x1b[J')).toBe(true); // back to the first live line
    bar.log('epoch 1/2 done');
    bar.done();
    expect(s.text).toContain('epoch 1/2 done\n');
  });

  it('prints plain lines when not a TTY, JSON lines with json', () => {
    const events: TrainEvent[] = [
      {
        type: 'start',
        loss: 'categoricalCrossentropy',
        epochs: 2,
        initialEpoch: 0,
        examples: 40,
        validationExamples: 10,
        batchSize: 8,
        batches: 5,
        backend: 'cpu',
        optimizer: 'adam',
      },
      { type: 'epochStart', epoch: 0, epochs: 2 },
      {
        type: 'batchEnd',
        epoch: 0,
        batch: 0,
        batches: 5,
        loss: 0.7,
        metrics: { acc: 0.5 },
        examplesPerSec: 100,
      },
      {
        type: 'epochEnd',
        epoch: 0,
        epochs: 2,
        logs: { epoch: 0, loss: 0.6, acc: 0.6, val_loss: 0.65, val_acc: 0.5 },
        ms: 500,
        frozenMs: 0,
        trainableMs: 400,
      },
      { type: 'end', epochs: 2, stoppedEarly: false, ms: 1000 },
    ];
    const plain = new BufferStream();
    const p = createTrainProgress({ stream: plain });
    for (const e of events) p.onEvent(e);
    expect(plain.text.split('\n')).toEqual([
      'training 40 examples (10 validation), batch 8, adam, backend cpu',
      'epoch 1/2  loss 0.6000  acc 0.600  val_loss 0.6500  val_acc 0.500  0.50s  80.0 ex/s',
      '',
    ]);
    const json = new BufferStream();
    const j = createTrainProgress({ stream: json, json: true });
    for (const e of events) j.onEvent(e);
    const lines = json.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['start', 'epochStart', 'batchEnd', 'epochEnd', 'end']);
  });

  it('shows the frozen prefix extraction: a live bar with img/s and ETA on a TTY, a line per quarter in logs', () => {
    const extract = (rows: number, split: 'train' | 'validation' = 'train', total = 400): TrainEvent => ({
      type: 'extract',
      epoch: 0,
      split,
      rows,
      total,
      ms: rows * 10,
      examplesPerSec: 100,
    });
    const tty = new BufferStream();
    const live = createTrainProgress({ stream: tty, tty: true, color: false });
    live.onEvent({ type: 'epochStart', epoch: 0, epochs: 3 });
    live.onEvent(extract(100));
    expect(tty.text).toContain('frozen features (train) 100/400');
    expect(tty.text).toContain('100 img/s');
    expect(tty.text).toContain('ETA 3s');

    const plain = new BufferStream();
    const p = createTrainProgress({ stream: plain });
    for (const rows of [50, 100, 150, 200, 390, 400]) p.onEvent(extract(rows));
    p.onEvent(extract(40, 'validation', 40));
    expect(plain.text.trim().split('\n')).toEqual([
      'frozen features (train): 100/400 (100 img/s, ETA 3s)',
      'frozen features (train): 200/400 (100 img/s, ETA 2s)',
      'frozen features (train): 390/400 (100 img/s, ETA 0s)',
      'frozen features (train): 400/400 (100 img/s)',
      'frozen features (validation): 40/40 (100 img/s)',
    ]);
  });
});
