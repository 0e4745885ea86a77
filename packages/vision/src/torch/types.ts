import type * as tf from '@tensorflow/tfjs';
import type { StageClassifier } from '../backbone';
import type { Initializer } from '../build-utils';
import type { TorchGraph } from './layers';

/** What every torchvision-layout builder takes. */
export interface TorchBuildOptions {
  inputSize: number;
  includeTop: boolean;
  /** Classes of the classifier; default: the checkpoint's. */
  numClasses?: number;
  /** `linear` (default) gives torch's logits; `softmax` probabilities for crossentropy training. */
  activation: 'linear' | 'softmax';
  init: () => Initializer | undefined;
}

/** A built torchvision architecture: the model, its key bindings and how its layers group into stages. */
export interface TorchArchBuild {
  model: tf.LayersModel;
  graph: TorchGraph;
  classify: StageClassifier;
  /** The pooled feature vector (`avgpool`), where a new head attaches. */
  featureLayer: string;
  /** The last feature map (before pooling). */
  featureMap: string;
  /** Keys of the classifier (`fc.*`, `classifier.1.*`), which `strict: false` lets a new head replace. */
  topKeys: string[];
}
