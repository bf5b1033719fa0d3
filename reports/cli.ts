/**
 * `deno task report [method|all] [--store PATH] [--out DIR]`.
 *
 * @module
 */

import { parseVerbArgs } from "@creditlab/core/cli";
import { DEFAULT_STORE_PATH } from "@creditlab/runstore";
import { generateReport } from "./generate.ts";

const USAGE = "usage: deno task report [method|all ...] [--store PATH] [--out DIR] [--no-png]";

/**
 * Run the report verb; returns the exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { join } from "node:path";
 * const out = await Deno.makeTempDir(); // defaults: --out reports --store runs/creditlab.duckdb
 * const store = join(out, "none.duckdb");
 * const code = await reportCli(["capf", "--store", store, "--out", out, "--no-png"]);
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
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (typeof parsed === "number") return parsed;
  const pos = parsed.positionals;
  const methods = pos.length === 0 || pos.includes("all") ? "all" as const : pos;
  let res;
  try {
    res = await generateReport({
      store: parsed.values.store,
      out: parsed.values.out,
      methods,
      png: !parsed.values["no-png"],
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
