/**
 * The policy model's configuration: a Qwen3-shaped decoder-only transformer.
 *
 * Field names follow the usual transformer hyper-parameters; `headDim = dModel / nHeads`.
 * Grouped-query attention (Ainslie et al. 2023, arXiv:2305.13245) uses `nKvHeads` key/value
 * heads shared by `nHeads / nKvHeads` query heads each; `nKvHeads === nHeads` is plain
 * multi-head attention.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { referenceConfig, validateConfig } from "./config.ts";
 * const cfg = validateConfig({ ...referenceConfig(), vocabSize: 1000 });
 * assert.equal(cfg.dModel / cfg.nHeads, 32); // head dimension
 * ```
 * @module
 */

/** Hyper-parameters of a {@link Transformer}. Stored verbatim in checkpoints. */
export interface ModelConfig {
  /** Number of token ids (embedding rows and logits per position). */
  vocabSize: number;
  /** Residual stream width `d`. */
  dModel: number;
  /** Number of transformer blocks. */
  nLayers: number;
  /** Number of query heads; must divide `dModel`; `dModel / nHeads` must be even (RoPE). */
  nHeads: number;
  /** Number of key/value heads; must divide `nHeads` (grouped-query attention). */
  nKvHeads: number;
  /** Hidden width of the SwiGLU MLP. */
  ffnHidden: number;
  /** Longest sequence the model is meant for (positions `0..maxSeqLen-1`). */
  maxSeqLen: number;
  /** RoPE base `theta` (Su et al. 2021, arXiv:2104.09864); Qwen3 uses 1e6, small models 1e4. */
  ropeTheta: number;
  /** Epsilon inside every RMSNorm. */
  normEps: number;
  /** Share the input embedding with the output projection (`logits = h E^T`). */
  tiedEmbeddings: boolean;
  /** RMSNorm on each query and key head before RoPE, as in Qwen3. Default true. */
  qkNorm?: boolean;
}

/** The reference model of the kernels benchmark (issue 2): d=256, 4 layers, 8 heads, vocab 4096. */
export function referenceConfig(): ModelConfig {
  return {
    vocabSize: 4096,
    dModel: 256,
    nLayers: 4,
    nHeads: 8,
    nKvHeads: 8,
    ffnHidden: 704,
    maxSeqLen: 256,
    ropeTheta: 10000,
    normEps: 1e-6,
    tiedEmbeddings: true,
    qkNorm: true,
  };
}

const INT_FIELDS = [
  "vocabSize",
  "dModel",
  "nLayers",
  "nHeads",
  "nKvHeads",
  "ffnHidden",
  "maxSeqLen",
] as const;

/**
 * Check a configuration and return a normalised copy (`qkNorm` filled in).
 * Throws a `RangeError`/`TypeError` naming the field and what was expected.
 */
export function validateConfig(config: unknown): Required<ModelConfig> {
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw new TypeError(`ModelConfig: expected an object, got ${JSON.stringify(config)}`);
  }
  const c = config as Record<string, unknown>;
  const known = new Set<string>([
    ...INT_FIELDS,
    "ropeTheta",
    "normEps",
    "tiedEmbeddings",
    "qkNorm",
  ]);
  for (const k of Object.keys(c)) {
    if (!known.has(k)) throw new TypeError(`ModelConfig: unknown field "${k}"`);
  }
  for (const f of INT_FIELDS) {
    const v = c[f];
    if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) {
      throw new RangeError(
        `ModelConfig.${f}: expected a positive integer, got ${JSON.stringify(v)}`,
      );
    }
  }
  for (const f of ["ropeTheta", "normEps"] as const) {
    const v = c[f];
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      throw new RangeError(
        `ModelConfig.${f}: expected a positive finite number, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (typeof c.tiedEmbeddings !== "boolean") {
    throw new TypeError(
      `ModelConfig.tiedEmbeddings: expected a boolean, got ${JSON.stringify(c.tiedEmbeddings)}`,
    );
  }
  if (c.qkNorm !== undefined && typeof c.qkNorm !== "boolean") {
    throw new TypeError(`ModelConfig.qkNorm: expected a boolean, got ${JSON.stringify(c.qkNorm)}`);
  }
  const cfg = c as unknown as ModelConfig;
  if (cfg.dModel % cfg.nHeads !== 0) {
    throw new RangeError(
      `ModelConfig.nHeads: must divide dModel (${cfg.dModel}), got ${cfg.nHeads}`,
    );
  }
  if ((cfg.dModel / cfg.nHeads) % 2 !== 0) {
    throw new RangeError(
      `ModelConfig: head dimension dModel/nHeads = ${
        cfg.dModel / cfg.nHeads
      } must be even (RoPE rotates pairs)`,
    );
  }
  if (cfg.nHeads % cfg.nKvHeads !== 0) {
    throw new RangeError(
      `ModelConfig.nKvHeads: must divide nHeads (${cfg.nHeads}), got ${cfg.nKvHeads}`,
    );
  }
  return {
    vocabSize: cfg.vocabSize,
    dModel: cfg.dModel,
    nLayers: cfg.nLayers,
    nHeads: cfg.nHeads,
    nKvHeads: cfg.nKvHeads,
    ffnHidden: cfg.ffnHidden,
    maxSeqLen: cfg.maxSeqLen,
    ropeTheta: cfg.ropeTheta,
    normEps: cfg.normEps,
    tiedEmbeddings: cfg.tiedEmbeddings,
    qkNorm: cfg.qkNorm ?? true,
  };
}

/** Parameter shapes by name, in the fixed order used for initialisation and checkpoints. */
export function parameterShapes(config: ModelConfig): [string, number[]][] {
  const c = validateConfig(config);
  const hd = c.dModel / c.nHeads;
  const out: [string, number[]][] = [["embed", [c.vocabSize, c.dModel]]];
  for (let i = 0; i < c.nLayers; i++) {
    const p = `layers.${i}.`;
    out.push([p + "attn_norm", [c.dModel]]);
    out.push([p + "wq", [c.dModel, c.nHeads * hd]]);
    out.push([p + "wk", [c.dModel, c.nKvHeads * hd]]);
    out.push([p + "wv", [c.dModel, c.nKvHeads * hd]]);
    if (c.qkNorm) {
      out.push([p + "q_norm", [hd]]);
      out.push([p + "k_norm", [hd]]);
    }
    out.push([p + "wo", [c.nHeads * hd, c.dModel]]);
    out.push([p + "mlp_norm", [c.dModel]]);
    out.push([p + "w_gate", [c.dModel, c.ffnHidden]]);
    out.push([p + "w_up", [c.dModel, c.ffnHidden]]);
    out.push([p + "w_down", [c.ffnHidden, c.dModel]]);
  }
  out.push(["final_norm", [c.dModel]]);
  if (!c.tiedEmbeddings) out.push(["lm_head", [c.dModel, c.vocabSize]]);
  return out;
}

/** Number of scalar parameters of a configuration. */
export function parameterCount(config: ModelConfig): number {
  return parameterShapes(config).reduce((s, [, sh]) => s + sh.reduce((a, b) => a * b, 1), 0);
}
