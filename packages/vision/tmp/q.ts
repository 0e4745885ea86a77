import * as tf from '@tensorflow/tfjs';
import { mobileNetV2 } from '../src/mobilenet-v2';
import { mobileNetV1 } from '../src/mobilenet-v1';
import { resNet50, resNet18, resNet34 } from '../src/resnet';
const cnt = (m: tf.LayersModel) => m.countParams();
let t = Date.now();
for (const [n, f] of [['v2', () => mobileNetV2({inputSize: 224})], ['v2top', () => mobileNetV2({inputSize: 224, includeTop: true})], ['v1', () => mobileNetV1({})], ['v1top', () => mobileNetV1({includeTop: true})], ['r50', () => resNet50({})], ['r50top', () => resNet50({includeTop: true})], ['r18', () => resNet18({})], ['r34', () => resNet34({})]] as const) {
  t = Date.now();
  const b = f();
  console.log(n, cnt(b.model), b.model.layers.length, b.stages.map(s => `${s.name}:${s.layers.length}`).join(' '), Date.now() - t, 'ms');
  b.model.dispose();
}
