/**
 * Every verb of cli/ answers `--help` with its usage and exit code 0, without doing any work, and
 * refuses an unknown option.
 */
import assert from "node:assert/strict";
import { main as creditMain } from "./credit.ts";
import { main as evalMain } from "./eval.ts";
import { main as probeCallMain } from "./probe_call.ts";
import { main as reproduceMain } from "./reproduce.ts";
import { main as runsMain } from "./runs.ts";
import { main as serveCreditMain } from "./serve_credit.ts";
import { main as serveEnvMain } from "./serve_env.ts";
import { main as sweepMain } from "./sweep.ts";
import { main as trainMain } from "./train.ts";

const VERBS = [
  ["credit", creditMain],
  ["eval", evalMain],
  ["probe-call", probeCallMain],
  ["reproduce", reproduceMain],
  ["runs", runsMain],
  ["serve-credit", serveCreditMain],
  ["serve-env", serveEnvMain],
  ["sweep", sweepMain],
  ["train", trainMain],
] as const;

/** Run `fn` with what `console[stream]` prints collected in its argument, not printed. */
async function capturing(
  stream: "log" | "error",
  fn: (printed: string[]) => Promise<void>,
): Promise<void> {
  const printed: string[] = [];
  const original = console[stream];
  console[stream] = (...a: unknown[]) => printed.push(a.join(" "));
  try {
    await fn(printed);
  } finally {
    console[stream] = original;
  }
}

Deno.test("cli: every verb answers --help", async () => {
  await capturing("log", async (printed) => {
    for (const [verb, main] of VERBS) {
      printed.length = 0;
      assert.equal(await main(["--help"]), 0, verb);
      assert.match(printed.join("\n"), new RegExp(`^usage: deno task ${verb} `), verb);
    }
  });
});

Deno.test("cli: every verb refuses an unknown option", async () => {
  await capturing("error", async (printed) => {
    for (const [verb, main] of VERBS) {
      printed.length = 0;
      const args = verb === "runs" ? ["import", "--bogus"] : ["--bogus"];
      if (verb === "runs" || verb === "serve-env") {
        // parseVerbArgs: the message and the usage on stderr, exit code 2.
        assert.equal(await main(args), 2, verb);
        assert.match(printed.join("\n"), /Unknown option '--bogus'[^]*usage: /, verb);
      } else {
        // parseArgs' error, which main.ts prints (exit code 1).
        await assert.rejects(async () => await main(args), /Unknown option '--bogus'/, verb);
      }
    }
  });
});
