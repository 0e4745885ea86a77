export { type ArtifactOptions, modelFromArtifacts } from './artifacts';
export { type AugmentOptions, augment, augmentation } from './augment';
export {
  type Backbone,
  type CreateBackboneOptions,
  createBackbone,
  type Stage,
  type StageClassifier,
  truncateBackbone,
} from './backbone';
export type { BackboneOptions } from './build-utils';
export { checkCompatible, type ImageDataset, type ImageSplit } from './dataset';
export { type DescribeOptions, describeBackbone } from './describe';
export { VisionError, type VisionErrorCode } from './errors';
export { detectFamily, type Family } from './families';
export { HEAD_STAGE_ALIASES, type HeadOptions, withHead } from './head';
export { type DecodeOptions, decodeImage, imageFromPixels } from './image';
export {
  type ImageFolderDataset,
  type ImageFolderOptions,
  type ImageFolderReport,
  imageFolder,
} from './image-folder';
export { type LoadBackboneOptions, loadBackbone, PRETRAINED_URLS } from './load-backbone';
export { MNIST_TRAIN_PER_DIGIT, type MnistDataset, type MnistOptions, mnistDataset } from './mnist';
export { type MnistCnnOptions, mnistCnn } from './mnist-cnn';
export { type MobileNetV1Options, mobileNetV1 } from './mobilenet-v1';
export { type MobileNetV2Options, makeDivisible, mobileNetV2 } from './mobilenet-v2';
export { type PreprocessMode, preprocessImages, toChannels } from './preprocess';
export { type LoadPretrainedOptions, loadPretrained, type PretrainedName } from './pretrained';
export { createRng, type Rng } from './random';
export { type ResNetOptions, resNet18, resNet34, resNet50 } from './resnet';
export type { TorchBinding, TorchLayout } from './torch/layers';
export {
  isTorchArch,
  loadTorchBackbone,
  TORCH_ARCHS,
  type TorchArch,
  type TorchBackbone,
  type TorchBackboneOptions,
  type TorchCheckpointInfo,
} from './torch/load';
export { torchMobileNetV2Stages } from './torch/mobilenet-v2';
export { torchResNetStages } from './torch/resnet';
export { type SaveTorchWeightsOptions, saveTorchWeights, torchStateDict } from './torch/save';
export type { KeyReport } from './torch/state-dict';
