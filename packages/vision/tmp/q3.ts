import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
const req = createRequire(import.meta.url);
(async () => {
  let t = Date.now();
  const m = req('nsfwjs/models/mobilenet_v2').MobileNetV2Model;
  const j = await m.modelJson(); const json = j.default ?? j;
  const s = await m.weightBundles[0](); const b64 = typeof s === 'string' ? s : s.default;
  console.log('require', Date.now() - t); t = Date.now();
  const bytes = Buffer.from(b64, 'base64');
  console.log('b64', Date.now() - t); t = Date.now();
  const specs = json.weightsManifest.flatMap((g: any) => g.weights);
  const dec = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), specs);
  console.log('decode', Date.now() - t); t = Date.now();
  const model = await tf.models.modelFromJSON({ modelTopology: json.modelTopology } as any);
  console.log('fromJSON', Date.now() - t); t = Date.now();
})();
