import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  NlpError,
  parseCsv,
  parseDelimited,
  parseJsonl,
  parseTsv,
  readCsv,
  readDataset,
  sentimentDataset,
  stratifiedSplit,
} from '../src/index';

function nlpError(fn: () => unknown): NlpError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(NlpError);
    return e as NlpError;
  }
  throw new Error('expected an NlpError');
}

describe('CSV (RFC 4180)', () => {
  it('handles quoted fields with delimiters, newlines, doubled quotes, CRLF and a BOM', () => {
    const csv =
      '\uFEFFid,text,label\r\n' +
      '1,"Great food, friendly staff",pos\r\n' +
      '2,"Line one\nline two",neg\r\n' +
      '3,"She said ""wow""",pos\r\n' +
      '\r\n' +
      '4,5" screen is too small,neg\r\n';
    const ds = parseCsv(csv);
    expect(ds.texts).toEqual([
      'Great food, friendly staff',
      'Line one\nline two',
      'She said "wow"',
      '5" screen is too small',
    ]);
    expect(ds.labelNames).toEqual(['neg', 'pos']);
    expect(ds.labels).toEqual([1, 0, 1, 0]);
    // Record 3 starts on line 4 because record 2 spans two lines.
    expect(ds.lines).toEqual([2, 3, 5, 7]);
  });
  it('parses records and keeps empty fields', () => {
    expect(parseDelimited('a,,c\n"",x,\n').map((r) => r.fields)).toEqual([
      ['a', '', 'c'],
      ['', 'x', ''],
    ]);
  });
  it('configurable columns, label map and class list', () => {
    const csv = 'review,stars\nloved it,5\nhated it,1\nfine,5\n';
    const ds = parseCsv(csv, {
      textColumn: 'review',
      labelColumn: 'stars',
      labelMap: { '5': 'positive', '1': 'negative' },
      labels: ['negative', 'positive'],
    });
    expect(ds.labels).toEqual([1, 0, 1]);
    expect(ds.labelNames).toEqual(['negative', 'positive']);
    // Numeric labels without a map sort numerically.
    expect(parseCsv('text,label\na,10\nb,9\nc,2\n').labelNames).toEqual(['2', '9', '10']);
  });
  it('errors with line numbers', () => {
    let e = nlpError(() => parseCsv('body,label\nx,1\n'));
    expect(e.code).toBe('DATA_MISSING_COLUMN');
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/no column 'text'.*columns: body, label/);

    e = nlpError(() => parseCsv('text,label\nok,1\n"multi\nline",0\n   ,1\n'));
    expect(e.code).toBe('DATA_EMPTY_TEXT');
    expect(e.line).toBe(5);

    e = nlpError(() => parseCsv('text,label\nok,pos\nbad,maybe\n', { labels: ['neg', 'pos'] }));
    expect(e.code).toBe('DATA_UNKNOWN_LABEL');
    expect(e.line).toBe(3);
    expect(e.message).toMatch(/unknown label 'maybe'.*neg, pos/);

    e = nlpError(() => parseCsv('text,label\na,1\nb,2\n', { labelMap: { '1': 'x' } }));
    expect(e.code).toBe('DATA_UNKNOWN_LABEL');
    expect(e.line).toBe(3);

    e = nlpError(() => parseCsv('text,label\na,pos\nb,pos\n'));
    expect(e.code).toBe('DATA_SINGLE_CLASS');
    expect(e.message).toMatch(/every example has the label 'pos'/);
    expect(parseCsv('text,label\na,pos\n', { allowSingleClass: true }).texts).toEqual(['a']);

    e = nlpError(() => parseCsv('text,label\nok,1\n"never closed,0\nmore,1\n'));
    expect(e.code).toBe('DATA_PARSE');
    expect(e.line).toBe(3);

    e = nlpError(() => parseCsv('text,label\n"quoted"x,1\n'));
    expect(e.code).toBe('DATA_PARSE');

    e = nlpError(() => parseCsv('text,label\nonly-text\n'));
    expect(e.code).toBe('DATA_MISSING_COLUMN');
    expect(e.line).toBe(2);

    expect(nlpError(() => parseCsv('')).code).toBe('DATA_EMPTY');
    expect(nlpError(() => parseCsv('text,label\n')).code).toBe('DATA_EMPTY');
  });
});

describe('TSV and JSONL', () => {
  it('reads TSV', () => {
    const ds = parseTsv('label\ttext\npos\tgood, really good\nneg\t"quoted\ttab"\n');
    expect(ds.texts).toEqual(['good, really good', 'quoted\ttab']);
    expect(ds.labels).toEqual([1, 0]);
  });
  it('reads JSONL with custom keys and non-string labels', () => {
    const ds = parseJsonl('{"sentence":"nice","y":1}\n\n{"sentence":"awful","y":0}\n', {
      textColumn: 'sentence',
      labelColumn: 'y',
    });
    expect(ds.texts).toEqual(['nice', 'awful']);
    expect(ds.labelNames).toEqual(['0', '1']);
    expect(ds.lines).toEqual([1, 3]);
  });
  it('JSONL errors carry line numbers', () => {
    let e = nlpError(() => parseJsonl('{"text":"a","label":1}\n{"text":"b",\n'));
    expect([e.code, e.line]).toEqual(['DATA_PARSE', 2]);
    e = nlpError(() => parseJsonl('{"text":"a","label":1}\n{"txt":"b","label":0}\n'));
    expect([e.code, e.line]).toEqual(['DATA_MISSING_COLUMN', 2]);
    expect(e.message).toMatch(/no key 'text' \(keys: txt, label\)/);
    e = nlpError(() => parseJsonl('{"text":"a","label":1}\n{"text":"","label":0}\n'));
    expect([e.code, e.line]).toEqual(['DATA_EMPTY_TEXT', 2]);
    e = nlpError(() => parseJsonl('{"text":"a","label":1}\n{"text":42,"label":0}\n'));
    expect([e.code, e.line]).toEqual(['DATA_EMPTY_TEXT', 2]);
    e = nlpError(() => parseJsonl('[1,2]\n'));
    expect(e.code).toBe('DATA_PARSE');
  });
});

describe('files', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'frostline-nlp-data-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  it('reads by extension and names the file in errors', async () => {
    const file = join(tmp, 'reviews.csv');
    writeFileSync(file, 'text,label\ngood,1\nbad,0\n,1\n');
    const err = await readCsv(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NlpError);
    expect((err as NlpError).message).toContain(`${file}:4:`);
    writeFileSync(join(tmp, 'r.jsonl'), '{"text":"good","label":"p"}\n{"text":"bad","label":"n"}\n');
    expect((await readDataset(join(tmp, 'r.jsonl'))).texts).toEqual(['good', 'bad']);
    await expect(readDataset(join(tmp, 'r.xlsx'))).rejects.toThrow(/cannot tell the format/);
  });
});

describe('stratifiedSplit', () => {
  const ds = parseCsv(
    `text,label\n${Array.from({ length: 30 }, (_, i) => `t${i},${i < 20 ? 'a' : i < 27 ? 'b' : 'c'}`).join('\n')}\n`,
  );
  it('keeps class proportions, is seeded and loses nothing', () => {
    const { train, test } = stratifiedSplit(ds, { testFraction: 0.3, seed: 7 });
    const count = (labels: number[], c: number) => labels.filter((l) => l === c).length;
    expect([count(test.labels, 0), count(test.labels, 1), count(test.labels, 2)]).toEqual([6, 2, 1]);
    expect(train.texts.length + test.texts.length).toBe(30);
    expect(new Set([...train.texts, ...test.texts]).size).toBe(30);
    expect(stratifiedSplit(ds, { testFraction: 0.3, seed: 7 }).test.texts).toEqual(test.texts);
    expect(stratifiedSplit(ds, { testFraction: 0.3, seed: 8 }).test.texts).not.toEqual(test.texts);
    // File order is kept inside each part, and line numbers follow the rows.
    expect(train.lines).toEqual([...train.lines].sort((a, b) => a - b));
    expect(() => stratifiedSplit(ds, { testFraction: 1 })).toThrow(NlpError);
  });
});

describe('sentimentDataset', () => {
  it('is balanced, English reviews, with a fixed 400/100 split and no overlap', async () => {
    const { train, test, labelNames } = await sentimentDataset();
    expect(labelNames).toEqual(['negative', 'positive']);
    expect(train.texts.length).toBeGreaterThanOrEqual(400);
    expect(test.texts).toHaveLength(100);
    for (const part of [train, test]) {
      const pos = part.labels.filter((l) => l === 1).length;
      expect(pos * 2).toBe(part.labels.length);
    }
    const all = [...train.texts, ...test.texts];
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((t) => t.split(' ').length >= 2)).toBe(true);
  });
});
