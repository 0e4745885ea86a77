import type * as tf from '@tensorflow/tfjs';
import { ActivationCache, type CutDecision, findCut } from '../cache';
import { runFlat } from '../graph';
import type { TrainBus } from './bus';
import type { RunConfig } from './setup';
import { now, type TrainState } from './state';

/** A cached frozen prefix: its outputs for the training (and validation) rows, and where the head starts. */
export interface HeadRunner {
  cut: CutDecision;
  train: ActivationCache;
  validation?: ActivationCache;
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

/** Run the frozen prefix once over the training and validation rows and keep its outputs. */
async function buildCache(
  run: RunConfig,
  state: TrainState,
  bus: TrainBus,
  epoch: number,
  cut: CutDecision,
): Promise<number> {
  const tc = now();
  const trainCache = await ActivationCache.build(
    run.graph,
    cut,
    run.trainSet.x,
    run.evalBatch,
    run.cache.dir,
  );
  state.head = { cut, train: trainCache };
  if (run.valSet) {
    state.head.validation = await ActivationCache.build(
      run.graph,
      cut,
      run.valSet.x,
      run.evalBatch,
      run.cache.dir,
    );
  }
  const ms = now() - tc;
  const info = state.cache;
  info.status = 'used';
  info.reason = `frozen prefix of ${cut.prefixLayers.length} layers up to '${cut.prefixLayers.at(-1)}'`;
  info.prefixLayers = cut.prefixLayers.length;
  info.builds++;
  info.ms += ms;
  state.timing.cacheMs += ms;
  state.epochCache = 'built';
  await bus.emit({
    type: 'cache',
    epoch,
    status: 'built',
    reason: info.reason,
    prefixLayers: cut.prefixLayers.length,
    cutLayer: cut.prefixLayers.at(-1),
    ms,
    bytes: trainCache.bytes + (state.head.validation?.bytes ?? 0),
    onDisk: trainCache.onDisk,
  });
  return ms;
}
