/**
 * A live batch progress bar from @frostline/cli while a run trains, on a terminal only. The demo's
 * own lines (one per epoch, the tables) stay the record: the bar only shows batch progress and is
 * cleared before each of them, so logs and piped output look the same with or without it.
 */
import { createTrainProgress } from '@frostline/cli';
import type { TrainEvent } from '@frostline/tfjs';
import type { DemoContext } from './context.js';

export interface LiveBar {
  onEvent(e: TrainEvent): void;
  /** Clear the bar before printing a line. */
  clear(): void;
}

const NONE: LiveBar = { onEvent() {}, clear() {} };

export function liveBar(ctx: DemoContext): LiveBar {
  if (!ctx.tty) return NONE;
  const progress = createTrainProgress({ stream: process.stdout, tty: true });
  return {
    onEvent(e) {
      if (e.type === 'start' || e.type === 'epochStart' || e.type === 'batchEnd') progress.onEvent(e);
    },
    clear: () => progress.done(),
  };
}
