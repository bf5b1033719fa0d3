/**
 * What a served policy says about how it expects to be prompted: our `serve` advertises its
 * checkpoint's prompt format and entity coding in `/v1/models` (`data[0].creditlab`), and
 * `deno task eval --policy URL` adopts them ({@link resolveEndpointProtocol}) instead of
 * silently scoring 0 with the wrong ones.
 *
 * @module
 */
import type { ServedProtocol } from "./server.ts";

/**
 * What `read` makes of the JSON answer of `${baseUrl}/v1/models` (`baseUrl` with or without
 * `/v1`), or null when the answer is not 200, not JSON, or `read` throws.
 */
async function readModels<T>(
  baseUrl: string,
  opts: { timeoutMs?: number },
  read: (json: unknown) => T | null,
): Promise<T | null> {
  const url = `${baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "")}/v1/models`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return read(await res.json());
  } catch {
    return null;
  }
}

/**
 * The protocol advertised at `${baseUrl}/v1/models`, or null when the server does not
 * advertise one (vLLM, llama.cpp, ...) or cannot be asked.
 */
export function fetchServedProtocol(
  baseUrl: string,
  opts: { timeoutMs?: number } = {},
): Promise<ServedProtocol | null> {
  return readModels(baseUrl, opts, (json): ServedProtocol | null => {
    const c = (json as { data?: { creditlab?: Record<string, unknown> }[] }).data?.[0]?.creditlab;
    if (c === undefined || c === null) return null;
    const promptFormat = c.prompt_format, entityCoding = c.entity_coding;
    if (promptFormat !== "short" && promptFormat !== "search-r1") return null;
    if (entityCoding !== "slots" && entityCoding !== "words") return null;
    return { promptFormat, entityCoding };
  });
}

/**
 * The prompt format and entity coding to evaluate an endpoint with: the flags when given,
 * else what the server advertises, else Search-R1's prompt and words. A flag that contradicts
 * the server's advertisement is refused, naming the flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const served = { promptFormat: "short", entityCoding: "slots" } as const;
 * assert.deepEqual(resolveEndpointProtocol({}, served), served);
 * assert.throws(() => resolveEndpointProtocol({ prompt: "search-r1" }, served), /--prompt/);
 * ```
 */
export function resolveEndpointProtocol(
  flags: { prompt?: string | undefined; entityCoding?: string | undefined },
  served: ServedProtocol | null,
): ServedProtocol {
  const prompt = flags.prompt ?? served?.promptFormat ?? "search-r1";
  const coding = flags.entityCoding ?? served?.entityCoding ?? "words";
  if (prompt !== "short" && prompt !== "search-r1") {
    throw new Error(`eval: --prompt must be short or search-r1, got "${prompt}"`);
  }
  if (coding !== "slots" && coding !== "words") {
    throw new Error(`eval: --entity-coding must be slots or words, got "${coding}"`);
  }
  if (served !== null) {
    const clash = [
      prompt !== served.promptFormat ? `--prompt ${prompt} (it serves ${served.promptFormat})` : "",
      coding !== served.entityCoding
        ? `--entity-coding ${coding} (it serves ${served.entityCoding})`
        : "",
    ].filter((x) => x !== "");
    if (clash.length > 0) {
      throw new Error(
        `eval: the server's /v1/models advertises prompt format ${served.promptFormat} and ` +
          `entity coding ${served.entityCoding}, but ${clash.join(" and ")} was given: ` +
          `drop the flag(s) to adopt the server's, or pass --prompt ${served.promptFormat} ` +
          `--entity-coding ${served.entityCoding}`,
      );
    }
  }
  return { promptFormat: prompt, entityCoding: coding };
}

/**
 * The model ids listed at `${baseUrl}/v1/models` (vLLM: the served model's name; our `serve`:
 * the checkpoint's file name), or null when they cannot be read. `deno task eval` records them
 * in the run's config, so an evaluation is not resumed against another model behind the URL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
 *   Response.json({ object: "list", data: [{ id: "qwen", object: "model" }] }));
 * assert.deepEqual(await fetchServedModelIds(`http://127.0.0.1:${server.addr.port}/v1`), ["qwen"]);
 * await server.shutdown();
 * ```
 */
export function fetchServedModelIds(
  baseUrl: string,
  opts: { timeoutMs?: number } = {},
): Promise<string[] | null> {
  return readModels(baseUrl, opts, (json) => {
    const data = (json as { data?: { id?: unknown }[] }).data;
    if (!Array.isArray(data)) return null;
    const ids = data.map((m) => m?.id);
    return ids.every((id): id is string => typeof id === "string") ? ids : null;
  });
}
