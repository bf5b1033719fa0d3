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
export { CHECKSUM_KEY } from "./safetensors/checksum.ts";
export {
  type DecodedSafetensors,
  decodeSafetensors,
  type EncodeOptions,
  encodeSafetensors,
  type HostTensor,
} from "./safetensors/codec.ts";
export {
  assertFiniteTensors,
  loadTensors,
  saveTensors,
  toHostTensors,
} from "./safetensors/files.ts";
export { CHECKPOINT_BOUNDS, loadCheckpoint, saveCheckpoint } from "./safetensors/checkpoint.ts";
