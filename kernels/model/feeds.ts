/**
 * Input checks shared by the two KV-cached decoders (`TensorDecoder` in ../model.ts and
 * `ArrayDecoder` in array_decoder.ts) and by the model's token inputs: one set of rules, one set
 * of error messages.
 *
 * @module
 */

/** Throw if any id is outside `[0, vocab)`. */
export function checkIds(ids: Int32Array, vocab: number, what: string): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < vocab)) {
      throw new RangeError(`${what}: token id ${id} at flat index ${i} is outside [0, ${vocab})`);
    }
  }
}

/** Throw unless a decoder's batch size and capacity are positive integers. */
export function checkDecoderSize(batchSize: number, capacity: number): void {
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(
      `Transformer.decoder: batchSize must be a positive integer, got ${batchSize}`,
    );
  }
  if (!Number.isInteger(capacity) || capacity <= 0) {
    throw new RangeError(
      `Transformer.decoder: capacity must be a positive integer, got ${capacity}`,
    );
  }
}

/**
 * Validate one `Decoder.feed` call and return the number of tokens each row appends: one feed
 * per row, each an `Int32Array` (or null = idle) of ids in `[0, vocab)`, and no row past
 * `capacity` tokens given the `held` tokens per row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const counts = feedCounts([Int32Array.of(1, 2), null], {
 *   vocab: 4,
 *   held: new Int32Array(2),
 *   capacity: 8,
 * });
 * assert.deepEqual(Array.from(counts), [2, 0]);
 * ```
 */
export function feedCounts(
  feeds: readonly (Int32Array | null)[],
  opts: { vocab: number; held: Int32Array; capacity: number },
): Int32Array {
  const bsz = opts.held.length;
  if (feeds.length !== bsz) {
    throw new RangeError(`Decoder.feed: expected ${bsz} feeds (one per row), got ${feeds.length}`);
  }
  const counts = new Int32Array(bsz);
  for (let r = 0; r < bsz; r++) {
    const f = feeds[r];
    if (f === null || f === undefined) continue;
    if (!(f instanceof Int32Array)) {
      throw new TypeError(`Decoder.feed: feeds[${r}] must be an Int32Array or null`);
    }
    checkIds(f, opts.vocab, `Decoder.feed: feeds[${r}]`);
    if (opts.held[r]! + f.length > opts.capacity) {
      throw new RangeError(
        `Decoder.feed: row ${r} would hold ${
          opts.held[r]! + f.length
        } tokens, capacity is ${opts.capacity}`,
      );
    }
    counts[r] = f.length;
  }
  return counts;
}
