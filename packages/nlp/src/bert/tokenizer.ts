import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { NlpError } from '../errors';
import { resolveRuntime } from '../transformers-encoder';
import { wordPieceTokenizerJson } from './vocab-tokenizer';

/** Token ids of a padded batch, row-major; `token_type_ids` only when the tokenizer returns them. */
export interface TokenBatch {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
}

export interface HfTokenizer {
  /** Tokenize and pad to the longest text (truncated to `maxLength` tokens). */
  encode(texts: readonly string[], maxLength: number): TokenBatch;
  readonly padTokenId: number | null;
}

interface TjsEncoding {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids?: number[][];
}
type TjsTokenizer = ((texts: string[], opts: Record<string, unknown>) => TjsEncoding) & {
  pad_token_id?: number | null;
};

type TokenizerClass = new (json: Record<string, unknown>, config: Record<string, unknown>) => TjsTokenizer;

/**
 * The folder's tokenizer through transformers.js' `AutoTokenizer`, offline: `tokenizer.json` +
 * `tokenizer_config.json` are read from `dir`, nothing is downloaded (`allowRemoteModels = false`). A folder
 * with only a WordPiece `vocab.txt` (no tokenizer.json) gets transformers.js' `BertTokenizer` built from it.
 */
export async function loadHfTokenizer(dir: string): Promise<HfTokenizer> {
  const { mod } = await resolveRuntime('auto');
  if (!existsSync(join(dir, 'tokenizer.json')) && existsSync(join(dir, 'vocab.txt'))) {
    const { json, config } = wordPieceTokenizerJson(dir);
    const Bert = (mod as unknown as { BertTokenizer: TokenizerClass }).BertTokenizer;
    return wrap(new Bert(json, config));
  }
  const env = mod.env;
  const saved = { allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  let tok: TjsTokenizer;
  try {
    env.allowRemoteModels = false;
    env.localModelPath = dirname(resolve(dir)) + sep;
    tok = (await mod.AutoTokenizer.from_pretrained(basename(resolve(dir)), {
      local_files_only: true,
    })) as unknown as TjsTokenizer;
  } catch (cause) {
    throw new NlpError(
      'MODEL_FILE_INVALID',
      `cannot load the tokenizer in ${dir}: ${(cause as Error).message}`,
      {
        file: dir,
        hint: 'the folder needs tokenizer.json (+ tokenizer_config.json), or a WordPiece vocab.txt',
        cause,
      },
    );
  } finally {
    env.allowRemoteModels = saved.allowRemoteModels;
    env.localModelPath = saved.localModelPath;
  }
  return wrap(tok);
}

function wrap(tok: TjsTokenizer): HfTokenizer {
  return {
    padTokenId: tok.pad_token_id ?? null,
    encode(texts, maxLength) {
      const enc = tok([...texts], {
        padding: true,
        truncation: true,
        max_length: maxLength,
        return_tensor: false,
      });
      return {
        input_ids: enc.input_ids,
        attention_mask: enc.attention_mask,
        ...(enc.token_type_ids ? { token_type_ids: enc.token_type_ids } : {}),
      };
    },
  };
}
