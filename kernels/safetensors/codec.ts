/**
 * Encoding and decoding safetensors bytes (F32 tensors only), with the optional checksum. See
 * ../safetensors.ts for the format.
 * @module
 */
import { bytesOf, CHECKSUM_KEY, headerDigest, sha256, verifyChecksum } from "./checksum.ts";
import { fail } from "./errors.ts";

/** A named float32 tensor held in host memory. */
export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

const MAX_HEADER = 100 * 1024 * 1024;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

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
