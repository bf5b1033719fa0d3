import assert from "node:assert/strict";
import type { EvalItem } from "./records.ts";
import { RunStore } from "./store.ts";
import type { TrajectoryRow } from "./trajectory_row.ts";
import { METRIC } from "@creditlab/core";
import { withTempDir } from "@creditlab/core/testing";

function withStore(fn: (store: RunStore, dir: string) => Promise<void>): Promise<void> {
  return withTempDir(async (dir) => {
    const store = await RunStore.open(`${dir}/creditlab.duckdb`);
    try {
      await fn(store, dir);
    } finally {
      store.close();
    }
  }, { prefix: "runstore_test_" });
}

const base = {
  method: "grpo",
  config: { lr: 1e-3, group: 4 },
  seed: 1,
  backend: "wasm",
  commit: "abc123",
  preset: "smoke",
};

function row(i: number, over: Partial<TrajectoryRow> = {}): TrajectoryRow {
  return {
    questionId: `q${i >> 1}`,
    groupId: i >> 1,
    row: i,
    tokens: [1, 5, 6, 7],
    roles: [0, 1, 1, 2],
    roundIds: [0, 1, 1, 1],
    lossMask: [0, 1, 1, 0],
    advantages: [0, 0.5 * i, -0.25, 0],
    texts: ["prompt", "<search> x </search>", "<information> d </information>"],
    turnRoles: ["observation", "policy", "observation"],
    reward: i % 2,
    outcome: i % 2,
    toolCalls: 1,
    ...over,
  };
}

Deno.test("runstore: runs, steps and evals round-trip through a real DuckDB file", async () => {
  await withStore(async (store) => {
    const id = await store.startRun({ ...base, experiment: "alpha", arm: "baseline" });
    assert.equal(id, "r0001-grpo-s1");
    await store.logStep(id, 1, { "reward/mean": 0.25, "kl/ref": 0.01 });
    await store.logStep(id, 2, { "reward/mean": 0.5 });
    await store.logStep(id, 2, { "reward/mean": 0.75 }); // replaces
    await store.logEval(id, { benchmark: "searchworld", split: "test", n: 10, em: 0.3, f1: 0.4 });
    await store.endRun(id, "completed");
    const runs = await store.listRuns();
    assert.equal(runs.length, 1);
    const r = runs[0]!;
    assert.deepEqual(
      [r.method, r.arm, r.experiment, r.preset, r.seed, r.status],
      ["grpo", "baseline", "alpha", "smoke", 1, "completed"],
    );
    assert.deepEqual(r.config, { lr: 1e-3, group: 4 });
    assert.ok(r.endedAt !== null);
    const steps = await store.steps(id);
    assert.deepEqual(
      steps.map((s) => [s.step, s.metric, s.value]),
      [[1, "kl/ref", 0.01], [1, "reward/mean", 0.25], [2, "reward/mean", 0.75]],
    );
    const evals = await store.evals(id);
    assert.equal(evals.length, 1);
    assert.equal(evals[0]!.step, 2, "eval step defaults to the last logged step");
    assert.equal(evals[0]!.em, 0.3);
    const id2 = await store.startRun({ ...base, seed: 2 });
    assert.equal(id2, "r0002-grpo-s2");
    assert.equal((await store.findRun({ method: "grpo", seed: 2 }))?.id, id2);
    assert.equal((await store.findRun({ experiment: "alpha", arm: "baseline" }))?.id, id);
    assert.equal(await store.findRun({ method: "alpha" }), undefined);
    await assert.rejects(
      () => store.listRuns({ "1=1; --": "x" } as unknown as { method: string }),
      /unknown filter field/,
    );
    const arrow = await store.queryArrow(
      "SELECT step, value FROM steps WHERE metric = 'reward/mean' ORDER BY step",
    );
    assert.equal(arrow.numRows, 2);
    assert.deepEqual([...arrow.getChild("value")!], [0.25, 0.75]);
  });
});

Deno.test("runstore: bad input gets a clear error and writes nothing", async () => {
  await withStore(async (store) => {
    await assert.rejects(() => store.logStep("nope", 1, { a: 1 }), /unknown run id "nope"/);
    const id = await store.startRun(base);
    await assert.rejects(
      () => store.logEval(id, { benchmark: "nq", split: "test", n: 3, em: 1.5, f1: 0 }),
      /em must be a number in \[0, 1\]/,
    );
    await assert.rejects(
      () => store.writeTrajectories(id, 1, [row(0, { advantages: [1] })]),
      /rows\[0\]\.advantages: length 1, expected 4/,
    );
    assert.deepEqual(await store.evals(id), []);
    assert.deepEqual(await store.trajectorySteps(id), []);
  });
});

Deno.test("runstore: a failed write rolls back and leaves the store unchanged", async () => {
  await withStore(async (store) => {
    const id = await store.startRun(base);
    await store.logStep(id, 1, { a: 1 });
    // The empty metric name violates a CHECK constraint inside the transaction, after "b".
    await assert.rejects(() => store.logStep(id, 2, { b: 2, "": 3 }));
    assert.deepEqual((await store.steps(id)).map((s) => s.metric), ["a"]);
    // A directory where the Parquet file must go makes the final rename fail after the
    // COPY and the index insert: both are rolled back and the temporary file is removed.
    await store.writeTrajectories(id, 1, [row(0), row(1)]);
    const blocked = `${store.dir}/trajectories/${id}/step-000002.parquet`;
    await Deno.mkdir(`${blocked}/x`, { recursive: true });
    await assert.rejects(() => store.writeTrajectories(id, 2, [row(0)]));
    assert.deepEqual(await store.trajectorySteps(id), [1]);
    const left = [...Deno.readDirSync(`${store.dir}/trajectories/${id}`)].map((e) => e.name)
      .sort();
    assert.deepEqual(left, ["step-000001.parquet", "step-000002.parquet"]);
    assert.ok(Deno.statSync(blocked).isDirectory);
    // The store still works after the failure.
    await store.logStep(id, 2, { b: 2 });
    assert.deepEqual((await store.steps(id)).map((s) => s.metric), ["a", "b"]);
  });
});

Deno.test("runstore: trajectories are written as Parquet and read back", async () => {
  await withStore(async (store) => {
    const id = await store.startRun(base);
    const record = {
      rounds: { label: "weight", values: [1, 0] },
      calls: { judge: 2 },
      kept: "x",
    };
    const rows = [row(0), row(1, { methodRecord: record, answer: "paris", extra: { k: 1 } })];
    const path = await store.writeTrajectories(id, 3, rows);
    assert.ok(path.endsWith(`trajectories/${id}/step-000003.parquet`));
    // It is a real Parquet file (magic bytes at both ends).
    const bytes = await Deno.readFile(path);
    const magic = new TextDecoder().decode(bytes.slice(0, 4));
    assert.equal(magic, "PAR1");
    assert.equal(new TextDecoder().decode(bytes.slice(-4)), "PAR1");
    const back = await store.readTrajectories(id, 3);
    assert.equal(back.length, 2);
    // Read back as written, plus the turn spans of the interchange record it is stored as.
    const { spans, ...written } = back[0]!;
    assert.deepEqual(written, row(0));
    assert.deepEqual(spans, [
      { role: "policy", round: 1, start: 0, end: 2, text: "<search> x </search>" },
      { role: "observation", round: 1, start: 2, end: 3, text: "<information> d </information>" },
    ]);
    assert.deepEqual(back[1]!.methodRecord, record);
    assert.deepEqual(
      (await store.readTrajectorySummaries(id, 3)).map((r) => [r.row, r.reward, r.methodRecord]),
      [[0, 0, undefined], [1, 1, record]],
    );
    assert.equal(back[1]!.answer, "paris");
    assert.deepEqual(back[1]!.extra, { k: 1 });
    assert.deepEqual(back[1]!.advantages, [0, 0.5, -0.25, 0]);
    assert.deepEqual(await store.readTrajectories(id, 4), []);
    // Rewriting a step replaces the file.
    await store.writeTrajectories(id, 3, [row(5)]);
    assert.deepEqual((await store.readTrajectories(id, 3)).map((r) => r.row), [5]);
  });
});

function item(questionId: string, em: number): EvalItem {
  return {
    questionId,
    em,
    f1: em,
    toolCalls: 2,
    hops: em === 1 ? 1 : null,
    answer: em ? "x" : null,
  };
}

Deno.test("runstore: per-question eval items round-trip, are replaced, and are validated", async () => {
  await withStore(async (store) => {
    const id = await store.startRun({ ...base, experiment: "alpha", arm: "baseline" });
    const ev = { benchmark: "searchworld", split: "test", n: 3, em: 1 / 3, f1: 1 / 3, step: 7 };
    await store.logEval(id, { ...ev, items: [item("b", 0), item("a", 1), item("c", 0)] });
    const got = await store.evalItems({ runId: id });
    assert.deepEqual(got.map((r) => [r.questionId, r.em, r.step, r.answer, r.hops]), [
      ["a", 1, 7, "x", 1],
      ["b", 0, 7, null, null],
      ["c", 0, 7, null, null],
    ]);
    // Logging the same evaluation again replaces its items, never appends.
    await store.logEval(id, { ...ev, items: [item("a", 0), item("b", 1), item("c", 0)] });
    assert.deepEqual((await store.evalItems({ runId: id })).map((r) => r.em), [0, 1, 0]);
    assert.deepEqual(await store.evalItems({ runId: id, benchmark: "other" }), []);
    const before = await store.evalItems();
    await assert.rejects(
      store.logEval(id, { ...ev, items: [item("a", 1), item("a", 0), item("c", 0)] }),
      /items\[1\]\.questionId: duplicate question a/,
    );
    await assert.rejects(
      store.logEval(id, { ...ev, items: [item("a", 1), { ...item("b", 0), em: 2 }, item("c", 0)] }),
      /items\[1\]\.em: expected a number in \[0, 1\], got 2/,
    );
    await assert.rejects(
      store.logEval(id, { ...ev, items: [item("a", 1)] }),
      /1 items for n = 3/,
    );
    assert.deepEqual(await store.evalItems(), before, "a refused write changes nothing");
  });
});

Deno.test("runstore: truncateAfter drops what a resumed run will log again", async () => {
  await withStore(async (store) => {
    const id = await store.startRun(base);
    for (let s = 1; s <= 5; s++) {
      await store.logStep(id, s, { loss: s, kl: s / 10 });
      await store.writeTrajectories(id, s, [row(0)]);
    }
    await store.logEval(id, {
      benchmark: "searchworld",
      split: "test",
      n: 2,
      em: 0.5,
      f1: 0.5,
      items: [item("q1", 1), item("q2", 0)],
    });
    await store.endRun(id, "interrupted");
    const removed = await store.truncateAfter(id, 3);
    assert.deepEqual(removed, { steps: 4, evals: 1, evalItems: 2, trajectoryFiles: 2 });
    assert.deepEqual(await store.evalItems({ runId: id }), []);
    assert.equal(await store.lastStep(id), 3);
    assert.deepEqual(await store.trajectorySteps(id), [1, 2, 3]);
    assert.equal(
      [...Deno.readDirSync(`${store.dir}/trajectories/${id}`)].length,
      3,
      "files of dropped steps are deleted",
    );
    await store.reopenRun(id);
    assert.equal((await store.findRun({ method: "grpo", seed: 1 }))?.status, "running");
  });
});

Deno.test("runstore: a writer killed mid-transaction leaves a consistent store", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/creditlab.duckdb`;
    const store = await RunStore.open(path);
    const id = await store.startRun(base);
    await store.logStep(id, 1, { a: 1 });
    store.close();
    // A child process opens the store, starts a transaction, writes, and dies without COMMIT.
    const script = `${dir}/killer.ts`;
    await Deno.writeTextFile(
      script,
      `import { DuckDBInstance } from "@duckdb/node-api";
       const inst = await DuckDBInstance.create(${JSON.stringify(path)});
       const c = await inst.connect();
       await c.run("BEGIN TRANSACTION");
       await c.run("INSERT INTO steps VALUES ('${id}', 2, 'a', 2)");
       await c.run("DELETE FROM steps WHERE step = 1");
       await c.run("CHECKPOINT").catch(() => {});
       Deno.exit(9);`,
    );
    const configPath = new URL("../deno.json", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--config", configPath, script],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 9, new TextDecoder().decode(out.stderr));
    const again = await RunStore.open(path, { readOnly: true });
    try {
      assert.deepEqual((await again.steps(id)).map((s) => [s.step, s.value]), [[1, 1]]);
    } finally {
      again.close();
    }
  }, { prefix: "runstore_kill_" });
});

Deno.test("runstore: read-only open of a missing store is a clear error", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      () => RunStore.open(`${dir}/none.duckdb`, { readOnly: true }),
      /no such store/,
    );
  });
});

Deno.test("runstore: an older store reads under the current names (metrics, trajectory columns)", async () => {
  await withStore(async (store) => {
    const id = await store.startRun(base);
    await store.logStep(id, 1, { kl: 0.5, clipFraction: 0.1, "reward/mean": 1, "m/x": 3 });
    assert.deepEqual(
      (await store.steps(id)).map((s) => [s.metric, s.value]),
      [["clip/fraction", 0.1], ["kl/ref", 0.5], ["m/x", 3], ["reward/mean", 1]],
    );
    assert.deepEqual((await store.steps(id, METRIC.kl)).map((s) => s.value), [0.5]);
    // A trajectory file with the columns written before `method_record`.
    const rel = `trajectories/${id}/step-000001.parquet`;
    await Deno.mkdir(`${store.dir}/trajectories/${id}`, { recursive: true });
    await store.query(
      `COPY (SELECT * FROM (VALUES ('q0', 0, 0, [1, 2]::INTEGER[], [0, 1]::TINYINT[],
         [0, 1]::INTEGER[], [0, 1]::FLOAT[], [0, 0.5]::FLOAT[], ['p', 'a']::VARCHAR[],
         ['observation', 'policy']::VARCHAR[], 1.0::DOUBLE, 1.0::DOUBLE, 0, 1,
         [1.0, 0.0]::DOUBLE[], 'x', NULL::JSON))
       t(question_id, group_id, "row", tokens, roles, round_ids, loss_mask, advantages, texts,
         turn_roles, reward, outcome, tool_calls, feedback_calls, contributions, answer, extra))
       TO '${store.dir}/${rel}' (FORMAT parquet)`,
    );
    await store.query(`INSERT INTO trajectory_files VALUES ($1, 1, $2, 1)`, [id, rel]);
    const want = {
      rounds: { label: "contribution", values: [1, 0] },
      calls: { judge: 2, feedback: 1 },
    };
    assert.deepEqual((await store.readTrajectories(id, 1))[0]!.methodRecord, want);
    assert.deepEqual((await store.readTrajectorySummaries(id, 1))[0]!.methodRecord, want);
  });
});

Deno.test("runstore: a malformed method record is refused", async () => {
  await withStore(async (store) => {
    const id = await store.startRun(base);
    await assert.rejects(
      () =>
        store.writeTrajectories(id, 1, [
          row(0, { methodRecord: { calls: { judge: -1 } } }),
        ]),
      /methodRecord\.calls\.judge: expected an integer >= 0/,
    );
    await assert.rejects(
      () =>
        store.writeTrajectories(id, 1, [
          row(0, { methodRecord: { rounds: { label: "c", values: ["x"] } } as never }),
        ]),
      /methodRecord\.rounds/,
    );
  });
});

Deno.test("runstore: recordRun writes a finished run, its steps and trajectories in one transaction", async () => {
  await withStore(async (store, dir) => {
    const id = await store.recordRun({ ...base, experiment: "ext", preset: "import" }, {
      status: "completed",
      steps: [{ step: 0, metrics: { [METRIC.rewardMean]: 0.5 }, rows: [row(0), row(1)] }],
    });
    const run = await store.findRun({ experiment: "ext" });
    assert.deepEqual([run?.id, run?.status, run?.preset], [id, "completed", "import"]);
    assert.ok(run?.endedAt);
    assert.deepEqual(await store.trajectorySteps(id), [0]);
    assert.deepEqual((await store.readTrajectories(id, 0)).map((r) => r.advantages[1]), [0, 0.5]);
    assert.equal((await store.steps(id))[0]?.value, 0.5);
    // A failure after the first step's file was written (step 2^31 overflows INTEGER): nothing
    // of the run is recorded and none of its files is left.
    await assert.rejects(
      store.recordRun({ ...base, experiment: "ext2" }, {
        status: "completed",
        steps: [{ step: 0, rows: [row(0)] }, { step: 2 ** 31, rows: [row(1)] }],
      }),
    );
    assert.deepEqual((await store.listRuns()).map((r) => r.id), [id]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/trajectories`)].map((e) => e.name), [id]);
    await assert.rejects(
      store.recordRun(base, { status: "completed", steps: [{ step: 1 }, { step: 1 }] }),
      /step 1 given twice/,
    );
  });
});
