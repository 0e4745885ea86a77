import type { Backbone } from './backbone';
import { type ImageDataset, makeSplit } from './dataset';
import { VisionError } from './errors';
import { decodeImageRaw, type RawImage } from './image';
import { type ListedFile, listImageFolder, splitRows } from './image-folder-list';
import {
  type ImageFolderStream,
  type ImageFolderStreamOptions,
  imageFolderStream,
} from './image-folder-stream';
import { loadSharp } from './peers';

export interface ImageFolderOptions {
  /** Output size (square side or [h, w]). Default: the backbone's, else 224. */
  size?: number | [number, number];
  /** 1 or 3. Default: the backbone's, else 3. */
  channels?: 1 | 3;
  /** Fraction of each class held out for validation (stratified). Default 0.2; 0 = no validation. */
  valSplit?: number;
  /** Seed of the split and of the row order. Default 0. */
  seed?: number;
  /** Throw on the first unreadable image instead of skipping it. Default false. */
  strict?: boolean;
  /** Size/channels from this backbone, and x preprocessed with its `preprocess`. */
  backbone?: Backbone;
  /** Class names the model expects (e.g. a trained head's): the folders must match exactly. */
  classNames?: readonly string[];
  /** File extensions to read. Default png, jpg, jpeg, webp. */
  extensions?: readonly string[];
  /** At most this many images per class (after a seeded shuffle). */
  maxPerClass?: number;
  /** Receives warnings (skipped files). Default console.warn. */
  onWarning?: (message: string) => void;
  /** Parallel decodes. Default 4. */
  concurrency?: number;
}

export interface ImageFolderReport {
  root: string;
  /** Image files found. */
  total: number;
  loaded: number;
  skipped: Array<{ file: string; reason: string }>;
  /** Files that are not images (by extension) or sit outside class folders. */
  ignored: string[];
  classes: Array<{ name: string; files: number; loaded: number; train: number; validation: number }>;
}

export interface ImageFolderDataset extends ImageDataset {
  report: ImageFolderReport;
}

const isPositiveInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;

function badOption(name: string, value: unknown, want: string): VisionError {
  const shown = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return new VisionError(
    'INVALID_OPTION',
    `imageFolder: ${name} must be ${want}, got ${shown}`,
    `fix ${name}, or leave it out for the default`,
  );
}

/** Every option checked before any file is read: a bad value is an error, never "every image skipped". */
export function checkFolderOptions(root: unknown, opts: ImageFolderOptions): void {
  if (typeof root !== 'string' || root === '') throw badOption('root', root, 'a folder path');
  const { size, maxPerClass, concurrency, valSplit, seed, extensions } = opts;
  if (size !== undefined) {
    const ok = Array.isArray(size) ? size.length === 2 && size.every(isPositiveInt) : isPositiveInt(size);
    if (!ok) throw badOption('size', size, 'a positive whole number of pixels or [height, width]');
  }
  if (maxPerClass !== undefined && !isPositiveInt(maxPerClass))
    throw badOption('maxPerClass', maxPerClass, 'a whole number ≥ 1');
  if (concurrency !== undefined && !isPositiveInt(concurrency))
    throw badOption('concurrency', concurrency, 'a whole number ≥ 1');
  if (valSplit !== undefined && !(typeof valSplit === 'number' && valSplit >= 0 && valSplit < 1))
    throw badOption('valSplit', valSplit, 'a number in [0, 1)');
  if (seed !== undefined && !(typeof seed === 'number' && Number.isFinite(seed)))
    throw badOption('seed', seed, 'a finite number');
  if (
    extensions !== undefined &&
    !(
      Array.isArray(extensions) &&
      extensions.length > 0 &&
      extensions.every((e) => typeof e === 'string' && e !== '')
    )
  )
    throw badOption('extensions', extensions, 'a non-empty list of file extensions such as ["png", "jpg"]');
}

/**
 * Read `root/<class>/*.{png,jpg,jpeg,webp}`: class names are the sub-folder names (sorted), each
 * class is split train/validation with a seeded stratified shuffle. Unreadable or truncated images
 * are skipped with a warning and listed in `report.skipped` (or throw in strict mode).
 * With `stream: true` nothing is decoded up front: see `imageFolderStream`.
 */
export async function imageFolder(root: string, opts: ImageFolderStreamOptions): Promise<ImageFolderStream>;
export async function imageFolder(root: string, opts?: ImageFolderOptions): Promise<ImageFolderDataset>;
export async function imageFolder(
  root: string,
  opts: ImageFolderOptions | ImageFolderStreamOptions = {},
): Promise<ImageFolderDataset | ImageFolderStream> {
  checkFolderOptions(root, opts);
  if ('stream' in opts && opts.stream === true) return imageFolderStream(root, opts);
  const listing = await listImageFolder(root, opts);
  const { report } = listing;
  const files = listing.byClass.flat();
  const [h, w, channels] = listing.shape;

  // Fails once with MISSING_PEER when sharp is not installed, instead of once per file.
  await loadSharp();
  const decoded = await decodeAll(files, listing.concurrency, async (f) => {
    try {
      return await decodeImageRaw(f.file, { size: [h, w], channels: channels as 1 | 3 });
    } catch (err) {
      // Only a bad image is skipped; anything else (a missing peer, a bug) stops the load.
      if (opts.strict || !(err instanceof VisionError && err.code === 'UNREADABLE_IMAGE')) throw err;
      const reason = err.message.split('\n')[0]!;
      report.skipped.push({ file: f.file, reason });
      listing.warn(`skipped unreadable image ${f.file}: ${reason}`);
      return undefined;
    }
  });
  report.skipped.sort((a, b) => a.file.localeCompare(b.file));

  type Row = { pixels: Uint8Array; label: number; file: string };
  const byClass: Row[][] = listing.classNames.map(() => []);
  files.forEach((f, i) => {
    const img = decoded[i];
    if (img) byClass[f.cls]!.push({ pixels: img.data, label: f.cls, file: f.file });
  });
  report.loaded = 0;
  byClass.forEach((rows, cls) => {
    const info = report.classes[cls]!;
    if (rows.length === 0) {
      throw new VisionError(
        'EMPTY_CLASS',
        `imageFolder: no readable image in class "${info.name}" (${info.files} file(s), all skipped)`,
        'see report.skipped / the warnings for why each file failed',
      );
    }
    info.loaded = rows.length;
    report.loaded += rows.length;
  });
  const { train, validation } = splitRows(byClass, opts.valSplit ?? 0.2, listing.rng, (cls, t, v) => {
    report.classes[cls]!.train = t;
    report.classes[cls]!.validation = v;
  });

  const trainSplit = makeSplit(train, listing.shape, listing.classNames.length, opts.backbone);
  const valSplitData = validation.length
    ? makeSplit(validation, listing.shape, listing.classNames.length, opts.backbone)
    : undefined;
  return {
    classNames: listing.classNames,
    train: trainSplit,
    validation: valSplitData,
    preprocessed: opts.backbone != null,
    imageShape: listing.shape,
    report,
    dispose() {
      for (const s of [trainSplit, valSplitData]) {
        s?.x.dispose();
        s?.y.dispose();
      }
    },
  };
}

/** Decode every file, `concurrency` at a time, keeping the files' order. */
async function decodeAll(
  files: ListedFile[],
  concurrency: number,
  decode: (f: ListedFile) => Promise<RawImage | undefined>,
): Promise<Array<RawImage | undefined>> {
  const out: Array<RawImage | undefined> = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      out[i] = await decode(files[i]!);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}
