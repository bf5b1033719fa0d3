/**
 * Model checkpoints in safetensors: every parameter by name plus `__metadata__ = { format:
 * "creditlab", config, ...extra }`, header fields checked against {@link CHECKPOINT_BOUNDS}.
 * @module
 */
import { type ModelConfig, parameterShapes, Transformer, validateConfig } from "../model.ts";
import { CHECKSUM_KEY } from "./checksum.ts";
import { fail } from "./errors.ts";
import { assertFiniteTensors, loadTensors, saveTensors, toHostTensors } from "./files.ts";

const RESERVED = new Set(["config", "format", CHECKSUM_KEY]);

/**
 * Bounds of the checkpoint header fields that no tensor shape pins down (the others must match
 * the tensors exactly): `maxSeqLen` caps the tokens a model is given, so a header claiming more
 * than the longest context of the model family ours is shaped after (Qwen3, 32,768 tokens) is
 * refused, as are RoPE bases and RMSNorm epsilons outside any published model's range.
 */
export const CHECKPOINT_BOUNDS = {
  /** Most positions a checkpoint may claim. */
  maxSeqLen: 32_768,
  /** Range of the RoPE base. */
  ropeTheta: { min: 1, max: 1e9 },
  /** Largest RMSNorm epsilon. */
  normEps: { max: 0.1 },
} as const;

/** The fields of `config` outside {@link CHECKPOINT_BOUNDS}, as messages (empty: none). */
function boundsProblems(config: ModelConfig): string[] {
  const b = CHECKPOINT_BOUNDS;
  const out: string[] = [];
  if (config.maxSeqLen > b.maxSeqLen) {
    out.push(`maxSeqLen is ${config.maxSeqLen}, expected at most ${b.maxSeqLen}`);
  }
  if (config.ropeTheta < b.ropeTheta.min || config.ropeTheta > b.ropeTheta.max) {
    out.push(
      `ropeTheta is ${config.ropeTheta}, expected ${b.ropeTheta.min} to ${b.ropeTheta.max}`,
    );
  }
  if (config.normEps > b.normEps.max) {
    out.push(`normEps is ${config.normEps}, expected at most ${b.normEps.max}`);
  }
  return out;
}

/**
 * Save a model: every parameter by name plus `__metadata__ = { format: "creditlab", config:
 * JSON(config), ...extra }` and the checksum. `extra` keys must not be `format`, `config` or
 * `checksum`. A config outside {@link CHECKPOINT_BOUNDS} is refused (it could not be loaded).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, referenceConfig, Rng, Transformer } from "@creditlab/kernels";
 * await initBackend({ backend: "cpu" });
 * const model = new Transformer({ ...referenceConfig(), vocabSize: 16, dModel: 8, nLayers: 1,
 *   nHeads: 2, nKvHeads: 1, ffnHidden: 16, maxSeqLen: 8 }, { rng: new Rng(0) });
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveCheckpoint(path, model, { extra: { step: "100" } });
 * const { model: m2, extra } = await loadCheckpoint(path);
 * assert.deepEqual([m2.config, extra.step], [model.config, "100"]);
 * await Deno.remove(path);
 * ```
 */
export async function saveCheckpoint(
  path: string,
  model: Transformer,
  opts: { extra?: Record<string, string> } = {},
): Promise<void> {
  const extra = opts.extra ?? {};
  for (const [k, v] of Object.entries(extra)) {
    if (RESERVED.has(k)) throw new RangeError(`saveCheckpoint: extra key "${k}" is reserved`);
    if (typeof v !== "string") throw new TypeError(`saveCheckpoint: extra "${k}" must be a string`);
  }
  const bad = boundsProblems(model.config);
  if (bad.length > 0) {
    throw new RangeError(`saveCheckpoint ${path}: config out of bounds: ${bad.join("; ")}`);
  }
  const metadata = { format: "creditlab", config: JSON.stringify(model.config), ...extra };
  await saveTensors(path, toHostTensors(model.namedVariables()), { metadata });
}

/**
 * Load a model saved by {@link saveCheckpoint}. The parameters are bit-identical to the saved
 * ones. Throws (naming the file, and the tensor or field) on a missing/invalid config, a config
 * outside {@link CHECKPOINT_BOUNDS}, a missing, unexpected or mis-shaped tensor, a non-finite
 * weight, a checksum that does not match (files saved with one), or any file-level corruption.
 */
export async function loadCheckpoint(
  path: string,
): Promise<{ model: Transformer; extra: Record<string, string>; config: ModelConfig }> {
  const { tensors, metadata } = await loadTensors(path);
  const cfgText = metadata.config;
  if (cfgText === undefined) {
    fail(path, "__metadata__.config is missing (not a creditlab checkpoint)");
  }
  let config: Required<ModelConfig>;
  try {
    config = validateConfig(JSON.parse(cfgText));
  } catch (e) {
    fail(path, `__metadata__.config is invalid: ${(e as Error).message}`);
  }
  const bad = boundsProblems(config);
  if (bad.length > 0) fail(path, `__metadata__.config is out of bounds: ${bad.join("; ")}`);
  const weights = new Map<string, Float32Array>();
  const expected = new Map(parameterShapes(config));
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (t === undefined) fail(path, `tensor "${name}" is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      fail(path, `tensor "${name}" has shape [${t.shape}], config needs [${shape}]`);
    }
    weights.set(name, t.data);
  }
  for (const name of tensors.keys()) {
    if (!expected.has(name)) fail(path, `unexpected tensor "${name}" for this config`);
  }
  assertFiniteTensors(tensors, path);
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (!RESERVED.has(k)) extra[k] = v;
  return { model: new Transformer(config, { weights }), extra, config };
}
