import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { type ParamInfo, type Plan, type PolicySpec, planFreeze } from '@frostline/core';
import { ensureBackend, loadTf, loadTfjs, type TrainEventLike } from './adapters';
import { type RunConfig, resolvePolicy } from './config';
import { CliError } from './errors';
import type { PrepareContext, PreparedRun } from './prepared';
import { writeReport } from './report';
import {
  type CacheRecord,
  type EpochRecord,
  type PlanSnapshot,
  type RunRecord,
  snapshotPlan,
} from './run-record';

export interface RunTrainingOptions {
  /** Every tfjs train event, as it happens. */
  onEvent?: (e: TrainEventLike) => void;
  /** Human notes (dataset summary, where files went). */
  onNote?: (message: string, fields?: Record<string, unknown>) => void;
  /** Abort = stop after the current batch; the last finished epoch's checkpoint stays. */
  signal?: AbortSignal;
  /** A run folder (or its checkpoint/ folder) to continue. */
  resume?: string;
  /** Build the model and data yourself (tests, the demo); default: from the config. */
  prepare?: (config: RunConfig, ctx: PrepareContext) => Promise<PreparedRun>;
}

export interface TrainingOutcome {
  status: 'completed' | 'interrupted' | 'stopped-early';
  output: string;
  files: {
    model?: string;
    metrics: string;
    plans: string;
    report: string;
    checkpoint?: string;
    config: string;
  };
  run: RunRecord;
  epochsCompleted: number;
}

export const CHECKPOINT_DIR = 'checkpoint';

/** Finds the checkpoint folder in a run folder (or accepts the checkpoint folder itself). */
export function findCheckpoint(dir: string): string {
  const abs = resolve(dir);
  if (existsSync(join(abs, 'frostline.json'))) return abs;
  if (existsSync(join(abs, CHECKPOINT_DIR, 'frostline.json'))) return join(abs, CHECKPOINT_DIR);
  throw new CliError(
    'FILE_NOT_FOUND',
    `no checkpoint in ${dir} (expected ${join(dir, CHECKPOINT_DIR, 'frostline.json')}); pass the run's output folder`,
  );
}

function writeJson(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, path);
}

/** JSON-safe config for metrics.json / the report (inline policies as written). */
function configForRecord(config: RunConfig): Record<string, unknown> {
  const { source: _source, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

interface MetricsFile {
  status: string;
  epochs: EpochRecord[];
  test?: RunRecord['test'];
}

function readPriorMetrics(runDir: string): MetricsFile | undefined {
  const path = join(runDir, 'metrics.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as MetricsFile;
  } catch {
    return undefined;
  }
}

function readPriorPlans(runDir: string): PlanSnapshot[] {
  const path = join(runDir, 'plans.json');
  if (!existsSync(path)) return [];
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as { plans?: PlanSnapshot[] };
    return v.plans ?? [];
  } catch {
    return [];
  }
}

async function defaultPrepare(config: RunConfig, ctx: PrepareContext): Promise<PreparedRun> {
  if (config.task === 'image-classification') return (await import('./prepare-image')).prepareImage(config);
  return (await import('./prepare-text')).prepareText(config, ctx);
}

/**
 * Runs a training config end to end: builds model and data, checks the policy against the model
 * before any training (a policy that matches nothing fails in seconds, with core's suggestion),
 * trains with tfjs `train` (checkpoint every epoch), then writes model/, metrics.json, plans.json,
 * report.html. On abort it still writes what finished and reports `interrupted`.
 */
export async function runTraining(
  config: RunConfig,
  opts: RunTrainingOptions = {},
): Promise<TrainingOutcome> {
  const note = opts.onNote ?? (() => {});
  const policy: PolicySpec = resolvePolicy(config);
  const backend = await ensureBackend(config.backend);
  const tfjs = await loadTfjs();
  const tf = await loadTf();
  const resumeDir = opts.resume ? resolve(opts.resume) : undefined;
  const checkpointIn = resumeDir ? findCheckpoint(resumeDir) : undefined;
  const runDirOfResume = checkpointIn ? resolve(checkpointIn, '..') : undefined;
  const output = config.output;

  const prepared = await (opts.prepare ?? defaultPrepare)(config, { note });
  // Ctrl-C while loading or embedding: tfjs train sees the aborted signal before its first epoch and
  // the run ends as `interrupted` below, with nothing to checkpoint.
  const t0 = Date.now();
  let model = prepared.model;
  try {
    const aliases = prepared.aliases;
    const modelParams: ParamInfo[] = tfjs.listParams(model, aliases ? { aliases } : {});
    const external = prepared.externalParams ?? [];
    const planAll = (epoch: number): Plan => planFreeze([...external, ...modelParams], policy, { epoch });
    // Fail fast (exit 2) on a policy that does not fit this model, before any data goes through it.
    try {
      planAll(0);
    } catch (error) {
      if (error instanceof Error && error.name === 'PolicyError') {
        const where =
          typeof config.policy === 'string'
            ? `${config.policy}: `
            : `${config.source ? `${basename(config.source)}: ` : ''}policy.`;
        error.message = `${where}${error.message}`;
      }
      throw error;
    }
    note(
      `model ${prepared.modelName}: ${modelParams.length} tensors; data ${prepared.counts.train} train / ${prepared.counts.validation} validation${prepared.counts.test ? ` / ${prepared.counts.test} test` : ''}, ${prepared.classes.length} classes`,
    );

    mkdirSync(output, { recursive: true });
    const checkpointDir = join(output, CHECKPOINT_DIR);
    const files = {
      metrics: join(output, 'metrics.json'),
      plans: join(output, 'plans.json'),
      report: join(output, 'report.html'),
      config: join(output, 'config.json'),
      checkpoint: checkpointDir,
    };
    writeJson(files.config, { ...configForRecord(config), policy: policy });

    // Epochs from before a resume come from the earlier run's files (the checkpoint has its history).
    const prior = runDirOfResume ? readPriorMetrics(runDirOfResume) : undefined;
    const priorPlans = runDirOfResume ? readPriorPlans(runDirOfResume) : [];
    const epochs = new Map<number, EpochRecord>();
    for (const e of prior?.epochs ?? []) epochs.set(e.epoch, e);
    const plans = new Map<number, PlanSnapshot>();
    for (const p of priorPlans) plans.set(p.epoch, p);
    const cache: CacheRecord[] = [];
    const cacheByEpoch = new Map<number, string>();
    let stoppedEarly = false;

    const record = (): RunRecord => ({
      title: config.name ?? `${prepared.modelName} · ${config.task}`,
      task: config.task,
      model: prepared.modelName,
      createdAt: new Date(t0).toISOString(),
      backend,
      epochs: [...epochs.values()].sort((a, b) => a.epoch - b.epoch),
      plans: [...plans.values()].sort((a, b) => a.epoch - b.epoch),
      ...(prepared.stages
        ? { stages: prepared.stages.map((s) => ({ name: s.name, layers: [...s.layers] })) }
        : {}),
      cache,
      dataset: {
        train: prepared.counts.train,
        validation: prepared.counts.validation,
        ...(prepared.counts.test !== undefined ? { test: prepared.counts.test } : {}),
        classes: prepared.classes,
      },
      config: configForRecord(config),
      notes: [...prepared.notes],
    });

    const onEvent = (event: TrainEventLike) => {
      let e = event;
      if (e.type === 'plan') {
        const epoch = Number(e.epoch);
        // The report's plan includes external (encoder) parameters: recompute over all of them, and
        // show listeners that plan too (the trainer only sees the head).
        const plan = external.length ? planAll(epoch) : (e.plan as Plan);
        plans.set(epoch, snapshotPlan(plan));
        if (external.length) e = { ...e, plan, summary: plan.summary };
      } else if (e.type === 'cache') {
        // tfjs reports the cache once per epoch (hit / built / invalidated / disabled); the last word wins.
        cacheByEpoch.set(Number(e.epoch), String(e.status));
        if (e.status !== 'hit') {
          cache.push({
            epoch: Number(e.epoch),
            status: String(e.status),
            reason: String(e.reason ?? ''),
            ms: Number(e.ms),
            prefixLayers: Number(e.prefixLayers ?? 0),
          });
        }
      } else if (e.type === 'epochEnd') {
        const logs = (e.logs ?? {}) as Record<string, number | undefined>;
        const epoch = Number(e.epoch);
        // Epochs without a cache event keep the previous state: a built cache is hit, a disabled one stays off.
        let cacheThisEpoch = cacheByEpoch.get(epoch);
        if (cacheThisEpoch === undefined) {
          const prev = [...cacheByEpoch.entries()]
            .filter(([k]) => k < epoch)
            .sort((a, b) => b[0] - a[0])[0]?.[1];
          if (prev !== undefined) cacheThisEpoch = prev === 'disabled' ? 'disabled' : 'hit';
          if (cacheThisEpoch) cacheByEpoch.set(epoch, cacheThisEpoch);
        }
        const rec: EpochRecord = {
          epoch,
          loss: logs.loss,
          ...(logs.acc !== undefined ? { acc: logs.acc } : {}),
          ...(logs.val_loss !== undefined ? { valLoss: logs.val_loss } : {}),
          ...(logs.val_acc !== undefined ? { valAcc: logs.val_acc } : {}),
          ms: Number(e.ms),
          frozenMs: Number(e.frozenMs ?? 0),
          trainableMs: Number(e.trainableMs ?? 0),
          examplesPerSec: Number(e.ms) > 0 ? (prepared.counts.train / Number(e.ms)) * 1000 : 0,
          ...(cacheThisEpoch ? { cache: cacheThisEpoch } : {}),
        };
        epochs.set(epoch, rec);
        // tfjs reports a plan when it changes; the record keeps one per epoch.
        if (!plans.has(epoch)) {
          const before = [...plans.values()]
            .filter((p) => p.epoch < epoch)
            .sort((a, b) => b.epoch - a.epoch)[0];
          if (before) plans.set(epoch, { ...before, epoch });
        }
        // Keep metrics.json current so an interrupted run still has its history on disk.
        writeJson(files.metrics, { status: 'running', epochs: record().epochs });
      } else if (e.type === 'end') {
        stoppedEarly = e.stoppedEarly === true;
      }
      opts.onEvent?.(e);
    };

    let status: TrainingOutcome['status'] = 'completed';
    try {
      await tfjs.train(model, prepared.data, {
        policy: prepared.trainerPolicy ? prepared.trainerPolicy(policy) : policy,
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        optimizer: config.optimizer,
        seed: config.seed,
        cache: config.cache,
        verifyFrozen: config.verifyFrozen,
        ...(config.earlyStopping ? { earlyStopping: config.earlyStopping } : {}),
        ...(aliases ? { aliases } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        checkpoint: { dir: checkpointDir, every: 1 },
        ...(checkpointIn ? { resumeFrom: checkpointIn } : {}),
        onEvent,
      });
      if (stoppedEarly) status = 'stopped-early';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (!(opts.signal?.aborted && (code === 'ABORTED' || (error as Error).name === 'AbortError')))
        throw error;
      status = 'interrupted';
    }

    const run = record();
    run.status = status;
    run.totalMs = Date.now() - t0;

    // Test accuracy on the held-out split, when the dataset has one.
    if (prepared.test && status !== 'interrupted') {
      const { x, y } = prepared.test;
      // The trained model is inference-only now: run it on the fastest engine present.
      const fast = tfjs.predictWithEngine ? await tfjs.predictWithEngine(model, x) : undefined;
      const acc = tf.tidy(() => {
        const pred = fast ? fast.output : model.predict(x);
        return tf.metrics.categoricalAccuracy(y, pred).mean().dataSync()[0] as number;
      });
      fast?.output.dispose();
      const engine = fast ? { engine: fast.engine.name, examplesPerSec: fast.examplesPerSec } : {};
      run.test = { acc, examples: prepared.counts.test ?? 0, ...engine };
      note(
        `test accuracy ${(acc * 100).toFixed(1)}% on ${prepared.counts.test} examples${fast ? ` (${fast.engine.name}, ${fast.examplesPerSec.toFixed(0)} ex/s)` : ''}`,
      );
    }

    const out: TrainingOutcome['files'] = { ...files };
    if (status !== 'interrupted') {
      const modelDir = join(output, 'model');
      await tfjs.saveModel(model, modelDir);
      out.model = modelDir;
    }
    if (!existsSync(join(checkpointDir, 'frostline.json'))) delete out.checkpoint;
    writeJson(files.metrics, { status, epochs: run.epochs, ...(run.test ? { test: run.test } : {}) });
    writeJson(files.plans, { plans: run.plans });
    writeReport(output, run);
    return { status, output, files: out, run, epochsCompleted: run.epochs.length };
  } finally {
    await prepared.dispose();
    model?.dispose?.();
    model = undefined;
  }
}
