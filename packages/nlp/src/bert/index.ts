export { BERT_KINDS, type BertConfig, type BertKind, parseBertConfig } from './config';
export { type BertEncoderSpec, loadBertEncoder, type TrainableTextEncoder } from './encoder-kind';
export { type FineTuneOptions, type FineTuneResult, fineTuneTextModel } from './fine-tune';
export { BertBlock, BertEmbeddings, BertPooler, TokenReadout } from './layers';
export { type BertGraph, type BertKeyReport, type BuildBertOptions, bertBindings, buildBert } from './model';
export {
  type BertOutputs,
  type BertPooling,
  BertTextModel,
  loadTextModel,
  randomTextModel,
  type SaveHfWeightsOptions,
  type TextModelSpec,
} from './text-model';
export type { HfTokenizer, TokenBatch } from './tokenizer';
