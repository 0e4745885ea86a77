import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as nodePath from 'node:path';
import { join } from 'node:path';
import { ensureDirSync } from '@frostline/tfjs';
import type { EmbedOptions, TextEncoder } from './encoder';
import { NlpError } from './errors';

/**
 * Embeddings of a frozen encoder never change, so they are computed once: kept in memory, and
 * (with `dir`) on disk, keyed by everything that changes a vector — encoder id (model + weights
 * digest), pooling, normalisation, token limit — and a SHA-256 of the text. A second run or a
 * second head reads vectors instead of running the encoder.
 *
 * On disk, each `embedCached` call that computed something appends one shard file
 * `<dir>/<namespace>/<time>-<random>.emb` (header + records of [32-byte text hash, dim × float32]),
 * written to a temporary name and renamed, so readers never see half a file and concurrent writers
 * never clobber each other. A damaged shard is skipped (its texts are recomputed), never fatal.
 */

const MAGIC = 0x43454c46; // 'FLEC'
const VERSION = 1;
const HEADER = 16; // magic, version, dim, count (uint32 LE each)

export interface EmbeddingCacheOptions {
  /** Folder for the on-disk cache. Omit for memory only. */
  dir?: string;
}

export interface EmbeddingCacheStats {
  /** Texts answered from the cache (memory or disk). */
  hits: number;
  /** Distinct texts the encoder had to embed. */
  misses: number;
  /** Encoder calls made by `embedCached`. */
  encoderCalls: number;
  shardsRead: number;
  shardsWritten: number;
  /** Shards skipped because they were damaged. */
  shardsSkipped: number;
}

/** What identifies an encoder's output space; two encoders with equal keys give equal vectors. */
export function encoderCacheKey(
  encoder: Pick<TextEncoder, 'id' | 'pooling' | 'normalize' | 'maxLength'>,
): string {
  return JSON.stringify({
    id: encoder.id,
    pooling: encoder.pooling,
    normalize: encoder.normalize,
    maxLength: encoder.maxLength,
  });
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

export class EmbeddingCache {
  readonly dir: string | undefined;
  readonly stats: EmbeddingCacheStats = {
    hits: 0,
    misses: 0,
    encoderCalls: 0,
    shardsRead: 0,
    shardsWritten: 0,
    shardsSkipped: 0,
  };
  private readonly spaces = new Map<string, Map<string, Float32Array>>();

  constructor(opts: EmbeddingCacheOptions = {}) {
    this.dir = opts.dir;
  }

  /** Folder name of an encoder's namespace. */
  namespace(key: string): string {
    return sha256(key).toString('hex').slice(0, 20);
  }

  private space(key: string): Map<string, Float32Array> {
    let space = this.spaces.get(key);
    if (space) return space;
    space = new Map();
    this.spaces.set(key, space);
    if (this.dir) this.loadShards(key, space);
    return space;
  }

  private loadShards(key: string, space: Map<string, Float32Array>): void {
    const folder = join(this.dir!, this.namespace(key));
    if (!existsSync(folder)) return;
    for (const f of readdirSync(folder).sort()) {
      if (!f.endsWith('.emb')) continue;
      const buf = readFileSync(join(folder, f));
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      const ok =
        buf.byteLength >= HEADER && view.getUint32(0, true) === MAGIC && view.getUint32(4, true) === VERSION;
      const dim = ok ? view.getUint32(8, true) : 0;
      const count = ok ? view.getUint32(12, true) : 0;
      if (!ok || buf.byteLength !== HEADER + count * (32 + 4 * dim)) {
        this.stats.shardsSkipped++;
        continue;
      }
      let off = HEADER;
      for (let i = 0; i < count; i++) {
        const hash = buf.toString('hex', off, off + 32);
        off += 32;
        const v = new Float32Array(dim);
        for (let d = 0; d < dim; d++) v[d] = view.getFloat32(off + 4 * d, true);
        off += 4 * dim;
        space.set(hash, v);
      }
      this.stats.shardsRead++;
    }
  }

  private writeShard(key: string, entries: Array<[Buffer, Float32Array]>): void {
    if (!this.dir || entries.length === 0) return;
    const dim = entries[0]![1].length;
    const folder = join(this.dir, this.namespace(key));
    const buf = Buffer.alloc(HEADER + entries.length * (32 + 4 * dim));
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(VERSION, 4);
    buf.writeUInt32LE(dim, 8);
    buf.writeUInt32LE(entries.length, 12);
    let off = HEADER;
    for (const [hash, v] of entries) {
      hash.copy(buf, off);
      off += 32;
      for (let d = 0; d < dim; d++) buf.writeFloatLE(v[d]!, off + 4 * d);
      off += 4 * dim;
    }
    const name = `${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
    const tmp = join(folder, `.${name}.tmp`);
    try {
      // Not mkdirSync(…, { recursive: true }): it never returns for a path under /proc on Node 20.
      ensureDirSync(fs, nodePath, folder, 'create the embedding cache folder');
      const meta = join(folder, 'encoder.json');
      if (!existsSync(meta)) writeFileSync(meta, `${JSON.stringify(JSON.parse(key), null, 2)}\n`);
      writeFileSync(tmp, buf);
      renameSync(tmp, join(folder, `${name}.emb`));
      this.stats.shardsWritten++;
    } catch (cause) {
      rmSync(tmp, { force: true });
      throw new NlpError(
        'CACHE_IO',
        `cannot write the embedding cache in ${folder}: ${(cause as Error).message}`,
        {
          hint: 'check the folder is writable, or use a memory-only EmbeddingCache',
          cause,
        },
      );
    }
  }

  /** Cached vector of one text, or undefined. */
  get(encoder: TextEncoder, text: string): Float32Array | undefined {
    return this.space(encoderCacheKey(encoder)).get(sha256(text).toString('hex'));
  }

  /** Number of vectors held in memory for an encoder. */
  size(encoder: TextEncoder): number {
    return this.space(encoderCacheKey(encoder)).size;
  }

  /** Embeds what is not cached yet (each distinct text once), stores it, and returns all vectors in order. */
  async embed(encoder: TextEncoder, texts: readonly string[], opts?: EmbedOptions): Promise<Float32Array[]> {
    const key = encoderCacheKey(encoder);
    const space = this.space(key);
    const hashes = texts.map((t) => sha256(t));
    const hex = hashes.map((h) => h.toString('hex'));
    const missing = new Map<string, number>();
    hex.forEach((h, i) => {
      if (!space.has(h) && !missing.has(h)) missing.set(h, i);
    });
    // A text repeated within one call is embedded once: one miss, the repeats are hits.
    this.stats.misses += missing.size;
    this.stats.hits += texts.length - missing.size;
    if (missing.size > 0) {
      const idx = [...missing.values()];
      this.stats.encoderCalls++;
      const vecs = await encoder.embed(
        idx.map((i) => texts[i]!),
        opts,
      );
      const fresh: Array<[Buffer, Float32Array]> = [];
      idx.forEach((i, k) => {
        space.set(hex[i]!, vecs[k]!);
        fresh.push([hashes[i]!, vecs[k]!]);
      });
      this.writeShard(key, fresh);
    }
    return hex.map((h) => space.get(h)!);
  }

  /** Forgets the in-memory copy (the disk cache stays): the next call re-reads the shards. */
  clearMemory(): void {
    this.spaces.clear();
  }
}

/** `cache.embed(encoder, texts)`, or the encoder itself when no cache is given. */
export function embedCached(
  encoder: TextEncoder,
  texts: readonly string[],
  cache?: EmbeddingCache,
  opts?: EmbedOptions,
): Promise<Float32Array[]> {
  return cache ? cache.embed(encoder, texts, opts) : encoder.embed(texts, opts);
}
