import { describe, expect, it } from 'vitest';
import { diffPlans, formatSummaryLine, type ParamInfo, PolicyError, planFreeze } from '../src/index';
import { cnn, linear, mlp } from './fixtures/models';

function err(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PolicyError);
    return e as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

describe('seed cases', () => {
  it('freezing only linear.weight of a 10×10 linear layer', () => {
    const plan = planFreeze(linear, { rules: [{ freeze: 'linear.weight' }] });
    expect(plan.get('linear.weight')).toMatchObject({ trainable: false, size: 100, decidedBy: 0 });
    expect(plan.get('linear.bias')).toMatchObject({ trainable: true, size: 10, decidedBy: null });
    expect(plan.summary).toMatchObject({
      totalParams: 110,
      trainableParams: 10,
      frozenParams: 100,
      totalTensors: 2,
    });
    expect(plan.summary.trainablePercent.toFixed(4)).toBe('9.0909');
    expect(formatSummaryLine(plan)).toBe('trainable params: 10 || all params: 110 || trainable%: 9.0909');
    expect(plan.layers[0]).toMatchObject({
      name: 'linear',
      state: 'partial',
      params: 110,
      frozenParams: 100,
    });
  });
  it('freezing fc1 of a 100→50→10 model leaves fc2 and fc10 trainable', () => {
    const plan = planFreeze(mlp, { rules: [{ freeze: 'fc1' }] });
    expect(plan.frozenNames()).toEqual(['fc1.weight', 'fc1.bias']);
    expect(plan.trainableNames()).toEqual(['fc2.weight', 'fc2.bias', 'fc10.weight', 'fc10.bias']);
    const [fc1, fc2, fc10] = plan.layers;
    expect(fc1).toMatchObject({ name: 'fc1', params: 5050, frozenParams: 5050, state: 'frozen', rules: [0] });
    expect(fc2).toMatchObject({ name: 'fc2', params: 510, trainableParams: 510, state: 'trainable' });
    expect(fc10).toMatchObject({ name: 'fc10', state: 'trainable' });
    expect(plan.explain('fc1.weight')).toBe("fc1.weight: frozen by rules[0] (freeze 'fc1'); lr factor 1");
    expect(plan.explain('fc10.bias')).toBe(
      "fc10.bias: trainable by default (no rule matches; default 'trainable'); lr factor 1",
    );
  });
});

describe('rule ordering and defaults', () => {
  it('the last matching rule wins', () => {
    const plan = planFreeze(mlp, { rules: [{ freeze: '**' }, { unfreeze: 'fc2' }, { freeze: 'fc2.bias' }] });
    expect(plan.trainableNames()).toEqual(['fc2.weight']);
    expect(plan.get('fc2.weight')!.decidedBy).toBe(1);
    expect(plan.get('fc2.bias')!.decidedBy).toBe(2);
    const reversed = planFreeze(mlp, {
      rules: [{ freeze: 'fc2.bias' }, { unfreeze: 'fc2' }, { freeze: '**' }],
    });
    expect(reversed.trainableNames()).toEqual([]);
  });
  it("default 'frozen' freezes what no rule matches", () => {
    const plan = planFreeze(mlp, { default: 'frozen', rules: [{ unfreeze: 'fc10' }] });
    expect(plan.trainableNames()).toEqual(['fc10.weight', 'fc10.bias']);
    expect(plan.get('fc1.weight')!.decision).toBe('default');
    expect(plan.rules[0]).toMatchObject({
      index: 0,
      action: 'unfreeze',
      selector: 'fc10',
      source: 'rules[0]',
      strict: true,
    });
  });
  it('aliases resolve in get/explain; unknown names get suggestions', () => {
    const p: ParamInfo[] = [
      { name: 'conv5_block1_1_conv/kernel', shape: [2], aliases: ['layer4/conv5_block1_1_conv/kernel'] },
    ];
    const plan = planFreeze(p, { rules: [{ freeze: 'layer4' }] });
    expect(plan.get('layer4/conv5_block1_1_conv/kernel')!.trainable).toBe(false);
    expect(plan.explain('conv5_block1_1_conv/kernal')).toContain('did you mean `conv5_block1_1_conv/kernel`');
  });
});

describe('strictness and suggestions', () => {
  it('a rule that matches nothing is NO_MATCH with the nearest names', () => {
    const e = err(() => planFreeze(mlp, { rules: [{ freeze: 'fc1' }, { freeze: 'fc3' }] }));
    expect(e.code).toBe('NO_MATCH');
    expect(e.path).toBe('rules[1].freeze');
    expect(e.suggestions).toContain('fc1');
    expect(e.message).toMatch(/Did you mean `fc1`/);
    expect(e.message).toMatch(/strict: false/);
  });
  it('the NO_MATCH hint for a path recommends a glob that does what it says', () => {
    const e = err(() => planFreeze(mlp, { rules: [{ freeze: 'fc' }] }));
    expect(e.hint).toContain('`fc1*`');
    const p: ParamInfo[] = [...mlp, { name: 'fc1_x.weight', shape: [1] }];
    const plan = planFreeze(p, { rules: [{ freeze: 'fc1*' }] });
    expect(plan.frozenNames()).toEqual([
      'fc1.weight',
      'fc1.bias',
      'fc10.weight',
      'fc10.bias',
      'fc1_x.weight',
    ]);
  });
  it('suggests real layer types for type selectors', () => {
    const e = err(() => planFreeze(cnn, { rules: [{ freeze: 'type:BatchNorm2D_' }] }));
    expect(e.suggestions).toEqual(['type:BatchNorm2d']);
  });
  it('strict: false allows an empty match', () => {
    const plan = planFreeze(mlp, { rules: [{ freeze: 'fc3', strict: false }] });
    expect(plan.frozenNames()).toEqual([]);
  });
  it('LR selectors are strict too', () => {
    const e = err(() => planFreeze(mlp, { lr: { mult: [{ select: 'fc3', factor: 2 }] } }));
    expect(e).toMatchObject({ code: 'NO_MATCH', path: 'lr.mult[0].select' });
    expect(
      planFreeze(mlp, { lr: { mult: [{ select: 'fc3', factor: 2, strict: false }] } }).summary.totalTensors,
    ).toBe(6);
  });
});

describe('parameter list problems', () => {
  it('duplicate names', () => {
    const e = err(() => planFreeze([...mlp, { name: 'fc2.bias', shape: [1] }], {}));
    expect(e).toMatchObject({ code: 'DUPLICATE_PARAMETER', path: 'params[6].name' });
    expect(e.message).toContain('params[3]');
  });
  it('duplicates inside a large flat group', () => {
    const flat = Array.from({ length: 50 }, (_, i) => ({ name: `p${i}`, shape: [1] }));
    expect(err(() => planFreeze([...flat, { name: 'p7', shape: [1] }], {})).code).toBe('DUPLICATE_PARAMETER');
  });
  it('empty model, bad entries', () => {
    expect(err(() => planFreeze([], {})).code).toBe('EMPTY_MODEL');
    expect(err(() => planFreeze('x' as never, {})).code).toBe('INVALID_TYPE');
    expect(err(() => planFreeze([{ name: 'a', shape: [-1] }], {})).path).toBe('params[0].shape');
    expect(err(() => planFreeze([{ name: '', shape: [1] }], {})).path).toBe('params[0].name');
    expect(err(() => planFreeze([{ name: './', shape: [1] }], {})).path).toBe('params[0].name');
    expect(err(() => planFreeze([null as never], {})).path).toBe('params[0]');
    expect(err(() => planFreeze([{ name: 'a', shape: [1], kind: 'x' as never }], {})).path).toBe(
      'params[0].kind',
    );
    expect(err(() => planFreeze([{ name: 'a', shape: [1], aliases: [3 as never] }], {})).path).toBe(
      'params[0].aliases[0]',
    );
    expect(err(() => planFreeze(mlp, {}, { epoch: -1 })).code).toBe('INVALID_EPOCH');
  });
});

describe('buffers, fixed parameters and BatchNorm', () => {
  it('buffers never train and are counted apart', () => {
    const plan = planFreeze(cnn, {});
    expect(plan.get('bn1.running_mean')).toMatchObject({
      kind: 'buffer',
      trainable: false,
      decision: 'buffer',
    });
    expect(plan.summary).toMatchObject({ bufferTensors: 4, bufferParams: 24, totalTensors: 8 });
    expect(plan.trainableNames()).not.toContain('bn1.running_mean');
    expect(plan.frozenNames()).not.toContain('bn1.running_mean');
  });
  it("batchNorm 'frozen': a BN layer with all params frozen runs in inference mode", () => {
    const plan = planFreeze(cnn, { rules: [{ freeze: ['conv1', 'bn1', 'conv2', 'bn2.weight'] }] });
    expect(plan.layers.find((l) => l.name === 'bn1')!.bnMode).toBe('inference');
    expect(plan.layers.find((l) => l.name === 'bn2')!.bnMode).toBe('train'); // bias still trainable
    expect(plan.get('bn1.running_var')!.bnMode).toBe('inference');
    expect(plan.layers.find((l) => l.name === 'fc')!.bnMode).toBeUndefined();
    expect(plan.explain('bn1.weight')).toContain("BatchNorm layer 'bn1' runs in inference mode");
  });
  it("batchNorm 'train': BN parameters stay trainable inside a frozen body", () => {
    const plan = planFreeze(cnn, { batchNorm: 'train', rules: [{ freeze: 'layers:0..3' }] });
    expect(plan.trainableNames()).toEqual([
      'bn1.weight',
      'bn1.bias',
      'bn2.weight',
      'bn2.bias',
      'fc.weight',
      'fc.bias',
    ]);
    expect(plan.get('bn1.weight')).toMatchObject({ decision: 'batchNorm', bnMode: 'train', decidedBy: null });
    expect(plan.layers.filter((l) => l.bnMode).map((l) => l.bnMode)).toEqual(['train', 'train']);
  });
  it('BN layers are also recognised by running stats when untyped', () => {
    const p: ParamInfo[] = [
      { name: 'bn.weight', shape: [2] },
      { name: 'bn.running_mean', shape: [2], kind: 'buffer' },
      { name: 'head.weight', shape: [2] },
    ];
    expect(planFreeze(p, { rules: [{ freeze: 'bn' }] }).layers[0]!.bnMode).toBe('inference');
  });
  it('fixed parameters are frozen; unfreezing them is FIXED_PARAMETER', () => {
    const p: ParamInfo[] = [
      { name: 'encoder.w', shape: [4], fixed: true },
      { name: 'head.w', shape: [4] },
    ];
    const plan = planFreeze(p, {});
    expect(plan.get('encoder.w')).toMatchObject({ trainable: false, fixed: true, decision: 'fixed' });
    const e = err(() => planFreeze(p, { rules: [{ unfreeze: '**' }] }));
    expect(e).toMatchObject({ code: 'FIXED_PARAMETER', path: 'rules[0].unfreeze' });
    expect(planFreeze(p, { rules: [{ unfreeze: { all: ['**', '!encoder'] } }] }).trainableNames()).toEqual([
      'head.w',
    ]);
  });
});

describe('diffPlans', () => {
  it('lists what a schedule step changes', () => {
    const policy = {
      rules: [{ freeze: ['conv1', 'bn1', 'conv2', 'bn2'] }],
      schedule: [{ kind: 'unfreeze' as const, at: 2, select: 'bn2' }],
    };
    const a = planFreeze(cnn, policy, { epoch: 1 });
    const b = planFreeze(cnn, policy, { epoch: 2 });
    const d = diffPlans(a, b);
    expect(d).toMatchObject({
      fromEpoch: 1,
      toEpoch: 2,
      frozen: [],
      unfrozen: ['bn2.weight', 'bn2.bias'],
      empty: false,
    });
    expect(d.bnChanged).toEqual([{ layer: 'bn2', from: 'inference', to: 'train' }]);
    expect(diffPlans(a, a).empty).toBe(true);
  });
});

describe('plan objects', () => {
  it('serialise to JSON with entries and layers', () => {
    const plan = planFreeze(mlp, { rules: [{ freeze: 'fc1', note: 'pretrained' }] });
    const json = JSON.parse(JSON.stringify(plan));
    expect(json.entries).toHaveLength(6);
    expect(json.layers).toHaveLength(3);
    expect(json.rules[0].note).toBe('pretrained');
    expect(plan.entries[0]).toBe(plan.get('fc1.weight'));
  });
  it('scales: 20k parameters plan correctly', () => {
    const params: ParamInfo[] = [];
    for (let b = 0; b < 2500; b++)
      for (const m of ['q', 'k', 'v', 'o'])
        for (const w of ['weight', 'bias']) params.push({ name: `enc.layer.${b}.${m}.${w}`, shape: [2] });
    const plan = planFreeze(params, {
      rules: [
        { freeze: 'enc.layer.1' },
        { freeze: 'enc.layer.*.q.*' },
        { unfreeze: '/^enc\\.layer\\.1\\.q\\./' },
      ],
    });
    expect(plan.frozenNames()).toHaveLength(2500 * 2 + 6 - 2);
    expect(plan.get('enc.layer.1.q.bias')!.trainable).toBe(true);
    expect(plan.get('enc.layer.10.k.bias')!.trainable).toBe(true);
  });
});

describe('re-planning the same list', () => {
  it('reuses the index only while the list is unchanged', () => {
    const params: ParamInfo[] = mlp.map((p) => ({ ...p }));
    const policy = { rules: [{ freeze: 'fc1' }] };
    expect(planFreeze(params, policy).frozenNames()).toEqual(['fc1.weight', 'fc1.bias']);
    expect(planFreeze(params, policy, { epoch: 1 }).frozenNames()).toEqual(['fc1.weight', 'fc1.bias']);
    params[0] = { ...params[0]!, name: 'fc3.weight' };
    expect(planFreeze(params, policy).frozenNames()).toEqual(['fc1.bias']);
    params[1]!.kind = 'buffer';
    expect(planFreeze(params, { rules: [{ freeze: 'fc1', strict: false }] }).frozenNames()).toEqual([]);
    (params[2] as unknown as { shape: number[] }).shape = [3];
    expect(planFreeze(params, {}).summary.totalParams).toBe(3 + 10 + 100 + 10 + 5000);
    params.push({ name: 'fc4.w', shape: [1] });
    expect(planFreeze(params, {}).summary.totalTensors).toBe(6);
  });
});
