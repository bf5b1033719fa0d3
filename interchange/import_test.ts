import assert from "node:assert/strict";
import { join } from "node:path";
import { getMethod } from "@creditlab/train";
import "@creditlab/methods";
import { RunStore } from "@creditlab/runstore";
import { captureConsole, withTempDir } from "@creditlab/core/testing";
import { generateReport } from "@creditlab/reports";
import { judgedRounds } from "../methods/round_judge.ts";
import { main as runsMain } from "../cli/runs.ts";
import { runMain } from "./cli_testing.ts";
import { creditRecords } from "./credit.ts";
import { readRecords, writeRecords } from "./files.ts";
import { importRecords } from "./import.ts";
import type { TrajectoryRecord } from "./record.ts";
import { rolloutTest } from "./testing.ts";

/** A {@link rolloutTest} run in a fresh temporary folder `dir`, removed afterwards. */
function importTest(
  name: string,
  opts: { judge: boolean },
  fn: (records: TrajectoryRecord[], dir: string) => Promise<void>,
): void {
  rolloutTest(
    name,
    opts,
    ({ records }) => withTempDir((dir) => fn(records, dir), { prefix: "import_test_" }),
  );
}

async function credit(records: TrajectoryRecord[], method: string): Promise<TrajectoryRecord[]> {
  return (await creditRecords(records, getMethod(method), { judgedRounds })).records;
}

importTest(
  "runs import: real rollouts credited by cw-grpo and grpo (JSONL and Parquet) are recorded and the report renders them",
  { judge: true },
  async (records, dir) => {
    const jsonl = join(dir, "cw.jsonl");
    const parquet = join(dir, "grpo.parquet");
    await writeRecords(jsonl, await credit(records, "cw-grpo"));
    await writeRecords(parquet, await credit(records, "grpo"));
    const storePath = join(dir, "runs", "creditlab.duckdb");
    const store = await RunStore.open(storePath);
    const common = { experiment: "ext", commit: "test" };
    let method;
    let base;
    try {
      method = await importRecords(store, await readRecords(jsonl), {
        ...common,
        source: { path: jsonl, encoding: "jsonl" },
      });
      base = await importRecords(store, await readRecords(parquet), {
        ...common,
        arm: "baseline",
        source: { path: parquet, encoding: "parquet" },
      });
      // One run per experiment, method, arm and seed.
      await assert.rejects(
        importRecords(store, await readRecords(jsonl), {
          ...common,
          source: { path: jsonl, encoding: "jsonl" },
        }),
        /experiment ext already has run r0001-cw-grpo-s0 .*give another --seed or --arm/,
      );
      assert.deepEqual(
        [method.runId, method.method, method.arm, method.trajectories],
        ["r0001-cw-grpo-s0", "cw-grpo", "method", records.length],
      );
      assert.equal(base.runId, "r0002-grpo-s0");
      const runs = await store.listRuns({ experiment: "ext" });
      assert.deepEqual(runs.map((r) => [r.status, r.preset, r.backend]), [
        ["completed", "import", "external"],
        ["completed", "import", "external"],
      ]);
      const cfg = runs[0]!.config as { import: Record<string, unknown> };
      assert.equal(cfg.import["source"], jsonl);
      assert.equal(cfg.import["format"], "creditlab.trajectory");
      assert.equal(cfg.import["version"], 1);
      // The stored rows: the records' advantages at their response tokens, their turns.
      const rows = await store.readTrajectories(method.runId, 0);
      const cw = await readRecords(jsonl);
      for (const [i, row] of rows.entries()) {
        const rec = cw[i]!;
        assert.deepEqual(row.tokens, [...rec.prompt_ids, ...rec.response_ids]);
        assert.deepEqual(row.advantages.slice(rec.prompt_ids.length), rec.advantages);
        assert.deepEqual(row.texts, [rec.prompt_text, ...rec.turns.map((t) => t.text)]);
        assert.deepEqual(row.methodRecord, rec.method_record ?? undefined);
        assert.equal(row.extra?.["trajectory_id"], rec.trajectory_id);
      }
      const searches = rows.reduce((n, r) => n + r.toolCalls, 0);
      assert.ok(searches > 0, "the rollouts search");
      const steps = await store.steps(method.runId);
      const toolMean = steps.find((s) => s.metric === "tool_calls/mean")?.value;
      assert.ok(Math.abs(toolMean! - searches / rows.length) < 1e-9);
    } finally {
      store.close();
    }

    const out = join(dir, "reports");
    const res = await generateReport({ store: storePath, out, methods: ["ext"], png: false });
    assert.deepEqual(res.experiments, ["ext"]);
    const md = await Deno.readTextFile(join(out, "ext.md"));
    assert.match(md, /2 run\(s\), runs of experiment "ext"/);
    assert.ok(md.includes(method.runId) && md.includes(base.runId));
    // Tool calls per trajectory of both arms, from the stored trajectories.
    const toolSection = md.slice(md.indexOf("Tool calls per trajectory"));
    assert.match(toolSection, /\| method +\| \d+\.\d\d +\| \d+\.\d\d +\| 1 +\|/);
    assert.match(toolSection, /\| baseline +\| \d+\.\d\d +\| \d+\.\d\d +\| 1 +\|/);
    // Credit per round: cw-grpo's recorded contributions and the stored advantages' shares.
    const rounds = md.slice(md.indexOf("Per-round series recorded by the method"));
    assert.match(rounds, /\| method +\| contribution +\| [1-9]\d* +\|/);
    assert.match(rounds, /Credit share per round/);
    assert.match(rounds, /\| method +\| [1-9]\d* +\| \d\.\d\d +\| 0\.\d{3} +\|/);
    assert.doesNotMatch(rounds.slice(0, rounds.indexOf("Per-token credit")), /n\/a: no/);
    // Heat maps of both arms, with the imported turn texts.
    await Deno.stat(join(out, "plots", "ext-heat-method.svg"));
    await Deno.stat(join(out, "plots", "ext-heat-baseline.svg"));
    const html = await Deno.readTextFile(join(out, "ext.html"));
    assert.match(html, /turn texts of method group \d+/);
    assert.ok(html.includes("&lt;search&gt;"), "the policy's search turns are shown");
  },
);

importTest(
  "runs import: a malformed file or one without advantages is refused naming line and field; the store is unchanged",
  { judge: false },
  async (records, dir) => {
    const credited = await credit(records.slice(0, 6), "grpo");
    const storePath = join(dir, "creditlab.duckdb");
    const store = await RunStore.open(storePath);
    const good = join(dir, "good.jsonl");
    await writeRecords(good, credited);
    await importRecords(store, await readRecords(good), {
      experiment: "ext",
      commit: "test",
      source: { path: good, encoding: "jsonl" },
    });
    // A record whose method disagrees with the others: named by its line.
    const mixed = credited.map((r, i) => (i === 2 ? { ...r, method: "capf" } : r));
    await assert.rejects(
      importRecords(store, mixed, {
        experiment: "ext2",
        commit: "test",
        source: { path: "mixed.jsonl", encoding: "jsonl" },
        whereOf: (i) => ({ source: "mixed.jsonl", at: `line ${i + 1}` }),
      }),
      /^InterchangeError: mixed\.jsonl: line 3: field method: expected the method of the records before it, "grpo", got "capf"$/,
    );
    store.close();
    const snapshot = async () => ({
      db: await Deno.readFile(storePath),
      files: [...Deno.readDirSync(join(dir, "trajectories"))].map((e) => e.name).sort(),
    });
    const before = await snapshot();

    // Line 2: a response_mask entry that is not 0 or 1.
    const lines = (await Deno.readTextFile(good)).trimEnd().split("\n");
    const bad = JSON.parse(lines[1]!) as TrajectoryRecord;
    bad.response_mask[0] = 2;
    lines[1] = JSON.stringify(bad);
    const badFile = join(dir, "bad.jsonl");
    await Deno.writeTextFile(badFile, lines.join("\n") + "\n");
    const args = ["--experiment", "ext3", "--store", storePath];
    const r1 = await captureConsole(() => runsMain(["import", badFile, ...args]));
    assert.equal(r1.out, 1, r1.text);
    assert.match(
      r1.text,
      /^runs import: .*bad\.jsonl: line 2: field response_mask\[0\]: expected/,
    );
    assert.match(r1.text, /nothing was recorded/);

    // Records without advantages and no --method to compute them.
    const raw = join(dir, "raw.jsonl");
    await writeRecords(raw, records.slice(0, 6));
    const r2 = await captureConsole(() => runsMain(["import", raw, ...args]));
    assert.equal(r2.out, 1);
    assert.match(r2.text, /no record carries advantages: pass --method NAME/);

    // Usage errors.
    assert.equal((await captureConsole(() => runsMain(["import", badFile]))).out, 2);
    assert.equal((await captureConsole(() => runsMain(["export"]))).out, 2);
    assert.deepEqual(await snapshot(), before);
  },
);

importTest(
  "runs import (the verb, in a subprocess): records without advantages are credited by --method and recorded",
  { judge: false },
  async (records, dir) => {
    const raw = join(dir, "raw.parquet");
    await writeRecords(raw, records);
    const storePath = join(dir, "creditlab.duckdb");
    // cwd outside the repository: the run's commit is then "unknown".
    const verb = ["runs", "import", raw, "--experiment", "ext", "--method", "e-grpo"];
    const out = await runMain([...verb, "--seed", "3", "--store", storePath], { cwd: dir });
    const text = out.stdout + out.stderr;
    assert.equal(out.code, 0, text);
    assert.match(
      text,
      new RegExp(
        `^runs import: ${records.length} trajectories in \\d+ groups -> run r0001-e-grpo-s3 \\(experiment ext, method e-grpo, arm method, seed 3, step 0\\)`,
      ),
    );
    const store = await RunStore.open(storePath, { readOnly: true });
    try {
      const [run] = await store.listRuns({ experiment: "ext" });
      const cfg = run!.config as {
        import: Record<string, unknown>;
        credit: Record<string, unknown>;
      };
      assert.deepEqual([cfg.import["encoding"], cfg.import["version"]], ["parquet", 1]);
      assert.match(String(cfg.import["sha256"]), /^[0-9a-f]{64}$/);
      assert.deepEqual([cfg.credit["from"], cfg.credit["method"]], ["creditlab", "e-grpo"]);
      const expected = await credit(records, "e-grpo");
      const rows = await store.readTrajectories(run!.id, 0);
      assert.equal(rows.length, records.length);
      rows.forEach((row, i) => {
        const rec = expected[i]!;
        assert.deepEqual(row.advantages.slice(rec.prompt_ids.length), rec.advantages);
      });
      // The method's metrics of the batch are logged beside the harness's.
      assert.ok((await store.steps(run!.id)).some((s) => s.metric.startsWith("e-grpo/")));
    } finally {
      store.close();
    }
  },
);
