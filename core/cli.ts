/**
 * What the command-line verbs share: `@creditlab/core/cli` (not part of mod.ts).
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** What `parseArgs(config)` returns. */
export type ParsedArgs<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * `parseArgs(config)` for the verb `verb`, or the exit code that ends the verb: 2 after a bad
 * option (printed to stderr as `<verb>: <message>` and the usage), 0 after `--help` (the usage
 * printed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const usage = "usage: deno task x [--out DIR]";
 * const options = { out: { type: "string" }, help: { type: "boolean", short: "h" } } as const;
 * const parsed = parseVerbArgs("x", usage, { args: ["--out", "d"], options });
 * assert.equal(typeof parsed === "number" ? parsed : parsed.values.out, "d");
 * const error = console.error;
 * console.error = () => {};
 * try {
 *   assert.equal(parseVerbArgs("x", usage, { args: ["--bad"], options }), 2);
 * } finally {
 *   console.error = error;
 * }
 * ```
 */
export function parseVerbArgs<T extends ParseArgsConfig>(
  verb: string,
  usage: string,
  config: T,
): ParsedArgs<T> | number {
  let parsed: ParsedArgs<T>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    console.error(`${verb}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: unknown }).help) {
    console.log(usage);
    return 0;
  }
  return parsed;
}
