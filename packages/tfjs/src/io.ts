import * as tf from '@tensorflow/tfjs';
import { FrostlineTfjsError } from './errors';
import { ensureDirSync, ioError, isPidAlive } from './fs-safe';
import { nodeFs, nodePath } from './node';
import { disposeVariablesOnFailure } from './variables';
import { specBytes, verifyFingerprints, withFingerprints } from './weight-fingerprints';

type NodeFs = typeof import('node:fs');
type NodePath = typeof import('node:path');

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';

/**
 * Test seam: called at named stages of an atomic folder write (`'files'` before any file is written,
 * `'weights'` before weights.bin, `'commit'` before the swap, `'swap'` between its two renames, `'cleanup'`
 * after the new folder is in place). A hook that throws (or blocks while the process is killed) simulates
 * a crash there.
 */
export type IoFaultStage = 'files' | 'weights' | 'commit' | 'swap' | 'cleanup';
export const ioFaults: { hook?: (stage: IoFaultStage, dir: string) => void } = {};

async function node(): Promise<{ fs: NodeFs; path: NodePath }> {
  const fs = await nodeFs();
  const path = await nodePath();
  return { fs, path };
}

/** `file:///a/b`, `file://rel/dir`, `file://dir/model.json` or a plain path → a folder path. */
export function fileUrlToDir(target: string): string {
  let p = target.startsWith('file://') ? target.slice('file://'.length) : target;
  if (p.endsWith(`/${MODEL_JSON}`) || p === MODEL_JSON) p = p.slice(0, -MODEL_JSON.length) || '.';
  return p;
}

const isUrl = (s: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);
const isHttp = (s: string) => /^https?:\/\//i.test(s);

/** Weight files named by a manifest must stay inside the model's folder. */
function checkWeightPath(p: string, path: NodePath, dir: string): string {
  const bad =
    typeof p !== 'string' ||
    p.length === 0 ||
    isUrl(p) ||
    path.isAbsolute(p) ||
    path.win32.isAbsolute(p) ||
    p.includes('\0') ||
    p.split(/[\\/]/).includes('..');
  const resolved = path.resolve(dir, p);
  const rel = path.relative(path.resolve(dir), resolved);
  if (bad || rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new FrostlineTfjsError(
      'UNSAFE_PATH',
      `The model manifest names the weight file '${p}', which is outside the model folder '${dir}'. ` +
        'Refusing to read it. Weight paths must be plain relative names such as "weights.bin"; re-export the model or fix model.json.',
      { details: { path: p, dir } },
    );
  }
  return resolved;
}

/**
 * The folder to read for `dir`: itself, or, when a process died between the two renames of an atomic
 * save, the previous version it had moved aside (`.<name>.old-*`).
 */
export async function resolveFolder(dir: string): Promise<string> {
  const { fs, path } = await node();
  if (fs.existsSync(dir)) return dir;
  const parent = path.dirname(path.resolve(dir));
  const prefix = `.${path.basename(path.resolve(dir))}.old-`;
  const olds = fs.existsSync(parent) ? fs.readdirSync(parent).filter((f) => f.startsWith(prefix)) : [];
  if (olds.length === 0) return dir;
  const newest = olds
    .map((f) => ({ f, t: fs.statSync(path.join(parent, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0]!.f;
  return path.join(parent, newest);
}

/** Read a model folder (model.json + weight files) with path and size checks. */
export async function readModelFolder(dirIn: string): Promise<tf.io.ModelArtifacts> {
  const { fs, path } = await node();
  const dir = await resolveFolder(dirIn);
  const jsonPath = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await fs.promises.readFile(jsonPath, 'utf8');
  } catch (e) {
    throw new FrostlineTfjsError(
      'MODEL_LOAD_FAILED',
      `No ${MODEL_JSON} in '${dir}'. Point loadModel at a folder written by saveModel (or model.save('file://…')).`,
      { cause: e },
    );
  }
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text) as tf.io.ModelJSON;
  } catch (e) {
    throw new FrostlineTfjsError('MODEL_LOAD_FAILED', `${jsonPath} is not valid JSON.`, { cause: e });
  }
  const realDir = await fs.promises.realpath(dir);
  const manifest = json.weightsManifest ?? [];
  for (const group of manifest) {
    const files = group.paths.map((p) => checkWeightPath(p, path, dir));
    const expected = group.weights.map(specBytes);
    const sizes: number[] = [];
    for (const f of files) {
      let real: string;
      try {
        real = await fs.promises.realpath(f);
      } catch (e) {
        throw new FrostlineTfjsError(
          'MODEL_LOAD_FAILED',
          `Weight file '${f}' named in ${jsonPath} is missing.`,
          {
            cause: e,
          },
        );
      }
      // A symlink inside the folder must not lead outside it either.
      const rel = path.relative(realDir, real);
      if (rel.startsWith('..') || path.isAbsolute(rel)) {
        throw new FrostlineTfjsError(
          'UNSAFE_PATH',
          `Weight file '${f}' resolves to '${real}', outside the model folder. Refusing to read it.`,
        );
      }
      sizes.push((await fs.promises.stat(real)).size);
    }
    if (expected.every((b) => b !== undefined)) {
      const want = (expected as number[]).reduce((a, b) => a + b, 0);
      const got = sizes.reduce((a, b) => a + b, 0);
      if (want !== got) {
        throw new FrostlineTfjsError(
          'WEIGHT_SIZE_MISMATCH',
          `Weight file(s) ${group.paths.join(', ')} in '${dir}' hold ${got} bytes but the manifest describes ${want}. ` +
            'The files are truncated, from another model, or the save was interrupted; re-save the model.',
          { details: { expected: want, actual: got, paths: group.paths } },
        );
      }
    }
  }
  return tf.io.getModelArtifactsForJSON(json, async (m) => {
    const specs: tf.io.WeightsManifestEntry[] = [];
    const buffers: ArrayBuffer[] = [];
    for (const group of m) {
      specs.push(...group.weights);
      for (const p of group.paths) {
        const file = path.resolve(dir, p);
        const b = await fs.promises.readFile(file).catch((e: unknown) => {
          throw ioError('read the weight file', file, e);
        });
        buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
      }
    }
    const data = tf.io.CompositeArrayBuffer.join(buffers);
    verifyFingerprints(specs, data, jsonPath);
    return [specs, data];
  });
}

const OWN_FILES = new Set([MODEL_JSON, WEIGHTS_BIN, 'frostline.json', 'optimizer.bin']);

/** Temporaries this process is writing right now (never treated as stale). */
const inFlight = new Set<string>();

/** `.<base>.tmp-<pid>-…`: the writer's pid is part of every temporary folder's name. */
function tmpPrefix(base: string): string {
  return `.${base}.tmp-`;
}

/**
 * Remove temporaries of earlier saves to the same target whose writer is gone (killed mid-save): their
 * pid is not alive, or it is this process but the folder is not one it is writing now.
 */
export async function cleanStaleTemporaries(parent: string, base: string): Promise<string[]> {
  const { fs, path } = await node();
  const prefix = tmpPrefix(base);
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.promises.readdir(parent);
  } catch {
    return removed;
  }
  for (const f of names) {
    if (!f.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(f.slice(prefix.length))?.[1]);
    const full = path.join(parent, f);
    const stale = pid === process.pid ? !inFlight.has(full) : !isPidAlive(pid);
    if (!stale) continue;
    await fs.promises.rm(full, { recursive: true, force: true });
    removed.push(full);
  }
  return removed;
}

/** Refuse to replace a path that holds anything frostline did not write. */
async function checkReplaceable(fs: NodeFs, target: string, dir: string): Promise<void> {
  if (!fs.existsSync(target)) return;
  const stat = await fs.promises.stat(target);
  const foreign = stat.isDirectory()
    ? (await fs.promises.readdir(target)).filter((f) => !OWN_FILES.has(f))
    : [target];
  if (foreign.length > 0) {
    throw new FrostlineTfjsError(
      'BAD_OPTION',
      `'${dir}' exists and holds files frostline did not write (${foreign.slice(0, 3).join(', ')}). ` +
        'Saving replaces the whole folder; choose an empty or new folder.',
      { file: dir },
    );
  }
}

/** Write each file into `tmp`, flushed to disk. */
async function writeFiles(
  fs: NodeFs,
  path: NodePath,
  tmp: string,
  target: string,
  files: Array<[string, Uint8Array | string]>,
): Promise<void> {
  ioFaults.hook?.('files', target);
  for (const [name, content] of files) {
    if (name === WEIGHTS_BIN) ioFaults.hook?.('weights', target);
    const file = path.join(tmp, name);
    try {
      const fh = await fs.promises.open(file, 'w');
      try {
        await fh.writeFile(content);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (e) {
      throw ioError('write', file, e);
    }
  }
}

/**
 * Write `files` as the folder `dir`, atomically: everything goes into a temporary sibling folder
 * (`.<name>.tmp-<pid>-…`), which then replaces `dir` by rename. A failure or a kill before the swap
 * leaves the previous folder untouched; the next save removes temporaries whose writer is gone.
 */
export async function writeFolderAtomic(
  dir: string,
  files: Array<[string, Uint8Array | string]>,
): Promise<void> {
  const { fs, path } = await node();
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const base = path.basename(target);
  ensureDirSync(fs, path, parent, 'save to', dir);
  await checkReplaceable(fs, target, dir);
  await cleanStaleTemporaries(parent, base);
  const tag = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const tmp = path.join(parent, `${tmpPrefix(base)}${tag}`);
  try {
    await fs.promises.mkdir(tmp);
  } catch (e) {
    throw ioError('save to', dir, e);
  }
  inFlight.add(tmp);
  try {
    await writeFiles(fs, path, tmp, target, files);
    ioFaults.hook?.('commit', target);
    try {
      if (fs.existsSync(target)) {
        const old = path.join(parent, `.${base}.old-${tag}`);
        await fs.promises.rename(target, old);
        ioFaults.hook?.('swap', target);
        await fs.promises.rename(tmp, target);
        ioFaults.hook?.('cleanup', target);
        await fs.promises.rm(old, { recursive: true, force: true });
      } else {
        await fs.promises.rename(tmp, target);
      }
      // Versions an interrupted earlier save moved aside are obsolete once a new one is in place.
      for (const f of await fs.promises.readdir(parent)) {
        if (f.startsWith(`.${base}.old-`))
          await fs.promises.rm(path.join(parent, f), { recursive: true, force: true });
      }
    } catch (e) {
      throw ioError('replace', dir, e);
    }
  } catch (e) {
    await fs.promises.rm(tmp, { recursive: true, force: true });
    throw e;
  } finally {
    inFlight.delete(tmp);
  }
}

/** model.json (standard tfjs layers-model format) + weights.bin for some artifacts. */
export function artifactsToFiles(a: tf.io.ModelArtifacts): Array<[string, Uint8Array | string]> {
  const data =
    a.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(a.weightData);
  const json: tf.io.ModelJSON = {
    modelTopology: a.modelTopology as tf.io.ModelJSON['modelTopology'],
    format: a.format ?? 'layers-model',
    generatedBy: a.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: a.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: withFingerprints(a.weightSpecs ?? [], data) }],
  };
  if (a.trainingConfig) json.trainingConfig = a.trainingConfig;
  if (a.userDefinedMetadata) json.userDefinedMetadata = a.userDefinedMetadata;
  if (a.signature) json.signature = a.signature;
  if (a.modelInitializer) json.modelInitializer = a.modelInitializer;
  return [
    [MODEL_JSON, JSON.stringify(json)],
    [WEIGHTS_BIN, new Uint8Array(data)],
  ];
}

/**
 * A tf.io handler for a folder on disk (Node): `save` writes model.json + weights.bin atomically,
 * `load` reads them with path and size checks. Works without tfjs-node.
 */
export function fileSystemIO(dirOrUrl: string): tf.io.IOHandler {
  const dir = fileUrlToDir(dirOrUrl);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new FrostlineTfjsError('BAD_OPTION', 'fileSystemIO saves layers models (JSON topology) only.');
      }
      await writeFolderAtomic(dir, artifactsToFiles(artifacts));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: () => readModelFolder(dir),
  };
}

let routersRegistered = false;

/**
 * Make `model.save('file://dir')` and `tf.loadLayersModel('file://dir/model.json')` work in Node without
 * tfjs-node. Idempotent; does nothing when another `file://` handler (tfjs-node) is already registered.
 */
export function registerFileSystemRouters(): void {
  if (routersRegistered) return;
  routersRegistered = true;
  const probe = 'file:///frostline-probe';
  if (tf.io.getSaveHandlers(probe).length === 0) {
    tf.io.registerSaveRouter((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://')
        ? fileSystemIO(url)
        : (null as unknown as tf.io.IOHandler),
    );
  }
  if (tf.io.getLoadHandlers(probe).length === 0) {
    tf.io.registerLoadRouter((url: string | string[]) =>
      typeof url === 'string' && url.startsWith('file://')
        ? fileSystemIO(url)
        : (null as unknown as tf.io.IOHandler),
    );
  }
}

/** The model as in-memory artifacts (topology + weights), e.g. to send or embed. */
export async function toArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let out: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      out = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  return out!;
}

/** Save to a folder (`dir` or `file://dir`, atomic) or any tf.io handler / URL scheme tf knows. */
export async function saveModel(
  model: tf.LayersModel,
  target: string | tf.io.IOHandler,
): Promise<tf.io.SaveResult> {
  if (typeof target !== 'string') return model.save(target);
  if (target.startsWith('file://') || !isUrl(target)) return model.save(fileSystemIO(target));
  return model.save(target);
}

/**
 * Load a LayersModel from a folder (`dir` or `file://dir[/model.json]`), an `http(s)://…/model.json` URL
 * (tf's own http loader), in-memory artifacts, or any tf.io handler.
 */
export async function loadModel(
  source: string | tf.io.ModelArtifacts | tf.io.IOHandler,
  opts: { strict?: boolean; fetchFunc?: typeof fetch } = {},
): Promise<tf.LayersModel> {
  const strict = opts.strict ?? true;
  return disposeVariablesOnFailure(() => loadLayersModelFrom(source, strict, opts.fetchFunc));
}

async function loadLayersModelFrom(
  source: string | tf.io.ModelArtifacts | tf.io.IOHandler,
  strict: boolean,
  fetchFunc: typeof fetch | undefined,
): Promise<tf.LayersModel> {
  try {
    if (typeof source === 'string') {
      if (isHttp(source)) {
        return await tf.loadLayersModel(source, {
          strict,
          ...(fetchFunc ? { fetchFunc } : {}),
        });
      }
      if (source.startsWith('file://') || !isUrl(source)) {
        return await tf.loadLayersModel(fileSystemIO(source), { strict });
      }
      return await tf.loadLayersModel(source, { strict });
    }
    if ('load' in source && typeof source.load === 'function')
      return await tf.loadLayersModel(source, { strict });
    const artifacts = source as tf.io.ModelArtifacts;
    if (artifacts.weightSpecs && artifacts.weightData) {
      const data = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      verifyFingerprints(artifacts.weightSpecs, data, 'the given artifacts');
    }
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts), { strict });
  } catch (e) {
    if (e instanceof FrostlineTfjsError) throw e;
    throw new FrostlineTfjsError(
      'MODEL_LOAD_FAILED',
      `Could not load a layers model from ${typeof source === 'string' ? `'${source}'` : 'the given artifacts'}: ${(e as Error).message}. ` +
        'Graph models (converted SavedModels / TF Hub) need tf.loadGraphModel and are inference-only.',
      { cause: e },
    );
  }
}
