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
  type Blame,
  blame,
  CliError,
  type CliErrorCode,
  type CliErrorOptions,
  describeError,
  EXIT_BAD_INPUT,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  MAX_MESSAGE_LENGTH,
} from './errors';
export { BufferStream, type CliIO, type OutStream, processIO } from './io';
export { main, VERSION } from './main';
export {
  builtinModelNames,
  type ModelStage,
  modelsHelp,
  type ResolvedModel,
  type ResolveModelOptions,
  resolveModel,
} from './models';
export { loadPolicyFile } from './policy-file';
export type {
  OwnTrainArgs,
  OwnTrainResult,
  PrepareContext,
  PreparedOwnRun,
  PreparedRun,
  PreparedTfjsRun,
  TensorSplit,
} from './prepared';
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
export { checkRunFolder, claimRunFolder, isRunFolder, markRunFolder, RUN_MARKER } from './run-folder';
export {
  type CacheRecord,
  type EpochRecord,
  type PlanSnapshot,
  type RunRecord,
  snapshotPlan,
} from './run-record';
export { RunRecorder, type RunRecorderOptions } from './run-recorder';
export { type Infer, type Schema, SchemaError, validate, withDefaults } from './schema';
export { TOY_MODELS, type ToyModel } from './toy-models';
export {
  CHECKPOINT_DIR,
  findCheckpoint,
  prepareRun,
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
