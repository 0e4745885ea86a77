import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NlpError } from '../errors';

const SPECIALS = {
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  mask_token: '[MASK]',
};

const special = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });

/**
 * The `tokenizer.json` that Hugging Face's fast BertTokenizer builds from a `vocab.txt` (slow-tokenizer folders
 * such as ERNIE 3.0's): BertNormalizer, BertPreTokenizer, WordPiece, `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]`.
 * Settings come from tokenizer_config.json (`do_lower_case`, `tokenize_chinese_chars`, `strip_accents`, tokens).
 */
export function wordPieceTokenizerJson(dir: string): {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
} {
  const vocabFile = join(dir, 'vocab.txt');
  const configFile = join(dir, 'tokenizer_config.json');
  const config = existsSync(configFile)
    ? (JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>)
    : {};
  const tokens = readFileSync(vocabFile, 'utf8').split('\n');
  if (tokens.at(-1) === '') tokens.pop();
  const vocab = Object.fromEntries(tokens.map((t, i) => [t.replace(/\r$/, ''), i]));
  const names = { ...SPECIALS };
  for (const k of Object.keys(names) as Array<keyof typeof names>) {
    const v = config[k];
    if (typeof v === 'string') names[k] = v;
    if (vocab[names[k]] === undefined) {
      throw new NlpError('MODEL_FILE_INVALID', `the ${k} '${names[k]}' is not in vocab.txt`, {
        file: vocabFile,
        path: k,
      });
    }
  }
  const { cls_token: cls, sep_token: sep } = names;
  return {
    config: { tokenizer_class: 'BertTokenizer', ...SPECIALS, ...config },
    json: {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: Object.values(names).map((content) => ({
        id: vocab[content],
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: config.tokenize_chinese_chars ?? true,
        strip_accents: config.strip_accents ?? null,
        lowercase: config.do_lower_case ?? true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [special(cls, 0), sequence('A', 0), special(sep, 0)],
        pair: [special(cls, 0), sequence('A', 0), special(sep, 0), sequence('B', 1), special(sep, 1)],
        special_tokens: Object.fromEntries(
          [cls, sep].map((t) => [t, { id: t, ids: [vocab[t]], tokens: [t] }]),
        ),
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: names.unk_token,
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab,
      },
    },
  };
}
