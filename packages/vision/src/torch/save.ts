import { type SafetensorsInput, saveSafetensors } from '@frostline/tfjs';
import type * as tf from '@tensorflow/tfjs';
import type { TorchBackbone } from './load';
import { bindingTensors } from './state-dict';

export interface SaveTorchWeightsOptions {
  /** Replace an existing file (default false: an existing file is an error). */
  overwrite?: boolean;
}

/**
 * The backbone's weights as a PyTorch state_dict: the original keys, PyTorch layouts (OIHW, (out, in)), and
 * every BatchNorm's `num_batches_tracked` (int64, the checkpoint's value or 0), in the checkpoint's order.
 * The caller disposes the returned tensors.
 */
export function torchStateDict(backbone: TorchBackbone): Record<string, SafetensorsInput> {
  const tensors = bindingTensors(backbone.model, backbone.torch.bindings);
  const out: Record<string, SafetensorsInput> = {};
  for (const [key, t] of tensors) {
    out[key] = t;
    if (key.endsWith('.running_var')) {
      const nbt = `${key.slice(0, -'running_var'.length)}num_batches_tracked`;
      out[nbt] = {
        dtype: 'I64',
        shape: [],
        data: Int32Array.of(backbone.torch.batchesTracked.get(nbt) ?? 0),
      };
    }
  }
  return out;
}

/**
 * Save a (fine-tuned) torchvision-layout backbone as `.safetensors` with its original state_dict names, so
 * `model.load_state_dict(safetensors.torch.load_file(path))` loads it in PyTorch; written atomically.
 */
export async function saveTorchWeights(
  backbone: TorchBackbone,
  file: string,
  opts: SaveTorchWeightsOptions = {},
): Promise<{ file: string; bytes: number }> {
  const dict = torchStateDict(backbone);
  try {
    return await saveSafetensors(file, dict, {
      metadata: { format: 'pt' },
      overwrite: opts.overwrite ?? false,
    });
  } finally {
    for (const v of Object.values(dict)) if (!('data' in v)) (v as tf.Tensor).dispose();
  }
}
