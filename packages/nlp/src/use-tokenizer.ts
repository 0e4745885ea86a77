/**
 * SentencePiece-style unigram tokenizer for the Universal Sentence Encoder lite vocabulary
 * (`vocab.json`: an array of `[piece, logProbability]`, the first 6 entries reserved).
 *
 * Text is NFKC-normalised, spaces become `▁` with one `▁` in front, then the segmentation with the
 * highest total log-probability is found by Viterbi over a trie of pieces. The USE reference
 * tokenizer behaves the same on covered text; it leaves characters outside the vocabulary out of
 * the lattice, while here each becomes an `<unk>` (id 0) at a SentencePiece-like penalty, so
 * every input still tokenizes; runs of unknowns collapse into one, as in the reference.
 */

const SPACE = '\u2581';
const RESERVED = 6;
const UNK_ID = 0;

interface TrieNode {
  children: Map<string, TrieNode>;
  id: number;
  score: number;
}

export type UseVocabulary = ReadonlyArray<readonly [string, number]>;

export class UseTokenizer {
  private readonly root: TrieNode = { children: new Map(), id: -1, score: 0 };
  private readonly unkScore: number;

  constructor(readonly vocabulary: UseVocabulary) {
    let min = 0;
    for (let i = RESERVED; i < vocabulary.length; i++) {
      const [piece, score] = vocabulary[i]!;
      min = Math.min(min, score);
      let node = this.root;
      for (const ch of piece) {
        let next = node.children.get(ch);
        if (!next) {
          next = { children: new Map(), id: -1, score: 0 };
          node.children.set(ch, next);
        }
        node = next;
      }
      node.id = i;
      node.score = score;
    }
    this.unkScore = min - 10;
  }

  /** Token ids of one text (empty text → no tokens). */
  encode(text: string): number[] {
    const normalized = text.normalize('NFKC');
    if (normalized.length === 0) return [];
    // Code points, not UTF-16 units: a piece length must count an emoji once.
    const symbols = [...(SPACE + normalized.replace(/ /g, SPACE))];
    const n = symbols.length;
    const best = new Float64Array(n + 1).fill(Number.NEGATIVE_INFINITY);
    const backId = new Int32Array(n + 1);
    const backLen = new Int32Array(n + 1);
    best[0] = 0;
    for (let start = 0; start < n; start++) {
      const base = best[start]!;
      if (base === Number.NEGATIVE_INFINITY) continue;
      // Unknown single symbol: always possible, so every position stays reachable.
      const unk = base + this.unkScore;
      if (unk > best[start + 1]!) {
        best[start + 1] = unk;
        backId[start + 1] = UNK_ID;
        backLen[start + 1] = 1;
      }
      let node: TrieNode | undefined = this.root;
      for (let end = start; end < n; end++) {
        node = node.children.get(symbols[end]!);
        if (!node) break;
        if (node.id < 0) continue;
        const score = base + node.score;
        // `>=` keeps the later start on ties, as the reference does.
        if (score >= best[end + 1]!) {
          best[end + 1] = score;
          backId[end + 1] = node.id;
          backLen[end + 1] = end + 1 - start;
        }
      }
    }
    const ids: number[] = [];
    for (let pos = n; pos > 0; pos -= backLen[pos]!) ids.push(backId[pos]!);
    ids.reverse();
    return ids.filter((id, i) => !(id === UNK_ID && ids[i - 1] === UNK_ID));
  }
}
