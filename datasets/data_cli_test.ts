import assert from "node:assert/strict";
import { join } from "node:path";
import { main, SUBCOMMANDS } from "./data_cli.ts";
import { loadQuestions } from "./benchmarks/store.ts";
import { withTempDir } from "@creditlab/core/testing";

Deno.test("data CLI: ingest, card, bad input exit codes", async () => {
  await withTempDir(async (dir) => {
    const input = join(dir, "in", "bamboogle");
    await Deno.mkdir(input, { recursive: true });
    await Deno.writeTextFile(
      join(input, "test.jsonl"),
      JSON.stringify({ id: "test_0", question: "q?", golden_answers: ["a"] }),
    );
    const db = join(dir, "d.duckdb");
    const common = [
      "--db",
      db,
      "--parquet-dir",
      join(dir, "pq"),
      "--cards-dir",
      join(dir, "cards"),
    ];
    assert.equal(await main(["ingest", "--input", join(dir, "in"), ...common, "--json"]), 0);
    assert.equal((await loadQuestions(db, { benchmark: "bamboogle" })).length, 1);
    assert.equal(await main(["card", "--db", db, "--out", join(dir, "cards2")]), 0);
    await Deno.stat(join(dir, "cards2", "bamboogle.md"));
    await Deno.writeTextFile(join(input, "test.jsonl"), "{not json}\n");
    assert.equal(await main(["ingest", "--input", join(dir, "in"), ...common]), 1);
    assert.equal(await main(["nope"]), 2);
    assert.equal(await main(["ingest", "--bogus"]), 2);
    assert.equal(await main(["help"]), 0);
    assert.ok("ingest" in SUBCOMMANDS && "card" in SUBCOMMANDS);
  });
});
