/**
 * The `serve` verb: serve a local checkpoint over the OpenAI-compatible HTTP API until
 * SIGINT/SIGTERM (server.ts).
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type RunningServer, startServer } from "./server.ts";

/**
 * The `serve` verb: `serve --checkpoint PATH [--port 8000] [--host 127.0.0.1] [--seed 0]
 * [--model-name NAME] [--no-bos]`. Runs until SIGINT/SIGTERM; returns the exit code.
 */
export async function serveMain(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        checkpoint: { type: "string" },
        port: { type: "string", default: "8000" },
        host: { type: "string", default: "127.0.0.1" },
        seed: { type: "string", default: "0" },
        "model-name": { type: "string" },
        "no-bos": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`serve: ${(e as Error).message}\n${SERVE_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(SERVE_USAGE);
    return 0;
  }
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
  let server: RunningServer;
  try {
    server = await startServer({
      checkpoint: values.checkpoint,
      port,
      host: values.host,
      seed,
      addBos: !values["no-bos"],
      ...(values["model-name"] === undefined ? {} : { modelName: values["model-name"] }),
    });
  } catch (e) {
    console.error(`serve: ${(e as Error).message}`);
    return 1;
  }
  console.log(
    `serve: ${values.checkpoint} as "${server.modelName}" at ${server.url}/v1 (Ctrl-C to stop)`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    Deno.addSignalListener("SIGINT", stop);
    if (Deno.build.os !== "windows") Deno.addSignalListener("SIGTERM", stop);
  });
  await server.close();
  const s = server.stats();
  console.log(
    `serve: stopped after ${s.requests} requests (${s.errors} errors, ${s.completionTokens} tokens generated)`,
  );
  return 0;
}

const SERVE_USAGE =
  "usage: deno task serve --checkpoint PATH [--port 8000] [--host 127.0.0.1] [--seed 0] [--model-name NAME] [--no-bos]";
