/**
 * Check a full-size Hugging Face BERT-family folder (bert, ernie, roberta, distilbert; e.g. bert-base-uncased,
 * a MiniLM sentence-transformers model, nghuyong/ernie-3.0-base-zh) that you have on disk. Not a test:
 *
 *   npx tsx packages/nlp/scripts/check-full-size.ts /path/to/model-folder [--weights pytorch_model.bin]
 *
 * Loads it with loadTextModel (reports load time, parameters, peak RSS), runs a padded batch of sentences
 * and, when Debian's /usr/bin/python3 has torch, compares last_hidden_state and pooler_output with PyTorch:
 * the plain-torch reference modules (scripts/make-bert-fixtures.py) on the same weights, and transformers'
 * AutoModel too when that package is installed. Exit code 1 when a difference exceeds 1e-4 (×10 for the
 * hidden states of full-size models, whose float32 sums are longer; both printed).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { selectBackend } from '@frostline/tfjs';
import * as tf from '@tensorflow/tfjs';
import { loadTextModel } from '../src/index';

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'Frozen layers run once; only the top of the encoder is trained.',
  'ok',
  '这部电影非常好看。',
];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (!dir || !existsSync(dir)) {
    console.error('usage: check-full-size.ts <hf-model-folder> [--weights <file>]');
    return 2;
  }
  const wi = process.argv.indexOf('--weights');
  const backend = await selectBackend({ prefer: 'wasm', quiet: true });
  const t0 = performance.now();
  const m = await loadTextModel({ path: dir, ...(wi > 0 ? { weights: process.argv[wi + 1]! } : {}) });
  const params = m.params().reduce((a, p) => a + p.shape.reduce((x, y) => x * y, 1), 0);
  console.log(
    `${m.kind}: ${m.config.layers} layers, hidden ${m.dim}, ${(params / 1e6).toFixed(1)}M parameters from ${m.source.weightsFile}`,
  );
  console.log(
    `loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${backend.name}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
  );
  if (m.source.keyReport?.unused.length)
    console.log(`unused checkpoint keys: ${m.source.keyReport.unused.join(', ')}`);
  const batch = m.tokenize(SENTENCES);
  const t1 = performance.now();
  const out = m.forward(batch);
  const hidden = out.lastHiddenState.dataSync();
  const pooled = out.poolerOutput?.dataSync();
  console.log(
    `forward of ${SENTENCES.length} sentences (padded to ${batch.input_ids[0]!.length}): ${(performance.now() - t1).toFixed(0)} ms`,
  );
  tf.dispose([out.lastHiddenState, ...(out.poolerOutput ? [out.poolerOutput] : [])]);

  const py = '/usr/bin/python3';
  if (!existsSync(py)) {
    console.log('no /usr/bin/python3: PyTorch comparison skipped');
    return 0;
  }
  const script = fileURLToPath(new URL('./bert_reference_forward.py', import.meta.url));
  const r = spawnSync(py, [script], {
    input: JSON.stringify({ dir, weights: m.source.weightsFile, ...batch }),
    maxBuffer: 1 << 30,
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    console.log(`PyTorch comparison skipped: ${r.stderr.trim().split('\n').at(-1)}`);
    return 0;
  }
  const res = JSON.parse(r.stdout) as Record<
    string,
    { last_hidden_state: number[]; pooler_output: number[] | null; missing?: string[] }
  > & {
    transformers_error?: string;
  };
  let ok = true;
  for (const side of ['reference', 'transformers'] as const) {
    const o = res[side];
    if (!o) {
      console.log(`transformers: not compared (${res.transformers_error})`);
      continue;
    }
    if (o.missing?.length) console.log(`${side}: keys missing in PyTorch load: ${o.missing.join(', ')}`);
    const dh = maxAbsDiff(hidden, o.last_hidden_state);
    const dp = pooled && o.pooler_output ? maxAbsDiff(pooled, o.pooler_output) : undefined;
    console.log(
      `vs PyTorch ${side}: last_hidden_state max |diff| ${dh.toExponential(2)}${dp === undefined ? '' : `, pooler_output ${dp.toExponential(2)}`}`,
    );
    ok &&= dh < 1e-3 && (dp === undefined || dp < 1e-4);
  }
  m.dispose();
  return ok ? 0 : 1;
}

process.exitCode = await main();
