/**
 * safetensors files (the Hugging Face format): an 8-byte little-endian header length `N`, an
 * `N`-byte JSON header `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__:
 * { string: string } }` padded with spaces to a multiple of 8, then the raw little-endian
 * tensor bytes; offsets are relative to the start of the data section and must tile it
 * exactly. Only `F32` tensors are written and read here.
 *
 * Model checkpoints store the {@link ModelConfig} as JSON under `__metadata__.config` and
 * `format = "creditlab"`; the caller's `extra` strings are stored beside them.
 *
 * Every file {@link saveTensors} (and so {@link saveCheckpoint}) writes carries
 * `__metadata__.checksum`: JSON `{ "sha256": { "header": hex, "tensors": { name: hex } } }`,
 * SHA-256 over the header without the checksum (canonical JSON, keys sorted) and over each
 * tensor's bytes. Reading verifies it when present, so a flipped byte or an edited header field
 * is refused naming the file and the tensor (or the header); files without one (older
 * checkpoints, other tools) still load. {@link loadCheckpoint} also refuses non-finite weights and
 * header fields no tensor shape pins down outside {@link CHECKPOINT_BOUNDS}.
 *
 * Writes go to a temporary file in the same directory, then an atomic rename: a crash never
 * leaves a half-written checkpoint under the final name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveTensors(path, new Map([["w", { shape: [2], data: Float32Array.of(1, 2) }]]));
 * const { tensors } = await loadTensors(path);
 * assert.deepEqual(Array.from(tensors.get("w")!.data), [1, 2]);
 * await Deno.remove(path);
 * ```
 * @module
 */
import { createHash } from "node:crypto";
import type { tf } from "./backend.ts";
import { type ModelConfig, parameterShapes, Transformer, validateConfig } from "./model.ts";

/** A named float32 tensor held in host memory. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;
/** The metadata key of the checksum {@link saveTensors} writes. */
export const CHECKSUM_KEY = "checksum";
const RESERVED = new Set(["config", "format", CHECKSUM_KEY]);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function fail(path: string, what: string): never {
  throw new Error(`safetensors ${path}: ${what}`);
}

/** Options of {@link encodeSafetensors}. */
export interface EncodeOptions {
  /**
   * Add `__metadata__.checksum` (SHA-256 of the header and of every tensor; see the module
   * doc). Default false: the bytes are plain safetensors. {@link saveTensors} sets it.
   */
  checksum?: boolean;
}

/** Encode tensors + metadata into safetensors bytes. */
export function encodeSafetensors(
  tensors: ReadonlyMap<string, HostTensor>,
  metadata: Record<string, string> = {},
  opts: EncodeOptions = {},
): Uint8Array {
  if (!LITTLE_ENDIAN) throw new Error("safetensors: big-endian hosts are not supported");
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") {
        throw new TypeError(`safetensors: metadata "${k}" must be a string`);
      }
    }
    header.__metadata__ = { ...metadata };
  }
  let off = 0;
  for (const [name, t] of tensors) {
    if (name === "__metadata__" || name.length === 0) {
      throw new RangeError(`safetensors: bad tensor name "${name}"`);
    }
    if (!(t.data instanceof Float32Array)) {
      throw new TypeError(`safetensors: tensor "${name}" data must be a Float32Array`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (!t.shape.every((d) => Number.isInteger(d) && d >= 0) || size !== t.data.length) {
      throw new RangeError(
        `safetensors: tensor "${name}" has ${t.data.length} values but shape [${t.shape}]`,
      );
    }
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [off, off + 4 * size] };
    off += 4 * size;
  }
  if (opts.checksum) {
    if (CHECKSUM_KEY in metadata) {
      throw new RangeError(`safetensors: metadata key "${CHECKSUM_KEY}" is reserved`);
    }
    const sums: Record<string, string> = {};
    for (const [name, t] of tensors) sums[name] = sha256(bytesOf(t.data));
    const checksum = JSON.stringify({ sha256: { header: headerDigest(header), tensors: sums } });
    header.__metadata__ = { ...metadata, [CHECKSUM_KEY]: checksum };
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.length % 8)) % 8;
  if (pad > 0) {
    json += " ".repeat(pad);
    hb = enc.encode(json);
  }
  const out = new Uint8Array(8 + hb.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const t of tensors.values()) {
    out.set(bytesOf(t.data), p);
    p += t.data.byteLength;
  }
  return out;
}

function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** JSON with object keys sorted at every level: the same text for the same value. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/**
 * SHA-256 of a header without its checksum (and without `__metadata__` when nothing else is
 * in it), as canonical JSON.
 */
function headerDigest(header: Record<string, unknown>): string {
  const copy: Record<string, unknown> = { ...header };
  const meta = copy.__metadata__ as Record<string, unknown> | undefined;
  if (meta !== undefined) {
    const rest = { ...meta };
    delete rest[CHECKSUM_KEY];
    if (Object.keys(rest).length === 0) delete copy.__metadata__;
    else copy.__metadata__ = rest;
  }
  return sha256(canonicalJson(copy));
}

/**
 * Verify the checksum `text` of a decoded file: the header digest, then each tensor's bytes.
 * Throws naming the file and the header or the tensor that changed.
 */
function verifyChecksum(
  path: string,
  text: string,
  file: {
    header: Record<string, unknown>;
    entries: readonly { name: string; begin: number; end: number }[];
    data: Uint8Array;
  },
): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(path, `__metadata__.${CHECKSUM_KEY} is not JSON (expected {"sha256": {...}})`);
  }
  const sums = (parsed as { sha256?: unknown } | null)?.sha256 as
    | { header?: unknown; tensors?: unknown }
    | undefined;
  const hex = (v: unknown) => typeof v === "string" && /^[0-9a-f]{64}$/.test(v);
  if (
    sums === null || typeof sums !== "object" || !hex(sums.header) ||
    sums.tensors === null || typeof sums.tensors !== "object" || Array.isArray(sums.tensors)
  ) {
    fail(
      path,
      `__metadata__.${CHECKSUM_KEY} is not {"sha256": {"header": hex, "tensors": {name: hex}}}`,
    );
  }
  const tensors = sums.tensors as Record<string, unknown>;
  if (headerDigest(file.header) !== sums.header) {
    fail(
      path,
      "the header does not match its checksum: a field (config, shapes, offsets or metadata) was changed after the file was saved",
    );
  }
  for (const e of file.entries) {
    const want = Object.hasOwn(tensors, e.name) ? tensors[e.name] : undefined;
    if (!hex(want)) fail(path, `tensor "${e.name}": no SHA-256 in __metadata__.${CHECKSUM_KEY}`);
    if (sha256(file.data.subarray(e.begin, e.end)) !== want) {
      fail(
        path,
        `tensor "${e.name}": its bytes do not match their checksum (the file was corrupted after it was saved)`,
      );
    }
  }
  for (const name of Object.keys(tensors)) {
    if (!file.entries.some((e) => e.name === name)) {
      fail(path, `__metadata__.${CHECKSUM_KEY} lists tensor "${name}", which the file lacks`);
    }
  }
}

/** A decoded safetensors file. */
export interface DecodedSafetensors {
  tensors: Map<string, HostTensor>;
  /** `__metadata__` without the checksum. */
  metadata: Record<string, string>;
  /** Whether the file carried a checksum (and so was verified); false for older files. */
  verified: boolean;
}

/**
 * Decode safetensors bytes. `path` only labels errors. Throws on a truncated file, a bad
 * header, overlapping/holed offsets, trailing bytes, a dtype other than F32, or a checksum
 * (`__metadata__.checksum`, when present) that does not match the header or a tensor.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  path = "<bytes>",
): DecodedSafetensors {
  if (bytes.length < 8) {
    fail(path, `file is ${bytes.length} bytes, too short for the 8-byte header length`);
  }
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) {
    fail(
      path,
      `header length ${n64} exceeds the file (${bytes.length} bytes) — truncated or not safetensors`,
    );
  }
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(path, `header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) {
    fail(path, "header is not a JSON object");
  }
  const dataStart = 8 + n, dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (v === null || typeof v !== "object" || Array.isArray(v)) {
        fail(path, "__metadata__ is not an object");
      }
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== "string") fail(path, `__metadata__.${k} is not a string`);
        metadata[k] = s;
      }
      continue;
    }
    const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e === null || typeof e !== "object") fail(path, `tensor "${name}": entry is not an object`);
    if (e.dtype !== "F32") {
      fail(
        path,
        `tensor "${name}": dtype ${JSON.stringify(e.dtype)} is not supported (expected "F32")`,
      );
    }
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      fail(
        path,
        `tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`,
      );
    }
    const offs = e.data_offsets;
    if (
      !Array.isArray(offs) || offs.length !== 2 || !offs.every((o) =>
        Number.isInteger(o) && o >= 0
      ) ||
      offs[1] < offs[0]
    ) {
      fail(
        path,
        `tensor "${name}": data_offsets ${
          JSON.stringify(offs)
        } is not [begin, end] with begin <= end`,
      );
    }
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (offs[1] - offs[0] !== 4 * size) {
      fail(
        path,
        `tensor "${name}": data_offsets span ${
          offs[1] - offs[0]
        } bytes but shape [${shape}] F32 needs ${4 * size}`,
      );
    }
    entries.push({ name, shape: shape as number[], begin: offs[0], end: offs[1] });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin !== expect) {
      fail(
        path,
        `tensor "${e.name}": data_offsets begin at ${e.begin}, expected ${expect} (overlap or hole)`,
      );
    }
    expect = e.end;
  }
  if (expect > dataLen) {
    fail(
      path,
      `data section is ${dataLen} bytes but the header needs ${expect} — file is truncated`,
    );
  }
  if (expect < dataLen) {
    fail(path, `${dataLen - expect} unexpected trailing bytes after the last tensor`);
  }
  const checksum = metadata[CHECKSUM_KEY];
  if (checksum !== undefined) {
    verifyChecksum(path, checksum, {
      header: header as Record<string, unknown>,
      entries,
      data: bytes.subarray(dataStart),
    });
    delete metadata[CHECKSUM_KEY];
  }
  const tensors = new Map<string, HostTensor>();
  for (const e of entries) {
    const copy = bytes.slice(dataStart + e.begin, dataStart + e.end); // aligned, owned copy
    tensors.set(e.name, {
      shape: e.shape,
      data: new Float32Array(copy.buffer, 0, (e.end - e.begin) / 4),
    });
  }
  return { tensors, metadata, verified: checksum !== undefined };
}

/** Atomically write bytes: temp file beside `path`, then rename. */
async function writeAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${Date.now()}`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`safetensors ${path}: write failed (${(e as Error).message})`);
  }
}

/**
 * Write named float32 tensors (e.g. optimizer state) to a safetensors file, with a checksum
 * of the header and of every tensor (`__metadata__.checksum`; the key is reserved).
 *
 * @example
 * ```ts
 * const path = await Deno.makeTempFile({ suffix: ".safetensors" });
 * await saveTensors(path, new Map([["m.embed", { shape: [4, 2], data: new Float32Array(8) }]]), {
 *   metadata: { step: "10" },
 * });
 * (await loadTensors(path)).metadata.step; // "10"
 * await Deno.remove(path);
 * ```
 */
export async function saveTensors(
  path: string,
  tensors: ReadonlyMap<string, HostTensor>,
  opts: { metadata?: Record<string, string> } = {},
): Promise<void> {
  await writeAtomic(path, encodeSafetensors(tensors, opts.metadata ?? {}, { checksum: true }));
}

/**
 * Read a safetensors file of F32 tensors, verifying its checksum when it has one. Errors name
 * the file and the problem.
 */
export async function loadTensors(path: string): Promise<DecodedSafetensors> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`safetensors ${path}: cannot read (${(e as Error).message})`);
  }
  return decodeSafetensors(bytes, path);
}

/** Copy `tf.Variable`s / tensors to host tensors by name. */
export function toHostTensors(named: Iterable<[string, tf.Tensor]>): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  for (const [name, t] of named) {
    if (t.dtype !== "float32") {
      throw new TypeError(`toHostTensors: "${name}" is ${t.dtype}, expected float32`);
    }
    out.set(name, { shape: [...t.shape], data: (t.dataSync() as Float32Array).slice() });
  }
  return out;
}

/**
 * Throw unless every value of every tensor is finite, naming the file (`path`), the tensor, how
 * many values are not finite and the first of them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const tensors = new Map([["w", { shape: [3], data: Float32Array.of(1, NaN, Infinity) }]]);
 * assert.throws(
 *   () => assertFiniteTensors(tensors, "opt.safetensors"),
 *   /opt.safetensors: tensor "w" holds 2 non-finite values of 3 \(first: NaN at index 1\)/,
 * );
 * ```
 */
export function assertFiniteTensors(
  tensors: ReadonlyMap<string, HostTensor>,
  path: string,
): void {
  for (const [name, t] of tensors) {
    const d = t.data;
    let first = -1, bad = 0;
    for (let i = 0; i < d.length; i++) {
      // x - x is 0 for finite x, NaN for NaN and ±Infinity.
      if (d[i]! - d[i]! !== 0) {
        if (first < 0) first = i;
        bad++;
      }
    }
    if (bad > 0) {
      fail(
        path,
        `tensor "${name}" holds ${bad} non-finite value${
          bad === 1 ? "" : "s"
        } of ${d.length} (first: ${d[first]} at index ${first}); expected finite weights`,
      );
    }
  }
}

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
