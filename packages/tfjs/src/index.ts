export { seededRandom } from '@frostline/core';
export { type ApplyPlanOptions, type ApplyPolicyOptions, applyPlan, applyPolicy } from './apply';
export {
  BACKEND_ORDER,
  type BackendCandidate,
  type BackendChoice,
  BROWSER_BACKEND_ORDER,
  type EnsureFastBackendResult,
  ensureFastBackend,
  type SelectBackendOptions,
  selectBackend,
  wasmBinaryDir,
} from './backend';
export { type BatchNormRunMode, fixFrozenBatchNorm, getBatchNormMode, setBatchNormMode } from './batchnorm';
export {
  CHECKPOINT_JSON,
  type CheckpointMeta,
  type LoadedCheckpoint,
  loadCheckpoint,
  type SaveCheckpointArgs,
  saveCheckpoint,
} from './checkpoint';
export type { TrainData, XY } from './data';
export { ENGINE_TOLERANCE, type OutputDifference, outputDifference } from './engines/compare';
export { GuardedEngine, type GuardResult } from './engines/guard';
export { type OnnxruntimeEngineOptions, onnxruntimeEngine } from './engines/onnxruntime';
export {
  enginePrefix,
  type PredictWithEngineOptions,
  type PredictWithEngineResult,
  predictWithEngine,
} from './engines/predict';
export {
  type EngineFactory,
  type EngineReport,
  modelPrefix,
  type OpenEngineOptions,
  type OpenedEngine,
  openEngine,
} from './engines/select';
export { tfjsEngine } from './engines/tfjs';
export {
  ENGINE_NAMES,
  type EngineChoice,
  type EngineName,
  type FrozenEngine,
  type FrozenPrefix,
} from './engines/types';
export { type WorkersEngine, type WorkersEngineOptions, workersEngine } from './engines/workers';
export { FrostlineTfjsError, type FrostlineTfjsErrorCode } from './errors';
export type {
  CacheStatus,
  EpochCacheStatus,
  EpochLogs,
  TrainContext,
  TrainEvent,
  TrainListener,
} from './events';
export {
  type ExtractProgress,
  extractToStore,
  type PrefixForward,
  StoredFeatures,
} from './feature-store/features';
export {
  type Batch,
  type BatchSource,
  CheckedStream,
  type StreamData,
  type StreamSource,
} from './feature-store/source';
export {
  DEFAULT_MAX_BYTES,
  defaultStoreDir,
  type EntryManifest,
  FeatureStore,
  type FeatureStoreOptions,
  type StoreEntryInfo,
} from './feature-store/store';
export { ensureDirSync } from './fs-safe';
export {
  fileSystemIO,
  loadModel,
  registerFileSystemRouters,
  saveModel,
  toArtifacts,
} from './io';
export {
  type RegisterWasmGradKernelsOptions,
  registerWasmGradKernels,
  wasmFasterKernelConfigs,
  wasmGradKernelConfigs,
} from './kernels/register';
export type { LossName } from './losses';
export {
  type AliasFn,
  attachAliases,
  attachedAliases,
  type ModelLike,
  type ModelWithAliases,
} from './model-names';
export { DEFAULT_OPSET, type ExportOnnxOptions, exportOnnx } from './onnx/export';
export { type OptimizerConfig, type OptimizerName, type OptimizerState, ParamOptimizer } from './optimizer';
export { listParams, paramName } from './params';
export { trainEvents } from './stream';
export {
  type CacheEngineInfo,
  copyWeightsByName,
  type EarlyStoppingOptions,
  policyFromModel,
  resume,
  type TrainOptions,
  type TrainResult,
  train,
} from './train';
export {
  type CheckpointReader,
  DTYPE_BYTES,
  encodeSafetensors,
  openCheckpoint,
  openSafetensors,
  openShardedCheckpoint,
  openTorchCheckpoint,
  type SafetensorsInput,
  type SaveSafetensorsOptions,
  saveSafetensors,
  type WeightData,
  type WeightDType,
  type WeightEntry,
} from './weights';
