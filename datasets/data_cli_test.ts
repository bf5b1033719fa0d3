import assert from "node:assert/strict";
import { join } from "node:path";
import { main, SUBCOMMANDS } from "./data_cli.ts";
import { loadQuestions } from "./benchmarks/store.ts";
import { withTempDir } from "@creditlab/core/testing";

/** Write `n` Bamboogle test questions under `<dir>/in/bamboogle`; returns that folder. */
async function bamboogleInput(dir: string, n: number): Promise<string> {
  const input = join(dir, "in", "bamboogle");
  await Deno.mkdir(input, { recursive: true });
  const rows = Array.from(
    { length: n },
    (_, i) => JSON.stringify({ id: `test_${i}`, question: "q?", golden_answers: ["a"] }),
  );
  await Deno.writeTextFile(join(input, "test.jsonl"), rows.join("\n"));
  return input;
}

Deno.test("data CLI: ingest, card, bad input exit codes", async () => {
  await withTempDir(async (dir) => {
    const input = await bamboogleInput(dir, 1);
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

Deno.test("data ingest: a card failure after the commit says what was committed, not 'rolled back'", async () => {
  await withTempDir(async (dir) => {
    await bamboogleInput(dir, 3);
    const db = join(dir, "d.duckdb");
    const cards = join(dir, "cards");
    await Deno.writeTextFile(cards, "a file where the cards folder should be");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./data_cli.ts", import.meta.url).pathname,
        "ingest",
        "--input",
        join(dir, "in"),
        "--db",
        db,
        "--parquet-dir",
        join(dir, "pq"),
        "--cards-dir",
        cards,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 1, err);
    assert.doesNotMatch(err, /rolled back|unchanged/);
    assert.match(err, /^data ingest: writing the dataset card of bamboogle failed: /);
    assert.match(
      err,
      new RegExp(`${db} now holds the 3 ingested questions \\(bamboogle/test/test 3\\)`),
    );
    assert.match(
      err,
      new RegExp(
        `Parquet files updated: ${join(dir, "pq", "bamboogle.parquet")}; not updated: none`,
      ),
    );
    assert.match(err, /Dataset cards written: none; not written: bamboogle\./);
    assert.match(
      err,
      new RegExp(
        `To finish: write the cards with \`deno task data card --db ${db} --out ${cards}\``,
      ),
    );
    // What the message says is so.
    assert.equal((await loadQuestions(db, { benchmark: "bamboogle" })).length, 3);
    await Deno.stat(join(dir, "pq", "bamboogle.parquet"));
    assert.deepEqual(
      [...Deno.readDirSync(join(dir, "pq"))].map((e) => e.name),
      ["bamboogle.parquet"],
      "no temporary files left",
    );
  });
});
