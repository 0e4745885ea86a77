import { validatePolicy } from '@frostline/core';

/**
 * The checks a checkpoint's frostline.json must pass, shared by saveCheckpoint (before anything is
 * written or moved) and loadCheckpoint, so a save can never produce a folder the loader rejects.
 * Each returns the first reason the value is unusable, or undefined.
 */

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
/** A value for a one-line message, cut to a readable length. */
function show(v: unknown): string {
  const s =
    typeof v === 'string' ? `'${v}'` : typeof v === 'number' ? String(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
const own = (o: object, k: string) => Object.hasOwn(o, k);

export const OPTIMIZER_NAMES = ['adam', 'sgd', 'momentum', 'rmsprop'];

function checkEarlyStopping(es: unknown): string | undefined {
  if (es === undefined) return undefined;
  if (!isObject(es)) return `earlyStopping is ${show(es)}, not an object`;
  // `best` starts at ±Infinity, which JSON writes as null.
  if (es.best !== null && (typeof es.best !== 'number' || Number.isNaN(es.best)))
    return `earlyStopping.best is ${show(es.best)}, not a number`;
  if (!isCount(es.wait)) return `earlyStopping.wait is ${show(es.wait)}, not a count`;
  if (es.bestEpoch !== undefined && !isCount(es.bestEpoch))
    return `earlyStopping.bestEpoch is ${show(es.bestEpoch)}, not an epoch number`;
  return undefined;
}

function checkSlot(where: string, s: unknown, floats: number | undefined): string | undefined {
  if (!isObject(s)) return `${where} is ${show(s)}, not {offset, length, shape}`;
  if (!isCount(s.offset)) return `${where}.offset is ${show(s.offset)}, not a non-negative integer`;
  if (!isCount(s.length)) return `${where}.length is ${show(s.length)}, not a non-negative integer`;
  if (!Array.isArray(s.shape) || !s.shape.every(isCount))
    return `${where}.shape is ${show(s.shape)}, not a list of sizes`;
  const size = (s.shape as number[]).reduce((a, b) => a * b, 1);
  if (size !== s.length) return `${where}.shape [${s.shape}] holds ${size} values but length is ${s.length}`;
  if (floats !== undefined && s.offset + s.length > floats)
    return `${where} reaches float ${s.offset + s.length}, past the end of the optimizer file (${floats} floats)`;
  return undefined;
}

function checkOptimizerParam(i: number, p: unknown, floats: number | undefined): string | undefined {
  const where = `optimizer.params[${i}]`;
  if (!isObject(p)) return `${where} is ${show(p)}, not an object`;
  if (typeof p.name !== 'string' || p.name === '') return `${where}.name is ${show(p.name)}, not a name`;
  if (!isCount(p.step)) return `${where}.step is ${show(p.step)}, not a step count`;
  if (!isObject(p.slots)) return `${where}.slots is ${show(p.slots)}, not an object`;
  for (const k of Object.keys(p.slots)) {
    const bad = checkSlot(`${where}.slots.${k}`, p.slots[k], floats);
    if (bad) return bad;
  }
  return undefined;
}

/** `floats`: the optimizer file's length in floats when known (load), to check slot ranges. */
export function checkOptimizerMeta(o: unknown, floats?: number): string | undefined {
  if (o === undefined) return undefined;
  if (!isObject(o)) return `optimizer is ${show(o)}, not an object`;
  if (!isObject(o.config) || !OPTIMIZER_NAMES.includes(o.config.name as string))
    return `optimizer.config.name is ${show(isObject(o.config) ? o.config.name : o.config)}, not one of ${OPTIMIZER_NAMES.join(', ')}`;
  for (const [k, v] of Object.entries(o.config)) {
    if (k !== 'name' && (typeof v !== 'number' || !Number.isFinite(v)))
      return `optimizer.config.${k} is ${show(v)}, not a finite number`;
  }
  if (typeof o.file !== 'string' || o.file === '' || /[\\/]/.test(o.file) || o.file.startsWith('.'))
    return `optimizer.file is ${show(o.file)}, not a plain file name`;
  if (!Array.isArray(o.params)) return `optimizer.params is ${show(o.params)}, not a list`;
  const names = new Set<string>();
  for (const [i, p] of o.params.entries()) {
    const bad = checkOptimizerParam(i, p, floats);
    if (bad) return bad;
    if (names.has(p.name)) return `optimizer.params lists '${p.name}' twice`;
    names.add(p.name);
  }
  return undefined;
}

/** Everything in frostline.json except the optimizer's slot ranges (checked against the file on load). */
export function checkCheckpointMeta(meta: unknown, format: string): string | undefined {
  if (!isObject(meta)) return `frostline.json holds ${show(meta)}, not an object`;
  if (meta.format !== format || meta.version !== 1)
    return `unknown format ${show(meta.format)} version ${show(meta.version)} (expected '${format}' version 1)`;
  if (!isCount(meta.epoch)) return `epoch is ${show(meta.epoch)}, not a non-negative integer`;
  if (typeof meta.seed !== 'number' || !Number.isFinite(meta.seed))
    return `seed is ${show(meta.seed)}, not a finite number`;
  try {
    validatePolicy(meta.policy as never);
  } catch (e) {
    return `its policy is invalid (${(e as Error).message.split('\n')[0]})`;
  }
  if (!Array.isArray(meta.history) || !meta.history.every(isObject))
    return `history is ${show(meta.history)}, not a list of epoch logs`;
  if (!Array.isArray(meta.trainable) || !meta.trainable.every((t) => typeof t === 'string'))
    return `trainable is ${show(meta.trainable)}, not a list of parameter names`;
  const es = own(meta, 'earlyStopping') ? checkEarlyStopping(meta.earlyStopping) : undefined;
  if (es) return es;
  return own(meta, 'optimizer') ? checkOptimizerMeta(meta.optimizer) : undefined;
}
