import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { extractToStore, StoredFeatures } from '../src/feature-store/features';
import { CheckedStream } from '../src/feature-store/source';
import { FeatureStore, shardName } from '../src/feature-store/store';
import { useCpu } from './helpers';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-store-'));
const KEY = 'a'.repeat(32);

/** A re-iterable stream of `n` rows of `f` features (row i = i*10 + j) in batches of `b`, labels i % 3. */
function rowsStream(n: number, f: number, b: number, onBatch?: () => void) {
  return {
    size: n,
    *batches() {
      for (let s = 0; s < n; s += b) {
        const e = Math.min(n, s + b);
        onBatch?.();
        const x = tf.tensor2d(
          Array.from({ length: e - s }, (_, i) => Array.from({ length: f }, (_, j) => (s + i) * 10 + j)),
        );
        const y = tf.tensor1d(Array.from({ length: e - s }, (_, i) => (s + i) % 3));
        yield { x, y };
      }
    },
  };
}

const double = (x: tf.Tensor | tf.Tensor[]) => tf.mul(x as tf.Tensor, 2);

describe('feature store', () => {
  beforeAll(useCpu);
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const newStore = async (opts: { maxBytes?: number } = {}) => {
    const dir = tmp();
    dirs.push(dir);
    return FeatureStore.open({ dir, ...opts });
  };

  it('builds an entry once, reuses it, and reads any rows back exactly', async () => {
    const store = await newStore();
    let forwards = 0;
    const fwd = (x: tf.Tensor | tf.Tensor[]) => {
      forwards++;
      return double(x);
    };
    const before = tf.memory().numTensors;
    const first = await extractToStore(store, KEY, new CheckedStream(rowsStream(10, 3, 4), 'data'), fwd);
    expect(first.built).toBe(true);
    expect(forwards).toBe(3);
    const again = await extractToStore(store, KEY, new CheckedStream(rowsStream(10, 3, 4), 'data'), fwd);
    expect(again.built).toBe(false);
    expect(forwards).toBe(3);
    expect(tf.memory().numTensors).toBe(before);

    const r = await StoredFeatures.open(store, again.manifest);
    const order = Int32Array.from([9, 0, 1, 2, 5]);
    const feats = r.take(order, 0, 5, false);
    expect(feats.shape).toEqual([5, 3]);
    expect(Array.from(feats.dataSync())).toEqual([
      180, 182, 184, 0, 2, 4, 20, 22, 24, 40, 42, 44, 100, 102, 104,
    ]);
    const labels = r.takeLabels(order, 0, 5, false, 'int32');
    expect(Array.from(labels.dataSync())).toEqual([0, 0, 1, 2, 2]);
    const contiguous = r.take(order, 3, 5, true);
    expect(Array.from(contiguous.dataSync())).toEqual([60, 62, 64, 80, 82, 84]);
    tf.dispose([feats, labels, contiguous]);
    r.dispose();
    expect(store.list().map((e) => e.key)).toEqual([KEY]);
  });

  it('detects a corrupt or truncated shard, drops the entry and rebuilds it', async () => {
    const store = await newStore();
    await extractToStore(store, KEY, new CheckedStream(rowsStream(6, 2, 3), 'data'), double);
    const shard = store.shardPath(KEY, 'features', 0);
    const bytes = fs.readFileSync(shard);
    bytes[5] = bytes[5]! ^ 0xff;
    fs.writeFileSync(shard, bytes);
    const reasons: string[] = [];
    expect(store.lookup(KEY, (r) => reasons.push(r))).toBeUndefined();
    expect(reasons[0]).toMatch(/checksum/);
    const rebuilt = await extractToStore(store, KEY, new CheckedStream(rowsStream(6, 2, 3), 'data'), double);
    expect(rebuilt.built).toBe(true);
    fs.truncateSync(store.shardPath(KEY, 'labels', 0), 4);
    expect(store.lookup(KEY, (r) => reasons.push(r))).toBeUndefined();
    expect(reasons[1]).toMatch(/bytes, expected/);
  });

  it('two builders of one key: one builds, the other waits and reuses it', async () => {
    const store = await newStore();
    let batches = 0;
    const slow = async (x: tf.Tensor | tf.Tensor[]) => {
      await new Promise((r) => setTimeout(r, 30));
      return double(x);
    };
    const waits: number[] = [];
    const [a, b] = await Promise.all([
      extractToStore(
        store,
        KEY,
        new CheckedStream(
          rowsStream(8, 2, 2, () => batches++),
          'a',
        ),
        slow,
      ),
      extractToStore(
        store,
        KEY,
        new CheckedStream(
          rowsStream(8, 2, 2, () => batches++),
          'b',
        ),
        slow,
        {
          onWait: (pid) => waits.push(pid),
        },
      ),
    ]);
    expect([a.built, b.built].sort()).toEqual([false, true]);
    expect(batches).toBe(4);
    expect(waits).toEqual([process.pid]);
    expect(a.manifest.shards).toEqual(b.manifest.shards);
    expect(fs.readdirSync(store.root).filter((n) => n.startsWith('.') || n.endsWith('.lock'))).toEqual([]);
  });

  it('removes temporaries and locks left by a writer that died', async () => {
    const store = await newStore();
    const dead = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']));
    const orphan = path.join(store.root, `.tmp-${KEY}-${dead}-xyz`);
    fs.mkdirSync(orphan);
    fs.writeFileSync(path.join(orphan, shardName('features', 0)), Buffer.alloc(1024));
    fs.writeFileSync(path.join(store.root, `${KEY}.lock`), String(dead));
    const r = await extractToStore(store, KEY, new CheckedStream(rowsStream(4, 2, 2), 'data'), double);
    expect(r.built).toBe(true);
    expect(fs.existsSync(orphan)).toBe(false);
    expect(fs.existsSync(path.join(store.root, `${KEY}.lock`))).toBe(false);
  });

  it('evicts least-recently-used entries above maxBytes, never the one just built', async () => {
    const store = await newStore({ maxBytes: 300 });
    const keys = ['b', 'c', 'd'].map((c) => c.repeat(32));
    for (const k of keys) {
      await extractToStore(store, k, new CheckedStream(rowsStream(8, 3, 4), 'data'), double);
      await new Promise((r) => setTimeout(r, 20));
    }
    // each entry: 8 rows × (3 + 1) floats × 4 bytes = 128 bytes; 300 bytes hold two.
    expect(store.list().map((e) => e.key)).toEqual([keys[2], keys[1]]);
    expect(store.clear()).toBe(256);
    expect(store.list()).toEqual([]);
  });

  it('an empty stream or a failing forward leaves nothing half-written behind', async () => {
    const store = await newStore();
    const empty = new CheckedStream(() => [], 'data');
    await expect(extractToStore(store, KEY, empty, double)).rejects.toMatchObject({ code: 'BAD_DATA' });
    const boom = () => {
      throw new Error('engine exploded');
    };
    const before = tf.memory().numTensors;
    await expect(
      extractToStore(store, KEY, new CheckedStream(rowsStream(4, 2, 2), 'data'), boom),
    ).rejects.toThrow(/engine exploded/);
    expect(tf.memory().numTensors).toBe(before);
    expect(fs.readdirSync(store.root)).toEqual([]);
  });

  it('a folder under a regular file or inside /proc is a typed IO_ERROR', async () => {
    const dir = tmp();
    dirs.push(dir);
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    await expect(FeatureStore.open({ dir: path.join(file, 'cache') })).rejects.toMatchObject({
      code: 'IO_ERROR',
      message: expect.stringContaining(path.join(file, 'cache')),
    });
    await expect(FeatureStore.open({ dir: '/proc/frostline-cache' })).rejects.toMatchObject({
      code: 'IO_ERROR',
    });
    await expect(FeatureStore.open({ dir, maxBytes: 0 })).rejects.toMatchObject({ code: 'BAD_OPTION' });
  });

  describe('on a full or read-only disk (tmpfs mounts; needs root)', () => {
    const mnt = tmp();
    dirs.push(mnt);
    let mounted = false;
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'ignore' });
      mounted = true;
    } catch {
      console.log('[skip] cannot mount a tmpfs here (not root?): full/read-only disk cases not run');
    }
    afterAll(() => {
      if (mounted) execFileSync('umount', [mnt]);
    });

    it.skipIf(!mounted)(
      'a full disk is IO_ERROR with a fix, and the store holds no partial entry',
      async () => {
        const store = await FeatureStore.open({ dir: mnt });
        const big = new CheckedStream(rowsStream(64, 512, 16), 'data');
        await expect(extractToStore(store, KEY, big, double)).rejects.toMatchObject({
          code: 'IO_ERROR',
          hint: expect.stringMatching(/disk space/),
        });
        expect(fs.readdirSync(mnt)).toEqual([]);
      },
    );

    it.skipIf(!mounted)('a read-only folder is IO_ERROR', async () => {
      execFileSync('mount', ['-o', 'remount,ro', mnt]);
      try {
        await expect(FeatureStore.open({ dir: mnt })).rejects.toMatchObject({ code: 'IO_ERROR' });
      } finally {
        execFileSync('mount', ['-o', 'remount,rw', mnt]);
      }
    });
  });
});

describe('checked streams', () => {
  beforeAll(useCpu);
  const drain = async (s: CheckedStream, epoch = 0) => {
    let rows = 0;
    for await (const b of s.pass(epoch)) {
      rows += b.rows;
      tf.dispose([b.x as tf.Tensor, b.y]);
    }
    return rows;
  };

  it('reads tf.data datasets of {xs, ys}, iterables, async generators via a factory', async () => {
    const ds = tf.data
      .array(Array.from({ length: 10 }, (_, i) => ({ xs: [i, i], ys: i % 2 })))
      .batch(4)
      .map((b) => b as tf.TensorContainer);
    const s = new CheckedStream(ds, 'data');
    expect(await drain(s)).toBe(10);
    expect(await drain(s, 1)).toBe(10);
    expect(s.rows).toBe(10);
    async function* gen() {
      yield { x: tf.ones([2, 3]), y: tf.zeros([2]) };
    }
    const f = new CheckedStream(() => gen(), 'data');
    expect(await drain(f)).toBe(2);
    expect(await drain(f, 1)).toBe(2);
  });

  it('names the batch that breaks the shape, dtype or row contract, without leaking', async () => {
    const before = tf.memory().numTensors;
    const cases: Array<[string, () => Iterable<unknown>, RegExp]> = [
      [
        'shape change',
        function* () {
          yield { x: tf.ones([2, 3]), y: tf.zeros([2]) };
          yield { x: tf.ones([2, 4]), y: tf.zeros([2]) };
        },
        /batch 2 of epoch 1: input 0 has per-example shape \[4\], the first batch had \[3\]/,
      ],
      [
        'dtype change',
        function* () {
          yield { x: tf.ones([2, 3]), y: tf.zeros([2]) };
          yield { x: tf.ones([2, 3], 'int32'), y: tf.zeros([2]) };
        },
        /batch 2.*dtype int32/,
      ],
      [
        'rows differ',
        function* () {
          yield { x: tf.ones([2, 3]), y: tf.zeros([3]) };
        },
        /different numbers of rows/,
      ],
      [
        'disposed tensor',
        function* () {
          const x = tf.ones([2, 3]);
          x.dispose();
          yield { x, y: tf.zeros([2]) };
        },
        /a disposed tensor/,
      ],
      [
        'not a batch',
        function* () {
          yield [1, 2, 3];
        },
        /expected \{ x: Tensor/,
      ],
    ];
    for (const [, make, msg] of cases) {
      await expect(
        drain(new CheckedStream(make as () => Iterable<never>, 'training stream')),
      ).rejects.toMatchObject({
        code: 'BAD_DATA',
        message: expect.stringMatching(msg),
      });
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an empty stream, a throwing stream and a one-shot generator read twice are typed errors', async () => {
    await expect(drain(new CheckedStream(() => [], 'data'))).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/is empty/),
    });
    const throwing = new CheckedStream(function* () {
      yield { x: tf.ones([1, 1]), y: tf.zeros([1]) };
      throw new Error('disk gone');
    }, 'data');
    await expect(drain(throwing)).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/threw at batch 2 of epoch 1: disk gone/),
    });
    async function* once() {
      yield { x: tf.ones([1, 1]), y: tf.zeros([1]) };
    }
    const oneShot = new CheckedStream(once(), 'data');
    expect(await drain(oneShot)).toBe(1);
    await expect(drain(oneShot, 1)).rejects.toMatchObject({
      code: 'BAD_DATA',
      hint: expect.stringMatching(/fresh iterable/),
    });
    expect(() => new CheckedStream(42 as never, 'data')).toThrow(/not a stream: got number 42/);
  });

  it('a declared size that does not match what was yielded is an error', async () => {
    const s = new CheckedStream({ size: 5, batches: () => rowsStream(4, 1, 2).batches() }, 'data');
    await expect(drain(s)).rejects.toMatchObject({
      code: 'BAD_DATA',
      message: expect.stringMatching(/declared size 5 but yielded 4/),
    });
  });
});
