import { hashBytes } from '@frostline/core';
import * as tf from '@tensorflow/tfjs';
import { takeRows } from '../batching';
import type { CutDecision } from '../cache';
import type { XY } from '../data';
import { type OpenedEngine, openEngine } from '../engines/select';
import { extractToStore, type PrefixForward, StoredFeatures } from '../feature-store/features';
import { CheckedStream, type StreamSource } from '../feature-store/source';
import { type EntryManifest, FeatureStore } from '../feature-store/store';
import { runFlat } from '../graph';
import { nodeCrypto } from '../node';
import type { TrainBus } from './bus';
import type { CachedRows } from './rows';
import type { RunConfig } from './setup';

type Split = 'train' | 'validation';

/** The cache of a split in the persistent store: its entry key and whether the key names content (else it is dropped after the run). */
interface SplitPlan {
  split: Split;
  stream: CheckedStream;
  key: string;
  persistent: boolean;
}

export interface StoredCacheResult {
  train: CachedRows;
  validation?: CachedRows;
  /** True when every split's features were already in the store: no prefix forward ran. */
  reused: boolean;
  opened?: OpenedEngine;
  dir: string;
  keys: string[];
}

/**
 * Build (or find) the frozen prefix's outputs for the training and validation data in the persistent
 * feature store. An entry's key is the prefix's weight fingerprint + the cut + the data's identity + the
 * split, so a later run on the same data, prefix and cut reads the stored features and never runs the
 * prefix; any change to a weight, an input or the cut is a different key. Data without an identity (a
 * plain stream) gets a one-run entry that is removed when the run ends.
 */
export async function buildStoredCache(
  run: RunConfig,
  bus: TrainBus,
  epoch: number,
  cut: CutDecision,
): Promise<StoredCacheResult> {
  const store = await FeatureStore.open({
    ...(run.cache.dir !== undefined ? { dir: run.cache.dir } : {}),
    ...(run.cache.maxBytes !== undefined ? { maxBytes: run.cache.maxBytes } : {}),
  });
  const prefixHash = prefixFingerprint(run, cut);
  const plans: SplitPlan[] = [];
  for (const split of ['train', 'validation'] as const) {
    const source = splitSource(run, split);
    if (source) plans.push(await planSplit(source, split, prefixHash, cut));
  }
  // Each entry is verified (sizes and checksums of every shard) once: here, or as it is written.
  const manifests = new Map<string, EntryManifest>();
  for (const p of plans) {
    const found = store.lookup(p.key);
    if (found) manifests.set(p.key, found);
  }
  const missing = plans.filter((p) => !manifests.has(p.key));
  let opened: OpenedEngine | undefined;
  if (missing.length > 0) {
    opened = await openEngine(
      { graph: run.graph, nodeCount: cut.index + 1, outputKey: cut.key! },
      { engine: run.engine },
    );
    try {
      const forward = prefixForward(run, cut, opened);
      for (const p of missing) manifests.set(p.key, await extractSplit(store, p, forward, bus, epoch));
    } finally {
      await opened.dispose();
    }
  }
  const readers: Partial<Record<Split, CachedRows>> = {};
  try {
    for (const p of plans) {
      readers[p.split] = await StoredFeatures.open(
        store,
        manifests.get(p.key)!,
        p.persistent ? undefined : () => store.clear([p.key]),
      );
    }
  } catch (e) {
    for (const r of Object.values(readers)) r.dispose();
    throw e;
  }
  return {
    train: readers.train!,
    ...(readers.validation ? { validation: readers.validation } : {}),
    reused: missing.length === 0,
    ...(opened ? { opened } : {}),
    dir: store.root,
    keys: plans.map((p) => p.key),
  };
}

function splitSource(run: RunConfig, split: Split): CheckedStream | undefined {
  const stream = split === 'train' ? run.stream?.train : run.stream?.validation;
  if (stream) return stream;
  const set = split === 'train' ? run.trainSet : run.valSet;
  return set ? new CheckedStream(tensorSource(set, run.evalBatch), `the ${split} tensors`) : undefined;
}

async function planSplit(
  stream: CheckedStream,
  split: Split,
  prefixHash: string,
  cut: CutDecision,
): Promise<SplitPlan> {
  const { createHash, randomBytes } = await nodeCrypto();
  if (stream.identity === undefined) {
    return { split, stream, key: randomBytes(16).toString('hex'), persistent: false };
  }
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        v: 1,
        prefix: prefixHash,
        layers: cut.prefixLayers.length,
        data: stream.identity,
        split,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  return { split, stream, key, persistent: true };
}

/** Tensors as a stream of row slices, named by a hash of their bytes (so `cache: 'persist'` works for tensors too). */
function tensorSource(set: XY, batchSize: number): StreamSource {
  const xs = Array.isArray(set.x) ? set.x : [set.x];
  const n = set.y.shape[0]!;
  const parts = [...xs, set.y].map(
    (t) => `${t.dtype}[${t.shape}]:${hashBytes(t.dataSync() as Float32Array)}`,
  );
  return {
    size: n,
    identity: `tensors:${parts.join('|')}`,
    *batches() {
      for (let s = 0; s < n; s += batchSize) {
        const e = Math.min(n, s + batchSize);
        const x = xs.map((t) => t.slice(s, e - s));
        yield { x: Array.isArray(set.x) ? x : x[0]!, y: set.y.slice(s, e - s) };
      }
    },
  };
}

/**
 * What the prefix computes, independent of layer names (a model rebuilt in the same process gets new
 * automatic names): each layer's class and configuration without its name, and every weight's shape and
 * bytes (BatchNorm statistics included), in graph order.
 */
function prefixFingerprint(run: RunConfig, cut: CutDecision): string {
  const nodes = run.graph.nodes.slice(0, cut.index + 1);
  const weightsOf = new Map<unknown, string[]>();
  for (const r of run.refs) {
    const v = r.variable.read();
    const list = weightsOf.get(r.layer) ?? [];
    list.push(`[${v.shape}]:${hashBytes(v.dataSync() as Float32Array)}`);
    weightsOf.set(r.layer, list);
  }
  return nodes
    .map((n) => {
      const { name: _name, ...config } = n.layer.getConfig() as Record<string, unknown>;
      return `${n.layer.getClassName()}${JSON.stringify(config)}${(weightsOf.get(n.layer) ?? []).join(',')}`;
    })
    .join('|');
}

/** The prefix on the chosen engine (one input), or on TF.js for a multi-input prefix. */
function prefixForward(run: RunConfig, cut: CutDecision, opened: OpenedEngine): PrefixForward {
  return (x) => {
    const xs = Array.isArray(x) ? x : [x];
    if (xs.length === 1) return opened.engine.run(xs[0]!);
    return tf.tidy(() => {
      const feeds = new Map(run.graph.inputs.map((k, i) => [k, xs[i]!] as const));
      return runFlat(run.graph, 0, cut.index + 1, feeds, false).get(cut.key!)!;
    });
  };
}

async function extractSplit(
  store: FeatureStore,
  p: SplitPlan,
  forward: PrefixForward,
  bus: TrainBus,
  epoch: number,
): Promise<EntryManifest> {
  const { manifest } = await extractToStore(store, p.key, p.stream, forward, {
    describe: { split: p.split, data: p.stream.identity ?? '(one-run stream)' },
    onProgress: (pr) =>
      bus.emit({
        type: 'extract',
        epoch,
        split: p.split,
        rows: pr.rows,
        ...(pr.total !== undefined ? { total: pr.total } : {}),
        ms: pr.ms,
        examplesPerSec: pr.ms > 0 ? (pr.rows * 1000) / pr.ms : 0,
      }),
  });
  return manifest;
}

/** Cached rows of a stream kept in memory (browsers, where there is no file system): features and labels. */
class MemoryRows implements CachedRows {
  readonly onDisk = false;
  constructor(
    private readonly features: tf.Tensor,
    private readonly labels: tf.Tensor,
  ) {}
  get rows(): number {
    return this.features.shape[0]!;
  }
  get bytes(): number {
    return (this.features.size + this.labels.size) * 4;
  }
  take(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor {
    return takeRows(this.features, order, start, end, contiguous);
  }
  takeLabels(order: Int32Array, start: number, end: number, contiguous: boolean): tf.Tensor {
    return takeRows(this.labels, order, start, end, contiguous);
  }
  dispose(): void {
    tf.dispose([this.features, this.labels]);
  }
}

/** Streams where no file system exists: the prefix's outputs and the labels go to memory, one pass. */
export async function buildStreamMemoryCache(
  run: RunConfig,
  bus: TrainBus,
  epoch: number,
  cut: CutDecision,
): Promise<{ train: CachedRows; validation?: CachedRows; opened: OpenedEngine }> {
  const opened = await openEngine(
    { graph: run.graph, nodeCount: cut.index + 1, outputKey: cut.key! },
    { engine: run.engine },
  );
  const made: CachedRows[] = [];
  try {
    const forward = prefixForward(run, cut, opened);
    const collect = async (stream: CheckedStream, split: Split): Promise<CachedRows> => {
      const feats: tf.Tensor[] = [];
      const labels: tf.Tensor[] = [];
      const t0 = performance.now();
      let rows = 0;
      try {
        for await (const b of stream.pass(0)) {
          try {
            feats.push(await forward(b.x));
            labels.push(b.y.toFloat());
          } finally {
            tf.dispose([...(Array.isArray(b.x) ? b.x : [b.x]), b.y]);
          }
          rows += b.rows;
          const ms = performance.now() - t0;
          await bus.emit({
            type: 'extract',
            epoch,
            split,
            rows,
            ms,
            examplesPerSec: ms > 0 ? (rows * 1000) / ms : 0,
          });
        }
        const r = new MemoryRows(tf.concat(feats, 0), tf.concat(labels, 0));
        made.push(r);
        return r;
      } finally {
        tf.dispose([...feats, ...labels]);
      }
    };
    const train = await collect(run.stream!.train, 'train');
    const validation = run.stream!.validation
      ? await collect(run.stream!.validation, 'validation')
      : undefined;
    return validation ? { train, validation, opened } : { train, opened };
  } catch (e) {
    for (const r of made) r.dispose();
    throw e;
  } finally {
    await opened.dispose();
  }
}
