import type { TrainData } from './data';
import type { TrainEvent } from './events';
import type { ModelLike } from './model-names';
import { type TrainOptions, type TrainResult, train } from './train';

/**
 * `train` as an async iterator of its events: `for await (const e of run) …`, then `await run.result`.
 * Events are buffered, so a slow consumer never slows training down.
 */
export function trainEvents(
  model: ModelLike,
  data: TrainData,
  options: TrainOptions,
): AsyncIterable<TrainEvent> & { result: Promise<TrainResult> } {
  const queue: TrainEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const user = options.onEvent;
  const result = train(model, data, {
    ...options,
    onEvent: (e, ctx) => {
      user?.(e, ctx);
      queue.push(e);
      wake?.();
    },
  }).finally(() => {
    done = true;
    wake?.();
  });
  // The iterator surfaces failures through `result`; avoid an unhandled rejection when nobody awaits it.
  result.catch(() => undefined);
  return {
    result,
    async *[Symbol.asyncIterator]() {
      while (true) {
        const e = queue.shift();
        if (e) {
          yield e;
          continue;
        }
        if (done) {
          await result;
          return;
        }
        await new Promise<void>((r) => {
          wake = r;
        });
        wake = undefined;
      }
    },
  };
}
