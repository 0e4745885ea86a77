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
  ready(): Promise<void>;
  initializeBackendsAndReturnBest(): { name: string; asyncInit: boolean };
  [STATE]?: ChoiceState;
};

const STATE: unique symbol = Symbol.for('frostline.backendChoice') as never;

/**
 * TF.js keeps no record of whether a backend was chosen or defaulted: both paths end in
 * `engine.setBackend`. The default comes from `engine.ready()` or from the lazy `engine.backend`
 * getter, which calls `initializeBackendsAndReturnBest()` and then `setBackend` in the same tick; an
 * explicit `tf.setBackend` goes straight to `setBackend`. Wrapping those methods of the engine instance
 * tells them apart. Installed once per engine (shared by every copy of frostline); a backend already
 * active before that is recorded as `unknown`.
 */
export function choiceState(): ChoiceState {
  const engine = tf.engine() as unknown as Engine;
  const existing = engine[STATE];
  if (existing) return existing;
  const state: ChoiceState = engine.backendName ? { by: 'unknown' } : {};
  let defaulting = 0;
  const wrap = (
    name: keyof Engine & string,
    body: (original: (...a: unknown[]) => unknown) => (...a: unknown[]) => unknown,
  ) => {
    const original = (engine[name] as (...a: unknown[]) => unknown).bind(engine);
    Object.defineProperty(engine, name, { configurable: true, writable: true, value: body(original) });
  };
  wrap('ready', (original) => async () => {
    defaulting++;
    try {
      return await original();
    } finally {
      defaulting--;
    }
  });
  wrap('initializeBackendsAndReturnBest', (original) => () => {
    const best = original() as { asyncInit: boolean };
    // The getter calls setBackend right away (same tick) unless the best backend is still loading.
    if (!best.asyncInit) {
      defaulting++;
      queueMicrotask(() => defaulting--);
    }
    return best;
  });
  wrap('setBackend', (original) => (name) => {
    state.by = state.pending ?? (defaulting > 0 ? 'tfjs-default' : 'user');
    state.pending = undefined;
    return original(name);
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
