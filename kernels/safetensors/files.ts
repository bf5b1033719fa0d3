/**
 * safetensors files on disk: atomic writes with a checksum, verified reads, and the host-tensor
 * helpers around them (copying tf tensors out, refusing non-finite values).
 * @module
 */
import type { tf } from "../backend.ts";
import {
  type DecodedSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  type HostTensor,
} from "./codec.ts";
import { fail } from "./errors.ts";

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
