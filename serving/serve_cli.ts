/**
 * The `serve` verb: serve a local checkpoint over the OpenAI-compatible HTTP API until
 * SIGINT/SIGTERM (server.ts).
 *
 * @module
 */
import { parseVerbArgs } from "@creditlab/core/cli";
import { type RunningServer, startServer } from "./server.ts";

/**
 * The `serve` verb (see {@link SERVE_USAGE}). Runs until SIGINT/SIGTERM, then aborts the
 * generations in flight and stops within `--stop-timeout` seconds (default 5); returns the
 * exit code.
 */
export async function serveMain(args: string[]): Promise<number> {
  const parsed = parseVerbArgs("serve", SERVE_USAGE, {
    args,
    options: {
      checkpoint: { type: "string" },
      port: { type: "string", default: "8000" },
      host: { type: "string", default: "127.0.0.1" },
      seed: { type: "string", default: "0" },
      "model-name": { type: "string" },
      "no-bos": { type: "boolean", default: false },
      "max-body-bytes": { type: "string" },
      "max-prompts": { type: "string" },
      "max-request-tokens": { type: "string" },
      "stop-timeout": { type: "string", default: "5" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  if (values.checkpoint === undefined) {
    console.error(`serve: --checkpoint PATH is required\n${SERVE_USAGE}`);
    return 2;
  }
  const port = Number(values.port), seed = Number(values.seed);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve: --port must be an integer in [0, 65535], got ${values.port}`);
    return 2;
  }
  if (!Number.isInteger(seed)) {
    console.error(`serve: --seed must be an integer, got ${values.seed}`);
    return 2;
  }
  const limits: Record<string, number> = {};
  for (
    const [flag, key] of [
      ["max-body-bytes", "maxBodyBytes"],
      ["max-prompts", "maxPrompts"],
      ["max-request-tokens", "maxRequestTokens"],
      ["stop-timeout", "stopTimeout"],
    ] as const
  ) {
    const v = values[flag];
    if (v === undefined) continue;
    const x = Number(v);
    if (v.trim() === "" || !Number.isInteger(x) || x < 1) {
      console.error(`serve: --${flag} must be a positive integer, got ${v}`);
      return 2;
    }
    limits[key] = x;
  }
  const { stopTimeout = 5, ...serverLimits } = limits;
  let server: RunningServer;
  try {
    server = await startServer({
      checkpoint: values.checkpoint,
      port,
      host: values.host,
      seed,
      addBos: !values["no-bos"],
      ...serverLimits,
      ...(values["model-name"] === undefined ? {} : { modelName: values["model-name"] }),
    });
  } catch (e) {
    console.error(`serve: ${(e as Error).message}`);
    return 1;
  }
  console.log(
    `serve: ${values.checkpoint} as "${server.modelName}" at ${server.url}/v1 (Ctrl-C to stop)`,
  );
  const signal = await new Promise<string>((resolve) => {
    const stop = (name: string) => () => resolve(name);
    Deno.addSignalListener("SIGINT", stop("SIGINT"));
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop("SIGTERM"));
  });
  // Generations in flight are aborted at their next token; a stuck close is cut short.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const closed = await Promise.race([
    server.close().then(() => true),
    new Promise<false>((r) => timer = setTimeout(() => r(false), stopTimeout * 1000)),
  ]);
  clearTimeout(timer);
  if (!closed) {
    console.error(`serve: ${signal}: not stopped within ${stopTimeout} s; exiting anyway`);
    return 1;
  }
  const s = server.stats();
  console.log(
    `serve: stopped after ${s.requests} requests (${s.errors} errors, ${s.completionTokens} tokens generated)`,
  );
  return 0;
}

/** The usage text of `deno task serve`. */
export const SERVE_USAGE =
  `usage: deno task serve --checkpoint PATH [--port 8000] [--host 127.0.0.1] [--seed 0]
       [--model-name NAME] [--no-bos] [--max-body-bytes 4194304] [--max-prompts 256]
       [--max-request-tokens 65536] [--stop-timeout 5]
limits: bodies over --max-body-bytes get 413; more than --max-prompts prompts, n over 16 or
prompts x n x min(max_tokens, maxSeqLen) over --max-request-tokens get 400; a request head
must arrive within 10 s and its body within 30 s (408). SIGINT/SIGTERM abort generations in
flight and stop the server within --stop-timeout seconds.`;
