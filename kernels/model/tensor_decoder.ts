/**
 * KV-cached incremental decoding in TensorFlow.js ops: the {@link Decoder} contract, the choice
 * of {@link DecoderEngine}, and {@link TensorDecoder} (padded slots shared by all rows). The
 * array engine is {@link ArrayDecoder} in ./array_decoder.ts.
 * @module
 */
import { tf } from "../backend.ts";
import type { Transformer } from "../model.ts";
import type { BlockCtx } from "./block_ctx.ts";
import { MASK_NEG, ropeTables } from "./layers.ts";
import { RowDecoder } from "./row_decoder.ts";

/**
 * How a {@link Decoder} computes: `"arrays"` (default) = {@link ArrayDecoder}, plain typed arrays
 * with packed tokens and per-row caches (the fast path for sampling); `"tensors"` =
 * {@link TensorDecoder}, TensorFlow.js ops on a padded shared cache (kept as a second,
 * independent implementation that the tests compare against).
 */
export type DecoderEngine = "arrays" | "tensors";

/** Incremental decoding with a KV cache over a fixed number of rows. */
export interface Decoder {
  /** Number of rows. */
  readonly batchSize: number;
  /** Most tokens a row may hold. */
  readonly capacity: number;
  /**
   * Append tokens to rows (`feeds[b]`, null or empty = idle) and return the next-token logits
   * after each row's last token, `[B * V]` row-major (a fresh array); an idle row keeps the
   * logits of its previous feed (zeros before its first).
   */
  feed(feeds: readonly (Int32Array | null)[]): Float32Array;
  /** Tokens held by each row (a copy). */
  lengths(): Int32Array;
  /** Free the caches. */
  dispose(): void;
}

/**
 * Incremental decoding over `batchSize` rows with a KV cache, in TensorFlow.js ops.
 *
 * Each call to {@link Decoder.feed} appends any number of tokens to each row (0 or `null` = the
 * row is idle) and returns the next-token logits after each row's last token, `[B * V]`
 * row-major; an idle row keeps the logits of its previous feed (zeros before its first).
 *
 * Rows live at their own positions. The cache is a set of *slots* shared by all rows
 * (`[B, nKv, S, hd]` per layer); a feed of at most `T` tokens per row appends `T` slots, row b's
 * tokens in the first `n_b` of them at RoPE positions `len_b .. len_b + n_b - 1`, and an
 * additive mask hides the slots a row did not fill. When all active rows feed exactly one token
 * (the common sampling step) this is one batched step with `T = 1`. When padding slots
 * accumulate past `capacity`, the cache is compacted (each row's filled slots gathered to the
 * front).
 *
 * The decoder snapshots the output projection when it is created: create a new decoder after
 * changing the model's weights.
 */
export class TensorDecoder extends RowDecoder {
  #model: Transformer;
  #ks: tf.Tensor[] = [];
  #vs: tf.Tensor[] = [];
  /** Number of slots in the cache. */
  #slots = 0;
  /** valid[b][s] = 1 when slot s holds one of row b's tokens. */
  #valid: Uint8Array[];
  /** Output projection snapshot taken at creation (weights are fixed while decoding). */
  #headW: tf.Tensor2D;

  /** Use `Transformer.decoder(batchSize, { engine: "tensors" })`. */
  constructor(model: Transformer, batchSize: number, capacity: number) {
    super({ batchSize, capacity, vocab: model.config.vocabSize });
    this.#model = model;
    this.#valid = Array.from({ length: batchSize }, () => new Uint8Array(64));
    this.#headW = tf.keep(model.headWeight());
  }

  /** One batched step of `t` slots (the longest feed), each row's tokens in its first ones. */
  protected override append(feeds: readonly (Int32Array | null)[], counts: Int32Array): void {
    const m = this.#model, c = m.config, bsz = this.batchSize, vocab = c.vocabSize;
    const t = Math.max(...counts);
    if (this.#slots + t > this.capacity && this.#slots > Math.max(...this.len)) this.#compact();

    const hd = m.headDim, nKv = c.nKvHeads, g = c.nHeads / nKv, s0 = this.#slots, s1 = s0 + t;
    const ids = new Int32Array(bsz * t), pos = new Int32Array(bsz * t);
    for (let r = 0; r < bsz; r++) {
      const f = feeds[r];
      for (let i = 0; i < t; i++) {
        ids[r * t + i] = f && i < f.length ? f[i]! : 0;
        pos[r * t + i] = this.len[r]! + i;
      }
    }
    // mask [B, 1, g*t, s1]: old slots by validity, new slots causal within the row's own feed
    const mask = new Float32Array(bsz * g * t * s1);
    for (let r = 0; r < bsz; r++) {
      const valid = this.#valid[r]!;
      for (let i = 0; i < t; i++) {
        const row = new Float32Array(s1);
        for (let s = 0; s < s0; s++) if (valid[s] === 0) row[s] = MASK_NEG;
        for (let j = 0; j < t; j++) if (j > i || j >= counts[r]!) row[s0 + j] = MASK_NEG;
        for (let gi = 0; gi < g; gi++) mask.set(row, ((r * g + gi) * t + i) * s1);
      }
    }
    const { cos, sin } = ropeTables(pos, { headDim: hd, theta: c.ropeTheta });
    const lastIdx = Int32Array.from({ length: bsz }, (_, r) => r * t + Math.max(counts[r]! - 1, 0));
    const out = tf.tidy(() => {
      const cosK = tf.tensor(cos, [bsz, t, 1, hd]), sinK = tf.tensor(sin, [bsz, t, 1, hd]);
      const scale = 1 / Math.sqrt(hd);
      const ctx: BlockCtx = {
        b: bsz,
        t,
        cosK,
        sinK,
        cosQ: tf.mul(cosK, scale),
        sinQ: tf.mul(sinK, scale),
        mask: tf.tensor(mask, [bsz, 1, g * t, s1]),
      };
      let x = m.embed(tf.tensor1d(ids, "int32"));
      const ks: tf.Tensor[] = [], vs: tf.Tensor[] = [];
      for (let l = 0; l < c.nLayers; l++) {
        const past = s0 > 0 ? { k: this.#ks[l]!, v: this.#vs[l]! } : undefined;
        const o = m.block(x, l, ctx, past);
        x = o.x;
        ks.push(o.k);
        vs.push(o.v);
      }
      const last = tf.gather(x, tf.tensor1d(lastIdx, "int32"));
      return { logits: m.headOf(last, this.#headW), ks, vs };
    });
    for (const k of this.#ks) k.dispose();
    for (const v of this.#vs) v.dispose();
    this.#ks = out.ks;
    this.#vs = out.vs;
    const logits = out.logits.dataSync() as Float32Array;
    out.logits.dispose();
    for (let r = 0; r < bsz; r++) {
      const n = counts[r]!;
      this.#ensureSlots(r, s1);
      for (let j = 0; j < t; j++) this.#valid[r]![s0 + j] = j < n ? 1 : 0;
      if (n > 0) this.logits.set(logits.subarray(r * vocab, (r + 1) * vocab), r * vocab);
      this.len[r] = this.len[r]! + n;
    }
    this.#slots = s1;
  }

  /** Free the cache tensors. */
  protected override release(): void {
    for (const k of this.#ks) k.dispose();
    for (const v of this.#vs) v.dispose();
    this.#ks = [];
    this.#vs = [];
    this.#headW.dispose();
  }

  #ensureSlots(r: number, n: number): void {
    const cur = this.#valid[r]!;
    if (cur.length >= n) return;
    const next = new Uint8Array(Math.max(n, cur.length * 2));
    next.set(cur);
    this.#valid[r] = next;
  }

  /** Gather each row's filled slots to the front of the cache. */
  #compact(): void {
    const c = this.#model.config, bsz = this.batchSize, nKv = c.nKvHeads, hd = this.#model.headDim;
    const s = this.#slots, keep = Math.max(...this.len);
    const idx = new Int32Array(bsz * nKv * keep);
    const newValid: Uint8Array[] = [];
    for (let r = 0; r < bsz; r++) {
      const valid = this.#valid[r]!, filled: number[] = [];
      for (let j = 0; j < s; j++) if (valid[j] === 1) filled.push(j);
      const nv = new Uint8Array(Math.max(64, keep * 2));
      for (let j = 0; j < filled.length; j++) nv[j] = 1;
      newValid.push(nv);
      for (let h = 0; h < nKv; h++) {
        const base = (r * nKv + h) * s;
        for (let j = 0; j < keep; j++) {
          idx[(r * nKv + h) * keep + j] = base + (j < filled.length ? filled[j]! : 0);
        }
      }
    }
    const gatherAll = (xs: tf.Tensor[]) =>
      xs.map((x) => {
        const y = tf.tidy(() =>
          tf.reshape(tf.gather(tf.reshape(x, [-1, hd]), tf.tensor1d(idx, "int32")), [
            bsz,
            nKv,
            keep,
            hd,
          ])
        );
        x.dispose();
        return y;
      });
    this.#ks = gatherAll(this.#ks);
    this.#vs = gatherAll(this.#vs);
    this.#valid = newValid;
    this.#slots = keep;
  }
}
