import { FrostlineTfjsError } from '../errors';
import { nodeFs, nodePath } from '../node';
import type { CheckpointReader } from './reader';
import { unknownKeyError, weightsError } from './source';

/**
 * Open a sharded Hugging Face checkpoint through its index (`model.safetensors.index.json` or
 * `pytorch_model.bin.index.json`: `{ "weight_map": { key: "shard-file" } }`). Every shard is opened lazily
 * with `open` (the caller's format dispatcher); the result reads like one checkpoint, keys in index order.
 * Shard names must be plain file names inside the index's folder.
 */
export async function openShardedCheckpoint(
  indexFile: string,
  open: (file: string) => Promise<CheckpointReader>,
): Promise<CheckpointReader> {
  const fs = await nodeFs();
  const path = await nodePath();
  let map: Record<string, unknown>;
  try {
    const json = JSON.parse(await fs.promises.readFile(indexFile, 'utf8')) as { weight_map?: unknown };
    if (typeof json.weight_map !== 'object' || json.weight_map === null)
      throw new Error('no "weight_map" object');
    map = json.weight_map as Record<string, unknown>;
  } catch (e) {
    throw weightsError(
      'WEIGHTS_CORRUPT',
      indexFile,
      undefined,
      `not a checkpoint index (${(e as Error).message})`,
      'Point at model.safetensors.index.json or pytorch_model.bin.index.json as written by transformers.',
    );
  }
  const dir = path.dirname(indexFile);
  const shards = new Map<string, CheckpointReader>();
  const owner = new Map<string, CheckpointReader>();
  try {
    for (const [key, shard] of Object.entries(map)) {
      if (typeof shard !== 'string' || shard !== path.basename(shard) || shard === '..' || shard === '.') {
        throw new FrostlineTfjsError(
          'UNSAFE_PATH',
          `${indexFile}, key '${key}': shard ${JSON.stringify(shard)} is not a file name in the index's folder; refusing to read it.`,
          { file: indexFile, path: key },
        );
      }
      if (!shards.has(shard)) shards.set(shard, await open(path.join(dir, shard)));
      const r = shards.get(shard)!;
      if (!r.has(key))
        throw weightsError(
          'WEIGHTS_UNKNOWN_KEY',
          r.file,
          key,
          'the index names this key but the shard does not hold it',
          'Download the checkpoint again.',
        );
      owner.set(key, r);
    }
  } catch (e) {
    await Promise.all([...shards.values()].map((r) => r.close()));
    throw e;
  }
  const get = (key: string): CheckpointReader => {
    const r = owner.get(key);
    if (!r) throw unknownKeyError(indexFile, key, owner.size);
    return r;
  };
  const first = [...shards.values()][0];
  return {
    file: indexFile,
    format: first?.format ?? 'safetensors',
    metadata: first?.metadata ?? {},
    keys: () => [...owner.keys()],
    has: (key) => owner.has(key),
    entry: (key) => get(key).entry(key),
    read: (key) => get(key).read(key),
    readTensor: (key) => get(key).readTensor(key),
    close: async () => {
      await Promise.all([...shards.values()].map((r) => r.close()));
    },
  };
}
