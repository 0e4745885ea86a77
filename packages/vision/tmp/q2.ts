import * as tf from '@tensorflow/tfjs';
import { loadPretrained } from '../src/pretrained';
import { mobileNetV2 } from '../src/mobilenet-v2';
(async () => {
  let t = Date.now();
  const b = await loadPretrained('mobilenet_v2', { inputSize: 96 });
  console.log('load ms', Date.now() - t, b.model.countParams(), b.model.layers.length, b.stages.map(s => `${s.name}:${s.layers.length}`).join(' '), b.featureLayer, b.model.outputs[0].shape);
  const x = tf.randomUniform([2, 96, 96, 3], 0, 255) as tf.Tensor4D;
  t = Date.now();
  const y = b.model.predict(b.preprocess(x)) as tf.Tensor;
  console.log('predict ms', Date.now() - t, y.shape, (await y.data()).slice(0, 5));
  const mine = mobileNetV2({ inputSize: 96 });
  const a = b.model.weights.map(w => `${w.originalName}:${w.shape}`).sort().join('\n');
  const c = mine.model.weights.map(w => `${w.originalName}:${w.shape}`).sort().join('\n');
  console.log('same weight names/shapes', a === c, b.model.weights.length);
  console.log(b.model.layers.filter(l => !l.trainable).length, 'non-trainable layers');
  console.log(tf.memory().numTensors);
})();
