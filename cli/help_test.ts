/** Every verb of cli/ answers `--help` with its usage and exit code 0, without doing any work. */
import assert from "node:assert/strict";
import { main as evalMain } from "./eval.ts";
import { main as probeCallMain } from "./probe_call.ts";
import { main as reproduceMain } from "./reproduce.ts";
import { main as runsMain } from "./runs.ts";
import { main as serveEnvMain } from "./serve_env.ts";
import { main as sweepMain } from "./sweep.ts";
import { main as trainMain } from "./train.ts";

Deno.test("cli: every verb answers --help", async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => printed.push(a.join(" "));
  try {
    for (
      const [verb, main] of [
        ["eval", evalMain],
        ["probe-call", probeCallMain],
        ["reproduce", reproduceMain],
        ["runs", runsMain],
        ["serve-env", serveEnvMain],
        ["sweep", sweepMain],
        ["train", trainMain],
      ] as const
    ) {
      printed.length = 0;
      assert.equal(await main(["--help"]), 0, verb);
      assert.match(printed.join("\n"), new RegExp(`^usage: deno task ${verb} `), verb);
    }
  } finally {
    console.log = log;
  }
});
