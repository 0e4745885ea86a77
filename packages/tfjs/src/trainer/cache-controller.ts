import type * as tf from '@tensorflow/tfjs';
import { ActivationCache, type CutDecision, findCut } from '../cache';
import type { XY } from '../data';
import { type OpenedEngine, openEngine } from '../engines/select';
import { runFlat } from '../graph';
import type { TrainBus } from './bus';
import { buildStoredCache, buildStreamMemoryCache } from './feature-cache';
import type { CachedRows } from './rows';
import type { RunConfig } from './setup';
import { now, type TrainState } from './state';

/** A cached frozen prefix: its outputs for the training (and validation) rows, and where the head starts. */
export interface HeadRunner {
  cut: CutDecision;
  train: CachedRows;
  validation?: CachedRows;
}

/** The model from the cut to its output, on cached prefix outputs. */
export function headForward(
  run: RunConfig,
  head: HeadRunner,
  feats: tf.Tensor,
  training: boolean,
): tf.Tensor {
  const out = runFlat(
    run.graph,
    head.cut.index + 1,
    run.graph.nodes.length,
    new Map([[head.cut.key!, feats]]),
    training,
  );
  return out.get(run.graph.outputs[0]!)!;
}

export function disposeHead(state: TrainState): void {
  state.head?.train.dispose();
  state.head?.validation?.dispose();
  delete state.head;
}

/**
 * Get the activation cache right for `epoch`: reuse it while the frozen prefix stays the same, drop it
 * when a schedule changes the prefix, build it for a new prefix. Emits `cache` events, records the
 * epoch's status in `state.epochCache`, returns the milliseconds spent building (0 when nothing was built).
 */
export async function prepareCache(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
  planChanged: boolean,
): Promise<number> {
  if (run.cache.mode === 'off' || !state.plan.current) {
    state.epochCache = 'off';
    return 0;
  }
  if (run.augment) {
    state.epochCache = 'disabled';
    if (!planChanged) return 0;
    state.cache.reason =
      'augment is set: every epoch sees different inputs, so prefix outputs cannot be reused';
    await bus.emit({
      type: 'cache',
      epoch,
      status: 'disabled',
      reason: state.cache.reason,
      prefixLayers: 0,
      ms: 0,
    });
    return 0;
  }
  if (!planChanged) {
    if (state.head) await emitHit(bus, epoch, state.head.cut, 'plan unchanged');
    state.epochCache = state.head ? 'hit' : 'disabled';
    return 0;
  }
  const cut = findCut(run.graph, state.plan.current, run.refs);
  const head = state.head;
  if (head && head.cut.index === cut.index && head.cut.key === cut.key) {
    await emitHit(bus, epoch, cut, 'plan changed but the frozen prefix did not');
    state.epochCache = 'hit';
    return 0;
  }
  state.epochCache = 'disabled';
  if (head) {
    await bus.emit({
      type: 'cache',
      epoch,
      status: 'invalidated',
      reason: `the frozen prefix changed (${head.cut.prefixLayers.length} → ${cut.prefixLayers.length} layers)`,
      prefixLayers: cut.prefixLayers.length,
      ms: 0,
    });
    disposeHead(state);
    state.epochCache = 'invalidated';
  }
  if (cut.index >= 0) return buildCache(run, state, bus, epoch, cut);
  const info = state.cache;
  info.status = info.builds > 0 ? 'used' : 'disabled';
  info.reason = info.builds > 0 ? `used until epoch ${epoch}; then ${cut.reason}` : cut.reason;
  await bus.emit({ type: 'cache', epoch, status: 'disabled', reason: cut.reason, prefixLayers: 0, ms: 0 });
  return 0;
}

function emitHit(bus: TrainBus, epoch: number, cut: CutDecision, reason: string): Promise<void> {
  return bus.emit({
    type: 'cache',
    epoch,
    status: 'hit',
    reason,
    prefixLayers: cut.prefixLayers.length,
    cutLayer: cut.prefixLayers.at(-1),
    ms: 0,
  });
}

/**
 * Run the frozen prefix once over the training and validation rows and keep its outputs: in memory for
 * tensors, or in the persistent feature store (streams, `cache: 'persist'` or `{ dir }`), where a later run
 * finds them again and runs no prefix at all.
 */
async function buildCache(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
  cut: CutDecision,
): Promise<number> {
  const tc = now();
  const built = run.cache.persist
    ? await buildStoredCache(run, bus, epoch, cut)
    : run.stream
      ? await buildStreamMemoryCache(run, bus, epoch, cut)
      : await buildMemoryCache(run, cut);
  state.head = { cut, train: built.train, ...(built.validation ? { validation: built.validation } : {}) };
  const ms = now() - tc;
  const info = state.cache;
  const reused = 'reused' in built && built.reused;
  info.status = reused && info.builds === 0 ? 'reused' : 'used';
  info.reason = `frozen prefix of ${cut.prefixLayers.length} layers up to '${cut.prefixLayers.at(-1)}'${reused ? ', features found in the feature store' : ''}`;
  info.prefixLayers = cut.prefixLayers.length;
  if ('dir' in built) info.store = { dir: built.dir, keys: built.keys };
  if (!reused) info.builds++;
  info.ms += ms;
  state.timing.cacheMs += ms;
  state.epochCache = reused ? 'reused' : 'built';
  const rows = built.train.rows + (built.validation?.rows ?? 0);
  const report = built.opened?.report();
  if (report) info.engine = { ...report, ms, examplesPerSec: ms > 0 ? (rows * 1000) / ms : 0 };
  await bus.emit({
    type: 'cache',
    epoch,
    status: reused ? 'reused' : 'built',
    reason: info.reason,
    prefixLayers: cut.prefixLayers.length,
    cutLayer: cut.prefixLayers.at(-1),
    ms,
    bytes: built.train.bytes + (built.validation?.bytes ?? 0),
    onDisk: built.train.onDisk,
    ...(report ? { engine: report.name, engineReason: report.reason } : {}),
    ...(info.engine && !reused ? { examplesPerSec: info.engine.examplesPerSec } : {}),
    ...(report?.guard?.ok && report.guard.speedup !== undefined
      ? { engineSpeedup: report.guard.speedup }
      : {}),
  });
  return ms;
}

/** Tensor rows through the prefix into memory, on the chosen engine. */
async function buildMemoryCache(
  run: RunConfig,
  cut: CutDecision,
): Promise<{ train: CachedRows; validation?: CachedRows; opened: OpenedEngine }> {
  const prefix = { graph: run.graph, nodeCount: cut.index + 1, outputKey: cut.key! };
  const opened = await openEngine(prefix, { engine: run.engine });
  const made: CachedRows[] = [];
  try {
    const build = async (set: XY) => {
      const c = await ActivationCache.build(run.graph, cut, set.x, run.evalBatch, opened.engine);
      made.push(c);
      return c;
    };
    const train = await build(run.trainSet!);
    return run.valSet ? { train, validation: await build(run.valSet), opened } : { train, opened };
  } catch (e) {
    for (const c of made) c.dispose();
    throw e;
  } finally {
    await opened.dispose();
  }
}
