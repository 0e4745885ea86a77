import type { CheckpointReader } from './reader';
import { readSafetensors } from './safetensors';
import { openShardedCheckpoint as openSharded } from './sharded';
import { weightsError, withSource } from './source';
import { readTorchArchive } from './torch';

export { DTYPE_BYTES, type WeightDType } from './dtypes';
export type { CheckpointReader, WeightData, WeightEntry } from './reader';
export { openSafetensors } from './safetensors';
export { openTorchCheckpoint } from './torch';
export {
  encodeSafetensors,
  type SafetensorsInput,
  type SaveSafetensorsOptions,
  saveSafetensors,
} from './write';

/**
 * Open a PyTorch-world checkpoint by its content (not its extension): a `torch.save` zip archive
 * (`.pth`, `.bin`, `.pt`) or a `.safetensors` file; a path ending in `.index.json` opens a sharded
 * Hugging Face checkpoint (see openShardedCheckpoint). Reading is lazy and nothing in the file is executed.
 */
export async function openCheckpoint(source: string | Uint8Array, name?: string): Promise<CheckpointReader> {
  if (typeof source === 'string' && source.endsWith('.index.json')) return openShardedCheckpoint(source);
  return withSource(source, name, async (src) => {
    const magic = src.size >= 4 ? await src.read(0, 4) : new Uint8Array(0);
    if (magic[0] === 0x50 && magic[1] === 0x4b && magic[2] === 0x03 && magic[3] === 0x04)
      return await readTorchArchive(src);
    // Legacy torch.save files start with PROTO 2 + LONG1 of its magic number; as a safetensors header length
    // these bytes would mean ~177 MB, over the 100 MB header limit, so the two cannot be confused.
    if (magic[0] === 0x80 && magic[1] === 0x02 && magic[2] === 0x8a && magic[3] === 0x0a) {
      throw weightsError(
        'WEIGHTS_FORMAT',
        src,
        undefined,
        'this is a legacy (pre-1.6, non-zip) torch.save file',
        'Re-save it with a current PyTorch: torch.save(torch.load(path), new_path), or convert it to .safetensors.',
      );
    }
    return await readSafetensors(src);
  });
}

/**
 * A sharded Hugging Face checkpoint (`model.safetensors.index.json`, `pytorch_model.bin.index.json`) read as one:
 * each shard is opened lazily by content, keys in the index's order; shard names must stay in the index's folder.
 */
export function openShardedCheckpoint(indexFile: string): Promise<CheckpointReader> {
  return openSharded(indexFile, (file) => openCheckpoint(file));
}
