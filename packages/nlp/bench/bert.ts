/**
 * BERT-base-shaped model (12 layers, hidden 768, 12 heads, random init generated here) on TF.js wasm vs
 * PyTorch CPU (Debian /usr/bin/python3, python3-torch) in the same run, interleaved, repeated; prints the
 * machine load with every round. Not a test.
 *
 *   npx tsx packages/nlp/bench/bert.ts [--batch 8] [--seq 128] [--rounds 3] [--top 2] [--layers 12] [--torch-threads 0]
 *
 * Timed, per side (same shapes, same token ids, same semantics; PyTorch in bench/bert_torch_worker.py):
 *   forward      pooled output of the whole model (inference)
 *   step         one training step with the top `--top` layers + pooler + a 2-class head trainable:
 *                the frozen prefix runs without gradients, then forward + backward + Adam on the top
 *   cached_step  the same step from the frozen prefix's stored output (what frostline's activation
 *                cache does from the second epoch on)
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { type BertConfig, randomTextModel } from '../src/index';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const BATCH = arg('batch', 8);
const SEQ = arg('seq', 128);
const ROUNDS = arg('rounds', 3);
const TOP = Math.min(arg('top', 2), arg('layers', 12));
const LAYERS = arg('layers', 12);
/** PyTorch intra-op threads (0 = its default; TF.js wasm in Node always runs on one thread). */
const TORCH_THREADS = arg('torch-threads', 0);

const CONFIG: BertConfig = {
  kind: 'bert',
  vocabSize: 30522,
  hidden: 768,
  layers: LAYERS,
  heads: 12,
  intermediate: 3072,
  maxPositions: 512,
  typeVocabSize: 2,
  taskTypeVocabSize: 0,
  layerNormEps: 1e-12,
  padTokenId: 0,
};
/** The same model as an HF config.json for the PyTorch side. */
const HF_CONFIG = {
  vocab_size: CONFIG.vocabSize,
  hidden_size: CONFIG.hidden,
  num_hidden_layers: CONFIG.layers,
  num_attention_heads: CONFIG.heads,
  intermediate_size: CONFIG.intermediate,
  max_position_embeddings: CONFIG.maxPositions,
  type_vocab_size: CONFIG.typeVocabSize,
  layer_norm_eps: CONFIG.layerNormEps,
  pad_token_id: 0,
};

/** Token ids with a realistic amount of padding: row r keeps 60–100% of the sequence. */
function batchData() {
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (let r = 0; r < BATCH; r++) {
    const len = Math.max(2, Math.round(SEQ * (0.6 + (0.4 * r) / Math.max(1, BATCH - 1))));
    ids.push([...Array(SEQ).keys()].map((i) => (i < len ? 1000 + Math.floor(rand() * 29000) : 0)));
    mask.push([...Array(SEQ).keys()].map((i) => (i < len ? 1 : 0)));
  }
  return { ids, mask, labels: ids.map((_, r) => r % 2) };
}

/** The PyTorch worker: one JSON line per request, answered with one JSON line. */
async function torchWorker(setup: object) {
  const py = '/usr/bin/python3';
  if (!existsSync(py)) return undefined;
  const script = fileURLToPath(new URL('./bert_torch_worker.py', import.meta.url));
  const child = spawn(py, [script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const ask = async (msg: object) => {
    child.stdin.write(`${JSON.stringify(msg)}\n`);
    const { value, done } = await lines.next();
    if (done) throw new Error('the PyTorch worker exited');
    return JSON.parse(value as string) as Record<string, unknown>;
  };
  const hello = await ask(setup);
  return { hello, ask, close: () => child.stdin.end() };
}

interface Timing {
  ms: number;
  cpuMs: number;
}

function tfjsSide(data: ReturnType<typeof batchData>) {
  const model = randomTextModel(CONFIG, { seed: 1 });
  const [ids, mask, types] = model.inputs({ input_ids: data.ids, attention_mask: data.mask });
  const xs = [ids!, mask!, types!];
  const labels = tf.oneHot(tf.tensor1d(data.labels, 'int32'), 2);
  const layers = model.graph.layers; // embeddings, blocks…, pooler
  const firstTrained = 1 + CONFIG.layers - TOP;
  const headW = tf.variable(tf.randomNormal([CONFIG.hidden, 2], 0, 0.02, 'float32', 3));
  const headB = tf.variable(tf.zeros([2]));
  const trained = [
    ...layers.slice(firstTrained).flatMap((l) => l.trainableWeights.map((w) => w.read() as tf.Variable)),
    headW,
    headB,
  ];
  const opt = tf.train.adam(1e-4);
  const prefix = () =>
    tf.tidy(() =>
      layers.slice(0, firstTrained).reduce((x, l) => l.apply(x) as tf.Tensor, xs as unknown as tf.Tensor),
    );
  const cached = prefix();
  const step = (x: tf.Tensor) => {
    const loss = opt.minimize(
      () => {
        const top = layers.slice(firstTrained).reduce((h, l) => l.apply(h) as tf.Tensor, x);
        return tf.losses.softmaxCrossEntropy(labels, tf.add(tf.matMul(top, headW), headB)) as tf.Scalar;
      },
      true,
      trained,
    );
    loss!.dataSync();
    loss!.dispose();
  };
  /** Wall and CPU milliseconds (CPU time is the work done, whatever else the machine runs). */
  const time = (f: () => void): Timing => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    f();
    const c = process.cpuUsage(c0);
    return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
  };
  return {
    ops: {
      forward: () =>
        time(() => {
          const y = model.encoder.predict(xs) as tf.Tensor;
          y.dataSync();
          y.dispose();
        }),
      step: () =>
        time(() => {
          const x = prefix();
          step(x);
          x.dispose();
        }),
      cached_step: () => time(() => step(cached)),
    } as Record<string, () => Timing>,
  };
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

async function main() {
  const backend = await selectBackend({ prefer: 'wasm', quiet: true });
  const data = batchData();
  console.log(
    `BERT-shaped: ${CONFIG.layers} layers, hidden ${CONFIG.hidden}, batch ${BATCH}, seq ${SEQ}, top ${TOP} trained`,
  );
  const t0 = performance.now();
  const tfjs = tfjsSide(data);
  console.log(
    `TF.js ${tf.version.tfjs} on ${backend.name}: model built in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  const torch = await torchWorker({
    config: HF_CONFIG,
    input_ids: data.ids,
    attention_mask: data.mask,
    labels: data.labels,
    train_top: TOP,
    threads: TORCH_THREADS,
  });
  if (torch) console.log(`PyTorch ${torch.hello.torch} on CPU, ${torch.hello.threads} threads`);
  else console.log('PyTorch: /usr/bin/python3 not found, TF.js only');
  const ops = ['forward', 'step', 'cached_step'];
  const results: Record<string, { tfjs: Timing[]; torch: Timing[] }> = {};
  for (const op of ops) results[op] = { tfjs: [], torch: [] };
  // Round 0 warms both sides up (kernel compilation, allocator) and is not counted.
  for (let round = 0; round <= ROUNDS; round++) {
    const line: string[] = [];
    for (const op of ops) {
      const a = tfjs.ops[op]!();
      const r = torch ? await torch.ask({ op }) : undefined;
      const b = r ? { ms: r.ms as number, cpuMs: r.cpu_ms as number } : { ms: Number.NaN, cpuMs: Number.NaN };
      if (round > 0) {
        results[op]!.tfjs.push(a);
        results[op]!.torch.push(b);
      }
      line.push(
        `${op} ${a.ms.toFixed(0)}/${b.ms.toFixed(0)} ms (cpu ${a.cpuMs.toFixed(0)}/${b.cpuMs.toFixed(0)})`,
      );
    }
    console.log(
      `${round === 0 ? 'warm-up' : `round ${round}`}: ${line.join(', ')}  [tfjs/torch; load ${load()}]`,
    );
  }
  torch?.close();
  console.log(
    '\nmedian per batch        TF.js wasm   PyTorch CPU   ratio   | CPU time: TF.js   PyTorch   ratio',
  );
  for (const op of ops) {
    const med = (side: 'tfjs' | 'torch', k: keyof Timing) => median(results[op]![side].map((t) => t[k]));
    const [a, b, ca, cb] = [
      med('tfjs', 'ms'),
      med('torch', 'ms'),
      med('tfjs', 'cpuMs'),
      med('torch', 'cpuMs'),
    ];
    const f = (v: number, w: number) => v.toFixed(0).padStart(w);
    console.log(
      `${op.padEnd(22)} ${f(a, 10)} ${f(b, 13)} ${(a / b).toFixed(1).padStart(6)}×  | ${f(ca, 15)} ${f(cb, 9)} ${(ca / cb).toFixed(1).padStart(6)}×`,
    );
  }
  console.log(`load average (1/5/15 min): ${load()}; tf.memory().numTensors ${tf.memory().numTensors}`);
}

await main();
