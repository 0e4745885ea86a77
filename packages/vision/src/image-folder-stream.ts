import * as tf from '@tensorflow/tfjs';
import type { Backbone } from './backbone';
import { VisionError } from './errors';
import { decodeImageRaw, type RawImage } from './image';
import type { ImageFolderOptions, ImageFolderReport } from './image-folder';
import { type ListedFile, listImageFolder, splitListing } from './image-folder-list';
import { loadSharp, nodeImport } from './peers';
import { createRng, shuffleInPlace } from './random';

/** One batch of a streaming split: preprocessed images and one-hot targets (the trainer disposes them). */
export interface ImageBatch {
  x: tf.Tensor4D;
  y: tf.Tensor2D;
}

/**
 * One split of a streaming image folder, read a batch at a time. It is a `StreamSource` for
 * `@frostline/tfjs`' `train`: `batches(epoch)` decodes lazily with bounded parallelism and prefetch, `size`
 * is the number of examples per pass and `identity` names the content (relative paths, sizes, modification
 * times, image size, channels, preprocessing) so the persistent feature cache recognises the folder again.
 */
export interface ImageStreamSplit {
  files: string[];
  labels: Int32Array;
  /** Examples per pass: listed images minus those that turned out unreadable. */
  readonly size: number;
  readonly identity: string;
  batches(epoch: number): AsyncIterable<ImageBatch>;
}

export interface ImageFolderStream {
  classNames: string[];
  train: ImageStreamSplit;
  validation: ImageStreamSplit | undefined;
  preprocessed: boolean;
  imageShape: [number, number, number];
  /** Filled in as images are decoded: `skipped` lists unreadable or vanished files. */
  report: ImageFolderReport;
  stream: true;
  dispose(): void;
}

export interface ImageFolderStreamOptions extends ImageFolderOptions {
  stream: true;
  /** Images per batch. Default 32. */
  batchSize?: number;
  /** Batches decoded ahead of the one being trained on. Default 2. */
  prefetch?: number;
  /** Reshuffle the training split every epoch (seeded by seed and epoch). Default false: the same seeded order each pass. */
  shuffle?: boolean;
  /** How the cache identity names an image: `stat` (path, size, mtime; default) or `content` (hash of the bytes). */
  identity?: 'stat' | 'content';
}

function positiveInt(v: number | undefined, name: string, dflt: number, min = 1): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min) {
    throw new VisionError(
      'INVALID_OPTION',
      `imageFolder: ${name} must be an integer ≥ ${min}, got ${v}`,
      `pass ${name}: ${dflt}`,
    );
  }
  return n;
}

/**
 * `imageFolder(root, { stream: true })`: the same listing, split and seeds as the in-memory loader, but images
 * are decoded only when a batch needs them, so memory holds a few batches, not the dataset.
 */
export async function imageFolderStream(
  root: string,
  opts: ImageFolderStreamOptions,
): Promise<ImageFolderStream> {
  const batchSize = positiveInt(opts.batchSize, 'batchSize', 32);
  const prefetch = positiveInt(opts.prefetch, 'prefetch', 2, 0);
  const listing = await listImageFolder(root, opts);
  // Fails once with MISSING_PEER when sharp is not installed, before any batch is asked for.
  await loadSharp();
  const { train, validation } = splitListing(listing, opts.valSplit ?? 0.2);
  const [fs, path, { createHash }] = await Promise.all([
    nodeImport<typeof import('node:fs/promises')>('node:fs/promises'),
    nodeImport<typeof import('node:path')>('node:path'),
    nodeImport<typeof import('node:crypto')>('node:crypto'),
  ]);
  const rel = (f: string) => path.relative(listing.root, f);
  const describeFile = async (f: ListedFile) => {
    const st = await fs.stat(f.file).catch(() => undefined);
    if (opts.identity === 'content') {
      const bytes = await fs.readFile(f.file).catch(() => undefined);
      return `${rel(f.file)}\t${f.cls}\t${bytes ? createHash('sha256').update(bytes).digest('hex') : 'missing'}`;
    }
    return `${rel(f.file)}\t${f.cls}\t${st?.size ?? -1}\t${st?.mtimeMs ?? -1}`;
  };
  const header = JSON.stringify({
    v: 1,
    size: listing.shape,
    classes: listing.classNames,
    preprocess: opts.backbone ? `${opts.backbone.name}:${opts.backbone.preprocessing}` : 'raw-0-255',
  });
  const identityOf = async (files: ListedFile[], which: string) => {
    const h = createHash('sha256').update(header).update(which);
    for (const f of files) h.update(`${await describeFile(f)}\n`);
    return `imageFolder:${h.digest('hex')}`;
  };
  const ctx: SplitContext = {
    shape: listing.shape,
    numClasses: listing.classNames.length,
    backbone: opts.backbone,
    batchSize,
    prefetch,
    concurrency: listing.concurrency,
    strict: opts.strict ?? false,
    seed: opts.seed ?? 0,
    report: listing.report,
    warn: listing.warn,
  };
  const trainSplit = makeStreamSplit(train, await identityOf(train, 'train'), ctx, opts.shuffle ?? false);
  const valSplit = validation.length
    ? makeStreamSplit(validation, await identityOf(validation, 'validation'), ctx, false)
    : undefined;
  return {
    classNames: listing.classNames,
    train: trainSplit,
    validation: valSplit,
    preprocessed: opts.backbone != null,
    imageShape: listing.shape,
    report: listing.report,
    stream: true,
    dispose() {},
  };
}

interface SplitContext {
  shape: [number, number, number];
  numClasses: number;
  backbone: Backbone | undefined;
  batchSize: number;
  prefetch: number;
  concurrency: number;
  strict: boolean;
  seed: number;
  report: ImageFolderReport;
  warn: (m: string) => void;
}

function makeStreamSplit(
  files: ListedFile[],
  identity: string,
  ctx: SplitContext,
  reshuffle: boolean,
): ImageStreamSplit {
  const unreadable = new Set<string>();
  return {
    files: files.map((f) => f.file),
    labels: Int32Array.from(files.map((f) => f.cls)),
    get size() {
      return files.length - unreadable.size;
    },
    identity,
    batches(epoch: number) {
      const order = reshuffle ? shuffleInPlace([...files], createRng(ctx.seed * 1000 + epoch + 1)) : files;
      return decodeBatches(order, ctx, unreadable);
    },
  };
}

/**
 * Decode `files` into batches: up to `concurrency` decodes run at once and at most `prefetch` batches wait
 * ahead of the consumer, so memory stays bounded whatever the folder's size.
 */
async function* decodeBatches(
  files: ListedFile[],
  ctx: SplitContext,
  unreadable: Set<string>,
): AsyncGenerator<ImageBatch> {
  const [h, w, c] = ctx.shape;
  const chunks: ListedFile[][] = [];
  for (let s = 0; s < files.length; s += ctx.batchSize) chunks.push(files.slice(s, s + ctx.batchSize));
  const pending: Array<Promise<Array<RawImage | undefined>>> = [];
  let next = 0;
  const limiter = createLimiter(ctx.concurrency);
  const schedule = () => {
    while (next < chunks.length && pending.length <= ctx.prefetch) {
      const chunk = chunks[next++]!;
      pending.push(Promise.all(chunk.map((f) => limiter(() => decodeOne(f, ctx, unreadable)))));
    }
  };
  schedule();
  let i = 0;
  try {
    yield* drain();
  } finally {
    // Stopped early or failed: decodes still in flight must not surface as unhandled rejections.
    for (const p of pending) p.catch(() => undefined);
  }
  async function* drain(): AsyncGenerator<ImageBatch> {
    while (pending.length > 0) {
      const images = await pending.shift()!;
      const chunk = chunks[i++]!;
      schedule();
      const ok = images.flatMap((img, j) => (img ? [{ img, label: chunk[j]!.cls }] : []));
      if (ok.length === 0) continue;
      const per = h * w * c;
      const buf = new Float32Array(ok.length * per);
      for (const [j, r] of ok.entries()) buf.set(r.img.data, j * per);
      const labels = Int32Array.from(ok.map((r) => r.label));
      yield tf.tidy(() => {
        const raw = tf.tensor4d(buf, [ok.length, h, w, c]);
        const x = ctx.backbone ? ctx.backbone.preprocess(raw) : raw;
        const y = tf.oneHot(tf.tensor1d(labels, 'int32'), ctx.numClasses).toFloat() as tf.Tensor2D;
        return { x, y };
      });
    }
  }
}

async function decodeOne(
  f: ListedFile,
  ctx: SplitContext,
  unreadable: Set<string>,
): Promise<RawImage | undefined> {
  if (unreadable.has(f.file)) return undefined;
  try {
    return await decodeImageRaw(f.file, {
      size: [ctx.shape[0], ctx.shape[1]],
      channels: ctx.shape[2] as 1 | 3,
    });
  } catch (err) {
    // As in the in-memory loader: only a bad (or vanished) image is skipped; anything else stops the run.
    if (ctx.strict || !(err instanceof VisionError && err.code === 'UNREADABLE_IMAGE')) throw err;
    const gone = /no such file|missing|ENOENT/i.test(err.message);
    const reason = gone ? 'the file was removed after the folder was listed' : err.message.split('\n')[0]!;
    unreadable.add(f.file);
    ctx.report.loaded--;
    ctx.report.classes[f.cls]!.loaded--;
    ctx.report.skipped.push({ file: f.file, reason });
    ctx.warn(`skipped unreadable image ${f.file}: ${reason}`);
    return undefined;
  }
}

/** At most `n` tasks at once. */
function createLimiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: Array<() => void> = [];
  const release = () => {
    active--;
    queue.shift()?.();
  };
  return (task) =>
    new Promise((resolve, reject) => {
      const run = () => {
        active++;
        task().then(resolve, reject).finally(release);
      };
      if (active < n) run();
      else queue.push(run);
    });
}
