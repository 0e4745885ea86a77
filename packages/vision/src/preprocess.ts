import * as tf from '@tensorflow/tfjs';
import { VisionError } from './errors';

/**
 * How a backbone expects its pixels. Inputs to `preprocess` are always 0..255 RGB (or gray) floats.
 * - `mobilenet`: scale to [-1, 1] (Keras `mobilenet_v2.preprocess_input`, mode "tf");
 * - `caffe`: RGB→BGR and subtract the ImageNet channel means, no scaling (Keras ResNet50, mode "caffe");
 * - `torch`: scale to [0, 1], then subtract the ImageNet mean and divide by its std per RGB channel
 *   (torchvision's `Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225])`);
 * - `unit`: scale to [0, 1] (the project's MNIST CNN);
 * - `none`: pass through.
 */
export type PreprocessMode = 'mobilenet' | 'caffe' | 'torch' | 'unit' | 'none';

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN_RGB = [0.485, 0.456, 0.406];
const TORCH_STD_RGB = [0.229, 0.224, 0.225];

export function preprocessImages(x: tf.Tensor4D, mode: PreprocessMode, channels: number): tf.Tensor4D {
  if (x.rank !== 4) {
    throw new VisionError(
      'SHAPE_MISMATCH',
      `expected a batch of images [batch, height, width, channels], got a tensor of shape [${x.shape.join(', ')}]`,
      'add a batch axis with x.expandDims(0)',
    );
  }
  const c = x.shape[3];
  if (c !== channels) {
    throw new VisionError(
      'CHANNEL_MISMATCH',
      `this backbone takes ${channels}-channel images, got ${c} channel(s)`,
      channels === 3
        ? 'load the data with channels: 3 (grayscale is repeated over RGB), e.g. mnistDataset({ channels: 3 }) or imageFolder(root, { channels: 3 })'
        : `load the data with channels: ${channels}`,
    );
  }
  return tf.tidy(() => {
    switch (mode) {
      case 'mobilenet':
        return x.div(127.5).sub(1) as tf.Tensor4D;
      case 'caffe': {
        if (channels !== 3) return x.sub(CAFFE_MEAN_BGR[0]!) as tf.Tensor4D;
        const bgr = x.reverse(3);
        return bgr.sub(tf.tensor1d(CAFFE_MEAN_BGR)) as tf.Tensor4D;
      }
      case 'torch': {
        const unit = x.div(255);
        if (channels !== 3) return unit.sub(TORCH_MEAN_RGB[0]!).div(TORCH_STD_RGB[0]!) as tf.Tensor4D;
        return unit.sub(tf.tensor1d(TORCH_MEAN_RGB)).div(tf.tensor1d(TORCH_STD_RGB)) as tf.Tensor4D;
      }
      case 'unit':
        return x.div(255) as tf.Tensor4D;
      default:
        return x.clone();
    }
  });
}

/** Convert a 0..255 batch between 1 and 3 channels (gray → RGB repeats; RGB → gray uses ITU-R 601 luma). */
export function toChannels(x: tf.Tensor4D, channels: 1 | 3): tf.Tensor4D {
  const c = x.shape[3];
  if (c === channels) return x.clone();
  if (c === 1 && channels === 3) return tf.tidy(() => x.tile([1, 1, 1, 3]) as tf.Tensor4D);
  if (c === 3 && channels === 1) {
    return tf.tidy(() => x.mul(tf.tensor1d([0.299, 0.587, 0.114])).sum(3, true) as tf.Tensor4D);
  }
  throw new VisionError(
    'CHANNEL_MISMATCH',
    `cannot convert ${c}-channel images to ${channels} channel(s)`,
    'images must have 1 (gray) or 3 (RGB) channels; drop alpha before converting',
  );
}
