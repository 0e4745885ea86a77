import { VisionError } from './errors';
import { sizeOf } from './image';
import type { ImageFolderOptions, ImageFolderReport } from './image-folder';
import { nodeImport } from './peers';
import { createRng, type Rng, shuffleInPlace } from './random';

/** One image file found in a class folder. */
export interface ListedFile {
  cls: number;
  file: string;
}

/** What listing a folder yields: classes, files per class in seeded order, the report so far, settings. */
export interface FolderListing {
  root: string;
  classNames: string[];
  /** Files of each class, in the seeded order the split takes them from. */
  byClass: ListedFile[][];
  shape: [number, number, number];
  report: ImageFolderReport;
  /** The generator after listing: the split's shuffles continue it, so both loaders draw the same numbers. */
  rng: Rng;
  concurrency: number;
  warn: (message: string) => void;
}

const DEFAULT_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp'];

/**
 * List `root/<class>/<image>` without decoding anything: class folders (sorted), image files per class
 * (sorted, then shuffled with the seeded generator and cut to `maxPerClass`). Shared by the in-memory and
 * the streaming loaders so both see the same files in the same order.
 */
export async function listImageFolder(root: string, opts: ImageFolderOptions): Promise<FolderListing> {
  const [fs, path] = await Promise.all([
    nodeImport<typeof import('node:fs/promises')>('node:fs/promises'),
    nodeImport<typeof import('node:path')>('node:path'),
  ]);
  const shape = imageShapeOf(opts);
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
  const classNames = entries
    .filter((e) => {
      if (e.isDirectory() && !e.name.startsWith('.')) return true;
      if (!e.name.startsWith('.')) ignored.push(path.join(root, e.name));
      return false;
    })
    .map((e) => e.name)
    .sort();
  checkClasses(root, classNames, opts.classNames);
  const rng = createRng(opts.seed ?? 0);
  const report: ImageFolderReport = { root, total: 0, loaded: 0, skipped: [], ignored, classes: [] };
  const byClass: ListedFile[][] = [];
  for (const [cls, name] of classNames.entries()) {
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
    byClass.push(picked.map((f) => ({ cls, file: path.join(dir, f) })));
    report.classes.push({ name, files: picked.length, loaded: picked.length, train: 0, validation: 0 });
    report.total += picked.length;
  }
  report.loaded = report.total;
  return {
    root,
    classNames,
    byClass,
    shape,
    report,
    rng,
    concurrency: Math.max(1, opts.concurrency ?? 4),
    warn,
  };
}

/** [height, width, channels] the images are decoded to: the options', else the backbone's, else 224 × 224 × 3. */
function imageShapeOf(opts: ImageFolderOptions): [number, number, 1 | 3] {
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
  return [h, w, channels];
}

function checkClasses(root: string, classDirs: string[], expected: readonly string[] | undefined): void {
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
  if (!expected) return;
  const want = [...expected].sort();
  if (want.join('\u0000') === classDirs.join('\u0000')) return;
  const missing = want.filter((c) => !classDirs.includes(c));
  const extra = classDirs.filter((c) => !want.includes(c));
  throw new VisionError(
    'CLASS_MISMATCH',
    `imageFolder: the model expects classes [${want.join(', ')}] but ${root} has [${classDirs.join(', ')}]` +
      `${missing.length ? `; missing: ${missing.join(', ')}` : ''}${extra.length ? `; unexpected: ${extra.join(', ')}` : ''}`,
    'rename the folders, or rebuild the head with withHead(backbone, { numClasses }) for the new classes',
  );
}

/**
 * The stratified split both loaders use: the first round(n·valSplit) rows of each class (at least one when
 * valSplit > 0 and the class has two rows, never all of them) are held out; then both splits are shuffled
 * with the listing's generator, so even an unshuffled batch sees every class.
 */
export function splitRows<T>(
  byClass: T[][],
  valSplit: number,
  rng: Rng,
  onClass?: (cls: number, train: number, validation: number) => void,
): { train: T[]; validation: T[] } {
  const train: T[] = [];
  const validation: T[] = [];
  byClass.forEach((rows, cls) => {
    let nVal = Math.round(rows.length * valSplit);
    if (valSplit > 0 && rows.length >= 2) nVal = Math.max(1, nVal);
    nVal = Math.min(nVal, rows.length - 1);
    validation.push(...rows.slice(0, nVal));
    train.push(...rows.slice(nVal));
    onClass?.(cls, rows.length - nVal, nVal);
  });
  shuffleInPlace(train, rng);
  shuffleInPlace(validation, rng);
  return { train, validation };
}

/** Split a listing's files (the streaming loader: before decoding, so every listed file counts). */
export function splitListing(
  listing: FolderListing,
  valSplit: number,
): { train: ListedFile[]; validation: ListedFile[] } {
  if (!(valSplit >= 0 && valSplit < 1)) {
    throw new VisionError('INVALID_OPTION', `imageFolder: valSplit must be in [0, 1), got ${valSplit}`);
  }
  return splitRows(listing.byClass, valSplit, listing.rng, (cls, t, v) => {
    const info = listing.report.classes[cls]!;
    info.train = t;
    info.validation = v;
  });
}
