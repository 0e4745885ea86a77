import * as tf from '@tensorflow/tfjs';

type VariableRegistry = { state: { registeredVariables: Record<string, { dispose(): void }> } };

/**
 * Run a model build; if it throws, dispose the variables it had created by then. tf.loadLayersModel
 * builds layer by layer, so a model.json that fails at its third layer leaves the first two's weights
 * allocated for good otherwise.
 */
export async function disposeVariablesOnFailure<T>(build: () => Promise<T>): Promise<T> {
  const registry = (tf.engine() as unknown as VariableRegistry).state.registeredVariables;
  const before = new Set(Object.keys(registry));
  try {
    return await build();
  } catch (e) {
    for (const [name, v] of Object.entries(registry)) if (!before.has(name)) v.dispose();
    throw e;
  }
}
