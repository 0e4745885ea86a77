import { describe, expect, it } from 'vitest';
import { formatPlan, formatSummaryLine, PolicyError, planFreeze } from '../src/index';
import { cnn, mlp } from './fixtures/models';

const plan = () => planFreeze(mlp, { rules: [{ freeze: 'fc1' }, { freeze: 'fc10.bias' }] });

describe('formatPlan', () => {
  it('table: aligned per-layer columns and the PEFT line', () => {
    expect(formatPlan(plan(), 'table')).toBe(
      [
        'Layer  Type    Params  Trainable  Frozen  State      Rule',
        '-----  ------  ------  ---------  ------  ---------  -----------------',
        'fc1    Linear   5,050          0   5,050  frozen     rules[0]',
        'fc2    Linear     510        510       0  trainable  default',
        'fc10   Linear     110        100      10  partial    rules[1], default',
        '',
        'trainable params: 610 || all params: 5,670 || trainable%: 10.7584',
      ].join('\n'),
    );
  });
  it('markdown: the same as a GFM table', () => {
    expect(formatPlan(plan(), 'markdown')).toBe(
      [
        '| Layer | Type | Params | Trainable | Frozen | State | Rule |',
        '| --- | --- | ---: | ---: | ---: | --- | --- |',
        '| fc1 | Linear | 5,050 | 0 | 5,050 | frozen | rules[0] |',
        '| fc2 | Linear | 510 | 510 | 0 | trainable | default |',
        '| fc10 | Linear | 110 | 100 | 10 | partial | rules[1], default |',
        '',
        'trainable params: 610 || all params: 5,670 || trainable%: 10.7584',
      ].join('\n'),
    );
  });
  it('per parameter, with maxRows and BN state', () => {
    const p = planFreeze(cnn, { rules: [{ freeze: ['conv1', 'bn1'] }] });
    const text = formatPlan(p, 'table', { by: 'parameter', maxRows: 3 });
    expect(text.split('\n').slice(0, 6)).toEqual([
      'Parameter     Shape         Params  State   LR  Rule',
      '------------  ------------  ------  ------  --  --------',
      'conv1.weight  [4, 3, 3, 3]     108  frozen   1  rules[0]',
      'bn1.weight    [4]                4  frozen   1  rules[0]',
      'bn1.bias      [4]                4  frozen   1  rules[0]',
      '… 9 more rows',
    ]);
    expect(formatPlan(p, 'table')).toContain('frozen (bn inference)');
  });
  it('json: the full machine-readable plan', () => {
    const json = JSON.parse(formatPlan(plan(), 'json'));
    expect(Object.keys(json)).toEqual(['epoch', 'summary', 'rules', 'layers', 'entries', 'policy']);
    expect(json.entries).toHaveLength(6);
    expect(json.entries[0]).toMatchObject({
      name: 'fc1.weight',
      trainable: false,
      decidedBy: 0,
      lrFactor: 1,
      size: 5000,
    });
    expect(json.summary.trainableParams).toBe(610);
  });
  it('summary line', () => {
    expect(formatSummaryLine(planFreeze(mlp, {}))).toBe(
      'trainable params: 5,670 || all params: 5,670 || trainable%: 100.0000',
    );
  });
  it('unknown formats are INVALID_FORMAT with a suggestion', () => {
    try {
      formatPlan(plan(), 'markdwon' as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PolicyError);
      expect((e as PolicyError).code).toBe('INVALID_FORMAT');
      expect((e as PolicyError).suggestions).toEqual(['markdown']);
    }
    expect(() => formatPlan(plan(), 'table', { by: 'rule' as never })).toThrow(PolicyError);
    expect(() => formatPlan(null as never, 'table')).toThrow(PolicyError);
  });
});
