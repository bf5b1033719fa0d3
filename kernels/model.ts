/**
 * The local policy: a decoder-only transformer shaped like Qwen3 (Qwen Team 2025,
 * arXiv:2505.09388) in TensorFlow.js.
 *
 * Block `l` (pre-norm residual):
 *   h = RMSNorm(x);  q,k,v = h Wq, h Wk, h Wv;  q,k = RMSNorm_head(q), RMSNorm_head(k) (qkNorm);
 *   q,k = RoPE(q), RoPE(k);  a = softmax(q k^T / sqrt(hd) + causal) v   (grouped-query heads);
 *   x = x + a Wo;  x = x + (silu(RMSNorm(x) Wg) * (RMSNorm(x) Wu)) Wd   (SwiGLU, Shazeer 2020);
 * logits = RMSNorm(x) E^T (tied) or RMSNorm(x) W_lm.
 *
 * Training uses {@link Transformer.forward} / {@link Transformer.logProbs}; sampling uses a
 * {@link Decoder} with a per-row KV cache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, Rng, tf, Transformer } from "@creditlab/kernels";
 * await initBackend({ backend: "cpu" });
 * const model = new Transformer({
 *   vocabSize: 64, dModel: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, ffnHidden: 64,
 *   maxSeqLen: 32, ropeTheta: 10000, normEps: 1e-6, tiedEmbeddings: true,
 * }, { rng: new Rng(0) });
 * const lp = model.logProbs(tf.tensor2d([[1, 2, 3]], undefined, "int32"));
 * assert.deepEqual(lp.shape, [1, 3]);
 * assert.equal(lp.arraySync()[0]![0], 0); // the first token is given, not predicted
 * ```
 * @module
 */
import { tf } from "./backend.ts";
import type { Rng } from "./rng.ts";
import { type ModelConfig, parameterShapes, validateConfig } from "./model/config.ts";
import {
  applyRope,
  causalMask,
  embeddingLookup,
  ropeTables,
  rotateHalfMatrix,
} from "./model/layers.ts";
import { attention, chosenLogProbs, rmsNormFused } from "./model/fused.ts";
import { ArrayDecoder, arrayWeights } from "./model/array_decoder.ts";
import { checkIds } from "./model/feeds.ts";
import type { BlockCtx } from "./model/block_ctx.ts";
import { type Decoder, type DecoderEngine, TensorDecoder } from "./model/tensor_decoder.ts";

export { ArrayDecoder, type ArrayWeights, arrayWeights } from "./model/array_decoder.ts";
export { type Decoder, type DecoderEngine, TensorDecoder } from "./model/tensor_decoder.ts";

export {
  type ModelConfig,
  parameterCount,
  parameterShapes,
  referenceConfig,
  validateConfig,
} from "./model/config.ts";

/** How the parameters of a new {@link Transformer} are obtained. */
export type TransformerInit =
  /** Seeded initialisation: weights ~ N(0, initStd^2) (default 0.02), norm gains = 1. */
  | { rng: Rng; initStd?: number }
  /** Given weights by parameter name (see {@link parameterShapes}); every name must be present. */
  | { weights: ReadonlyMap<string, Float32Array> };

interface LayerParams {
  attnNorm: tf.Variable;
  wq: tf.Variable;
  wk: tf.Variable;
  wv: tf.Variable;
  qNorm: tf.Variable | undefined;
  kNorm: tf.Variable | undefined;
  wo: tf.Variable;
  mlpNorm: tf.Variable;
  wGate: tf.Variable;
  wUp: tf.Variable;
  wDown: tf.Variable;
}

function isNorm(name: string): boolean {
  return name.endsWith("_norm");
}

/** A Qwen3-shaped decoder-only transformer with trainable `tf.Variable` parameters. */
export class Transformer {
  /** The validated configuration (with `qkNorm` filled in). */
  readonly config: Required<ModelConfig>;
  /** `dModel / nHeads`. */
  readonly headDim: number;
  #params = new Map<string, tf.Variable>();
  #layers: LayerParams[] = [];
  #embed: tf.Variable;
  #finalNorm: tf.Variable;
  #lmHead: tf.Variable | undefined;
  #rot: tf.Tensor2D;
  #consts = new Map<string, tf.Tensor>();
  #disposed = false;

  /**
   * Build a model. With `{ rng }` the parameters are drawn from the passed generator in the
   * fixed order of {@link parameterShapes} (deterministic for a given seed; tf's global seed
   * is never used). With `{ weights }` they are copied from the given arrays.
   */
  constructor(config: ModelConfig, init: TransformerInit) {
    this.config = validateConfig(config);
    this.headDim = this.config.dModel / this.config.nHeads;
    for (const [name, shape] of parameterShapes(this.config)) {
      const size = shape.reduce((a, b) => a * b, 1);
      let data: Float32Array;
      if ("weights" in init) {
        const w = init.weights.get(name);
        if (w === undefined) throw new Error(`Transformer: missing weight "${name}"`);
        if (w.length !== size) {
          throw new Error(
            `Transformer: weight "${name}" has ${w.length} values, expected ${size} (shape [${shape}])`,
          );
        }
        data = w.slice();
      } else {
        const std = init.initStd ?? 0.02;
        if (!(std >= 0) || !Number.isFinite(std)) {
          throw new RangeError(
            `Transformer: initStd must be a finite non-negative number, got ${std}`,
          );
        }
        data = new Float32Array(size);
        if (isNorm(name)) data.fill(1);
        else for (let i = 0; i < size; i++) data[i] = init.rng.normal() * std;
      }
      const t = tf.tensor(data, shape, "float32");
      this.#params.set(name, tf.variable(t, true));
      t.dispose();
    }
    if ("weights" in init) {
      const expected = new Set(this.#params.keys());
      for (const k of init.weights.keys()) {
        if (!expected.has(k)) {
          this.dispose();
          throw new Error(`Transformer: unexpected weight "${k}" for this configuration`);
        }
      }
    }
    const p = (n: string) => this.#params.get(n)!;
    this.#embed = p("embed");
    this.#finalNorm = p("final_norm");
    this.#lmHead = this.config.tiedEmbeddings ? undefined : p("lm_head");
    for (let i = 0; i < this.config.nLayers; i++) {
      const q = `layers.${i}.`;
      this.#layers.push({
        attnNorm: p(q + "attn_norm"),
        wq: p(q + "wq"),
        wk: p(q + "wk"),
        wv: p(q + "wv"),
        qNorm: this.config.qkNorm ? p(q + "q_norm") : undefined,
        kNorm: this.config.qkNorm ? p(q + "k_norm") : undefined,
        wo: p(q + "wo"),
        mlpNorm: p(q + "mlp_norm"),
        wGate: p(q + "w_gate"),
        wUp: p(q + "w_up"),
        wDown: p(q + "w_down"),
      });
    }
    this.#rot = tf.tensor2d(rotateHalfMatrix(this.headDim), [this.headDim, this.headDim]);
  }

  /** Trainable variables in the fixed parameter order. */
  variables(): tf.Variable[] {
    this.#alive();
    return [...this.#params.values()];
  }

  /** `[name, variable]` pairs in the fixed parameter order (checkpoint names). */
  namedVariables(): [string, tf.Variable][] {
    this.#alive();
    return [...this.#params.entries()];
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.#params.values()) n += v.size;
    return n;
  }

  /** Free every variable and cached constant. The model is unusable afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.#params.values()) v.dispose();
    for (const c of this.#consts.values()) c.dispose();
    this.#rot.dispose();
  }

  /**
   * Logits of every position: `[B, T] int32 -> [B, T, V]`; logits[b, t] scores token t+1
   * given tokens 0..t.
   */
  forward(tokens: tf.Tensor2D): tf.Tensor3D {
    const [b, t] = this.#checkTokens(tokens, "forward");
    return tf.tidy(() => {
      const h = this.#trunk(tokens, b, t);
      return tf.reshape(this.#head(h), [b, t, this.config.vocabSize]) as tf.Tensor3D;
    });
  }

  /**
   * Token log-probabilities `[B, T]`: column 0 is 0, column t >= 1 is
   * `log p(tokens[b,t] | tokens[b,<t]) = z_t[tok] - logsumexp(z_t)` with `z_t` the logits after
   * position t-1. Differentiable w.r.t. {@link variables}.
   *
   * With `temperature` T, the log-probabilities of the tempered policy `softmax(z_t / T)`: the
   * distribution a sampler at temperature T draws from, so an RL update on samples drawn at T
   * is on-policy (verl divides the logits by the rollout temperature the same way). Default 1.
   */
  logProbs(tokens: tf.Tensor2D, opts: { temperature?: number } = {}): tf.Tensor2D {
    const [b, t] = this.#checkTokens(tokens, "logProbs");
    const temperature = opts.temperature ?? 1;
    if (!(Number.isFinite(temperature) && temperature > 0)) {
      throw new RangeError(`logProbs: temperature must be a finite number > 0, got ${temperature}`);
    }
    return tf.tidy(() => {
      if (t === 1) return tf.zeros([b, 1]) as tf.Tensor2D;
      const d = this.config.dModel;
      const h = tf.reshape(this.#trunk(tokens, b, t), [b, t, d]);
      const hs = tf.reshape(tf.slice(h, [0, 0, 0], [b, t - 1, d]), [b * (t - 1), d]);
      // (h W) / T = (h / T) W: tempering the hidden state keeps the fused head.
      const hp = temperature === 1 ? hs : tf.mul(hs, 1 / temperature);
      const next = tf.reshape(tf.slice(tokens, [0, 1], [b, t - 1]), [-1]) as tf.Tensor1D;
      // Fused head + log-softmax + pick with a hand-written gradient (model/fused.ts): the
      // autodiff chain (logSumExp's max -> Equal mask, or logSoftmax) kept several [N, V]
      // tensors per step and dominated the wasm train step.
      const tied = this.#lmHead === undefined;
      const w = (tied ? tf.transpose(this.#embed) : this.#lmHead!) as tf.Tensor2D;
      const lp = tf.reshape(chosenLogProbs(hp as tf.Tensor2D, w, next), [b, t - 1]);
      return tf.concat([tf.zeros([b, 1]), lp], 1) as tf.Tensor2D;
    });
  }

  /**
   * Start incremental decoding for `batchSize` independent rows, each holding at most
   * `capacity` tokens (default `maxSeqLen`). See {@link Decoder}.
   */
  decoder(
    batchSize: number,
    opts: { capacity?: number; engine?: DecoderEngine } = {},
  ): Decoder {
    this.#alive();
    const capacity = opts.capacity ?? this.config.maxSeqLen;
    const engine = opts.engine ?? "arrays";
    if (engine === "tensors") return new TensorDecoder(this, batchSize, capacity);
    if (engine !== "arrays") {
      throw new RangeError(
        `Transformer.decoder: engine must be "arrays" or "tensors", got ${String(engine)}`,
      );
    }
    const named = new Map<string, Float32Array>();
    for (const [name, v] of this.#params) named.set(name, v.dataSync() as Float32Array);
    return new ArrayDecoder(arrayWeights(this.config, named), { batchSize, capacity });
  }

  // ---- internals shared with Decoder -------------------------------------------------------

  #alive(): void {
    if (this.#disposed) throw new Error("Transformer: used after dispose()");
  }

  #checkTokens(tokens: tf.Tensor, op: string): [number, number] {
    this.#alive();
    if (!(tokens instanceof tf.Tensor)) {
      throw new TypeError(`Transformer.${op}: tokens must be a tf.Tensor2D of int32`);
    }
    if (tokens.rank !== 2) {
      throw new RangeError(
        `Transformer.${op}: tokens must be rank 2 [B, T], got shape [${tokens.shape}]`,
      );
    }
    if (tokens.dtype !== "int32") {
      throw new TypeError(`Transformer.${op}: tokens must be int32, got ${tokens.dtype}`);
    }
    const [b, t] = tokens.shape as [number, number];
    if (b === 0 || t === 0) throw new RangeError(`Transformer.${op}: empty tokens [${b}, ${t}]`);
    if (t > this.config.maxSeqLen) {
      throw new RangeError(
        `Transformer.${op}: sequence length ${t} exceeds config.maxSeqLen ${this.config.maxSeqLen}`,
      );
    }
    checkIds(tokens.dataSync() as Int32Array, this.config.vocabSize, `Transformer.${op}: tokens`);
    return [b, t];
  }

  /** A cached constant (created once, freed with the model). */
  #const(key: string, make: () => tf.Tensor): tf.Tensor {
    let c = this.#consts.get(key);
    if (c === undefined) {
      c = tf.keep(make());
      this.#consts.set(key, c);
    }
    return c;
  }

  /** Final-normed hidden states `[B*T, d]` of a full causal pass (no cache). */
  #trunk(tokens: tf.Tensor2D, b: number, t: number): tf.Tensor2D {
    const hd = this.headDim, g = this.config.nHeads / this.config.nKvHeads;
    const rope = this.#const(`rope:${t}`, () => {
      const pos = Int32Array.from({ length: t }, (_, i) => i);
      const { cos, sin } = ropeTables(pos, { headDim: hd, theta: this.config.ropeTheta });
      return tf.stack([tf.tensor(cos, [t, 1, hd]), tf.tensor(sin, [t, 1, hd])]);
    });
    const scale = 1 / Math.sqrt(hd);
    const [cosK, sinK] = tf.unstack(rope);
    const ctx: BlockCtx = {
      b,
      t,
      cosK: cosK!,
      sinK: sinK!,
      cosQ: tf.mul(cosK!, scale),
      sinQ: tf.mul(sinK!, scale),
      mask: this.#const(`mask:${t}:${g}`, () => tf.tensor(causalMask(t, g), [g * t, t])),
    };
    let x = this.embed(tf.reshape(tokens, [-1]) as tf.Tensor1D);
    for (let l = 0; l < this.config.nLayers; l++) x = this.block(x, l, ctx, undefined).x;
    return rmsNormFused(x, this.#finalNorm, this.config.normEps) as tf.Tensor2D;
  }

  /** @internal Embedding rows for flat ids. */
  embed(ids: tf.Tensor1D): tf.Tensor2D {
    return embeddingLookup(this.#embed as tf.Tensor2D, ids);
  }

  /** @internal Output projection of final-normed hidden states `[N, d] -> [N, V]`. */
  #head(h: tf.Tensor2D): tf.Tensor2D {
    // Tied head: transpose E explicitly. wasm's BatchMatMul with transposeB is ~14x slower
    // than a transpose followed by a plain matMul for [N, d] x [V, d]^T (measured: 2400x96 by
    // 700x96, 526 ms vs 38 ms), and the transpose's gradient is a transpose.
    return this.#lmHead === undefined
      ? tf.matMul(h, tf.transpose(this.#embed as tf.Tensor2D))
      : tf.matMul(h, this.#lmHead as tf.Tensor2D);
  }

  /**
   * @internal Final norm + head, for the decoder. `headW` = a snapshot of the `[d, V]` output
   * projection (see {@link Transformer.headWeight}), so a decode step does not re-transpose E.
   */
  headOf(h: tf.Tensor2D, headW: tf.Tensor2D): tf.Tensor2D {
    return tf.matMul(rmsNormFused(h, this.#finalNorm, this.config.normEps) as tf.Tensor2D, headW);
  }

  /** @internal A new tensor holding the current `[d, V]` output projection (E^T when tied). */
  headWeight(): tf.Tensor2D {
    return this.#lmHead === undefined
      ? tf.transpose(this.#embed as tf.Tensor2D)
      : tf.clone(this.#lmHead as tf.Tensor2D);
  }

  /** @internal The rotate-half matrix. */
  get rot(): tf.Tensor2D {
    return this.#rot;
  }

  /**
   * @internal One transformer block on `x [B*T, d]`. Keys/values of this call are appended to
   * `past` (`[B, nKv, S, hd]`) when given. Returns the new residual stream and the full
   * keys/values `[B, nKv, S+T, hd]`.
   */
  block(
    x: tf.Tensor2D,
    l: number,
    ctx: BlockCtx,
    past: { k: tf.Tensor; v: tf.Tensor } | undefined,
  ): { x: tf.Tensor2D; k: tf.Tensor; v: tf.Tensor } {
    const c = this.config, p = this.#layers[l]!;
    const { b, t } = ctx, hd = this.headDim, nH = c.nHeads, nKv = c.nKvHeads, g = nH / nKv;
    const h = rmsNormFused(x, p.attnNorm, c.normEps) as tf.Tensor2D;
    let q: tf.Tensor = tf.reshape(tf.matMul(h, p.wq as tf.Tensor2D), [b, t, nH, hd]);
    let k: tf.Tensor = tf.reshape(tf.matMul(h, p.wk as tf.Tensor2D), [b, t, nKv, hd]);
    const v = tf.reshape(tf.matMul(h, p.wv as tf.Tensor2D), [b, t, nKv, hd]);
    if (p.qNorm !== undefined && p.kNorm !== undefined) {
      q = rmsNormFused(q, p.qNorm, c.normEps);
      k = rmsNormFused(k, p.kNorm, c.normEps);
    }
    q = applyRope(q, ctx.cosQ, ctx.sinQ, this.#rot);
    k = applyRope(k, ctx.cosK, ctx.sinK, this.#rot);
    // Query head h = kv * g + j uses key/value head kv: stack the g query heads of a kv head
    // along the query axis, [B, nKv, g*T, hd], so one batched matMul serves the group.
    const qh = tf.reshape(tf.transpose(q, [0, 2, 1, 3]), [b, nKv, g * t, hd]);
    let kh = tf.transpose(k, [0, 2, 1, 3]);
    let vh = tf.transpose(v, [0, 2, 1, 3]);
    if (past !== undefined) {
      kh = tf.concat([past.k, kh], 2);
      vh = tf.concat([past.v, vh], 2);
    }
    const att = attention(qh, kh, vh, ctx.mask); // [B, nKv, g*T, hd], fused backward
    const o = tf.reshape(tf.transpose(tf.reshape(att, [b, nH, t, hd]), [0, 2, 1, 3]), [
      b * t,
      nH * hd,
    ]);
    const x1 = tf.add(x, tf.matMul(o as tf.Tensor2D, p.wo as tf.Tensor2D));
    const h2 = rmsNormFused(x1, p.mlpNorm, c.normEps) as tf.Tensor2D;
    const gate = tf.matMul(h2, p.wGate as tf.Tensor2D);
    const up = tf.matMul(h2, p.wUp as tf.Tensor2D);
    const act = tf.mul(tf.mul(gate, tf.sigmoid(gate)), up) as tf.Tensor2D;
    const x2 = tf.add(x1, tf.matMul(act, p.wDown as tf.Tensor2D)) as tf.Tensor2D;
    return { x: x2, k: kh, v: vh };
  }
}
