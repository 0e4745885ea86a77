export { type ApplyPlanOptions, type ApplyPolicyOptions, applyPlan, applyPolicy } from './apply';
export {
  BACKEND_ORDER,
  type BackendCandidate,
  type BackendChoice,
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
export { type LossName, seededRandom, type TrainData, type XY } from './data';
export { FrostlineTfjsError, type FrostlineTfjsErrorCode } from './errors';
export type { CacheStatus, EpochLogs, TrainContext, TrainEvent, TrainListener } from './events';
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
export { type OptimizerConfig, type OptimizerName, type OptimizerState, ParamOptimizer } from './optimizer';
export { listParams, paramName } from './params';
export { trainEvents } from './stream';
export {
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
