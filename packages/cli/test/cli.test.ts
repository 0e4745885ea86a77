import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/main';
import { badSyntaxPolicy, oneErrorLine, runCli } from './helpers/cli';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

describe('frostline plan (in-process)', () => {
  it("prints the seed's fc1 plan as a table with the summary line", async () => {
    const r = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const rows = r.stdout.split('\n');
    expect(rows.find((l) => l.startsWith('fc1 '))).toMatch(/5,050\s+0\s+5,050\s+frozen/);
    expect(rows.find((l) => l.startsWith('fc10 '))).toMatch(/110\s+110\s+0\s+trainable/);
    expect(r.stdout).toContain('trainable params: 620 || all params: 5,670 || trainable%: 10.93');
    expect(r.stdout.match(/trainable params:/g)).toHaveLength(1);
  });

  it('freezes only linear.weight of the 10x10 linear model (per-parameter)', async () => {
    const r = await runCli([
      'plan',
      'linear-10x10',
      '--policy',
      fx('freeze-linear-weight.yaml'),
      '--by',
      'parameter',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/linear\.weight.*frozen/);
    expect(r.stdout).toMatch(/linear\.bias.*trainable/);
    expect(r.stdout).toContain('trainable params: 10 || all params: 110');
  });

  it('prints markdown and json formats', async () => {
    const md = await runCli([
      'plan',
      'mlp-100-50-10',
      '--policy',
      fx('freeze-fc1.yaml'),
      '--format',
      'markdown',
    ]);
    expect(md.stdout).toMatch(/^\| Layer \|/m);
    expect(md.stdout).toMatch(/\| fc1 \|.*\| frozen \|/);
    const js = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml'), '--format', 'json']);
    expect(() => JSON.parse(js.stdout)).not.toThrow();
    const j = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml'), '--json']);
    const out = JSON.parse(j.stdout);
    expect(out).toMatchObject({ ok: true, command: 'plan', model: { name: 'mlp-100-50-10', kind: 'toy' } });
    expect(out.summary).toMatchObject({ totalParams: 5670, trainableParams: 620 });
    expect(out.layers.map((l: { name: string; state: string }) => `${l.name}:${l.state}`)).toEqual([
      'fc1:frozen',
      'fc2:trainable',
      'fc10:trainable',
    ]);
  });

  it('evaluates schedules at --epoch and reads params JSON models', async () => {
    const at0 = JSON.parse(
      (await runCli(['plan', 'mlp-100-50-10', '--policy', fx('schedule.yaml'), '--json'])).stdout,
    );
    const at2 = JSON.parse(
      (await runCli(['plan', 'mlp-100-50-10', '--policy', fx('schedule.yaml'), '--json', '--epoch', '2']))
        .stdout,
    );
    expect(at0.summary.trainableParams).toBe(110);
    expect(at2.summary.trainableParams).toBe(620);
    const p = JSON.parse(
      (await runCli(['plan', fx('params.json'), '--policy', fx('freeze-encoder.yaml'), '--json'])).stdout,
    );
    expect(p.model).toEqual({ name: 'params.json', kind: 'params-json' });
    expect(p.summary).toMatchObject({ totalParams: 90, trainableParams: 18 });
  });

  it('fails with exit 2 and one line for bad input', async () => {
    const noMatch = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('no-match.yaml')]);
    expect(noMatch.code).toBe(2);
    expect(oneErrorLine(noMatch.stderr)).toMatch(
      /no-match\.yaml: rules\[0\]\.freeze: selector `fc3` matches no parameter\. Did you mean `fc1`/,
    );
    const unknown = await runCli(['plan', 'mobilenet-v3', '--policy', fx('freeze-fc1.yaml')]);
    expect(unknown.code).toBe(2);
    expect(oneErrorLine(unknown.stderr)).toMatch(
      /unknown model 'mobilenet-v3' \(did you mean 'mobilenet_v\d'\?\)/,
    );
    const missing = await runCli(['plan', 'mlp-100-50-10', '--policy', 'nope.yaml']);
    expect(missing.code).toBe(2);
    expect(oneErrorLine(missing.stderr)).toBe(
      'frostline: error: policy file not found: nope.yaml (check the path)',
    );
    const syntax = await runCli(['plan', 'mlp-100-50-10', '--policy', badSyntaxPolicy()]);
    expect(syntax.code).toBe(2);
    oneErrorLine(syntax.stderr);
    const path = await runCli(['plan', './models/none', '--policy', fx('freeze-fc1.yaml')]);
    expect(path.code).toBe(2);
    expect(oneErrorLine(path.stderr)).toMatch(/model not found: \.\/models\/none/);
    const params = await runCli(['plan', fx('params.json'), '--policy', fx('freeze-fc1.yaml')]);
    expect(params.code).toBe(2);
    expect(oneErrorLine(params.stderr)).toMatch(/matches no parameter/);
  });

  it('--json errors are machine-readable too; --debug adds the stack', async () => {
    const r = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('no-match.yaml'), '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, error: { code: 'NO_MATCH', exitCode: 2 } });
    const d = await runCli(['plan', 'mlp-100-50-10', '--policy', fx('no-match.yaml'), '--debug']);
    expect(d.stderr.split('\n').length).toBeGreaterThan(3);
    expect(d.stderr).toMatch(/\n\s+at /);
  });
});

describe('frostline export, help, version (in-process)', () => {
  it('prints the PyTorch and Paddle snippets', async () => {
    const pt = await runCli([
      'export',
      '--policy',
      fx('freeze-fc1.yaml'),
      '--model',
      'mlp-100-50-10',
      '--to',
      'pytorch',
    ]);
    expect(pt.code).toBe(0);
    expect(pt.stdout).toContain('requires_grad_');
    expect(pt.stdout).toContain('"fc1.weight"');
    expect(pt.stdout).not.toMatch(/"fc10\.weight",\n\s*\]\)\nBN/);
    const pd = await runCli([
      'export',
      '--policy',
      fx('freeze-fc1.yaml'),
      '--model',
      'mlp-100-50-10',
      '--to',
      'paddle',
      '--json',
    ]);
    const j = JSON.parse(pd.stdout);
    expect(j).toMatchObject({ ok: true, command: 'export', target: 'paddle' });
    expect(j.code).toContain('stop_gradient');
  });

  it('prints help and version', async () => {
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('frostline plan <model> --policy <file>');
    expect((await runCli(['train', '--help'])).stdout).toContain('--resume <dir>');
    expect((await runCli(['--version'])).stdout).toBe(`${VERSION}\n`);
    expect(JSON.parse((await runCli(['--version', '--json'])).stdout)).toEqual({ version: VERSION });
  });
});
