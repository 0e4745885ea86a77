import { readFile } from 'node:fs/promises';
import { NlpError } from './errors';

/** Labelled texts; `labels[i]` indexes `labelNames`, `lines[i]` is where example i starts in its file (1-based). */
export interface TextDataset {
  texts: string[];
  labels: number[];
  labelNames: string[];
  lines: number[];
  source?: string;
}

export interface ReadOptions {
  /** Column (CSV/TSV header name) or key (JSONL) holding the text. Default `text`. */
  textColumn?: string;
  /** Column or key holding the label. Default `label`. */
  labelColumn?: string;
  /**
   * The class names, in class-index order. With it, any other label is an error. Without it the
   * classes are the distinct labels found, sorted (numerically when all are numbers).
   */
  labels?: readonly string[];
  /** Maps raw labels to class names (`{ '1': 'positive', '0': 'negative' }`); with it, unmapped labels are errors. */
  labelMap?: Readonly<Record<string, string>>;
  /** Accept a dataset with a single class (default false: a classifier cannot learn from one class). */
  allowSingleClass?: boolean;
}

export interface DelimitedOptions extends ReadOptions {
  /** Field separator. Default `,` for CSV, tab for TSV. */
  delimiter?: string;
}

interface RawRow {
  text: unknown;
  label: unknown;
  line: number;
}

/**
 * RFC 4180 records: quoted fields may hold delimiters, newlines and doubled quotes (`""`); CRLF or
 * LF line ends; a BOM is ignored. Each record carries the line it starts on, so errors point at
 * the right line even after multi-line fields. A quote inside an unquoted field is kept literally
 * (`5" screen`), as most CSV writers produce it.
 */
export function parseDelimited(
  text: string,
  delimiter = ',',
  file?: string,
): Array<{ fields: string[]; line: number }> {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n') {
    throw new NlpError(
      'BAD_OPTION',
      `delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`,
      file !== undefined ? { file } : {},
    );
  }
  const records: Array<{ fields: string[]; line: number }> = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    for (;;) {
      if (text[i] === '"' && field === '') {
        // Quoted field.
        const openLine = line;
        i++;
        for (;;) {
          if (i >= n) {
            throw new NlpError('DATA_PARSE', 'unterminated quoted field', {
              line: openLine,
              file,
              hint: 'close the quote; a literal quote inside a quoted field is written as ""',
            });
          }
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              field += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          field += c;
          i++;
        }
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
          throw new NlpError('DATA_PARSE', `unexpected ${JSON.stringify(next)} after a closing quote`, {
            line,
            file,
            hint: 'quote the whole field, and double quotes inside it ("")',
          });
        }
      } else {
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') field += text[i++];
      }
      fields.push(field);
      field = '';
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') {
        i++;
        line++;
      }
      break;
    }
    // Blank lines are not records.
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: start });
  }
  return records;
}

function rowsFromDelimited(text: string, delimiter: string, opts: ReadOptions, file?: string): RawRow[] {
  const textCol = opts.textColumn ?? 'text';
  const labelCol = opts.labelColumn ?? 'label';
  const records = parseDelimited(text, delimiter, file);
  const header = records.shift();
  if (!header)
    throw new NlpError('DATA_EMPTY', 'the file is empty', { file, hint: 'add a header row and examples' });
  const names = header.fields.map((f) => f.trim());
  const col = (name: string) => {
    const k = names.indexOf(name);
    if (k < 0) {
      throw new NlpError(
        'DATA_MISSING_COLUMN',
        `no column '${name}' in the header (columns: ${names.join(', ')})`,
        {
          line: header.line,
          file,
          hint: `set ${name === textCol ? 'textColumn' : 'labelColumn'} to one of the columns`,
        },
      );
    }
    return k;
  };
  const ti = col(textCol);
  const li = col(labelCol);
  return records.map((r) => {
    if (r.fields.length > names.length) {
      throw new NlpError(
        'DATA_PARSE',
        `row has ${r.fields.length} fields but the header has ${names.length} (${names.join(', ')})`,
        {
          line: r.line,
          file,
          hint: `a field contains an unquoted ${delimiter === '\t' ? 'tab' : JSON.stringify(delimiter)}: put the field in double quotes`,
        },
      );
    }
    if (r.fields.length <= Math.max(ti, li)) {
      throw new NlpError(
        'DATA_MISSING_COLUMN',
        `row has ${r.fields.length} field(s), but '${r.fields.length <= ti ? textCol : labelCol}' is column ${Math.max(ti, li) + 1}`,
        { line: r.line, file, hint: 'check for a missing delimiter or an unquoted field containing one' },
      );
    }
    return { text: r.fields[ti], label: r.fields[li], line: r.line };
  });
}

function rowsFromJsonl(text: string, opts: ReadOptions, file?: string): RawRow[] {
  const textCol = opts.textColumn ?? 'text';
  const labelCol = opts.labelColumn ?? 'label';
  const rows: RawRow[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = k + 1;
    const s = k === 0 ? raw.replace(/^\uFEFF/, '') : raw;
    if (s.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(s);
    } catch (cause) {
      throw new NlpError('DATA_PARSE', `invalid JSON (${(cause as Error).message})`, {
        line,
        file,
        hint: 'JSONL needs one JSON object per line',
        cause,
      });
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      throw new NlpError('DATA_PARSE', 'expected a JSON object', { line, file });
    }
    const o = obj as Record<string, unknown>;
    for (const key of [textCol, labelCol]) {
      if (!Object.hasOwn(o, key)) {
        throw new NlpError('DATA_MISSING_COLUMN', `no key '${key}' (keys: ${Object.keys(o).join(', ')})`, {
          line,
          file,
          hint: `set ${key === textCol ? 'textColumn' : 'labelColumn'} to the key that holds it`,
        });
      }
    }
    rows.push({ text: o[textCol], label: o[labelCol], line });
  });
  return rows;
}

/** Options checked before the file is read: a wrong type is an error, never a silently empty result. */
function checkReadOptions(opts: ReadOptions, file?: string): void {
  const bad = (what: string) => new NlpError('BAD_OPTION', what, file !== undefined ? { file } : {});
  for (const k of ['textColumn', 'labelColumn'] as const) {
    const v = opts[k];
    if (v !== undefined && (typeof v !== 'string' || v === ''))
      throw bad(`${k} must be a non-empty column name, got ${JSON.stringify(v)}`);
  }
  if (
    opts.labels !== undefined &&
    !(Array.isArray(opts.labels) && opts.labels.every((l) => typeof l === 'string' && l !== ''))
  )
    throw bad(`labels must be a list of non-empty class names, got ${JSON.stringify(opts.labels)}`);
  if (opts.labels && new Set(opts.labels).size !== opts.labels.length)
    throw bad(`labels contains duplicates: ${opts.labels.join(', ')}`);
  const map = opts.labelMap;
  if (map !== undefined && (typeof map !== 'object' || map === null || Array.isArray(map)))
    throw bad(`labelMap must be an object of raw label → class name, got ${JSON.stringify(map)}`);
}

function toDataset(rows: RawRow[], opts: ReadOptions, file?: string): TextDataset {
  if (rows.length === 0)
    throw new NlpError('DATA_EMPTY', 'no examples', { file, hint: 'the file has no data rows' });
  const known = opts.labels ? new Map(opts.labels.map((l, i) => [l, i])) : undefined;
  const texts: string[] = [];
  const names: string[] = [];
  const lines: number[] = [];
  for (const r of rows) {
    if (typeof r.text !== 'string' || r.text.trim() === '') {
      throw new NlpError(
        'DATA_EMPTY_TEXT',
        typeof r.text === 'string' ? 'empty text' : `text is ${JSON.stringify(r.text)}, not a string`,
        {
          line: r.line,
          file,
          hint: 'remove the row or fill in its text',
        },
      );
    }
    if (r.label === null || r.label === undefined || typeof r.label === 'object') {
      throw new NlpError('DATA_UNKNOWN_LABEL', `label is ${JSON.stringify(r.label)}`, { line: r.line, file });
    }
    let label = String(r.label).trim();
    if (opts.labelMap) {
      // Own keys only: `constructor` or `__proto__` must not find Object.prototype's members.
      const mapped = Object.hasOwn(opts.labelMap, label) ? opts.labelMap[label] : undefined;
      if (typeof mapped !== 'string') {
        throw new NlpError(
          'DATA_UNKNOWN_LABEL',
          mapped === undefined
            ? `label '${label}' is not in labelMap (${Object.keys(opts.labelMap).join(', ')})`
            : `labelMap maps '${label}' to ${JSON.stringify(mapped)}, not a class name`,
          {
            line: r.line,
            file,
            hint: 'add it to labelMap or fix the row',
          },
        );
      }
      label = mapped;
    }
    if (label === '') throw new NlpError('DATA_UNKNOWN_LABEL', 'empty label', { line: r.line, file });
    if (known && !known.has(label)) {
      throw new NlpError(
        'DATA_UNKNOWN_LABEL',
        `unknown label '${label}' (expected one of: ${opts.labels!.join(', ')})`,
        {
          line: r.line,
          file,
          hint: 'fix the row, or add the label to labels',
        },
      );
    }
    texts.push(r.text);
    names.push(label);
    lines.push(r.line);
  }
  let labelNames: string[];
  if (opts.labels) labelNames = [...opts.labels];
  else {
    labelNames = [...new Set(names)];
    const numeric = labelNames.every((l) => l !== '' && Number.isFinite(Number(l)));
    labelNames.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  }
  const distinct = new Set(names);
  if (distinct.size < 2 && !opts.allowSingleClass) {
    throw new NlpError('DATA_SINGLE_CLASS', `every example has the label '${names[0]}'`, {
      file,
      line: lines[0],
      hint: 'a classifier needs at least two classes: add examples of another class',
    });
  }
  const index = new Map(labelNames.map((l, i) => [l, i]));
  const out: TextDataset = { texts, labels: names.map((l) => index.get(l)!), labelNames, lines };
  if (file !== undefined) out.source = file;
  return out;
}

export function parseCsv(text: string, opts: DelimitedOptions = {}, file?: string): TextDataset {
  checkReadOptions(opts, file);
  return toDataset(rowsFromDelimited(text, opts.delimiter ?? ',', opts, file), opts, file);
}
export function parseTsv(text: string, opts: DelimitedOptions = {}, file?: string): TextDataset {
  checkReadOptions(opts, file);
  return toDataset(rowsFromDelimited(text, opts.delimiter ?? '\t', opts, file), opts, file);
}
export function parseJsonl(text: string, opts: ReadOptions = {}, file?: string): TextDataset {
  checkReadOptions(opts, file);
  return toDataset(rowsFromJsonl(text, opts, file), opts, file);
}

async function read(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (cause) {
    throw new NlpError('DATA_EMPTY', `cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
}

export async function readCsv(file: string, opts: DelimitedOptions = {}): Promise<TextDataset> {
  return parseCsv(await read(file), opts, file);
}
export async function readTsv(file: string, opts: DelimitedOptions = {}): Promise<TextDataset> {
  return parseTsv(await read(file), opts, file);
}
export async function readJsonl(file: string, opts: ReadOptions = {}): Promise<TextDataset> {
  return parseJsonl(await read(file), opts, file);
}

/** By extension: .csv, .tsv/.tab, .jsonl/.ndjson. */
export async function readDataset(file: string, opts: DelimitedOptions = {}): Promise<TextDataset> {
  const lower = file.toLowerCase();
  if (lower.endsWith('.csv')) return readCsv(file, opts);
  if (lower.endsWith('.tsv') || lower.endsWith('.tab')) return readTsv(file, opts);
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return readJsonl(file, opts);
  throw new NlpError('BAD_OPTION', `cannot tell the format of ${file}`, {
    hint: 'use a .csv, .tsv or .jsonl file',
  });
}
