import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { badSyntaxPolicy, oneErrorLine, runBin } from './helpers/cli';

function badConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'frostline-badcfg-'));
  writeFileSync(join(dir, 'run.yaml'), 'task: image-classification\nbackbone: [mnist-cnn\nepochs: 2\n');
  return join(dir, 'run.yaml');
}

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const python = spawnSync('python3', ['--version']).status === 0 ? 'python3' : undefined;

describe('frostline bin (spawned: node dist/bin.cjs)', () => {
  it('plan: table, markdown, json', () => {
    const t = runBin(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml')]);
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/^fc1\s+Linear\s+5,050\s+0\s+5,050\s+frozen/m);
    expect(t.stdout).toContain('trainable params: 620 || all params: 5,670');
    const md = runBin(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml'), '--format', 'markdown']);
    expect(md.stdout).toMatch(/^\| fc2 \| Linear \|/m);
    const js = runBin(['plan', 'mlp-100-50-10', '--policy', fx('freeze-fc1.yaml'), '--json']);
    expect(JSON.parse(js.stdout).summary.trainableParams).toBe(620);
  });

  it.skipIf(!python)('export: the PyTorch and Paddle snippets are valid Python', () => {
    for (const to of ['pytorch', 'paddle']) {
      const r = runBin([
        'export',
        '--policy',
        fx('schedule.yaml'),
        '--model',
        'mlp-100-50-10',
        '--to',
        to,
        '--lr',
        '0.01',
      ]);
      expect(r.code).toBe(0);
      const check = spawnSync(python!, ['-c', 'import ast,sys; ast.parse(sys.stdin.read())'], {
        input: r.stdout,
        encoding: 'utf8',
      });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });

  it('bad input: exit 2 and exactly one line on stderr', () => {
    const cases: Array<[string[], RegExp]> = [
      [
        ['plan', 'resnet-5O', '--policy', fx('freeze-fc1.yaml')],
        /unknown model 'resnet-5O' \(did you mean 'resnet50'\?\)/,
      ],
      [
        ['plan', 'mlp-100-50-10', '--policy', fx('no-match.yaml')],
        /matches no parameter\. Did you mean `fc1`/,
      ],
      [['plan', 'mlp-100-50-10', '--policy', badSyntaxPolicy()], /bad-syntax\.yaml/],
      [['plan', 'mlp-100-50-10'], /missing --policy/],
      [['trian'], /unknown command 'trian' \(did you mean 'train'\?\)/],
      [['train', '--config', 'nope.yaml'], /config file not found: nope\.yaml/],
      [['train', '--config', badConfig()], /run\.yaml:3:1: malformed YAML/],
    ];
    for (const [argv, message] of cases) {
      const r = runBin(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(oneErrorLine(r.stderr)).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });

  it('--help and --version', () => {
    expect(runBin(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    const h = runBin(['help', 'export']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--to <target>');
  });
});
