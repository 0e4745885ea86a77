import * as tf from '@tensorflow/tfjs';

/**
 * Who made the active TF.js backend active: the user (`tf.setBackend`, or frostline's selectBackend
 * called by them), frostline on its own (ensureFastBackend), TF.js' lazy default (the first tensor or
 * `tf.ready()` initialises the highest-priority backend: `cpu` in Node), or nobody yet.
 */
export type ChosenBy = 'user' | 'frostline' | 'tfjs-default' | 'unknown';

interface ChoiceState {
  by?: ChosenBy;
  /** The next engine.setBackend call is made by frostline on behalf of `by`. */
  pending?: ChosenBy;
}

type Engine = {
  backendName?: string | null;
  setBackend(name: string): Promise<boolean>;
  getSortedBackends(): string[];
  [STATE]?: ChoiceState;
};

const STATE: unique symbol = Symbol.for('frostline.backendChoice') as never;

/**
 * TF.js keeps no record of whether a backend was chosen or defaulted: both paths end in
 * `engine.setBackend`. The default path always asks `getSortedBackends()` first (in `ready()` and in
 * the lazy `engine.backend` getter), an explicit `tf.setBackend` never does, so wrapping those two
 * methods of the engine instance tells them apart. Installed once per engine (shared by every copy of
 * frostline); a backend already active before that is recorded as `unknown`.
 */
export function choiceState(): ChoiceState {
  const engine = tf.engine() as unknown as Engine;
  const existing = engine[STATE];
  if (existing) return existing;
  const state: ChoiceState = engine.backendName ? { by: 'unknown' } : {};
  let defaultPending = false;
  const sorted = engine.getSortedBackends;
  const set = engine.setBackend;
  Object.defineProperty(engine, 'getSortedBackends', {
    configurable: true,
    writable: true,
    value(this: Engine) {
      defaultPending = true;
      return sorted.call(this);
    },
  });
  Object.defineProperty(engine, 'setBackend', {
    configurable: true,
    writable: true,
    value(this: Engine, name: string) {
      state.by = state.pending ?? (defaultPending ? 'tfjs-default' : 'user');
      state.pending = undefined;
      defaultPending = false;
      return set.call(this, name);
    },
  });
  Object.defineProperty(engine, STATE, { value: state, enumerable: false });
  return state;
}

/** `tf.setBackend(name)`, recorded as chosen by `by`. */
export function setBackendAs(by: ChosenBy, name: string): Promise<boolean> {
  choiceState().pending = by;
  return tf.setBackend(name);
}

/** Whether the active backend is one the user picked (so frostline must not replace it). */
export function userChoseBackend(): boolean {
  const { by } = choiceState();
  const name = tf.getBackend() as string | undefined;
  if (!name || by === undefined || by === 'tfjs-default' || by === 'frostline') return false;
  // Active before frostline loaded: cpu is TF.js' own default in Node, anything else was picked.
  if (by === 'unknown') return name !== 'cpu';
  return true;
}

// Record from the moment frostline is loaded, before any user code can pick or default a backend.
choiceState();
