/**
 * `deno task report [method|all ...] [--store PATH] [--out DIR] [--no-png] [--variant JSON]`.
 *
 * @module
 */

import { parseVerbArgs } from "@creditlab/core/cli";
import { DEFAULT_STORE_PATH } from "@creditlab/runstore";
import { generateReport } from "./generate.ts";

const USAGE =
  `usage: deno task report [method|all ...] [--store PATH] [--out DIR] [--no-png] [--variant JSON]

  --variant JSON  an override of the method arm's recorded config (e.g. its unbiased variant):
                  adds "Credit by turn count" to the named experiments' reports (the method's
                  credit as recorded and replayed under the variant, and the baseline's). Without
                  it, a method that declares a turnCountVariant gets the section with that one`;

/**
 * Run the report verb; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const out = await Deno.makeTempDir(); // defaults: --out reports --store runs/creditlab.duckdb
 * const store = join(out, "none.duckdb");
 * const code = await reportCli(["alpha", "--store", store, "--out", out, "--no-png"]);
 * assert.equal(code, 0); // a missing store gives an empty report, not an error
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function reportCli(args: string[]): Promise<number> {
  const parsed = parseVerbArgs("creditlab report", USAGE, {
    args,
    allowPositionals: true,
    options: {
      store: { type: "string", default: DEFAULT_STORE_PATH },
      out: { type: "string", default: "reports" },
      "no-png": { type: "boolean", default: false },
      variant: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (typeof parsed === "number") return parsed;
  const pos = parsed.positionals;
  const methods = pos.length === 0 || pos.includes("all") ? "all" as const : pos;
  let res;
  try {
    const text = parsed.values.variant;
    // The credit machinery (and its config parser) is loaded only for a variant.
    const variant = text === undefined
      ? undefined
      : (await import("@creditlab/interchange")).parseConfigOverride(text, "--variant");
    res = await generateReport({
      store: parsed.values.store,
      out: parsed.values.out,
      methods,
      png: !parsed.values["no-png"],
      ...(variant === undefined ? {} : { variant }),
    });
  } catch (e) {
    console.error(`creditlab report: ${(e as Error).message}`);
    return 1;
  }
  console.log(
    `creditlab report: ${res.experiments.length} experiment(s) [${
      res.experiments.join(", ")
    }], ${res.files.length} file(s) in ${parsed.values.out}/`,
  );
  return 0;
}
