import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isPolicyError, type PolicySpec } from '@frostline/core';
import pkg from '../package.json';
import { ensureBackend, type LayersModel, loadTf, loadTfjs, type TrainEvent } from './adapters';
import { inlinePolicyBlame, type RunConfig, resolvePolicy, trainerOptions } from './config';
import { blame, CliError } from './errors';
import type { ModelStage } from './models';
import type { PrepareContext, PreparedOwnRun, PreparedRun, PreparedTfjsRun } from './prepared';
import { writeReport } from './report';
import { checkRunFolder, markRunFolder, writeJsonAtomic } from './run-folder';
import type { EpochRecord, PlanSnapshot, RunRecord } from './run-record';
import { RunRecorder } from './run-recorder';

export interface RunTrainingOptions {
  /** Every tfjs train event, as it happens. */
  onEvent?: (e: TrainEvent) => void;
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
  throw new CliError('FILE_NOT_FOUND', `no checkpoint in ${dir}`, {
    file: dir,
    hint: `expected ${join(dir, CHECKPOINT_DIR, 'frostline.json')}; pass the run's output folder`,
  });
}

/** JSON-safe config for metrics.json / the report (inline policies as written). */
function configForRecord(config: RunConfig): Record<string, unknown> {
  const { source: _source, ...rest } = config;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** A JSON file an earlier run wrote, or undefined when it is missing or unreadable. */
function readRunJson<T>(path: string): T | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Builds the model and data a config describes (image: prepare-image, text: prepare-text). */
export async function prepareRun(config: RunConfig, ctx: PrepareContext): Promise<PreparedRun> {
  if (config.task === 'image-classification') return (await import('./prepare-image')).prepareImage(config);
  return (await import('./prepare-text')).prepareText(config, ctx);
}

const isAbort = (error: unknown, signal: AbortSignal | undefined): boolean =>
  !!signal?.aborted &&
  ((error as { code?: string }).code === 'ABORTED' || (error as Error).name === 'AbortError');

/** The files of a run folder. */
function runFiles(output: string) {
  return {
    metrics: join(output, 'metrics.json'),
    plans: join(output, 'plans.json'),
    report: join(output, 'report.html'),
    config: join(output, 'config.json'),
    checkpoint: join(output, CHECKPOINT_DIR),
  };
}

/** What one trainer (tfjs `train`, or a prepared run's own) left behind. */
interface Trained {
  status: TrainingOutcome['status'];
  model?: LayersModel;
  test?: RunRecord['test'];
  backend?: string;
  stages?: ModelStage[];
}

interface TrainCall {
  config: RunConfig;
  policy: PolicySpec;
  recorder: RunRecorder;
  onEvent: (e: TrainEvent) => void;
  opts: RunTrainingOptions;
  checkpointDir: string;
  checkpointIn?: string;
}

/**
 * Image runs: @frostline/tfjs `train` with a checkpoint per epoch. It plans before the first batch, so
 * a policy that does not fit the model fails in seconds (exit 2, blamed on the policy's file).
 */
async function trainWithTfjs(prepared: PreparedTfjsRun, call: TrainCall): Promise<Trained> {
  const { config, policy, opts } = call;
  const tfjs = await loadTfjs();
  const aliases = prepared.aliases;
  try {
    await tfjs.train(prepared.model, prepared.data, {
      policy,
      ...trainerOptions(config),
      cache: config.cache,
      verifyFrozen: config.verifyFrozen,
      ...(aliases ? { aliases } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      checkpoint: { dir: call.checkpointDir, every: 1 },
      ...(call.checkpointIn ? { resumeFrom: call.checkpointIn } : {}),
      onEvent: call.onEvent,
    });
  } catch (error) {
    if (!isAbort(error, opts.signal)) throw blamePolicy(error, config);
    return { status: 'interrupted', model: prepared.model };
  }
  const status = call.recorder.stoppedEarly ? 'stopped-early' : 'completed';
  return { status, model: prepared.model, ...(prepared.test ? { test: await testAccuracy(prepared) } : {}) };
}

/** A policy that does not fit the model (a selector that matches nothing) is the policy's author's. */
function blamePolicy(error: unknown, config: RunConfig): unknown {
  if (!isPolicyError(error)) return error;
  return blame(
    error,
    typeof config.policy === 'string' ? { file: config.policy } : inlinePolicyBlame(config),
  );
}

/** Accuracy on the held-out test split. */
async function testAccuracy(prepared: PreparedTfjsRun): Promise<RunRecord['test']> {
  const [tf, tfjs] = await Promise.all([loadTf(), loadTfjs()]);
  const { x, y } = prepared.test!;
  // The trained model is inference-only now: run it on the fastest engine present (checked against TF.js).
  const fast = await tfjs.predictWithEngine(prepared.model, x);
  try {
    const acc = tf.tidy(() => tf.metrics.categoricalAccuracy(y, fast.output).mean().dataSync()[0] as number);
    return {
      acc,
      examples: prepared.counts.test ?? 0,
      engine: fast.engine.name,
      examplesPerSec: fast.examplesPerSec,
    };
  } finally {
    fast.output.dispose();
  }
}

/** Text runs: the prepared run trains itself (nlp plans encoder + head once), with a checkpoint per epoch. */
async function trainOwn(prepared: PreparedOwnRun, call: TrainCall): Promise<Trained> {
  const { config, opts } = call;
  try {
    // nlp plans encoder + head once and hands the trainer that plan (its `plan` events carry it too).
    const r = await prepared.train({
      policy: call.policy,
      onEvent: call.onEvent,
      ...(opts.signal ? { signal: opts.signal } : {}),
      checkpoint: { dir: call.checkpointDir, every: 1 },
      ...(call.checkpointIn ? { resumeFrom: call.checkpointIn } : {}),
    });
    call.recorder.usePlan(r.plan);
    return {
      status: call.recorder.stoppedEarly ? 'stopped-early' : 'completed',
      model: r.model,
      backend: r.backend,
      ...(r.test ? { test: r.test } : {}),
      ...(r.stages ? { stages: r.stages } : {}),
    };
  } catch (error) {
    if (!isAbort(error, opts.signal)) throw blamePolicy(error, config);
    return { status: 'interrupted' };
  }
}

/**
 * Runs a training config end to end: checks and claims the output folder (never a user's folder),
 * builds model and data, trains (checkpoint every epoch for image runs), then writes model/,
 * metrics.json, plans.json, report.html. On abort it still writes what finished and reports
 * `interrupted`.
 */
export async function runTraining(
  config: RunConfig,
  opts: RunTrainingOptions = {},
): Promise<TrainingOutcome> {
  const note = opts.onNote ?? (() => {});
  const policy = resolvePolicy(config);
  const resumeDir = opts.resume ? resolve(opts.resume) : undefined;
  const checkpointIn = resumeDir ? findCheckpoint(resumeDir) : undefined;
  const runDirOfResume = checkpointIn ? resolve(checkpointIn, '..') : undefined;
  const output = config.output;
  const files = runFiles(output);
  // Checked before the slow work, written only once the model and data are ready.
  checkRunFolder(output, {
    ...(config.source ? { protect: [config.source] } : {}),
    adopt: runDirOfResume === resolve(output),
  });
  const backend = await ensureBackend(config.backend);
  const t0 = Date.now();
  const prepared = await (opts.prepare ?? prepareRun)(config, { note });
  let model: LayersModel | undefined;
  try {
    markRunFolder(output, pkg.version);
    note(
      `model ${prepared.modelName}; data ${prepared.counts.train} train / ${prepared.counts.validation} validation${prepared.counts.test ? ` / ${prepared.counts.test} test` : ''}, ${prepared.classes.length} classes`,
    );
    // A config.json that is the --config file itself (a resumed run's) is never written over.
    if (!config.source || resolve(config.source) !== files.config) {
      writeJsonAtomic(files.config, { ...configForRecord(config), policy });
    }
    const recorder = recorderFor(runDirOfResume);
    const onEvent = (e: TrainEvent) => {
      recorder.onEvent(e);
      // Keep metrics.json current so an interrupted run still has its history on disk.
      if (e.type === 'epochEnd')
        writeJsonAtomic(files.metrics, { status: 'running', epochs: recorder.epochs() });
      opts.onEvent?.(e);
    };
    const call: TrainCall = {
      config,
      policy,
      recorder,
      onEvent,
      opts,
      checkpointDir: files.checkpoint,
      ...(checkpointIn ? { checkpointIn } : {}),
    };
    const trained =
      prepared.kind === 'tfjs' ? await trainWithTfjs(prepared, call) : await trainOwn(prepared, call);
    model = trained.model;
    const run = recorder.record({
      ...describeRun(config, prepared, trained),
      createdAt: new Date(t0).toISOString(),
      backend: trained.backend ?? backend,
      totalMs: Date.now() - t0,
    });
    if (trained.test) {
      note(
        `test accuracy ${((trained.test.acc ?? 0) * 100).toFixed(1)}% on ${trained.test.examples} examples`,
      );
    }
    return await writeRun(output, run, trained, model);
  } finally {
    await prepared.dispose();
    model?.dispose();
  }
}

/** Epochs and plans from before a resume come from the earlier run's files (the checkpoint has its history). */
function recorderFor(runDirOfResume: string | undefined): RunRecorder {
  if (!runDirOfResume) return new RunRecorder();
  const metrics = readRunJson<{ epochs?: EpochRecord[] }>(join(runDirOfResume, 'metrics.json'));
  const plans = readRunJson<{ plans?: PlanSnapshot[] }>(join(runDirOfResume, 'plans.json'));
  return new RunRecorder({ prior: { epochs: metrics?.epochs ?? [], plans: plans?.plans ?? [] } });
}

/** What the report says about a run besides its epochs and plans. */
function describeRun(
  config: RunConfig,
  prepared: PreparedRun,
  trained: Trained,
): Omit<RunRecord, 'epochs' | 'plans'> {
  const stages = trained.stages ?? prepared.stages;
  return {
    title: config.name ?? `${prepared.modelName} · ${config.task}`,
    task: config.task,
    model: prepared.modelName,
    ...(stages ? { stages: stages.map((s) => ({ name: s.name, layers: [...s.layers] })) } : {}),
    dataset: { ...prepared.counts, classes: prepared.classes },
    config: configForRecord(config),
    notes: [...prepared.notes],
    status: trained.status,
    ...(trained.test ? { test: trained.test } : {}),
  };
}

/** Saves the model (unless interrupted), metrics.json, plans.json and report.html. */
async function writeRun(output: string, run: RunRecord, trained: Trained, model: LayersModel | undefined) {
  const files: TrainingOutcome['files'] = runFiles(output);
  const status = trained.status;
  if (status !== 'interrupted' && model) {
    const modelDir = join(output, 'model');
    await (await loadTfjs()).saveModel(model, modelDir);
    files.model = modelDir;
  }
  if (!existsSync(join(files.checkpoint!, 'frostline.json'))) delete files.checkpoint;
  writeJsonAtomic(files.metrics, { status, epochs: run.epochs, ...(run.test ? { test: run.test } : {}) });
  writeJsonAtomic(files.plans, { plans: run.plans });
  writeReport(output, run);
  return { status, output, files, run, epochsCompleted: run.epochs.length };
}
