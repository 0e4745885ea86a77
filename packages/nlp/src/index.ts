export {
  BERT_KINDS,
  BertBlock,
  type BertConfig,
  BertEmbeddings,
  type BertGraph,
  type BertKeyReport,
  type BertKind,
  type BertOutputs,
  BertPooler,
  type BertPooling,
  BertTextModel,
  type BuildBertOptions,
  bertBindings,
  buildBert,
  type FineTuneOptions,
  type FineTuneResult,
  fineTuneTextModel,
  type HfTokenizer,
  loadBertEncoder,
  loadTextModel,
  parseBertConfig,
  randomTextModel,
  type SaveHfWeightsOptions,
  type TextModelSpec,
  type TokenBatch,
  TokenReadout,
  type TrainableTextEncoder,
} from './bert/index';
export {
  EmbeddingCache,
  type EmbeddingCacheOptions,
  type EmbeddingCacheStats,
  embedCached,
  encoderCacheKey,
} from './cache';
export {
  type ClassifierTrainOptions,
  type ClassifierTrainResult,
  type Evaluation,
  type Prediction,
  TextClassifier,
  type TextClassifierOptions,
  textClassifier,
  trainTextClassifier,
} from './classifier';
export {
  type DelimitedOptions,
  parseCsv,
  parseDelimited,
  parseJsonl,
  parseTsv,
  type ReadOptions,
  readCsv,
  readDataset,
  readJsonl,
  readTsv,
  type TextDataset,
} from './data';
export type { EmbedOptions, TextEncoder } from './encoder';
export { ENCODER_PREFIX } from './encoder';
export { NlpError, type NlpErrorCode } from './errors';
export { buildHead, CLASSIFIER_LAYER, type HeadSpec } from './head';
export { type EncoderSpec, loadEncoder } from './load-encoder';
export { onnxParams, readOnnxGraph } from './onnx-params';
export { cosine, l2normalize, type Pooling, poolHidden } from './pooling';
export {
  builtinEncoderNames,
  ENCODER_REGISTRY,
  type EncoderEntry,
  type EncoderSource,
  findEncoder,
  type LoadRegisteredEncoderOptions,
} from './registry';
export { SENTIMENT_LABELS, sentimentDataset } from './sentiment';
export { type SplitOptions, seededRandom, stratifiedSplit, subset } from './split';
export {
  loadTransformersEncoder,
  resolveRuntime,
  type TransformersEncoderSpec,
  type TransformersRuntime,
} from './transformers-encoder';
export { loadUseLiteEncoder, type UseLiteEncoderSpec } from './use-lite-encoder';
export { UseTokenizer, type UseVocabulary } from './use-tokenizer';
