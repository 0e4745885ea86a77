import type { TrainEvent } from './adapters';
import type { OutStream } from './io';
import { formatNumber, formatRate, ProgressBar } from './progress';

/**
 * Turns tfjs `train` events into what a person (or a program) reads: live bars on a TTY, one plain
 * line per epoch elsewhere, or one JSON object per line with `json: true`.
 */
export interface TrainProgressOptions {
  stream: OutStream;
  json?: boolean;
  tty?: boolean;
  color?: boolean;
}

export interface TrainProgress {
  onEvent(e: TrainEvent): void;
  /** A free line (dataset summary, backend choice) in the same channel. */
  note(message: string, fields?: Record<string, unknown>): void;
  done(): void;
}

/** JSON-safe copy of an event: plans become their summaries (the full plan goes to plans.json). */
export function eventToJson(e: TrainEvent): Record<string, unknown> {
  if (e.type === 'plan') {
    const diff = e.diff;
    return {
      type: 'plan',
      epoch: e.epoch,
      summary: e.summary ?? e.plan.summary,
      ...(diff && !diff.empty
        ? { diff: { frozen: diff.frozen.length, unfrozen: diff.unfrozen.length } }
        : {}),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (typeof v === 'number' && !Number.isFinite(v)) out[k] = null;
    else out[k] = v;
  }
  return out;
}

export function createTrainProgress(opts: TrainProgressOptions): TrainProgress {
  const { stream } = opts;
  if (opts.json) {
    return {
      onEvent: (e) => stream.write(`${JSON.stringify(eventToJson(e))}\n`),
      note: (message, fields) => stream.write(`${JSON.stringify({ type: 'note', message, ...fields })}\n`),
      done: () => {},
    };
  }
  const bar = new ProgressBar({
    stream,
    ...(opts.tty !== undefined ? { tty: opts.tty } : {}),
    ...(opts.color !== undefined ? { color: opts.color } : {}),
  });
  let epochs = 1;
  let batches: number | undefined;
  let examples = 0;
  const extracted = { split: '', quarter: 0 };
  return {
    onEvent(e) {
      switch (e.type) {
        case 'start': {
          epochs = e.epochs;
          batches = e.batches;
          examples = e.examples;
          const initial = e.initialEpoch;
          bar.log(
            `training ${examples} examples (${e.validationExamples} validation), batch ${e.batchSize}, ${e.optimizer}, backend ${e.backend}${initial ? `, resuming at epoch ${initial + 1}` : ''}`,
          );
          break;
        }
        case 'plan': {
          const s = e.summary;
          const diff = e.diff;
          if (!diff?.empty) {
            const change = diff ? ` (unfrozen ${diff.unfrozen.length}, frozen ${diff.frozen.length})` : '';
            bar.log(
              `epoch ${e.epoch + 1}: trainable params ${s.trainableParams.toLocaleString('en-US')} of ${s.totalParams.toLocaleString('en-US')} (${s.trainablePercent.toFixed(2)}%)${change}`,
            );
          }
          break;
        }
        case 'cache':
          if (e.status !== 'hit') bar.log(`activation cache ${e.status}: ${e.reason}`);
          // A later build (a schedule moved the cut) extracts again from its start.
          extracted.split = '';
          break;
        case 'extract':
          extractProgress(bar, e, epochs, extracted);
          break;
        case 'epochStart':
          bar.update({ epoch: e.epoch, epochs, batch: 0, ...(batches ? { batches } : {}) }, true);
          break;
        case 'batchEnd':
          bar.update({
            epoch: e.epoch,
            epochs,
            batch: e.batch + 1,
            batches: e.batches,
            loss: e.loss,
            ...(e.metrics.acc !== undefined ? { acc: e.metrics.acc } : {}),
            examplesPerSec: e.examplesPerSec,
          });
          break;
        case 'epochEnd':
          bar.log(epochLine(e, epochs, examples));
          break;
        case 'verify':
          if (!e.ok) bar.log(`frozen-weight check FAILED: ${e.changed.slice(0, 5).join(', ')}`);
          break;
        case 'end':
          bar.done();
          break;
        default:
          break;
      }
    },
    note: (message) => bar.log(message),
    done: () => bar.done(),
  };
}

/**
 * The frozen prefix's one pass over the data: a live bar with images/s and ETA on a TTY; elsewhere a
 * line at each quarter (when the total is known), so CI logs show a long extraction moving.
 */
function extractProgress(
  bar: ProgressBar,
  e: Extract<TrainEvent, { type: 'extract' }>,
  epochs: number,
  logged: { split: string; quarter: number },
): void {
  const eta =
    e.total !== undefined && e.examplesPerSec > 0
      ? Math.max(0, (e.total - e.rows) / e.examplesPerSec)
      : undefined;
  const etaText =
    eta !== undefined ? `ETA ${eta < 90 ? `${eta.toFixed(0)}s` : `${(eta / 60).toFixed(1)} min`}` : '';
  // A new split starts: draw at once (later updates are throttled), and count its quarters afresh.
  const first = logged.split !== e.split;
  if (first) Object.assign(logged, { split: e.split, quarter: 0 });
  if (bar.isTTY) {
    bar.update(
      {
        epoch: e.epoch,
        epochs,
        batch: e.rows,
        ...(e.total !== undefined ? { batches: e.total } : {}),
        label: `frozen features (${e.split})`,
        examplesPerSec: e.examplesPerSec,
        rateUnit: 'img/s',
        note: etaText,
      },
      first,
    );
    return;
  }
  if (e.total === undefined || e.total === 0) return;
  const quarter = Math.floor((e.rows / e.total) * 4);
  if (quarter <= logged.quarter) return;
  logged.quarter = quarter;
  bar.log(
    `frozen features (${e.split}): ${e.rows}/${e.total} (${formatRate(e.examplesPerSec)} img/s${etaText && e.rows < e.total ? `, ${etaText}` : ''})`,
  );
}

/** `epoch 2/5  loss 0.1234  acc 0.950  val_loss …  1.20s  830 ex/s` */
function epochLine(e: Extract<TrainEvent, { type: 'epochEnd' }>, epochs: number, examples: number): string {
  const logs = e.logs;
  const parts = [
    `epoch ${e.epoch + 1}/${epochs}`,
    `loss ${formatNumber(logs.loss)}`,
    logs.acc !== undefined ? `acc ${formatNumber(logs.acc, 3)}` : '',
    logs.val_loss !== undefined ? `val_loss ${formatNumber(logs.val_loss)}` : '',
    logs.val_acc !== undefined ? `val_acc ${formatNumber(logs.val_acc, 3)}` : '',
    `${(e.ms / 1000).toFixed(2)}s`,
    examples && e.ms > 0 ? `${formatRate((examples / e.ms) * 1000)} ex/s` : '',
  ];
  return parts.filter(Boolean).join('  ');
}
