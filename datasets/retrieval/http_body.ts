/**
 * Reading a request body within the size and time limits of bounded HTTP serving (see
 * http_guard.ts): 413 over `maxBodyBytes`, 408 past `bodyTimeoutMs`.
 * @module
 */
import { type HttpLimits, resolveLimits } from "./http_limits.ts";

/** The outcome of {@link readBody}: the text, or the status and message of a refusal. */
export type BodyResult =
  | { ok: true; text: string }
  | { ok: false; status: 408 | 413; message: string };

/**
 * Read a request body as UTF-8 text within `maxBodyBytes` and `bodyTimeoutMs`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const req = new Request("http://x/", { method: "POST", body: "a".repeat(10) });
 * assert.deepEqual(await readBody(req, { maxBodyBytes: 4 }), {
 *   ok: false,
 *   status: 413,
 *   message: "the request body is over the server's limit of 4 bytes (--max-body-bytes)",
 * });
 * ```
 */
export async function readBody(req: Request, limits: HttpLimits = {}): Promise<BodyResult> {
  const { maxBodyBytes, bodyTimeoutMs } = resolveLimits(limits, "readBody");
  const tooLarge = (): BodyResult => ({
    ok: false,
    status: 413,
    message:
      `the request body is over the server's limit of ${maxBodyBytes} bytes (--max-body-bytes)`,
  });
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBodyBytes) {
    await req.body?.cancel().catch(() => {});
    return tooLarge();
  }
  if (req.body === null) return { ok: true, text: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), bodyTimeoutMs);
  });
  try {
    for (;;) {
      const r = await Promise.race([reader.read(), timeout]);
      if (r === "timeout") {
        await reader.cancel().catch(() => {});
        return {
          ok: false,
          status: 408,
          message: `the request body did not arrive within ${bodyTimeoutMs} ms`,
        };
      }
      if (r.done) break;
      size += r.value.byteLength;
      if (size > maxBodyBytes) {
        await reader.cancel().catch(() => {});
        return tooLarge();
      }
      chunks.push(r.value);
    }
  } finally {
    clearTimeout(timer);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return { ok: true, text: new TextDecoder().decode(all) };
}
