/**
 * Planning speed on a very large model: 100,000 parameter names of a synthetic deep transformer
 * under a 50-rule policy (names, globs, regexes, layer types, layer ranges), against a naive loop
 * that tests every rule's compiled regex against every name. Run: pnpm bench (tsx bench/run.ts).
 */

import { type ParamInfo, type PolicySpec, planFreeze, type Rule } from '../src/index';
import { globToRegExp } from '../src/selectors/index';

const PER_BLOCK: Array<[string, string, number[]]> = [
  ['attention.self.query', 'Linear', [768, 768]],
  ['attention.self.key', 'Linear', [768, 768]],
  ['attention.self.value', 'Linear', [768, 768]],
  ['attention.output.dense', 'Linear', [768, 768]],
  ['attention.output.LayerNorm', 'LayerNorm', [768]],
  ['intermediate.dense', 'Linear', [3072, 768]],
  ['output.dense', 'Linear', [768, 3072]],
  ['output.LayerNorm', 'LayerNorm', [768]],
];

function syntheticTransformer(target: number): ParamInfo[] {
  const params: ParamInfo[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [30522, 768], layerType: 'Embedding' },
    { name: 'embeddings.position_embeddings.weight', shape: [512, 768], layerType: 'Embedding' },
    { name: 'embeddings.LayerNorm.weight', shape: [768], layerType: 'LayerNorm' },
    { name: 'embeddings.LayerNorm.bias', shape: [768], layerType: 'LayerNorm' },
  ];
  const tail: ParamInfo[] = [
    { name: 'pooler.dense.weight', shape: [768, 768], layerType: 'Linear' },
    { name: 'pooler.dense.bias', shape: [768], layerType: 'Linear' },
    { name: 'classifier.weight', shape: [2, 768], layerType: 'Linear' },
    { name: 'classifier.bias', shape: [2], layerType: 'Linear' },
  ];
  for (let b = 0; params.length + tail.length < target; b++) {
    for (const [mod, type, shape] of PER_BLOCK) {
      for (const w of ['weight', 'bias']) {
        if (params.length + tail.length >= target) break;
        params.push({
          name: `encoder.layer.${b}.${mod}.${w}`,
          shape: w === 'bias' ? [shape[0]!] : shape,
          layerType: type,
        });
      }
    }
  }
  return [...params, ...tail];
}

function policy50(blocks: number): PolicySpec {
  const sels: string[] = [
    // 20 names / paths
    'embeddings',
    'encoder.layer.0',
    'encoder.layer.1.attention',
    'encoder.layer.17.attention.self',
    'pooler',
    'classifier',
    `encoder.layer.${blocks - 1}`,
    `encoder.layer.${blocks - 2}.output`,
    'encoder.layer.42.intermediate.dense',
    'embeddings.LayerNorm',
    'encoder.layer.100',
    'encoder.layer.2000.output.LayerNorm',
    'encoder.layer.3000.attention.output',
    'classifier.weight',
    'pooler.dense.bias',
    'encoder.layer.5.attention.self.query',
    'encoder.layer.500',
    'encoder.layer.4000',
    'encoder.layer.123.output.dense.weight',
    'word_embeddings',
    // 15 globs
    'encoder.layer.*.attention.self.query.*',
    '**.LayerNorm.*',
    'encoder.layer.1*.output.dense.weight',
    '**.bias',
    'encoder.layer.*.intermediate.**',
    'embeddings.*_embeddings.weight',
    'encoder.layer.99*.**',
    '**.attention.output.dense.weight',
    'encoder.layer.3*.attention.self.*.bias',
    'pooler.**',
    'encoder.layer.*.output.LayerNorm.weight',
    '**.value.weight',
    'encoder.layer.12*.**',
    'encoder.layer.6*.attention.**',
    '**.key.*',
    // 5 regexes
    '/^encoder\\.layer\\.\\d*[05]\\.intermediate\\./',
    '/\\.(query|key)\\.weight$/',
    '/^encoder\\.layer\\.(1|2)\\d{2}\\./',
    '/LayerNorm\\.bias$/',
    '/^embeddings\\./',
    // 5 layer types
    'type:LayerNorm',
    'type:Embedding',
    'type:Linear',
    'type:LayerNorm,Embedding',
    'type:Layer*',
    // 5 ranges
    'layers:0..100',
    'last:50',
    'first:10',
    'layers:-400..-200',
    'layers:1000..2000',
  ];
  const rules: Rule[] = sels.map((s, i) => (i % 3 === 2 ? { unfreeze: s } : { freeze: s }));
  return { default: 'trainable', rules };
}

/** The baseline: every rule compiled to one regex, tested against every name (types/ranges: one compare). */
function naivePlan(params: readonly ParamInfo[], policy: PolicySpec): Uint8Array {
  const n = params.length;
  const layers = new Map<string, number>();
  const layerIndex = new Int32Array(n);
  params.forEach((p, i) => {
    const l = p.name.slice(0, Math.max(p.name.lastIndexOf('.'), p.name.lastIndexOf('/')));
    if (!layers.has(l)) layers.set(l, layers.size);
    layerIndex[i] = layers.get(l)!;
  });
  const L = layers.size;
  const tests = (policy.rules ?? []).map((r) => {
    const sel = ('freeze' in r ? r.freeze : r.unfreeze) as string;
    const freeze = 'freeze' in r;
    if (sel.startsWith('/')) {
      const m = /^\/(.*)\/(\w*)$/.exec(sel)!;
      const re = new RegExp(m[1]!, m[2]);
      return { freeze, test: (p: ParamInfo) => re.test(p.name) };
    }
    if (sel.startsWith('type:')) {
      const re = new RegExp(
        `^(${sel
          .slice(5)
          .split(',')
          .map((t) => t.replace('*', '.*'))
          .join('|')})$`,
        'i',
      );
      return { freeze, test: (p: ParamInfo) => re.test(p.layerType ?? '') };
    }
    if (/^(layers|first|last):/.test(sel)) {
      const [kind, arg] = sel.split(':') as [string, string];
      let from = 0;
      let to = L - 1;
      if (kind === 'first') to = Number(arg) - 1;
      else if (kind === 'last') from = L - Number(arg);
      else {
        const [a, b] = arg.split('..').map(Number) as [number, number];
        from = a < 0 ? L + a : a;
        to = b < 0 ? L + b : b;
      }
      return { freeze, test: (_p: ParamInfo, i: number) => layerIndex[i]! >= from && layerIndex[i]! <= to };
    }
    if (sel.includes('*')) {
      const re = globToRegExp(sel);
      return { freeze, test: (p: ParamInfo) => re.test(p.name) };
    }
    const re = new RegExp(`(^|[./])${sel.replace(/[.]/g, '[./]')}($|[./])`);
    return { freeze, test: (p: ParamInfo) => re.test(p.name) };
  });
  const trainable = new Uint8Array(n).fill(1);
  for (const t of tests) {
    for (let i = 0; i < n; i++) if (t.test(params[i]!, i)) trainable[i] = t.freeze ? 0 : 1;
  }
  return trainable;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(fn: () => unknown, runs: number): number {
  fn(); // warm-up (JIT)
  const ts: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

const N = 100_000;
const params = syntheticTransformer(N);
const blocks = Math.floor((N - 8) / 16);
const policy = policy50(blocks);

// Same decisions, or the comparison means nothing.
const plan = planFreeze(params, policy);
const naive = naivePlan(params, policy);
let mismatches = 0;
plan.entries.forEach((e, i) => {
  if (Number(e.trainable) !== naive[i]) mismatches++;
});

const runs = 7;
// Cold: a new array each time, so nothing is cached (the first plan of a model).
const tCold = time(() => planFreeze(params.slice(), policy), runs);
// Warm: the same array again at another epoch, as a trainer re-plans (index and matches cached).
let epoch = 0;
const tWarm = time(() => planFreeze(params, policy, { epoch: ++epoch }), runs);
// Entries are built on first access; this is the cost of reading them all.
const tEntries = time(() => planFreeze(params.slice(), policy).entries.length, runs);
const tNaive = time(() => naivePlan(params, policy), runs);
const ms = (t: number) => `${t.toFixed(1)} ms`;
const x = (t: number) => `${(tNaive / t).toFixed(1)}×`;
const rows: Array<[string, string, string]> = [
  ['naive: every rule regex × every name', ms(tNaive), '1.0×'],
  ['planFreeze, cold (new parameter list)', ms(tCold), x(tCold)],
  ['planFreeze, warm (re-plan, same list)', ms(tWarm), x(tWarm)],
  ['planFreeze cold + read all entries', ms(tEntries), x(tEntries)],
];
console.log(
  `frostline core: planning ${params.length.toLocaleString('en-US')} parameters (${plan.layers.length.toLocaleString('en-US')} layers) under ${policy.rules?.length ?? 0} rules; median of ${runs}`,
);
console.log(
  `decisions identical to the naive loop: ${mismatches === 0 ? 'yes' : `NO (${mismatches} differ)`}`,
);
const w0 = Math.max(...rows.map((r) => r[0].length));
const w1 = Math.max(...rows.map((r) => r[1].length), 4);
console.log(`${'what'.padEnd(w0)}  ${'time'.padStart(w1)}  vs naive`);
for (const [k, v, r] of rows) console.log(`${k.padEnd(w0)}  ${v.padStart(w1)}  ${r.padStart(8)}`);
console.log('target: ≥ 5× faster than naive and < 100 ms');
if (mismatches > 0) process.exitCode = 1;
