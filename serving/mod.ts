/**
 * @creditlab/serving: the search agent over HTTP — a client for any OpenAI-compatible
 * text-generation server (bounded concurrency, retries, stop tags put back), the evaluation of a
 * policy behind such an endpoint, and an OpenAI-compatible server of a local checkpoint
 * (`deno task serve`).
 * @module
 */
export * from "./completion.ts";
export * from "./endpoint.ts";
export * from "./evaluate_endpoint.ts";
export * from "./eval_progress.ts";
export * from "./generate.ts";
export * from "./server.ts";
export { serveMain } from "./serve_cli.ts";
export * from "./served_protocol.ts";
