/**
 * The checksum of a safetensors file (`__metadata__.checksum`): SHA-256 over the header without
 * the checksum (canonical JSON, keys sorted) and over each tensor's bytes, and its verification.
 * See ../safetensors.ts for the format.
 * @module
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "@creditlab/core";
import { fail } from "./errors.ts";

/** The metadata key of the checksum `saveTensors()` writes. */
export const CHECKSUM_KEY = "checksum";

/** The bytes of a float32 array (a view, no copy). */
export function bytesOf(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Hex SHA-256 of bytes or text. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * SHA-256 of a header without its checksum (and without `__metadata__` when nothing else is
 * in it), as canonical JSON.
 */
export function headerDigest(header: Record<string, unknown>): string {
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
export function verifyChecksum(
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
