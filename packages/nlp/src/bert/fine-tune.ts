import { type TrainOptions, type TrainResult, train } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import type { TextDataset } from '../data';
import { NlpError } from '../errors';
import type { HeadSpec } from '../head';
import type { BertTextModel } from './text-model';

export interface FineTuneOptions extends Omit<TrainOptions, 'aliases'> {
  /** Head of a new classifier (ignored when `classifier` is given). */
  head?: HeadSpec;
  /** Continue training this classifier (from `model.classifier()`) instead of building a new one. */
  classifier?: tf.LayersModel;
}

export interface FineTuneResult {
  /** inputs → encoder → head; shares its layers with the text model. */
  classifier: tf.LayersModel;
  result: TrainResult;
}

const xy = (model: BertTextModel, ds: TextDataset) => ({
  x: model.inputs(ds.texts),
  y: tf.tensor1d(ds.labels, 'float32'),
});

/**
 * Fine-tune a BERT-family model with a classification head under a freeze policy (`@frostline/tfjs`'
 * `train`, with the model's Hugging Face aliases so rules may name `encoder.layer.11` or exact state_dict
 * keys). Texts are tokenized once; the frozen prefix runs once through the activation cache.
 */
export async function fineTuneTextModel(
  model: BertTextModel,
  data: { train: TextDataset; validation?: TextDataset },
  opts: FineTuneOptions,
): Promise<FineTuneResult> {
  const classes = data.train.labelNames.length;
  if (classes < 2)
    throw new NlpError('DATA_SINGLE_CLASS', `a classifier needs at least 2 classes, got ${classes}`);
  const { head, classifier: given, ...trainOpts } = opts;
  const classifier = given ?? model.classifier(classes, head);
  const trainSet = xy(model, data.train);
  const validation = data.validation ? xy(model, data.validation) : undefined;
  try {
    const result = await train(classifier, validation ? { train: trainSet, validation } : trainSet, {
      ...trainOpts,
      aliases: model.aliases,
    });
    return { classifier, result };
  } finally {
    tf.dispose([...trainSet.x, trainSet.y, ...(validation ? [...validation.x, validation.y] : [])]);
  }
}
