/**
 * What the two KV-cached decoders share ({@link TensorDecoder} in ./tensor_decoder.ts,
 * {@link ArrayDecoder} in ./array_decoder.ts): the rows' token counts and latest logits, the
 * checks of a feed, the answer to a feed with no tokens, and disposal. Each engine adds only how
 * it appends tokens to its cache and how it frees it.
 *
 * @module
 */
import { checkDecoderSize, feedCounts } from "./feeds.ts";
import type { Decoder } from "./tensor_decoder.ts";

/**
 * A {@link Decoder} over `batchSize` rows: {@link RowDecoder.feed} checks the feeds, answers the
 * current logits when no row feeds a token, and otherwise lets the engine's `append` advance
 * the rows.
 */
export abstract class RowDecoder implements Decoder {
  /** Number of rows. */
  readonly batchSize: number;
  /** Most tokens a row may hold. */
  readonly capacity: number;
  /** Tokens held by each row; `append` advances it. */
  protected readonly len: Int32Array;
  /**
   * Each row's next-token logits after its last token, `[B * V]` row-major (zeros before its
   * first feed); `append` sets the rows it feeds.
   */
  protected readonly logits: Float32Array;
  readonly #vocab: number;
  #disposed = false;

  /** Throws unless `batchSize` and `capacity` are positive integers. */
  constructor(opts: { batchSize: number; capacity: number; vocab: number }) {
    checkDecoderSize(opts.batchSize, opts.capacity);
    this.batchSize = opts.batchSize;
    this.capacity = opts.capacity;
    this.#vocab = opts.vocab;
    this.len = new Int32Array(opts.batchSize);
    this.logits = new Float32Array(opts.batchSize * opts.vocab);
  }

  /** Tokens held by each row (a copy). */
  lengths(): Int32Array {
    return this.len.slice();
  }

  /**
   * Append tokens to rows and return next-token logits `[B * V]` (a fresh array).
   * `feeds[b]` = the tokens row b appends (null or empty = idle).
   */
  feed(feeds: readonly (Int32Array | null)[]): Float32Array {
    if (this.#disposed) throw new Error("Decoder.feed: used after dispose()");
    const counts = feedCounts(feeds, {
      vocab: this.#vocab,
      held: this.len,
      capacity: this.capacity,
    });
    if (counts.some((n) => n > 0)) this.append(feeds, counts);
    return this.logits.slice();
  }

  /** Free the caches (the first call; later ones do nothing). */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.release();
  }

  /**
   * Append row r's `counts[r]` tokens of `feeds[r]` (checked; at least one row feeds one) to
   * the cache, add them to `len` and set the fed rows' `logits`.
   */
  protected abstract append(feeds: readonly (Int32Array | null)[], counts: Int32Array): void;

  /** Free the caches. */
  protected abstract release(): void;
}
