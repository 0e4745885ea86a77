/**
 * exportPlan(plan, 'pytorch', { launcher }) as a real distributed job: the generated torchrun script
 * runs on 2 CPU processes (gloo) under Debian's torch, each rank started the way torchrun would
 * (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT in its environment). torchrun itself is
 * not used: its elastic launcher is broken in Debian's torch 1.13 (see /work/shared/FINDINGS.md).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  exportPlan,
  type ParamInfo,
  type Plan,
  type PolicySpec,
  planFingerprint,
  planFreeze,
} from '../src/index';

const PY = '/usr/bin/python3';
const HARNESS = fileURLToPath(new URL('./fixtures/launcher_harness.py', import.meta.url));
/** The seed's policy (all but layer4 and fc frozen), with a smaller LR for layer4 so there are two groups. */
const SEED: PolicySpec = {
  rules: [{ freeze: '**' }, { unfreeze: 'layer4' }, { unfreeze: 'fc' }],
  lr: { mult: [{ select: 'layer4', factor: 0.1 }] },
};

const probe = spawnSync(PY, ['-c', 'import torch, torchvision'], { encoding: 'utf8', timeout: 120_000 });
const noTorch =
  probe.status === 0
    ? undefined
    : `${PY} cannot import torch + torchvision (${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()}); CI installs Debian's python3-torch python3-torchvision`;
if (noTorch) console.warn(`[export-launcher] SKIPPING the PyTorch runs: ${noTorch}`);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs a command; kills it after `ms` so a hang fails the test instead of stalling the suite. */
function run(args: string[], env: Record<string, string> = {}, ms = 150_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(PY, args, {
      env: { ...process.env, OMP_NUM_THREADS: '1', PYTHONDONTWRITEBYTECODE: '1', ...env },
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface RankResult {
  rank: number;
  world: number;
  error?: string;
  frozenChecked: number;
  frozenChanged: string[];
  frozenStatsChecked: number;
  frozenStatsChanged: string[];
  trainableUnchanged: string[];
  trainableBnStatsUnchanged: string[];
  trainableDigests: Record<string, string>;
  frozenBn: string[];
  bnEval: string[];
  requiresGrad: string[];
  groups: Array<{ lr: number; names: string[] }>;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'frostline-launcher-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Two ranks, as torchrun would start them; `scripts[r]` is the script rank r runs. */
async function twoRanks(
  scripts: [string, string],
  model: string | [string, string],
): Promise<Array<Run & { out?: RankResult }>> {
  const models = typeof model === 'string' ? [model, model] : model;
  const port = String(await freePort());
  const paths = scripts.map((code, r) => {
    const p = join(dir, `train-${port}-${r}.py`);
    writeFileSync(p, code);
    return p;
  });
  const runs = await Promise.all(
    [0, 1].map((r) =>
      run(['-u', HARNESS, 'rank', paths[r]!, join(dir, `out-${port}-${r}.json`), models[r]!], {
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: port,
        RANK: String(r),
        LOCAL_RANK: String(r),
        WORLD_SIZE: '2',
        CUDA_VISIBLE_DEVICES: '', // CPU processes with gloo, even on a machine with GPUs
      }),
    ),
  );
  return runs.map((x, r) => {
    try {
      return {
        ...x,
        out: JSON.parse(readFileSync(join(dir, `out-${port}-${r}.json`), 'utf8')) as RankResult,
      };
    } catch {
      return x;
    }
  });
}

/** What the optimizer must hold: the plan's trainable names per LR factor, LR = 1e-3 × factor. */
function plannedGroups(plan: Plan): Array<{ lr: number; names: string[] }> {
  const byFactor = new Map<number, string[]>();
  for (const name of plan.trainableNames()) {
    const f = plan.get(name)!.lrFactor;
    byFactor.set(f, [...(byFactor.get(f) ?? []), name]);
  }
  return [...byFactor.entries()].sort((a, b) => b[0] - a[0]).map(([f, names]) => ({ lr: 1e-3 * f, names }));
}

/** Only what `named_parameters()` gives: names and shapes (the CLI's params.json). */
function namesAndShapes(list: ParamInfo[]): ParamInfo[] {
  return list.filter((p) => p.kind !== 'buffer').map((p) => ({ name: p.name, shape: p.shape }));
}

function bnLayersOutside(list: ParamInfo[], prefix: string): string[] {
  const layers = list.filter((p) => p.layerType === 'BatchNorm2d').map((p) => p.name.replace(/\.[^.]+$/, ''));
  return [...new Set(layers)].filter((l) => !l.startsWith(prefix)).sort();
}

function expectTrainedLikePlan(
  runs: Array<Run & { out?: RankResult }>,
  plan: Plan,
  frozenBn: string[],
): void {
  for (const r of runs) {
    expect(r.timedOut).toBe(false);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`runs plan ${planFingerprint(plan)}`);
    const out = r.out!;
    expect(out.world).toBe(2);
    expect(out.frozenChecked).toBe(plan.frozenNames().length);
    expect(out.frozenChanged).toEqual([]);
    expect(out.frozenStatsChecked).toBe(frozenBn.length * 3); // running_mean, running_var, num_batches_tracked
    expect(out.frozenStatsChanged).toEqual([]);
    expect(out.trainableUnchanged).toEqual([]);
    expect(out.trainableBnStatsUnchanged).toEqual([]); // layer4's BN trains: its statistics move
    expect(out.bnEval).toEqual(frozenBn);
    expect(out.requiresGrad).toEqual([...plan.trainableNames()].sort());
    expect(out.groups.map((g) => g.names)).toEqual(plannedGroups(plan).map((g) => g.names));
    for (const [i, g] of out.groups.entries()) expect(g.lr).toBeCloseTo(plannedGroups(plan)[i]!.lr, 15);
  }
  expect(runs[0]!.out!.trainableDigests).toEqual(runs[1]!.out!.trainableDigests);
  expect(Object.keys(runs[0]!.out!.trainableDigests).sort()).toEqual([...plan.trainableNames()].sort());
}

describe.skipIf(noTorch !== undefined)('exported torchrun scripts on 2 CPU processes (gloo)', () => {
  let info: { torch: string; fsdp_error: string | null; small: ParamInfo[]; resnet18: ParamInfo[] };
  beforeAll(async () => {
    const r = await run([HARNESS, 'info']);
    expect(r.code, r.stderr).toBe(0);
    info = JSON.parse(r.stdout);
  });

  it('DDP: frozen weights and frozen BN statistics bit-identical, trainable ones moved and equal on both ranks', async () => {
    // Names and shapes only: the script itself must find the frozen BatchNorm modules.
    const plan = planFreeze(namesAndShapes(info.small), SEED);
    const code = exportPlan(plan, 'pytorch', { launcher: 'ddp' });
    expect(code).toContain('BN_INFERENCE = []');
    const runs = await twoRanks([code, code], 'small');
    expectTrainedLikePlan(runs, plan, bnLayersOutside(info.small, 'layer4'));
    expect(runs[0]!.stdout).toMatch(/epoch 1\/1: mean loss [\d.]+ over 3 steps/);
  });

  it('FSDP: the same checks where torch can run it, else its structure', async () => {
    const plan = planFreeze(info.small, SEED);
    const code = exportPlan(plan, 'pytorch', { launcher: 'fsdp' });
    if (info.fsdp_error !== null) {
      console.warn(
        `[export-launcher] FSDP NOT RUN with torch ${info.torch}: ${info.fsdp_error.slice(0, 200)}; checked the generated script's structure only`,
      );
      const run = code.slice(code.indexOf('def run(device):'));
      expect(run.indexOf('apply_plan(model)')).toBeLessThan(run.indexOf('wrap_model(model, device)'));
      expect(run.indexOf('wrap_model(model, device)')).toBeLessThan(run.indexOf('build_optimizer(wrapped)'));
      expect(code).toContain('use_orig_params=True');
      expect(code).toContain('auto_wrap_policy=policy');
      return;
    }
    const runs = await twoRanks([code, code], 'small');
    expectTrainedLikePlan(runs, plan, bnLayersOutside(info.small, 'layer4'));
  });

  it('a different plan on rank 1 stops both ranks with the mismatch message, no hang', async () => {
    const plan = planFreeze(info.small, SEED);
    const other = planFreeze(info.small, { rules: [...SEED.rules!, { unfreeze: 'layer3' }] });
    const runs = await twoRanks(
      [exportPlan(plan, 'pytorch', { launcher: 'ddp' }), exportPlan(other, 'pytorch', { launcher: 'ddp' })],
      'small',
    );
    for (const [r, x] of runs.entries()) {
      expect(x.timedOut, `rank ${r} hung`).toBe(false);
      expect(x.code).toBe(1);
      expect(x.stderr).toContain(`frostline: rank ${r}: plan mismatch across ranks`);
      expect(x.stderr).toContain(`rank 0: plan ${planFingerprint(plan)}, 11 trainable`);
      expect(x.stderr).toContain(`rank 1: plan ${planFingerprint(other)}, 17 trainable`);
      expect(x.out?.groups).toBeUndefined(); // stopped before training
    }
  });

  it('a rank that cannot apply the plan (another model) stops both ranks with its reason, no hang', async () => {
    const code = exportPlan(planFreeze(info.small, SEED), 'pytorch', { launcher: 'ddp' });
    const runs = await twoRanks([code, code], ['small', 'resnet18']);
    for (const [r, x] of runs.entries()) {
      expect(x.timedOut, `rank ${r} hung`).toBe(false);
      expect(x.code).toBe(1);
      // resnet18 holds every name of the small net, and 27 more.
      expect(x.stderr).toContain(`frostline: rank ${r}: a rank failed before training: rank 1: KeyError:`);
      expect(x.stderr).toContain('parameters the plan does not know: [');
      expect(x.stderr).toContain('(27 in all)');
    }
  });

  it('single-process snippet from names and shapes only (torchvision resnet18): frozen BN statistics do not drift', async () => {
    const plan = planFreeze(namesAndShapes(info.resnet18), SEED);
    const code = exportPlan(plan, 'pytorch');
    expect(code).toContain('BN_INFERENCE = []'); // the planner could not know; the snippet finds them
    const path = join(dir, 'snippet.py');
    writeFileSync(path, code);
    const r = await run([HARNESS, 'snippet', path, join(dir, 'snippet.json'), 'resnet18']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(readFileSync(join(dir, 'snippet.json'), 'utf8')) as RankResult;
    expect(out.frozenChecked).toBe(plan.frozenNames().length);
    expect(out.frozenChanged).toEqual([]);
    expect(out.frozenStatsChecked).toBe(bnLayersOutside(info.resnet18, 'layer4').length * 3);
    expect(out.frozenStatsChanged).toEqual([]);
    expect(out.trainableUnchanged).toEqual([]);
    expect(out.trainableBnStatsUnchanged).toEqual([]);
  });
});

const small: ParamInfo[] = ['conv1', 'layer3.0.conv1', 'layer4.0.conv1', 'fc'].flatMap((l) => [
  { name: `${l}.weight`, shape: [4, 4] },
  { name: `${l}.bias`, shape: [4] },
]);

function assertPython(code: string): void {
  const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], { input: code });
  expect(r.status, String(r.stderr)).toBe(0);
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

describe('exportPlan launcher scripts: structure', () => {
  const plan = planFreeze(small, SEED);
  for (const launcher of ['ddp', 'fsdp'] as const) {
    it(`${launcher}: torchrun environment, plan check before wrapping, sampler, fingerprint, three user places`, () => {
      const code = exportPlan(plan, 'pytorch', { launcher, optimizer: 'SGD', lr: 0.05 });
      assertPython(code);
      expect(code).toContain(`PLAN_FINGERPRINT = "${planFingerprint(plan)}"`);
      expect(code).toContain('torchrun --nproc_per_node=N train.py');
      expect(code).toContain(
        'dist.init_process_group(backend=backend, init_method="env://", timeout=timeout)',
      );
      expect(code).toMatch(/"nccl"[\s\S]*"gloo"/);
      expect(code).toContain('dist.all_gather_object(reports, report)');
      expect(code).toContain('sampler.set_epoch(epoch)');
      expect(code).toContain('DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True)');
      expect(code).toContain('return torch.optim.SGD(groups, lr=LR)');
      expect(code).toContain('LR = 0.05');
      expect(code).toContain('isinstance(m, torch.nn.modules.batchnorm._BatchNorm)');
      expect(code.match(/^# >>> YOUR CODE \([123]\/3\)/gm)).toHaveLength(3);
      const run = code.slice(code.indexOf('def run(device):'));
      const order = [
        'build_model()',
        'apply_plan(model)',
        'check_same_plan_on_all_ranks(',
        'wrap_model(model, device)',
        'build_optimizer(wrapped)',
        'train(wrapped',
      ].map((s) => run.indexOf(s));
      expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
      const loop = code.slice(code.indexOf('def train('));
      expect(loop.indexOf('train_mode(wrapped, frozen_bn)')).toBeLessThan(
        loop.indexOf('for batch in loader:'),
      );
      if (launcher === 'fsdp') {
        expect(code).toContain('use_orig_params=True');
        expect(code).toContain('size_based_auto_wrap_policy');
        expect(code).not.toContain('DistributedDataParallel as DDP');
      } else {
        expect(code).toContain('DDP(model, device_ids=');
        expect(code).not.toContain('FullyShardedDataParallel');
      }
    });
  }

  it('bad launchers are typed errors; the plain snippet has no launcher code', () => {
    expect(errorCode(() => exportPlan(plan, 'pytorch', { launcher: 'dpp' as never }))).toBe('INVALID_FORMAT');
    expect(errorCode(() => exportPlan(plan, 'paddle', { launcher: 'ddp' }))).toBe('INVALID_FORMAT');
    expect(errorCode(() => exportPlan(plan, 'pytorch', { launcher: 'ddp', modelVar: 'net' }))).toBe(
      'UNKNOWN_KEY',
    );
    const plain = exportPlan(plan, 'pytorch');
    expect(plain).not.toContain('init_process_group');
    expect(plain).toContain('def frostline_bn_inference(module):');
  });

  it('planFingerprint: stable across list order, changes with the trainable set, an LR factor or a BN mode', () => {
    const fp = planFingerprint(plan);
    expect(fp).toMatch(/^[0-9a-f]{16}$/);
    expect(planFingerprint(planFreeze([...small].reverse(), SEED))).toBe(fp);
    expect(
      planFingerprint(planFreeze(small, { ...SEED, rules: [...SEED.rules!, { unfreeze: 'layer3' }] })),
    ).not.toBe(fp);
    expect(planFingerprint(planFreeze(small, { rules: SEED.rules! }))).not.toBe(fp);
    const withBn = [...small, { name: 'bn.weight', shape: [4], layerType: 'BatchNorm2d' }];
    expect(planFingerprint(planFreeze(withBn, SEED))).not.toBe(
      planFingerprint(planFreeze(withBn, { ...SEED, batchNorm: 'train' })),
    );
    expect(errorCode(() => planFingerprint(null as never))).toBe('INVALID_TYPE');
  });
});

describe("Paddle: BatchNorm's _mean/_variance in named_parameters() are statistics", () => {
  // What Paddle's named_parameters() gives for conv + BatchNorm2D blocks (names and shapes only).
  const paddleParams: ParamInfo[] = ['backbone.bn', 'layer4.bn'].flatMap((bn) => [
    { name: `${bn.replace('bn', 'conv')}.weight`, shape: [4, 4, 3, 3] },
    ...['weight', 'bias', '_mean', '_variance'].map((leaf) => ({ name: `${bn}.${leaf}`, shape: [4] })),
  ]);
  const plan = planFreeze(paddleParams, { rules: [{ freeze: '**' }, { unfreeze: 'layer4' }] });
  const code = exportPlan(plan, 'paddle');
  const block = (name: string) =>
    code.slice(code.indexOf(`${name} = `), code.indexOf('\n]', code.indexOf(`${name} = `)));

  it('the plan counts them as statistics (buffers), not parameters', () => {
    const stats = plan.entries.filter((e) => /_mean$|_variance$/.test(e.name));
    expect(stats.map((e) => [e.name, e.kind, e.trainable])).toEqual([
      ['backbone.bn._mean', 'buffer', false],
      ['backbone.bn._variance', 'buffer', false],
      ['layer4.bn._mean', 'buffer', false],
      ['layer4.bn._variance', 'buffer', false],
    ]);
    // 2 × (conv 144 + BN weight 4 + bias 4) parameters; the 4 × 4 statistics are buffers.
    expect(plan.summary.totalParams).toBe(304);
    expect(plan.summary.trainableParams).toBe(152);
  });

  it('never frozen or unfrozen by name, never in an LR group, listed as statistics', () => {
    assertPython(code);
    expect(block('FROZEN')).not.toMatch(/_mean|_variance/);
    expect(block('LR_GROUPS')).not.toMatch(/_mean|_variance/);
    expect(block('LR_GROUPS')).toContain('"layer4.bn.weight"');
    expect(code).toMatch(
      /BN_STATISTICS = set\(\[\n {4}"backbone\.bn\._mean",\n {4}"backbone\.bn\._variance",\n {4}"layer4\.bn\._mean",\n {4}"layer4\.bn\._variance",\n\]\)/,
    );
  });

  it('at run time: statistics found by type, skipped before stop_gradient, filtered from the optimizer', () => {
    expect(code).toContain('return [("", layer)] + list(layer.named_sublayers())');
    expect(code).toContain('getattr(paddle.nn.layer.norm, "_BatchNormBase", None)');
    expect(code).toMatch(
      /if name not in stats: {2}# BN statistics keep stop_gradient=True\n {8}p\.stop_gradient = name in FROZEN/,
    );
    expect(code).toContain('[params[n] for n in names if n not in stats]');
    expect(code).not.toMatch(/stop_gradient = False/);
  });

  it('run on a stand-in paddle (same layer/parameter API): statistics keep stop_gradient, frozen BN in eval', () => {
    const path = join(dir, 'paddle_snippet.py');
    writeFileSync(path, code);
    const stub = fileURLToPath(new URL('./fixtures/paddle_stub/run_snippet.py', import.meta.url));
    const r = spawnSync('python3', [stub, path], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      stopGradient: Record<string, boolean>;
      groups: Array<{ factor: number; names: string[] }>;
      training: Record<string, boolean>;
    };
    const trainable = ['layer4.conv.weight', 'layer4.bn.weight', 'layer4.bn.bias'];
    expect(Object.keys(out.stopGradient).filter((n) => !out.stopGradient[n])).toEqual(trainable);
    expect(out.stopGradient['layer4.bn._mean']).toBe(true);
    expect(out.groups).toEqual([{ factor: 1, names: trainable }]);
    expect(out.training['backbone.bn']).toBe(false);
    expect(out.training['layer4.bn']).toBe(true);
  });
});
