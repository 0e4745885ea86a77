export { type GlobalFlags, HELP, type ParsedCommand, parseCommandLine } from './args';
export {
  type DatasetConfig,
  type EncoderConfig,
  type HeadConfig,
  loadRunConfig,
  parseConfigText,
  RUN_CONFIG_SCHEMA,
  type RunConfig,
  resolvePolicy,
  type Task,
  validateRunConfig,
} from './config';
export {
  CliError,
  type CliErrorCode,
  describeError,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
} from './errors';
export { BufferStream, type CliIO, type OutStream, processIO } from './io';
export { main, VERSION } from './main';
export { BACKBONES, builtinModelNames, ENCODERS, type ResolvedModel, resolveModel } from './models';
export { loadPolicyFile } from './policy-file';
export type { PrepareContext, PreparedRun } from './prepared';
export {
  formatNumber,
  formatRate,
  ProgressBar,
  type ProgressBarOptions,
  type ProgressState,
  renderBar,
} from './progress';
export {
  escapeHtml,
  type MultiRunReport,
  type ReportSection,
  renderReport,
  writeReport,
} from './report';
export {
  type CacheRecord,
  type EpochRecord,
  epochRecordsFrom,
  type PlanSnapshot,
  type RunRecord,
  runRecordFrom,
  snapshotPlan,
  type TrainResultLike,
} from './run-record';
export { type Schema, SchemaError, validate } from './schema';
export { TOY_MODELS, type ToyModel } from './toy-models';
export {
  CHECKPOINT_DIR,
  findCheckpoint,
  type RunTrainingOptions,
  runTraining,
  type TrainingOutcome,
} from './train';
export {
  createTrainProgress,
  eventToJson,
  type TrainProgress,
  type TrainProgressOptions,
} from './train-progress';
