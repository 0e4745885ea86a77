import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { treeHash } from '../../../test-support/tree-hash';
import {
  type DelimitedOptions,
  NlpError,
  type NlpErrorCode,
  readDataset,
  stratifiedSplit,
  type TextDataset,
} from '../src/index';

/**
 * The catalogue of bad data files and options for nlp's readers: each case writes a file, reads it,
 * and asserts the exact code, that the message names the file (and line) or the option at fault, and
 * that the data folder is unchanged afterwards.
 */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'frostline-bad-nlp-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Case {
  name: string;
  file: string;
  content?: string;
  opts?: DelimitedOptions;
  code: NlpErrorCode;
  /** Besides the file name: what the message must say (line, option, value). */
  names: string;
}

const good = 'text,label\nnice,pos\nbad,neg\n';
const jsonl = (...rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;

const cases: Case[] = [
  {
    name: 'an unquoted comma: too many fields',
    file: 'a.csv',
    content: 'text,label\nfine,pos\ngood, cheap,neg\n',
    code: 'DATA_PARSE',
    names: ':3: row has 3 fields but the header has 2',
  },
  {
    name: 'too many fields in TSV',
    file: 'a.tsv',
    content: 'text\tlabel\nx\ty\tz\n',
    code: 'DATA_PARSE',
    names: ':2: row has 3 fields',
  },
  {
    name: 'too many fields after a multi-line field',
    file: 'b.csv',
    content: 'text,label\n"a\nb",pos\nc,neg,extra\n',
    code: 'DATA_PARSE',
    names: ':4:',
  },
  {
    name: 'too few fields',
    file: 'c.csv',
    content: 'id,text,label\n1,hello\n',
    code: 'DATA_MISSING_COLUMN',
    names: ':2:',
  },
  {
    name: 'no text column',
    file: 'd.csv',
    content: 'body,label\nx,pos\n',
    code: 'DATA_MISSING_COLUMN',
    names: "no column 'text'",
  },
  {
    name: 'no label column',
    file: 'e.csv',
    content: 'text,y\nx,pos\n',
    code: 'DATA_MISSING_COLUMN',
    names: "no column 'label'",
  },
  {
    name: 'unterminated quote',
    file: 'f.csv',
    content: 'text,label\n"open,pos\n',
    code: 'DATA_PARSE',
    names: ':2: unterminated',
  },
  {
    name: 'text after a closing quote',
    file: 'g.csv',
    content: 'text,label\n"a"b,pos\n',
    code: 'DATA_PARSE',
    names: ':2:',
  },
  { name: 'empty file', file: 'h.csv', content: '', code: 'DATA_EMPTY', names: 'empty' },
  { name: 'header only', file: 'i.csv', content: 'text,label\n', code: 'DATA_EMPTY', names: 'no examples' },
  {
    name: 'empty text',
    file: 'j.csv',
    content: 'text,label\n ,pos\nb,neg\n',
    code: 'DATA_EMPTY_TEXT',
    names: ':2:',
  },
  {
    name: 'empty label',
    file: 'k.csv',
    content: 'text,label\na,\nb,neg\n',
    code: 'DATA_UNKNOWN_LABEL',
    names: ':2: empty label',
  },
  {
    name: 'a single class',
    file: 'l.csv',
    content: 'text,label\na,pos\nb,pos\n',
    code: 'DATA_SINGLE_CLASS',
    names: "'pos'",
  },
  {
    name: 'a label outside labels',
    file: 'm.csv',
    content: good,
    opts: { labels: ['pos', 'neu'] },
    code: 'DATA_UNKNOWN_LABEL',
    names: ":3: unknown label 'neg'",
  },
  {
    name: 'labelMap: label "constructor"',
    file: 'n.csv',
    content: 'text,label\na,1\nb,constructor\n',
    opts: { labelMap: { '1': 'pos', '0': 'neg' } },
    code: 'DATA_UNKNOWN_LABEL',
    names: ":3: label 'constructor' is not in labelMap",
  },
  {
    name: 'labelMap: label "__proto__"',
    file: 'o.csv',
    content: 'text,label\na,1\nb,__proto__\n',
    opts: { labelMap: { '1': 'pos' } },
    code: 'DATA_UNKNOWN_LABEL',
    names: "label '__proto__'",
  },
  {
    name: 'labelMap: label "toString"',
    file: 'p.csv',
    content: 'text,label\na,toString\n',
    opts: { labelMap: { '1': 'pos' } },
    code: 'DATA_UNKNOWN_LABEL',
    names: "label 'toString'",
  },
  {
    name: 'labelMap value not a string',
    file: 'q.csv',
    content: good,
    opts: { labelMap: { nice: 'x', pos: 3, neg: 'n' } as never },
    code: 'DATA_UNKNOWN_LABEL',
    names: "labelMap maps 'pos' to 3",
  },
  {
    name: 'JSONL: invalid JSON',
    file: 'a.jsonl',
    content: '{"text":"a","label":"x"}\n{oops}\n',
    code: 'DATA_PARSE',
    names: ':2: invalid JSON',
  },
  {
    name: 'JSONL: an array line',
    file: 'b.jsonl',
    content: '[1,2]\n',
    code: 'DATA_PARSE',
    names: ':1: expected a JSON object',
  },
  {
    name: 'JSONL: missing text key',
    file: 'c.jsonl',
    content: jsonl({ body: 'a', label: 'x' }),
    code: 'DATA_MISSING_COLUMN',
    names: ":1: no key 'text'",
  },
  {
    name: 'JSONL: textColumn "constructor" is not an own key',
    file: 'd.jsonl',
    content: jsonl({ text: 'a', label: 'x' }),
    opts: { textColumn: 'constructor' },
    code: 'DATA_MISSING_COLUMN',
    names: ":1: no key 'constructor'",
  },
  {
    name: 'JSONL: labelColumn "__proto__" is not an own key',
    file: 'e.jsonl',
    content: jsonl({ text: 'a', label: 'x' }),
    opts: { labelColumn: '__proto__' },
    code: 'DATA_MISSING_COLUMN',
    names: ":1: no key '__proto__'",
  },
  {
    name: 'JSONL: labelColumn "hasOwnProperty"',
    file: 'f.jsonl',
    content: jsonl({ text: 'a', label: 'x' }),
    opts: { labelColumn: 'hasOwnProperty' },
    code: 'DATA_MISSING_COLUMN',
    names: "no key 'hasOwnProperty'",
  },
  {
    name: 'JSONL: label an object',
    file: 'g.jsonl',
    content: jsonl({ text: 'a', label: { x: 1 } }),
    code: 'DATA_UNKNOWN_LABEL',
    names: ':1: label is',
  },
  {
    name: 'JSONL: text a number',
    file: 'h.jsonl',
    content: jsonl({ text: 5, label: 'x' }),
    code: 'DATA_EMPTY_TEXT',
    names: ':1: text is 5',
  },
  {
    name: 'JSONL: label null',
    file: 'i.jsonl',
    content: jsonl({ text: 'a', label: null }),
    code: 'DATA_UNKNOWN_LABEL',
    names: ':1: label is null',
  },
  {
    name: 'duplicate labels option',
    file: 'r.csv',
    content: good,
    opts: { labels: ['pos', 'pos'] },
    code: 'BAD_OPTION',
    names: 'duplicates',
  },
  {
    name: 'labels not a list',
    file: 's.csv',
    content: good,
    opts: { labels: 'pos,neg' as never },
    code: 'BAD_OPTION',
    names: 'labels must be a list',
  },
  {
    name: 'labelMap an array',
    file: 't.csv',
    content: good,
    opts: { labelMap: ['pos'] as never },
    code: 'BAD_OPTION',
    names: 'labelMap must be an object',
  },
  {
    name: 'textColumn empty',
    file: 'u.csv',
    content: good,
    opts: { textColumn: '' },
    code: 'BAD_OPTION',
    names: 'textColumn',
  },
  {
    name: 'labelColumn a number',
    file: 'v.csv',
    content: good,
    opts: { labelColumn: 3 as never },
    code: 'BAD_OPTION',
    names: 'labelColumn',
  },
  {
    name: 'delimiter of two characters',
    file: 'w.csv',
    content: good,
    opts: { delimiter: ';;' },
    code: 'BAD_OPTION',
    names: 'delimiter',
  },
  {
    name: 'delimiter a quote',
    file: 'x.csv',
    content: good,
    opts: { delimiter: '"' },
    code: 'BAD_OPTION',
    names: 'delimiter',
  },
  { name: 'unknown extension', file: 'data.txt', content: good, code: 'BAD_OPTION', names: 'data.txt' },
  { name: 'file missing', file: 'missing.csv', code: 'DATA_EMPTY', names: 'missing.csv' },
];

const ds: TextDataset = {
  texts: ['a', 'b', 'c', 'd'],
  labels: [0, 1, 0, 1],
  labelNames: ['x', 'y'],
  lines: [2, 3, 4, 5],
};
const splitCases: Array<[string, () => unknown, string]> = [
  ['testFraction 1', () => stratifiedSplit(ds, { testFraction: 1 }), 'testFraction'],
  ['testFraction NaN', () => stratifiedSplit(ds, { testFraction: Number.NaN }), 'testFraction'],
  ['seed NaN', () => stratifiedSplit(ds, { seed: Number.NaN }), 'seed'],
  ['no dataset', () => stratifiedSplit(null as never), 'TextDataset'],
  [
    'labels that do not index labelNames',
    () => stratifiedSplit({ ...ds, labels: [0, 1, 2, 0] }),
    'labelNames',
  ],
  ['labels and texts of different lengths', () => stratifiedSplit({ ...ds, labels: [0, 1] }), 'TextDataset'],
];

describe('bad data files and options', () => {
  it('covers the catalogue', () => {
    expect(cases.length + splitCases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const file = join(root, c.file);
    if (c.content !== undefined) writeFileSync(file, c.content);
    const before = treeHash(root);
    const err = await readDataset(file, c.opts).catch((e: unknown) => e);
    expect(err, 'expected a typed error').toBeInstanceOf(NlpError);
    const e = err as NlpError;
    expect(e.code, e.message).toBe(c.code);
    expect(e.message).toContain(c.file);
    expect(e.message).toContain(c.names);
    expect(e.message.split('\n')[0]!.length).toBeLessThan(300);
    expect(treeHash(root), 'nothing on disk changed').toBe(before);
  });

  it.each(splitCases)('stratifiedSplit: %s', (_name, run, names) => {
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NlpError);
    expect((err as NlpError).code).toBe('BAD_OPTION');
    expect((err as Error).message).toContain(names);
  });

  it('an own "__proto__" key in JSONL is data like any other', async () => {
    const file = join(root, 'proto.jsonl');
    writeFileSync(file, '{"text":"a","__proto__":"x"}\n{"text":"b","__proto__":"y"}\n');
    const got = await readDataset(file, { labelColumn: '__proto__' });
    expect(got.labelNames).toEqual(['x', 'y']);
    expect(got.labels).toEqual([0, 1]);
  });
});
