import type { Backbone } from './backbone';
import { type ImageDataset, makeSplit } from './dataset';
import { VisionError } from './errors';
import { decodeImageRaw, type RawImage, sizeOf } from './image';
import { loadSharp, nodeImport } from './peers';
import { createRng, shuffleInPlace } from './random';

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

const DEFAULT_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp'];

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
function checkFolderOptions(root: unknown, opts: ImageFolderOptions): void {
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
 */
export async function imageFolder(root: string, opts: ImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const [fs, path] = await Promise.all([
    nodeImport<typeof import('node:fs/promises')>('node:fs/promises'),
    nodeImport<typeof import('node:path')>('node:path'),
  ]);
  checkFolderOptions(root, opts);
  const valSplit = opts.valSplit ?? 0.2;
  const channels = opts.channels ?? (opts.backbone?.inputShape[2] as 1 | 3 | undefined) ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new VisionError(
      'CHANNEL_MISMATCH',
      `imageFolder: channels must be 1 or 3, got ${channels}`,
      'backbones take 3-channel RGB (or 1-channel gray) images',
    );
  }
  const [h, w] = sizeOf(
    opts.size ?? (opts.backbone ? [opts.backbone.inputShape[0], opts.backbone.inputShape[1]] : 224),
  );
  if (opts.backbone && opts.backbone.inputShape[2] !== channels) {
    throw new VisionError(
      'CHANNEL_MISMATCH',
      `imageFolder: channels ${channels} but the backbone takes ${opts.backbone.inputShape[2]}-channel images`,
      `omit channels, or pass channels: ${opts.backbone.inputShape[2]}`,
    );
  }
  const exts = new Set(
    (opts.extensions ?? DEFAULT_EXTENSIONS).map((e) => e.toLowerCase().replace(/^\./, '')),
  );
  const warn = opts.onWarning ?? ((m: string) => console.warn(`[frostline/vision] ${m}`));

  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(root, { withFileTypes: true });
  } catch (err) {
    throw new VisionError(
      'NO_IMAGES',
      `imageFolder: cannot read ${root}: ${(err as Error).message}`,
      'pass a folder laid out as root/<class name>/<image files>',
    );
  }
  const ignored: string[] = [];
  const classDirs = entries
    .filter((e) => {
      if (e.isDirectory() && !e.name.startsWith('.')) return true;
      if (!e.name.startsWith('.')) ignored.push(path.join(root, e.name));
      return false;
    })
    .map((e) => e.name)
    .sort();
  if (classDirs.length === 0) {
    throw new VisionError(
      'NO_IMAGES',
      `imageFolder: ${root} has no class folders`,
      'lay images out as root/<class>/<file>',
    );
  }
  if (classDirs.length === 1) {
    throw new VisionError(
      'SINGLE_CLASS',
      `imageFolder: ${root} has a single class folder ("${classDirs[0]}"); classification needs at least two`,
      'add a folder per class (e.g. root/cats, root/dogs)',
    );
  }
  if (opts.classNames) {
    const want = [...opts.classNames].sort();
    if (want.join('\u0000') !== classDirs.join('\u0000')) {
      const missing = want.filter((c) => !classDirs.includes(c));
      const extra = classDirs.filter((c) => !want.includes(c));
      throw new VisionError(
        'CLASS_MISMATCH',
        `imageFolder: the model expects classes [${want.join(', ')}] but ${root} has [${classDirs.join(', ')}]` +
          `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; unexpected: ${extra.join(', ')}` : ''}`,
        'rename the folders, or rebuild the head with withHead(backbone, { numClasses }) for the new classes',
      );
    }
  }

  const rng = createRng(opts.seed ?? 0);
  const files: Array<{ cls: number; file: string }> = [];
  const report: ImageFolderReport = { root, total: 0, loaded: 0, skipped: [], ignored, classes: [] };
  for (const [cls, name] of classDirs.entries()) {
    const dir = path.join(root, name);
    const names = (await fs.readdir(dir, { withFileTypes: true }))
      .filter((e) => {
        const ok = e.isFile() && exts.has(path.extname(e.name).slice(1).toLowerCase());
        if (!ok && !e.name.startsWith('.')) ignored.push(path.join(dir, e.name));
        return ok;
      })
      .map((e) => e.name)
      .sort();
    if (names.length === 0) {
      throw new VisionError(
        'EMPTY_CLASS',
        `imageFolder: class folder "${name}" has no images (${[...exts].join(', ')})`,
        `add images to ${dir} or remove the folder`,
      );
    }
    shuffleInPlace(names, rng);
    const picked = opts.maxPerClass != null ? names.slice(0, opts.maxPerClass) : names;
    for (const f of picked) files.push({ cls, file: path.join(dir, f) });
    report.classes.push({ name, files: picked.length, loaded: 0, train: 0, validation: 0 });
  }
  report.total = files.length;

  // Fails once with MISSING_PEER when sharp is not installed, instead of once per file.
  await loadSharp();
  const decoded: Array<RawImage | undefined> = new Array(files.length);
  const concurrency = opts.concurrency ?? 4;
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      const { file } = files[i]!;
      try {
        decoded[i] = await decodeImageRaw(file, { size: [h, w], channels });
      } catch (err) {
        // Only a bad image is skipped; anything else (a missing peer, a bug) stops the load.
        if (opts.strict || !(err instanceof VisionError && err.code === 'UNREADABLE_IMAGE')) throw err;
        const reason = err instanceof VisionError ? err.message.split('\n')[0]! : String(err);
        report.skipped.push({ file, reason });
        warn(`skipped unreadable image ${file}: ${reason}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  report.skipped.sort((a, b) => a.file.localeCompare(b.file));

  const byClass: Array<Array<{ pixels: Uint8Array; label: number; file: string }>> = classDirs.map(() => []);
  files.forEach((f, i) => {
    const img = decoded[i];
    if (img) byClass[f.cls]!.push({ pixels: img.data, label: f.cls, file: f.file });
  });
  const train: Array<{ pixels: Uint8Array; label: number; file: string }> = [];
  const validation: typeof train = [];
  byClass.forEach((rows, cls) => {
    const info = report.classes[cls]!;
    if (rows.length === 0) {
      throw new VisionError(
        'EMPTY_CLASS',
        `imageFolder: no readable image in class "${info.name}" (${info.files} file(s), all skipped)`,
        'see report.skipped / the warnings for why each file failed',
      );
    }
    let nVal = Math.round(rows.length * valSplit);
    if (valSplit > 0 && rows.length >= 2) nVal = Math.max(1, nVal);
    nVal = Math.min(nVal, rows.length - 1);
    validation.push(...rows.slice(0, nVal));
    train.push(...rows.slice(nVal));
    info.loaded = rows.length;
    info.validation = nVal;
    info.train = rows.length - nVal;
    report.loaded += rows.length;
  });
  // Classes interleaved in a seeded order, so even an unshuffled batch sees every class.
  shuffleInPlace(train, rng);
  shuffleInPlace(validation, rng);

  const shape: [number, number, number] = [h, w, channels];
  const trainSplit = makeSplit(train, shape, classDirs.length, opts.backbone);
  const valSplitData = validation.length
    ? makeSplit(validation, shape, classDirs.length, opts.backbone)
    : undefined;
  return {
    classNames: classDirs,
    train: trainSplit,
    validation: valSplitData,
    preprocessed: opts.backbone != null,
    imageShape: shape,
    report,
    dispose() {
      for (const s of [trainSplit, valSplitData]) {
        s?.x.dispose();
        s?.y.dispose();
      }
    },
  };
}
