import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyPolicy,
  FrostlineTfjsError,
  loadCheckpoint,
  loadModel,
  registerFileSystemRouters,
  resume,
  saveCheckpoint,
  saveModel,
  toArtifacts,
  train,
} from '../src/index';
import { ioFaults } from '../src/io';
import { convNet, mlp, same, toyData, useCpu, values } from './helpers';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'frostline-io-'));
beforeAll(useCpu);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const predict = (m: tf.LayersModel, x: tf.Tensor) =>
  tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync() as Float32Array);

describe('file system IO', () => {
  it('saves model.json + weights.bin and loads them back exactly (dir, file://, routers)', async () => {
    const m = convNet();
    applyPolicy(m, { rules: [{ freeze: 'backbone' }] });
    const dir = path.join(root, 'm1');
    await saveModel(m, dir);
    expect(fs.readdirSync(dir).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const x = tf.ones([2, 8, 8, 1]);
    const a = await loadModel(dir);
    const b = await loadModel(`file://${dir}/model.json`);
    registerFileSystemRouters();
    await m.save(`file://${path.join(root, 'm1b')}`);
    const c = await tf.loadLayersModel(`file://${path.join(root, 'm1b')}/model.json`);
    for (const l of [a, b, c]) expect(same(predict(l, x), predict(m, x))).toBe(true);
    // trainable flags survive in the layer config
    expect((a.getLayer('backbone') as tf.LayersModel).getLayer('conv1').trainable).toBe(false);
    expect(a.getLayer('fc').trainable).toBe(true);
    tf.dispose(x);
    for (const l of [m, a, b, c]) l.dispose();
  });

  it('a crash mid-save leaves the previous model intact', async () => {
    const m = mlp();
    const dir = path.join(root, 'm2');
    await saveModel(m, dir);
    const before = fs.readFileSync(path.join(dir, 'weights.bin'));
    const m2 = mlp();
    m2.getLayer('d1').setWeights(
      m2
        .getLayer('d1')
        .getWeights()
        .map((w) => tf.mul(w, 2)),
    );
    ioFaults.hook = (stage) => {
      if (stage === 'weights') throw new Error('disk full (simulated)');
    };
    await expect(saveModel(m2, dir)).rejects.toThrow(/disk full/);
    ioFaults.hook = undefined;
    expect(
      same(
        new Float32Array(fs.readFileSync(path.join(dir, 'weights.bin')).buffer.slice(0)),
        new Float32Array(before.buffer.slice(0)),
      ),
    ).toBe(true);
    expect(fs.readdirSync(root).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const loaded = await loadModel(dir);
    const x = tf.ones([1, 6]);
    expect(same(predict(loaded, x), predict(m, x))).toBe(true);
    expect(same(predict(loaded, x), predict(m2, x))).toBe(false);
    x.dispose();
    m.dispose();
    m2.dispose();
    loaded.dispose();
  });

  it('recovers the previous version when a save died between its two renames', async () => {
    const m = mlp();
    const dir = path.join(root, 'm2b');
    await saveModel(m, dir);
    fs.renameSync(dir, path.join(root, '.m2b.old-123-abc'));
    const loaded = await loadModel(dir);
    const x = tf.ones([1, 6]);
    expect(same(predict(loaded, x), predict(m, x))).toBe(true);
    x.dispose();
    loaded.dispose();
    m.dispose();
  });

  it('refuses weight paths that leave the folder and wrong byte lengths', async () => {
    const m = mlp();
    const dir = path.join(root, 'm3');
    await saveModel(m, dir);
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
    for (const bad of ['../x.bin', '/etc/passwd', 'sub/../../x.bin', 'http://evil/x.bin']) {
      json.weightsManifest[0].paths = [bad];
      fs.writeFileSync(jsonPath, JSON.stringify(json));
      const err = await loadModel(dir).catch((e) => e);
      expect(err, bad).toBeInstanceOf(FrostlineTfjsError);
      expect(err.code, bad).toBe('UNSAFE_PATH');
    }
    json.weightsManifest[0].paths = ['weights.bin'];
    fs.writeFileSync(jsonPath, JSON.stringify(json));
    fs.appendFileSync(path.join(dir, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
    const err = await loadModel(dir).catch((e) => e);
    expect(err.code).toBe('WEIGHT_SIZE_MISMATCH');
    expect(err.message).toMatch(/re-save/);
    m.dispose();
  });

  it('loads from http(s) URLs with tf’s own loader and from in-memory artifacts', async () => {
    const m = mlp();
    const dir = path.join(root, 'm4');
    await saveModel(m, dir);
    const server = http.createServer((req, res) => {
      const f = path.join(dir, path.basename(req.url ?? ''));
      if (!fs.existsSync(f)) {
        res.statusCode = 404;
        res.end();
        return;
      }
      res.end(fs.readFileSync(f));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const x = tf.ones([1, 6]);
    try {
      const viaHttp = await loadModel(`http://127.0.0.1:${port}/model.json`);
      expect(same(predict(viaHttp, x), predict(m, x))).toBe(true);
      viaHttp.dispose();
    } finally {
      server.close();
    }
    const mem = await loadModel(await toArtifacts(m));
    expect(same(predict(mem, x), predict(m, x))).toBe(true);
    tf.dispose(x);
    mem.dispose();
    m.dispose();
  });
});

describe('checkpoints and resume', () => {
  const policy = {
    rules: [{ freeze: ['d1', 'd2'] }],
    schedule: [{ kind: 'unfreeze' as const, at: 2, select: 'd2' }],
  };

  it('save → load → resume keeps predictions, trainable set and optimizer moments', async () => {
    const m = mlp();
    const { x, y } = toyData(32, 6, 3);
    const dir = path.join(root, 'ck1');
    await train(m, { x, y }, { policy, epochs: 3, batchSize: 16, seed: 9, checkpoint: { dir } });
    expect(fs.readdirSync(dir).sort()).toEqual([
      'frostline.json',
      'model.json',
      'optimizer.bin',
      'weights.bin',
    ]);
    const ck = await loadCheckpoint(dir);
    expect(ck.meta.epoch).toBe(3);
    expect(ck.meta.history).toHaveLength(3);
    expect(ck.meta.trainable).toEqual(['d2/kernel', 'd2/bias', 'head/kernel', 'head/bias']);
    expect(ck.optimizer?.params.find((p) => p.name === 'head/kernel')?.step).toBe(6);
    expect(same(predict(ck.model, x), predict(m, x))).toBe(true);
    ck.model.dispose();
    ck.dispose();
    // Plain TF.js loads the checkpoint's model too.
    const plain = await loadModel(dir);
    expect(same(predict(plain, x), predict(m, x))).toBe(true);
    plain.dispose();

    let steps: number | undefined;
    let trainable: string[] = [];
    const { model, result } = await resume(
      dir,
      { x, y },
      {
        epochs: 4,
        batchSize: 16,
        onEvent: (e, ctx) => {
          if (e.type === 'plan') {
            trainable = e.plan.trainableNames();
            steps = ctx.optimizer.read('head/kernel')?.step;
          }
        },
      },
    );
    expect(trainable).toEqual(['d2/kernel', 'd2/bias', 'head/kernel', 'head/bias']);
    expect(steps).toBe(6);
    expect(result.history).toHaveLength(4);
    expect(result.plans).toHaveLength(1);
    model.dispose();
    tf.dispose([x, y]);
    m.dispose();
  });

  it('resuming at epoch k gives the same final weights as an uninterrupted run', async () => {
    const { x, y } = toyData(40, 6, 3);
    const opts = { policy, batchSize: 16, seed: 11, validationSplit: 0.2 };
    const full = mlp();
    await train(full, { x, y }, { ...opts, epochs: 5 });
    const part = mlp();
    const dir = path.join(root, 'ck2');
    await train(part, { x, y }, { ...opts, epochs: 2, checkpoint: { dir } });
    // resume into a fresh model object with train(..., { resumeFrom })
    const fresh = mlp();
    const res = await train(fresh, { x, y }, { ...opts, epochs: 5, resumeFrom: dir });
    expect(res.history).toHaveLength(5);
    const a = values(full);
    const b = values(fresh);
    for (const [k, v] of a) expect(same(v, b.get(k)!), k).toBe(true);
    tf.dispose([x, y]);
    for (const m of [full, part, fresh]) m.dispose();
  });

  it('stores RegExp selectors of a policy in their string form', async () => {
    const m = mlp();
    const dir = path.join(root, 'ck5');
    await saveCheckpoint(dir, { model: m, policy: { rules: [{ freeze: /^d[12]\// }] }, epoch: 2 });
    const ck = await loadCheckpoint(dir);
    expect(ck.meta.policy.rules?.[0]).toMatchObject({ freeze: '/^d[12]\\//' });
    const { x, y } = toyData(8, 6, 3);
    let trainable: string[] = [];
    await train(
      ck.model,
      { x, y },
      {
        epochs: 3,
        resumeFrom: ck,
        onEvent: (e) => {
          if (e.type === 'plan') trainable = e.plan.trainableNames();
        },
      },
    );
    expect(trainable).toEqual(['head/kernel', 'head/bias']);
    tf.dispose([x, y]);
    ck.model.dispose();
    ck.dispose();
    m.dispose();
  });

  it('rejects a folder that is not a checkpoint and a damaged optimizer file', async () => {
    const m = mlp();
    const dir = path.join(root, 'ck3');
    await saveModel(m, dir);
    const e1 = await loadCheckpoint(dir).catch((e) => e);
    expect(e1.code).toBe('CHECKPOINT_INVALID');
    const dir2 = path.join(root, 'ck4');
    await saveCheckpoint(dir2, { model: m, policy: {}, epoch: 1 });
    const ok = await loadCheckpoint(dir2);
    expect(ok.meta.epoch).toBe(1);
    ok.model.dispose();
    ok.dispose();
    m.dispose();
  });
});
