import * as tf from '@tensorflow/tfjs';
import { ancestorNodes } from '../graph';
import { layerClassName } from '../params';
import type { FrozenPrefix } from './types';

type LayerClass = [
  unknown,
  (cls: unknown, config: tf.serialization.ConfigDict) => tf.serialization.Serializable,
];

/**
 * The prefix rebuilt as a standalone LayersModel (fresh layers from each layer's config, same weights)
 * and saved to in-memory artifacts, so another thread can load it with plain `tf.loadLayersModel`.
 * Nested models are already flattened, so the prefix is one flat functional model.
 */
export async function prefixArtifacts(prefix: FrozenPrefix): Promise<tf.io.ModelArtifacts> {
  const { graph, outputKey } = prefix;
  const registry = tf.serialization.SerializationMap.getMap().classNameMap as unknown as Record<
    string,
    LayerClass
  >;
  const input = tf.input({ batchShape: graph.inputShapes[0]! });
  const values = new Map<string, tf.SymbolicTensor>([[graph.inputs[0]!, input]]);
  const used = new Set<string>();
  const copies: Array<[tf.layers.Layer, tf.layers.Layer]> = [];
  for (const n of ancestorNodes(graph, [outputKey])) {
    const cls = layerClassName(n.layer);
    const entry = registry[cls];
    if (!entry) throw new Error(`layer class ${cls} is not registered with TF.js serialization`);
    const config = { ...(n.layer.getConfig() as tf.serialization.ConfigDict) };
    delete config.batchInputShape;
    delete config.inputShape;
    let name = n.layer.name;
    for (let i = 1; used.has(name); i++) name = `${n.layer.name}_${i}`;
    used.add(name);
    config.name = name;
    const copy = entry[1](entry[0], config) as unknown as tf.layers.Layer;
    const ins = n.inputs.map((k) => values.get(k)!);
    const out = copy.apply(ins.length === 1 ? ins[0]! : ins, n.callArgs) as tf.SymbolicTensor;
    values.set(n.outputs[0]!, out);
    copies.push([n.layer, copy]);
  }
  const model = tf.model({ inputs: input, outputs: values.get(outputKey)! });
  try {
    for (const [from, to] of copies) to.setWeights(from.getWeights());
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    return artifacts!;
  } finally {
    model.dispose();
  }
}
