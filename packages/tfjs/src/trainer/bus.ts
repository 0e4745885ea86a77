import type { Plan } from '@frostline/core';
import type { TrainContext, TrainEvent, TrainListener } from '../events';
import type { RunConfig } from './setup';
import type { TrainState } from './state';

/** A part of the trainer that reacts to events (early stopping, checkpointing, the user's listener). */
export type TrainCallback = (e: TrainEvent) => void | Promise<void>;

/**
 * The run's `TrainEvent` stream. Callbacks run in the order they were added, each awaited, so one that
 * decides something (early stopping) comes before one that acts on it (checkpointing).
 */
export class TrainBus {
  private readonly callbacks: TrainCallback[] = [];

  on(callback: TrainCallback): this {
    this.callbacks.push(callback);
    return this;
  }

  async emit(e: TrainEvent): Promise<void> {
    for (const c of this.callbacks) {
      const pending = c(e);
      if (pending) await pending;
    }
  }
}

/** The user's `onEvent` as a callback; its context shows the plan in force at the time of the event. */
export function progressCallback(listener: TrainListener, run: RunConfig, state: TrainState): TrainCallback {
  const ctx: TrainContext = {
    model: run.model,
    optimizer: run.optimizer,
    get plan(): Plan | undefined {
      return state.plan.current;
    },
  };
  return (e) => listener(e, ctx);
}
