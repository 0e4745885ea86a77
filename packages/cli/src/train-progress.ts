import type { TrainEventLike } from './adapters';
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
  onEvent(e: TrainEventLike): void;
  /** A free line (dataset summary, backend choice) in the same channel. */
  note(message: string, fields?: Record<string, unknown>): void;
  done(): void;
}

/** JSON-safe copy of an event: plans become their summaries (the full plan goes to plans.json). */
export function eventToJson(e: TrainEventLike): Record<string, unknown> {
  if (e.type === 'plan') {
    const plan = e.plan as { epoch?: number; summary?: unknown } | undefined;
    const diff = e.diff as { frozen?: string[]; unfrozen?: string[]; empty?: boolean } | undefined;
    return {
      type: 'plan',
      epoch: e.epoch,
      summary: e.summary ?? plan?.summary,
      ...(diff && !diff.empty
        ? { diff: { frozen: diff.frozen?.length ?? 0, unfrozen: diff.unfrozen?.length ?? 0 } }
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
  return {
    onEvent(e) {
      switch (e.type) {
        case 'start': {
          epochs = Number(e.epochs);
          batches = Number(e.batches);
          examples = Number(e.examples);
          const initial = Number(e.initialEpoch ?? 0);
          bar.log(
            `training ${examples} examples (${e.validationExamples ?? 0} validation), batch ${e.batchSize}, ${e.optimizer}, backend ${e.backend}${initial ? `, resuming at epoch ${initial + 1}` : ''}`,
          );
          break;
        }
        case 'plan': {
          const s = e.summary as
            | { trainableParams: number; totalParams: number; trainablePercent: number }
            | undefined;
          const diff = e.diff as { frozen?: string[]; unfrozen?: string[]; empty?: boolean } | undefined;
          if (s && !diff?.empty) {
            const change =
              diff && !diff.empty
                ? ` (unfrozen ${diff.unfrozen?.length ?? 0}, frozen ${diff.frozen?.length ?? 0})`
                : '';
            bar.log(
              `epoch ${Number(e.epoch) + 1}: trainable params ${s.trainableParams.toLocaleString('en-US')} of ${s.totalParams.toLocaleString('en-US')} (${s.trainablePercent.toFixed(2)}%)${change}`,
            );
          }
          break;
        }
        case 'cache':
          if (e.status !== 'hit') bar.log(`activation cache ${e.status}: ${e.reason}`);
          break;
        case 'epochStart':
          bar.update({ epoch: Number(e.epoch), epochs, batch: 0, ...(batches ? { batches } : {}) }, true);
          break;
        case 'batchEnd': {
          const metrics = (e.metrics ?? {}) as Record<string, number>;
          bar.update({
            epoch: Number(e.epoch),
            epochs,
            batch: Number(e.batch) + 1,
            batches: Number(e.batches),
            loss: Number(e.loss),
            ...(metrics.acc !== undefined ? { acc: metrics.acc } : {}),
            examplesPerSec: Number(e.examplesPerSec),
          });
          break;
        }
        case 'epochEnd': {
          const logs = (e.logs ?? {}) as Record<string, number | undefined>;
          const ms = Number(e.ms);
          const parts = [
            `epoch ${Number(e.epoch) + 1}/${epochs}`,
            `loss ${formatNumber(logs.loss)}`,
            logs.acc !== undefined ? `acc ${formatNumber(logs.acc, 3)}` : '',
            logs.val_loss !== undefined ? `val_loss ${formatNumber(logs.val_loss)}` : '',
            logs.val_acc !== undefined ? `val_acc ${formatNumber(logs.val_acc, 3)}` : '',
            `${(ms / 1000).toFixed(2)}s`,
            examples && ms > 0 ? `${formatRate((examples / ms) * 1000)} ex/s` : '',
          ];
          bar.log(parts.filter(Boolean).join('  '));
          break;
        }
        case 'verify':
          if (!e.ok) bar.log(`frozen-weight check FAILED: ${(e.changed as string[]).slice(0, 5).join(', ')}`);
          break;
        case 'end':
          bar.done();
          break;
      }
    },
    note: (message) => bar.log(message),
    done: () => bar.done(),
  };
}
