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
  try {
    return parseArgsOrHelp(usage, config);
  } catch (e) {
    console.error(`${verb}: ${(e as Error).message}\n${usage}`);
    return 2;
  }
}

/**
 * `parseArgs(config)`, or 0 after `--help` (the usage printed). Unlike {@link parseVerbArgs}, a
 * bad option throws parseArgs' error (main.ts prints it and ends the verb with 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { HELP_OPTION, parseArgsOrHelp, stringOptions } from "./cli.ts";
 * const usage = "usage: deno task x [--out DIR]";
 * const options = { ...stringOptions("out"), help: HELP_OPTION };
 * const parsed = parseArgsOrHelp(usage, { args: ["--out", "d"], options });
 * assert.equal(parsed === 0 ? parsed : parsed.values.out, "d");
 * assert.throws(() => parseArgsOrHelp(usage, { args: ["--bad"], options }), /--bad/);
 * const log = console.log;
 * console.log = () => {};
 * try {
 *   assert.equal(parseArgsOrHelp(usage, { args: ["-h"], options }), 0);
 * } finally {
 *   console.log = log;
 * }
 * ```
 */
export function parseArgsOrHelp<T extends ParseArgsConfig>(
  usage: string,
  config: T,
): ParsedArgs<T> | 0 {
  const parsed = parseArgs(config);
  if ((parsed.values as { help?: unknown }).help) {
    console.log(usage);
    return 0;
  }
  return parsed;
}

/**
 * The `--help` (`-h`) option of a verb: `options: { ...stringOptions("out"), help: HELP_OPTION }`.
 */
export const HELP_OPTION = { type: "boolean", short: "h" } as const;

/** A `parseArgs` string option without a default: its value is `string | undefined`. */
export type StringOption = { readonly type: "string" };

/**
 * The `parseArgs` options `--<name> VALUE` for each name, none with a default, typed so that
 * each value is `string | undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "node:util";
 * import { HELP_OPTION, stringOptions } from "./cli.ts";
 * const options = { ...stringOptions("in", "judge-model"), help: HELP_OPTION };
 * assert.deepEqual(options.in, { type: "string" });
 * const { values } = parseArgs({ args: ["--in", "a.jsonl"], options });
 * const file: string | undefined = values.in;
 * assert.equal(file, "a.jsonl");
 * assert.equal(values["judge-model"], undefined);
 * ```
 */
export function stringOptions<const K extends string>(
  ...names: K[]
): { readonly [N in K]: StringOption } {
  return Object.fromEntries(names.map((n) => [n, { type: "string" }])) as {
    readonly [N in K]: StringOption;
  };
}

/**
 * The `parseArgs` options `--<name> VALUE` with the given defaults, typed so that each value is
 * a `string`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseArgs } from "node:util";
 * import { stringDefaults } from "./cli.ts";
 * const options = stringDefaults({ steps: "3", "sft-steps": "60" });
 * assert.deepEqual(options.steps, { type: "string", default: "3" });
 * const { values } = parseArgs({ args: ["--steps", "5"], options });
 * const steps: string = values.steps;
 * assert.deepEqual([steps, values["sft-steps"]], ["5", "60"]);
 * ```
 */
export function stringDefaults<const D extends Record<string, string>>(
  defaults: D,
): { readonly [N in keyof D]: StringOption & { readonly default: string } } {
  return Object.fromEntries(
    Object.entries(defaults).map(([n, d]) => [n, { type: "string", default: d }]),
  ) as { readonly [N in keyof D]: StringOption & { readonly default: string } };
}
