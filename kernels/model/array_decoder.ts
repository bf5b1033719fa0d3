/**
 * Incremental decoding on plain `Float32Array`s: the sampling engine of the rollout.
 *
 * The transformer's weights are copied once into arrays when the decoder is created; every
 * {@link ArrayDecoder.feed} then runs the same Qwen3-shaped block as the TensorFlow.js model
 * (see ../model.ts for the equations) without tensors:
 *
 * - the tokens fed in one call, across all rows, are **packed** into one `[N, d]` matrix (no
 *   padding: a row that feeds a 100-token observation costs 100 rows, an idle row costs none);
 * - the projections `h Wq, h Wk, h Wv, o Wo, h Wg, h Wu, a Wd` are matrix products over the
 *   packed tokens through {@link gemm} (OpenBLAS `cblas_sgemm` when loaded, a loop otherwise);
 * - each row has its own KV cache (`[positions, nKv, hd]` per layer, grown by doubling), and
 *   attention for a token at position p reads the row's keys `0..p` (causal, grouped-query:
 *   query head h uses key/value head `floor(h / g)`): per row and key/value head, one product
 *   `Q K^T` for all the row's new tokens and that head's g query heads, a causal softmax, and one
 *   product `P V`, both on the cache in place (row stride `nKv * hd`);
 * - the output projection runs only for the last token each row fed.
 *
 * The tensor {@link TensorDecoder} pads every row to the longest feed of the call and shares
 * cache slots between rows, so one long observation made all B rows compute and store that
 * many positions; at B x G = 128 rows this engine decodes the same rollouts many times faster.
 * Both give the same logits as {@link Transformer.forward} (tested to 1e-4).
 *
 * @module
 */
import { gemm } from "../blas.ts";
import type { ModelConfig } from "./config.ts";
import { RowDecoder } from "./row_decoder.ts";

/** A transformer's parameters as plain arrays (row-major, the checkpoint's shapes). */
export interface ArrayWeights {
  config: Required<ModelConfig>;
  /** `[V, d]`. */
  embed: Float32Array;
  layers: {
    attnNorm: Float32Array;
    wq: Float32Array;
    wk: Float32Array;
    wv: Float32Array;
    qNorm: Float32Array | undefined;
    kNorm: Float32Array | undefined;
    wo: Float32Array;
    mlpNorm: Float32Array;
    wGate: Float32Array;
    wUp: Float32Array;
    wDown: Float32Array;
  }[];
  finalNorm: Float32Array;
  /** `[d, V]`; undefined = tied embeddings (logits = h E^T). */
  lmHead: Float32Array | undefined;
}

/** Build {@link ArrayWeights} from `[name, values]` pairs named as in `parameterShapes`. */
export function arrayWeights(
  config: Required<ModelConfig>,
  named: ReadonlyMap<string, Float32Array>,
): ArrayWeights {
  const get = (n: string): Float32Array => {
    const w = named.get(n);
    if (w === undefined) throw new Error(`arrayWeights: missing weight "${n}"`);
    return w;
  };
  const layers: ArrayWeights["layers"] = [];
  for (let i = 0; i < config.nLayers; i++) {
    const p = `layers.${i}.`;
    layers.push({
      attnNorm: get(p + "attn_norm"),
      wq: get(p + "wq"),
      wk: get(p + "wk"),
      wv: get(p + "wv"),
      qNorm: config.qkNorm ? get(p + "q_norm") : undefined,
      kNorm: config.qkNorm ? get(p + "k_norm") : undefined,
      wo: get(p + "wo"),
      mlpNorm: get(p + "mlp_norm"),
      wGate: get(p + "w_gate"),
      wUp: get(p + "w_up"),
      wDown: get(p + "w_down"),
    });
  }
  return {
    config,
    embed: get("embed"),
    layers,
    finalNorm: get("final_norm"),
    lmHead: config.tiedEmbeddings ? undefined : get("lm_head"),
  };
}

/** `y[i, :] = x[i, :] / sqrt(mean(x[i, :]^2) + eps) * w` for rows of width `w.length`. */
export function rmsNormRows(
  x: Float32Array,
  y: Float32Array,
  opts: { weight: Float32Array; eps: number; rows: number },
): void {
  const w = opts.weight, n = w.length;
  for (let i = 0; i < opts.rows; i++) {
    const o = i * n;
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[o + j]! * x[o + j]!;
    const r = 1 / Math.sqrt(ss / n + opts.eps);
    for (let j = 0; j < n; j++) y[o + j] = x[o + j]! * r * w[j]!;
  }
}

/**
 * Incremental decoding over `batchSize` rows on plain arrays (see the module doc). Same
 * contract as the tensor decoder: {@link ArrayDecoder.feed} appends tokens per row and returns
 * the next-token logits `[B * V]`; an idle row keeps the logits of its previous feed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, Rng, Transformer } from "@creditlab/kernels";
 * await initBackend({ backend: "cpu" });
 * const m = new Transformer({
 *   vocabSize: 16, dModel: 8, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnHidden: 16,
 *   maxSeqLen: 32, ropeTheta: 10000, normEps: 1e-6, tiedEmbeddings: true,
 * }, { rng: new Rng(0) });
 * const dec = m.decoder(2); // engine "arrays" by default
 * const logits = dec.feed([Int32Array.of(1, 2, 3), null]); // row 1 idle
 * assert.equal(logits.length, 2 * 16); // [B * V], row 0's next-token logits first
 * dec.dispose();
 * ```
 */
export class ArrayDecoder extends RowDecoder {
  #w: ArrayWeights;
  /** keys[l][r], values[l][r]: `[cap, nKv, hd]` for row r in layer l. */
  #keys: Float32Array[][];
  #values: Float32Array[][];
  /** RoPE inverse frequencies `theta^(-2j/hd)`. */
  #invFreq: Float64Array;

  /** Use `Transformer.decoder(batchSize, { engine: "arrays" })`. */
  constructor(weights: ArrayWeights, opts: { batchSize: number; capacity: number }) {
    const { batchSize, capacity } = opts;
    super({ batchSize, capacity, vocab: weights.config.vocabSize });
    const c = weights.config;
    this.#w = weights;
    const hd = c.dModel / c.nHeads, width = c.nKvHeads * hd;
    const initial = Math.min(capacity, 64) * width;
    this.#keys = weights.layers.map(() =>
      Array.from({ length: batchSize }, () => new Float32Array(initial))
    );
    this.#values = weights.layers.map(() =>
      Array.from({ length: batchSize }, () => new Float32Array(initial))
    );
    this.#invFreq = new Float64Array(hd / 2);
    for (let j = 0; j < hd / 2; j++) this.#invFreq[j] = Math.pow(c.ropeTheta, (-2 * j) / hd);
  }

  /** The fed tokens of all rows, packed, through the blocks (see the module doc). */
  protected override append(feeds: readonly (Int32Array | null)[], counts: Int32Array): void {
    const w = this.#w, c = w.config, bsz = this.batchSize, vocab = c.vocabSize;
    let n = 0;
    for (let r = 0; r < bsz; r++) n += counts[r]!;

    const d = c.dModel, nH = c.nHeads, nKv = c.nKvHeads, hd = d / nH, g = nH / nKv;
    const qw = nH * hd, kw = nKv * hd, ffn = c.ffnHidden;
    // Packed tokens: row and position of each, and the last packed index of each fed row.
    const rowOf = new Int32Array(n), posOf = new Int32Array(n);
    const x = new Float32Array(n * d);
    const lastOf: number[] = [], lastRows: number[] = [];
    /** Each fed row's tokens are contiguous in the packing: start index, count, first position. */
    const segments: { row: number; start: number; n: number; pos0: number }[] = [];
    let i = 0;
    for (let r = 0; r < bsz; r++) {
      const f = feeds[r];
      if (!f || f.length === 0) continue;
      segments.push({ row: r, start: i, n: f.length, pos0: this.len[r]! });
      for (let j = 0; j < f.length; j++, i++) {
        rowOf[i] = r;
        posOf[i] = this.len[r]! + j;
        x.set(w.embed.subarray(f[j]! * d, (f[j]! + 1) * d), i * d);
      }
      lastOf.push(i - 1);
      lastRows.push(r);
      this.#ensure(r, this.len[r]! + f.length);
    }
    // RoPE tables of the packed positions.
    const half = hd / 2;
    const cos = new Float32Array(n * half), sin = new Float32Array(n * half);
    for (let t = 0; t < n; t++) {
      for (let j = 0; j < half; j++) {
        const a = posOf[t]! * this.#invFreq[j]!;
        cos[t * half + j] = Math.cos(a);
        sin[t * half + j] = Math.sin(a);
      }
    }
    const h = new Float32Array(n * d);
    const q = new Float32Array(n * qw), k = new Float32Array(n * kw), v = new Float32Array(n * kw);
    const o = new Float32Array(n * qw);
    const gate = new Float32Array(n * ffn), up = new Float32Array(n * ffn);
    const scale = 1 / Math.sqrt(hd);
    let scores = new Float32Array(256), qs = new Float32Array(256), os = new Float32Array(256);
    for (let l = 0; l < w.layers.length; l++) {
      const p = w.layers[l]!;
      rmsNormRows(x, h, { weight: p.attnNorm, eps: c.normEps, rows: n });
      gemm(h, p.wq, q, { m: n, n: qw, k: d });
      gemm(h, p.wk, k, { m: n, n: kw, k: d });
      gemm(h, p.wv, v, { m: n, n: kw, k: d });
      if (p.qNorm !== undefined && p.kNorm !== undefined) {
        rmsNormRows(q, q, { weight: p.qNorm, eps: c.normEps, rows: n * nH });
        rmsNormRows(k, k, { weight: p.kNorm, eps: c.normEps, rows: n * nKv });
      }
      rope(q, { cos, sin, heads: nH, hd, scale });
      rope(k, { cos, sin, heads: nKv, hd, scale: 1 });
      // Write this call's keys/values into the rows' caches, then attend causally.
      const keys = this.#keys[l]!, values = this.#values[l]!;
      for (let t = 0; t < n; t++) {
        const off = posOf[t]! * kw;
        keys[rowOf[t]!]!.set(k.subarray(t * kw, (t + 1) * kw), off);
        values[rowOf[t]!]!.set(v.subarray(t * kw, (t + 1) * kw), off);
      }
      for (const seg of segments) {
        const kr = keys[seg.row]!, vr = values[seg.row]!, len = seg.pos0 + seg.n;
        const rowsQ = seg.n * g;
        if (qs.length < rowsQ * hd) qs = new Float32Array(rowsQ * hd * 2);
        if (scores.length < rowsQ * len) scores = new Float32Array(rowsQ * len * 2);
        if (os.length < rowsQ * hd) os = new Float32Array(rowsQ * hd * 2);
        for (let kv = 0; kv < nKv; kv++) {
          // The g query heads of key/value head kv for the segment's tokens: [n * g, hd].
          for (let j = 0; j < seg.n; j++) {
            const src = (seg.start + j) * qw + kv * g * hd;
            qs.set(q.subarray(src, src + g * hd), j * g * hd);
          }
          // scores = Q K^T over the row's positions 0..len-1 (K in place, row stride kw).
          gemm(qs, kr.subarray(kv * hd), scores, {
            m: rowsQ,
            n: len,
            k: hd,
            transB: true,
            ldb: kw,
          });
          // causal softmax: token j of the segment sees positions 0..pos0+j
          for (let j = 0; j < seg.n; j++) {
            const visible = seg.pos0 + j + 1;
            for (let hh = 0; hh < g; hh++) {
              const o0 = (j * g + hh) * len;
              let mx = -Infinity;
              for (let sIdx = 0; sIdx < visible; sIdx++) {
                if (scores[o0 + sIdx]! > mx) mx = scores[o0 + sIdx]!;
              }
              let sum = 0;
              for (let sIdx = 0; sIdx < visible; sIdx++) {
                const e = Math.exp(scores[o0 + sIdx]! - mx);
                scores[o0 + sIdx] = e;
                sum += e;
              }
              const inv = 1 / sum;
              for (let sIdx = 0; sIdx < visible; sIdx++) {
                scores[o0 + sIdx] = scores[o0 + sIdx]! * inv;
              }
              scores.fill(0, o0 + visible, o0 + len);
            }
          }
          // out = P V (V in place, row stride kw), scattered back to the heads of o.
          gemm(scores, vr.subarray(kv * hd), os, { m: rowsQ, n: hd, k: len, ldb: kw });
          for (let j = 0; j < seg.n; j++) {
            const dst = (seg.start + j) * qw + kv * g * hd;
            o.set(os.subarray(j * g * hd, (j + 1) * g * hd), dst);
          }
        }
      }
      gemm(o, p.wo, x, { m: n, n: d, k: qw, accumulate: true });
      rmsNormRows(x, h, { weight: p.mlpNorm, eps: c.normEps, rows: n });
      gemm(h, p.wGate, gate, { m: n, n: ffn, k: d });
      gemm(h, p.wUp, up, { m: n, n: ffn, k: d });
      for (let j = 0; j < n * ffn; j++) {
        const z = gate[j]!;
        gate[j] = (z / (1 + Math.exp(-z))) * up[j]!;
      }
      gemm(gate, p.wDown, x, { m: n, n: d, k: ffn, accumulate: true });
    }
    // Output projection of each fed row's last token only.
    const R = lastOf.length, hl = new Float32Array(R * d), z = new Float32Array(R * vocab);
    for (let j = 0; j < R; j++) hl.set(x.subarray(lastOf[j]! * d, (lastOf[j]! + 1) * d), j * d);
    rmsNormRows(hl, hl, { weight: w.finalNorm, eps: c.normEps, rows: R });
    if (w.lmHead === undefined) gemm(hl, w.embed, z, { m: R, n: vocab, k: d, transB: true });
    else gemm(hl, w.lmHead, z, { m: R, n: vocab, k: d });
    for (let j = 0; j < R; j++) {
      const r = lastRows[j]!;
      this.logits.set(z.subarray(j * vocab, (j + 1) * vocab), r * vocab);
      this.len[r] = this.len[r]! + counts[r]!;
    }
  }

  /** Release the caches. */
  protected override release(): void {
    this.#keys = [];
    this.#values = [];
  }

  /** Grow row r's caches to hold `tokens` positions (doubling). */
  #ensure(r: number, tokens: number): void {
    const c = this.#w.config, width = c.nKvHeads * (c.dModel / c.nHeads);
    for (const cache of [this.#keys, this.#values]) {
      for (const layer of cache) {
        const cur = layer[r]!;
        if (cur.length >= tokens * width) continue;
        const cap = Math.min(this.capacity, Math.max(tokens, (cur.length / width) * 2));
        const next = new Float32Array(cap * width);
        next.set(cur.subarray(0, this.len[r]! * width));
        layer[r] = next;
      }
    }
  }
}

/**
 * Rotary embedding in place, rotate-half layout: for pair j < hd/2,
 * `x'_j = (x_j cos - x_{j+hd/2} sin) s`, `x'_{j+hd/2} = (x_{j+hd/2} cos + x_j sin) s`.
 */
function rope(
  x: Float32Array,
  opts: { cos: Float32Array; sin: Float32Array; heads: number; hd: number; scale: number },
): void {
  const { cos, sin, heads, hd, scale } = opts, half = hd / 2;
  const tokens = x.length / (heads * hd);
  for (let t = 0; t < tokens; t++) {
    for (let hh = 0; hh < heads; hh++) {
      const o = (t * heads + hh) * hd;
      for (let j = 0; j < half; j++) {
        const cs = cos[t * half + j]!, sn = sin[t * half + j]!;
        const a = x[o + j]!, b = x[o + j + half]!;
        x[o + j] = (a * cs - b * sn) * scale;
        x[o + j + half] = (b * cs + a * sn) * scale;
      }
    }
  }
}
