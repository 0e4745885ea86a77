import { FrostlineTfjsError } from '../errors';
import { ensureDirSync, isPidAlive } from '../fs-safe';
import { nodeFs, nodeOs, nodePath } from '../node';

/**
 * A content-addressed store of frozen-prefix outputs on disk that outlives the run.
 *
 * Layout: `<root>/<key>/manifest.json` plus `features-NNNNN.f32` / `labels-NNNNN.f32` shards. An entry is
 * written into `<root>/.tmp-<key>-<pid>-<nonce>/` and renamed into place only when complete, so a reader
 * never sees half an entry; a crashed writer leaves a temporary that the next writer removes (its pid is
 * dead). Two processes building one key: the first takes `<root>/<key>.lock` (created exclusively), the
 * second waits for the entry to appear (or for the lock to go stale) and then reuses it.
 *
 * Node only: the browser app keeps its features in IndexedDB.
 */

type NodeFs = typeof import('node:fs');
type NodePathMod = typeof import('node:path');

export const MANIFEST = 'manifest.json';
const STORE_VERSION = 1;
/** Default size limit of the store before least-recently-used entries are evicted: 8 GiB. */
export const DEFAULT_MAX_BYTES = 8 * 1024 ** 3;

export interface ShardInfo {
  /** Rows in this shard. */
  rows: number;
  /** 64-bit hash of the feature bytes and of the label bytes, checked before an entry is trusted. */
  featuresHash: string;
  labelsHash: string;
}

export interface EntryManifest {
  version: number;
  key: string;
  /** What went into the key, for `frostline cache ls` and for humans. */
  describe: Record<string, unknown>;
  rows: number;
  featureShape: number[];
  labelShape: number[];
  rowsPerShard: number;
  shards: ShardInfo[];
  bytes: number;
  createdAt: string;
}

export interface StoreEntryInfo {
  key: string;
  dir: string;
  bytes: number;
  rows: number;
  lastUsed: Date;
  describe: Record<string, unknown>;
}

export interface FeatureStoreOptions {
  /** Default: `$FROSTLINE_CACHE_DIR`, else `$XDG_CACHE_HOME/frostline`, else `~/.cache/frostline`. */
  dir?: string;
  /** Evict least-recently-used entries above this many bytes. Default 8 GiB (`FROSTLINE_CACHE_MAX_BYTES`). */
  maxBytes?: number;
  /** How long a second builder waits for the first one's entry (ms). Default 10 minutes. */
  lockWaitMs?: number;
}

/** The store's folder: an explicit one, else the environment's, else the user's cache folder. */
export async function defaultStoreDir(): Promise<string> {
  const path = await nodePath();
  const env = typeof process !== 'undefined' ? process.env : {};
  if (env.FROSTLINE_CACHE_DIR) return path.resolve(env.FROSTLINE_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'frostline');
  const os = await nodeOs();
  return path.join(os.homedir(), '.cache', 'frostline');
}

const KEY_RE = /^[0-9a-f]{16,64}$/;

/**
 * The operating system refused a feature-cache read or write: `IO_ERROR` (the one code for OS failures),
 * with a fix that fits the cache (free space, another FROSTLINE_CACHE_DIR, or `cache: 'off'`).
 */
export function cacheIoError(what: string, where: string, e: unknown): FrostlineTfjsError {
  const code = (e as { code?: string }).code ?? '';
  const fix =
    code === 'ENOSPC'
      ? 'Free disk space, lower cache.maxBytes, or point FROSTLINE_CACHE_DIR at a larger disk.'
      : code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
        ? 'Make the folder writable, or point FROSTLINE_CACHE_DIR (or cache: { dir }) at a writable folder.'
        : 'Check the path, or set cache: "off" to train without the feature cache.';
  return new FrostlineTfjsError(
    'IO_ERROR',
    `Feature cache: cannot ${what} ${where}: ${(e as Error).message}`,
    {
      hint: fix,
      file: where,
      cause: e,
      details: { code, target: where, action: what },
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FeatureStore {
  readonly root: string;
  readonly maxBytes: number;
  private readonly lockWaitMs: number;
  private constructor(
    private readonly fs: NodeFs,
    private readonly path: NodePathMod,
    root: string,
    opts: FeatureStoreOptions,
  ) {
    this.root = root;
    const envMax = Number(process.env.FROSTLINE_CACHE_MAX_BYTES);
    this.maxBytes = opts.maxBytes ?? (envMax > 0 ? envMax : DEFAULT_MAX_BYTES);
    this.lockWaitMs = opts.lockWaitMs ?? 10 * 60_000;
  }

  /** Open (and create) the store folder. A path under a regular file or a read-only disk is a typed error. */
  static async open(opts: FeatureStoreOptions = {}): Promise<FeatureStore> {
    if (opts.maxBytes !== undefined && !(opts.maxBytes > 0)) {
      throw new FrostlineTfjsError(
        'BAD_OPTION',
        `cache.maxBytes must be a positive number, got ${opts.maxBytes}.`,
      );
    }
    const [fs, path] = await Promise.all([nodeFs(), nodePath()]);
    const root = path.resolve(opts.dir ?? (await defaultStoreDir()));
    try {
      // Not mkdirSync(…, { recursive: true }): on Node 20 it never returns for a path under /proc.
      ensureDirSync(fs, path, root, 'create the feature cache folder');
      fs.accessSync(root, fs.constants.W_OK);
    } catch (e) {
      throw cacheIoError('use the folder', root, (e as { cause?: unknown }).cause ?? e);
    }
    return new FeatureStore(fs, path, root, opts);
  }

  private entryDir(key: string): string {
    if (!KEY_RE.test(key)) throw new FrostlineTfjsError('BAD_OPTION', `Not a feature-cache key: '${key}'.`);
    return this.path.join(this.root, key);
  }

  /** The entry for `key` if it exists and every shard checks out; a corrupt entry is removed (and rebuilt by the caller). */
  lookup(key: string, onCorrupt?: (reason: string) => void): EntryManifest | undefined {
    const dir = this.entryDir(key);
    if (!this.fs.existsSync(dir)) return undefined;
    const reason = this.check(dir, key);
    if (reason === undefined) {
      this.touch(dir);
      return JSON.parse(this.fs.readFileSync(this.path.join(dir, MANIFEST), 'utf8')) as EntryManifest;
    }
    onCorrupt?.(reason);
    this.removeDir(dir);
    return undefined;
  }

  /** Why the entry at `dir` cannot be trusted, or undefined when every shard has its size and hash. */
  private check(dir: string, key: string): string | undefined {
    let m: EntryManifest;
    try {
      m = JSON.parse(this.fs.readFileSync(this.path.join(dir, MANIFEST), 'utf8')) as EntryManifest;
    } catch (e) {
      return `manifest unreadable (${(e as Error).message})`;
    }
    if (!m || m.version !== STORE_VERSION || m.key !== key || !Array.isArray(m.shards)) {
      return 'manifest from another version or for another key';
    }
    const rowFeat = m.featureShape.reduce((a, b) => a * b, 1) * 4;
    const rowLab = m.labelShape.reduce((a, b) => a * b, 1) * 4;
    let rows = 0;
    for (const [i, s] of m.shards.entries()) {
      for (const [kind, rowBytes, want] of [
        ['features', rowFeat, s.featuresHash],
        ['labels', rowLab, s.labelsHash],
      ] as const) {
        const file = this.path.join(dir, shardName(kind, i));
        let buf: Buffer;
        try {
          buf = this.fs.readFileSync(file);
        } catch {
          return `${shardName(kind, i)} is missing`;
        }
        if (buf.length !== s.rows * rowBytes)
          return `${shardName(kind, i)} has ${buf.length} bytes, expected ${s.rows * rowBytes}`;
        if (hash64(buf) !== want) return `${shardName(kind, i)} does not match its checksum`;
      }
      rows += s.rows;
    }
    return rows === m.rows ? undefined : `shards hold ${rows} rows, manifest says ${m.rows}`;
  }

  /** Path of a shard file of an entry. */
  shardPath(key: string, kind: 'features' | 'labels', index: number): string {
    return this.path.join(this.entryDir(key), shardName(kind, index));
  }

  /**
   * Build the entry for `key` with `write` unless it exists. Holds the key's lock while building; a second
   * process waits for the first one's entry and reuses it. Returns the entry and whether this call built it.
   */
  async build(
    key: string,
    write: (w: EntryWriter) => Promise<void>,
    onWait?: (holderPid: number) => void,
  ): Promise<{ manifest: EntryManifest; built: boolean }> {
    this.cleanStaleTemporaries();
    const lock = `${this.entryDir(key)}.lock`;
    const deadline = Date.now() + this.lockWaitMs;
    let waited = false;
    for (;;) {
      const existing = this.lookup(key);
      if (existing) return { manifest: existing, built: false };
      if (this.tryLock(lock)) break;
      const holder = Number(this.readText(lock));
      if (!isPidAlive(holder)) {
        this.fs.rmSync(lock, { force: true });
        continue;
      }
      if (!waited) onWait?.(holder);
      waited = true;
      if (Date.now() > deadline) {
        throw new FrostlineTfjsError(
          'CACHE_IO',
          `Feature cache: process ${holder} has been building entry ${key} for longer than ${this.lockWaitMs} ms.`,
          { hint: `Wait for it, or remove ${lock} if that process is gone.`, file: lock },
        );
      }
      await sleep(200);
    }
    try {
      const existing = this.lookup(key);
      if (existing) return { manifest: existing, built: false };
      const manifest = await this.writeEntry(key, write);
      this.evict(key);
      return { manifest, built: true };
    } finally {
      this.fs.rmSync(lock, { force: true });
    }
  }

  private async writeEntry(key: string, write: (w: EntryWriter) => Promise<void>): Promise<EntryManifest> {
    const tmp = this.path.join(
      this.root,
      `.tmp-${key}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
    );
    try {
      this.fs.mkdirSync(tmp);
    } catch (e) {
      throw cacheIoError('create an entry in', this.root, e);
    }
    const writer = new EntryWriter(this.fs, this.path, tmp, key);
    try {
      await write(writer);
      const manifest = writer.finish();
      this.fs.writeFileSync(this.path.join(tmp, MANIFEST), JSON.stringify(manifest));
      this.fs.renameSync(tmp, this.entryDir(key));
      this.touch(this.entryDir(key));
      return manifest;
    } catch (e) {
      writer.abort();
      this.removeDir(tmp);
      if (e instanceof FrostlineTfjsError) throw e;
      if ((e as { code?: string }).code) throw cacheIoError('write an entry in', this.root, e);
      throw e;
    }
  }

  /** Entries, most recently used first. */
  list(): StoreEntryInfo[] {
    const out: StoreEntryInfo[] = [];
    for (const name of this.safeReaddir(this.root)) {
      if (!KEY_RE.test(name)) continue;
      const dir = this.path.join(this.root, name);
      try {
        const m = JSON.parse(this.fs.readFileSync(this.path.join(dir, MANIFEST), 'utf8')) as EntryManifest;
        const st = this.fs.statSync(this.path.join(dir, MANIFEST));
        out.push({
          key: name,
          dir,
          bytes: m.bytes,
          rows: m.rows,
          lastUsed: st.mtime,
          describe: m.describe ?? {},
        });
      } catch {
        // An entry without a readable manifest is garbage: lookup() removes it when asked for.
      }
    }
    return out.sort((a, b) => b.lastUsed.getTime() - a.lastUsed.getTime());
  }

  /** Remove every entry (or the named ones); returns the bytes freed. Locked entries (being built) stay. */
  clear(keys?: readonly string[]): number {
    let freed = 0;
    for (const e of this.list()) {
      if (keys && !keys.includes(e.key)) continue;
      if (this.fs.existsSync(`${e.dir}.lock`)) continue;
      this.removeDir(e.dir);
      freed += e.bytes;
    }
    return freed;
  }

  /** Drop least-recently-used entries until the store fits `maxBytes` (never `keep`, never a locked one). */
  private evict(keep: string): void {
    const entries = this.list();
    let total = entries.reduce((a, e) => a + e.bytes, 0);
    for (const e of [...entries].reverse()) {
      if (total <= this.maxBytes) break;
      if (e.key === keep || this.fs.existsSync(`${e.dir}.lock`)) continue;
      this.removeDir(e.dir);
      total -= e.bytes;
    }
  }

  /** Remove temporaries of writers that died (pid no longer alive). */
  private cleanStaleTemporaries(): void {
    for (const name of this.safeReaddir(this.root)) {
      const m = /^\.tmp-[0-9a-f]+-(\d+)-/.exec(name);
      if (m && !isPidAlive(Number(m[1]))) this.removeDir(this.path.join(this.root, name));
    }
  }

  private tryLock(lock: string): boolean {
    try {
      this.fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'EEXIST') return false;
      throw cacheIoError('lock an entry in', this.root, e);
    }
  }

  private readText(file: string): string {
    try {
      return this.fs.readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  }

  private touch(dir: string): void {
    const now = new Date();
    try {
      this.fs.utimesSync(this.path.join(dir, MANIFEST), now, now);
    } catch {
      // Recency is a hint for eviction only.
    }
  }

  private safeReaddir(dir: string): string[] {
    try {
      return this.fs.readdirSync(dir);
    } catch {
      return [];
    }
  }

  private removeDir(dir: string): void {
    this.fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function shardName(kind: 'features' | 'labels', index: number): string {
  return `${kind}-${String(index).padStart(5, '0')}.f32`;
}

/** 64-bit hash of bytes (two 32-bit FNV-style lanes): cheap, only needs to catch corruption, not attacks. */
export function hash64(bytes: Uint8Array): string {
  const h = new Hash();
  h.update(bytes);
  return h.digest();
}

/** Appends rows to an entry being built: one open shard at a time, so memory never holds more than a batch. */
export class EntryWriter {
  private shards: ShardInfo[] = [];
  private current?: { index: number; rows: number; feat: number; lab: number; fh: Hash; lh: Hash };
  private featureShape?: number[];
  private labelShape?: number[];
  private rowsPerShard = 0;
  private describeInfo: Record<string, unknown> = {};
  private totalRows = 0;
  private bytes = 0;

  constructor(
    private readonly fs: NodeFs,
    private readonly path: NodePathMod,
    private readonly dir: string,
    private readonly key: string,
  ) {}

  describe(info: Record<string, unknown>): void {
    this.describeInfo = info;
  }

  /** Append `rows` rows: features [rows, ...featureShape] and labels [rows, ...labelShape], float32. */
  append(
    rows: number,
    features: Float32Array,
    featureShape: number[],
    labels: Float32Array,
    labelShape: number[],
  ): void {
    if (!this.featureShape) {
      this.featureShape = featureShape;
      this.labelShape = labelShape;
      const rowBytes = featureShape.reduce((a, b) => a * b, 1) * 4;
      // About 64 MB of features per shard: large enough for sequential IO, small enough to rebuild.
      this.rowsPerShard = Math.max(1, Math.floor((64 * 1024 ** 2) / Math.max(1, rowBytes)));
    }
    const fpr = features.length / Math.max(1, rows);
    const lpr = labels.length / Math.max(1, rows);
    let done = 0;
    while (done < rows) {
      const cur = this.current ?? this.openShard();
      const take = Math.min(rows - done, this.rowsPerShard - cur.rows);
      const f = features.subarray(done * fpr, (done + take) * fpr);
      const l = labels.subarray(done * lpr, (done + take) * lpr);
      const fb = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
      const lb = new Uint8Array(l.buffer, l.byteOffset, l.byteLength);
      this.fs.writeSync(cur.feat, fb);
      this.fs.writeSync(cur.lab, lb);
      cur.fh.update(fb);
      cur.lh.update(lb);
      cur.rows += take;
      this.bytes += fb.length + lb.length;
      done += take;
      if (cur.rows === this.rowsPerShard) this.closeShard();
    }
    this.totalRows += rows;
  }

  private openShard() {
    const index = this.shards.length;
    const feat = this.fs.openSync(this.path.join(this.dir, shardName('features', index)), 'w');
    const lab = this.fs.openSync(this.path.join(this.dir, shardName('labels', index)), 'w');
    this.current = { index, rows: 0, feat, lab, fh: new Hash(), lh: new Hash() };
    return this.current;
  }

  private closeShard(): void {
    const c = this.current;
    if (!c) return;
    this.fs.fsyncSync(c.feat);
    this.fs.fsyncSync(c.lab);
    this.fs.closeSync(c.feat);
    this.fs.closeSync(c.lab);
    this.shards.push({ rows: c.rows, featuresHash: c.fh.digest(), labelsHash: c.lh.digest() });
    this.current = undefined;
  }

  finish(): EntryManifest {
    this.closeShard();
    if (this.totalRows === 0 || !this.featureShape || !this.labelShape) {
      throw new FrostlineTfjsError(
        'BAD_DATA',
        'The data source yielded no rows, so there is nothing to cache.',
        {
          hint: 'Check that the dataset or iterable is not empty (and not already consumed).',
        },
      );
    }
    return {
      version: STORE_VERSION,
      key: this.key,
      describe: this.describeInfo,
      rows: this.totalRows,
      featureShape: this.featureShape,
      labelShape: this.labelShape,
      rowsPerShard: this.rowsPerShard,
      shards: this.shards,
      bytes: this.bytes,
      createdAt: new Date().toISOString(),
    };
  }

  abort(): void {
    const c = this.current;
    if (!c) return;
    for (const fd of [c.feat, c.lab]) {
      try {
        this.fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.current = undefined;
  }
}

/** Incremental form of hash64 (same result as hashing the concatenated bytes). */
class Hash {
  private a = 0x811c9dc5;
  private b = 0x01000193;
  private n = 0;
  update(bytes: Uint8Array): void {
    let { a, b, n } = this;
    for (let i = 0; i < bytes.length; i++, n++) {
      const v = bytes[i]!;
      a = Math.imul(a ^ v, 0x01000193);
      b = Math.imul(b ^ v ^ (n & 0xff), 0x27d4eb2d);
    }
    this.a = a;
    this.b = b;
    this.n = n;
  }
  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
