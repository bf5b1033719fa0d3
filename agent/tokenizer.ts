/**
 * A word-level tokenizer for the small local policy (SearchWorld's vocabulary is closed and
 * small, so one token per word keeps sequences short and the model tiny).
 *
 * Normalisation (the text `decode(encode(x))` returns, when no word is unknown):
 * 1. Unicode NFC, then lower-case;
 * 2. the special tokens (`<pad> <bos> <eos> <unk>`), the protocol's tag tokens
 *    (`<think> </think> <search> ... </verifier>`, see `TAG_TOKENS` in protocol.ts) and any
 *    tag-shaped `extraTokens` are single tokens;
 * 3. a word is a maximal run of letters, digits and combining marks;
 * 4. every other non-space character (punctuation, symbols) is a token of its own;
 * 5. tokens are joined by one space.
 *
 * Vocabulary order (deterministic): `<pad>`=0, `<bos>`=1, `<eos>`=2, `<unk>`=3, then the 12
 * tag tokens, then `extraTokens` in the given order, then corpus words by frequency
 * (descending), ties broken by code-unit order.
 *
 * @example
 * ```ts
 * import { WordTokenizer } from "./tokenizer.ts";
 * const tok = WordTokenizer.build(["Paris is the capital of France."]);
 * tok.decode(tok.encode("<search> capital of France </search>"));
 * // "<search> capital of france </search>"
 * ```
 * @module
 */

import { TAG_TOKENS } from "./protocol.ts";

/** The special tokens, with ids 0..3. */
export const SPECIAL_TOKENS: readonly ["<pad>", "<bos>", "<eos>", "<unk>"] = [
  "<pad>",
  "<bos>",
  "<eos>",
  "<unk>",
] as const;

/** The serialised form stored in a checkpoint's `extra.tokenizer` (as a JSON string). */
export interface WordTokenizerJSON {
  format: "creditlab-word-tokenizer";
  version: 1;
  /** The vocabulary; token i has id i. */
  tokens: string[];
}

/** Options of {@link WordTokenizer.build}. */
export interface TokenizerBuildOptions {
  /** Keep corpus words seen at least this many times (default 1). */
  minCount?: number;
  /** Tokens always in the vocabulary, right after the tag tokens (e.g. digits, answer words). */
  extraTokens?: readonly string[];
}

const TAG_SHAPE = /^<\/?[a-z][a-z0-9_]*>$/;
const PIECE_RE = /<\/?[a-z][a-z0-9_]*>|[\p{L}\p{N}\p{M}]+|[^\s]/gu;
const SPLIT_RE = /[\p{L}\p{N}\p{M}]+|[^\s]/gu;
const WORD_RE = /^[\p{L}\p{N}\p{M}]+$/u;

/** A word-level tokenizer with a fixed vocabulary. */
export class WordTokenizer {
  readonly #tokens: readonly string[];
  readonly #ids: ReadonlyMap<string, number>;
  readonly #tags: ReadonlySet<string>;
  readonly #unknown = new Map<string, number>();

  /** Build from a vocabulary list (token i gets id i); use {@link build} or {@link fromJSON}. */
  private constructor(tokens: readonly string[]) {
    for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
      if (tokens[i] !== SPECIAL_TOKENS[i]) {
        throw new Error(
          `WordTokenizer: token ${i} must be ${SPECIAL_TOKENS[i]}, got ${
            JSON.stringify(tokens[i])
          }`,
        );
      }
    }
    const ids = new Map<string, number>();
    const tags = new Set<string>();
    tokens.forEach((t, i) => {
      if (typeof t !== "string" || t === "") {
        throw new Error(
          `WordTokenizer: token ${i} must be a non-empty string, got ${JSON.stringify(t)}`,
        );
      }
      if (ids.has(t)) {
        throw new Error(
          `WordTokenizer: token ${JSON.stringify(t)} appears twice (ids ${ids.get(t)} and ${i})`,
        );
      }
      if (TAG_SHAPE.test(t)) tags.add(t);
      else if (!WORD_RE.test(t) && [...t].length !== 1) {
        throw new Error(
          `WordTokenizer: token ${i} ${
            JSON.stringify(t)
          } is neither a tag, a word nor a single symbol`,
        );
      }
      ids.set(t, i);
    });
    for (const tag of TAG_TOKENS) {
      if (!ids.has(tag)) {
        throw new Error(`WordTokenizer: the vocabulary lacks the tag token ${tag}`);
      }
    }
    this.#tokens = [...tokens];
    this.#ids = ids;
    this.#tags = tags;
  }

  /**
   * Split `text` into normalised tokens (see the module doc), treating `tags` as single
   * tokens. Tag-shaped strings not in `tags` are split into symbols and words.
   *
   * @example
   * ```ts
   * WordTokenizer.pretokenize("Doc 1(Title: X)"); // ["doc", "1", "(", "title", ":", "x", ")"]
   * ```
   */
  static pretokenize(text: string, tags: ReadonlySet<string> = DEFAULT_TAGS): string[] {
    const out: string[] = [];
    for (const m of text.normalize("NFC").toLowerCase().matchAll(PIECE_RE)) {
      const piece = m[0];
      if (piece.length > 1 && piece.startsWith("<") && !tags.has(piece)) {
        for (const p of piece.matchAll(SPLIT_RE)) out.push(p[0]);
      } else out.push(piece);
    }
    return out;
  }

  /**
   * Build a vocabulary from `texts`: specials, tag tokens, `extraTokens`, then every
   * word seen at least `minCount` times, by frequency then code-unit order.
   *
   * @example
   * ```ts
   * const tok = WordTokenizer.build(["b a a"], { minCount: 1 });
   * tok.id("a") < tok.id("b"); // true ("a" is more frequent)
   * ```
   */
  static build(texts: Iterable<string>, opts: TokenizerBuildOptions = {}): WordTokenizer {
    const minCount = opts.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new RangeError(
        `WordTokenizer.build: minCount must be an integer >= 1, got ${minCount}`,
      );
    }
    const fixed: string[] = [...SPECIAL_TOKENS, ...TAG_TOKENS];
    const seen = new Set(fixed);
    for (const [i, raw] of (opts.extraTokens ?? []).entries()) {
      const t = raw.normalize("NFC").toLowerCase();
      const ok = TAG_SHAPE.test(t) || WORD_RE.test(t) || ([...t].length === 1 && /\S/.test(t));
      if (!ok) {
        throw new Error(
          `WordTokenizer.build: extraTokens[${i}] ${
            JSON.stringify(raw)
          } is neither a tag <x>, a word nor a single symbol`,
        );
      }
      if (!seen.has(t)) {
        seen.add(t);
        fixed.push(t);
      }
    }
    const tags = new Set([...DEFAULT_TAGS, ...fixed.filter((t) => TAG_SHAPE.test(t))]);
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const t of WordTokenizer.pretokenize(text, tags)) {
        if (!seen.has(t)) counts.set(t, (counts.get(t) ?? 0) + 1);
      }
    }
    const words = [...counts.entries()]
      .filter(([, c]) => c >= minCount)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .map(([w]) => w);
    return new WordTokenizer([...fixed, ...words]);
  }

  /**
   * Restore from {@link toJSON} output (an object or its JSON string), validating it.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const tok = WordTokenizer.build(["paris is a city"]);
   * const copy = WordTokenizer.fromJSON(JSON.stringify(tok.toJSON()));
   * assert.equal(copy.vocabSize, tok.vocabSize);
   * ```
   */
  static fromJSON(json: unknown): WordTokenizer {
    let obj: unknown = json;
    if (typeof json === "string") {
      try {
        obj = JSON.parse(json);
      } catch (e) {
        throw new Error(`WordTokenizer.fromJSON: not valid JSON (${(e as Error).message})`);
      }
    }
    const o = obj as Partial<WordTokenizerJSON> | null;
    if (o === null || typeof o !== "object" || o.format !== "creditlab-word-tokenizer") {
      throw new Error(
        `WordTokenizer.fromJSON: expected an object with format "creditlab-word-tokenizer", got ${
          JSON.stringify(o === null || typeof o !== "object" ? o : o.format)
        }`,
      );
    }
    if (o.version !== 1) {
      throw new Error(
        `WordTokenizer.fromJSON: unsupported version ${JSON.stringify(o.version)} (expected 1)`,
      );
    }
    if (!Array.isArray(o.tokens)) {
      throw new Error(`WordTokenizer.fromJSON: field "tokens" must be an array of strings`);
    }
    return new WordTokenizer(o.tokens);
  }

  /** The serialisable form; store `JSON.stringify(tok.toJSON())` in the checkpoint's `extra.tokenizer`. */
  toJSON(): WordTokenizerJSON {
    return { format: "creditlab-word-tokenizer", version: 1, tokens: [...this.#tokens] };
  }

  /** Number of tokens (the model's vocabulary size). */
  get vocabSize(): number {
    return this.#tokens.length;
  }

  /** Id of `<pad>` (always 0). */
  get padId(): number {
    return 0;
  }
  /** Id of `<bos>`. */
  get bosId(): number {
    return 1;
  }
  /** Id of `<eos>`. */
  get eosId(): number {
    return 2;
  }
  /** Id of `<unk>`. */
  get unkId(): number {
    return 3;
  }

  /** Whether `token` (already normalised) is in the vocabulary. */
  has(token: string): boolean {
    return this.#ids.has(token);
  }

  /** Id of a vocabulary token; throws naming the token if it is not in the vocabulary. */
  id(token: string): number {
    const i = this.#ids.get(token);
    if (i === undefined) {
      throw new Error(`WordTokenizer.id: ${JSON.stringify(token)} is not in the vocabulary`);
    }
    return i;
  }

  /** Token string of an id; throws on an out-of-range id. */
  token(id: number): string {
    const t = this.#tokens[id];
    if (t === undefined) {
      throw new RangeError(`WordTokenizer.token: id ${id} is outside [0, ${this.#tokens.length})`);
    }
    return t;
  }

  /** The normalised text of `text` (what `decode(encode(text))` gives when no word is unknown). */
  normalize(text: string): string {
    return WordTokenizer.pretokenize(text, this.#tags).join(" ");
  }

  /**
   * Token ids of `text`. Unknown words become `<unk>` and are counted
   * ({@link unknownCounts}). `addBos` / `addEos` wrap the result.
   *
   * @example
   * ```ts
   * const tok = WordTokenizer.build(["paris is a city"]);
   * tok.encode("paris", { addBos: true }); // Int32Array [1, id("paris")]
   * ```
   */
  encode(text: string, opts: { addBos?: boolean; addEos?: boolean } = {}): Int32Array {
    const pieces = WordTokenizer.pretokenize(text, this.#tags);
    const start = opts.addBos ? 1 : 0;
    const out = new Int32Array(pieces.length + start + (opts.addEos ? 1 : 0));
    if (opts.addBos) out[0] = this.bosId;
    pieces.forEach((p, i) => {
      let id = this.#ids.get(p);
      if (id === undefined) {
        id = this.unkId;
        this.#unknown.set(p, (this.#unknown.get(p) ?? 0) + 1);
      }
      out[start + i] = id;
    });
    if (opts.addEos) out[out.length - 1] = this.eosId;
    return out;
  }

  /**
   * Text of `ids`, tokens joined by one space. `skipSpecial` drops `<pad> <bos> <eos>`
   * (not `<unk>`, nor the tags). Throws on an out-of-range id.
   */
  decode(ids: ArrayLike<number>, opts: { skipSpecial?: boolean } = {}): string {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (opts.skipSpecial && id >= 0 && id <= 2) continue;
      const t = this.#tokens[id];
      if (t === undefined) {
        throw new RangeError(
          `WordTokenizer.decode: id ${id} at position ${i} is outside [0, ${this.#tokens.length})`,
        );
      }
      out.push(t);
    }
    return out.join(" ");
  }

  /** Words that were encoded as `<unk>` since creation or the last reset, with counts. */
  unknownCounts(): Map<string, number> {
    return new Map(this.#unknown);
  }

  /** Total number of `<unk>` emitted since creation or the last reset. */
  unknownTotal(): number {
    let n = 0;
    for (const c of this.#unknown.values()) n += c;
    return n;
  }

  /** Forget the unknown-word counts. */
  resetUnknownCounts(): void {
    this.#unknown.clear();
  }
}

const DEFAULT_TAGS: ReadonlySet<string> = new Set([...SPECIAL_TOKENS, ...TAG_TOKENS]);
