import assert from "node:assert/strict";
import { readRecords } from "@creditlab/interchange/format";
import { withTempDir } from "@creditlab/core/testing";
import { RunStore } from "./store.ts";
import type { TrajectoryRow } from "./trajectory_row.ts";
import { trajectoryFileEncoding } from "./trajectory_files.ts";
import { writeLegacyTrajectoryFile } from "./testing.ts";

const base = {
  method: "alpha",
  config: {},
  seed: 1,
  backend: "wasm",
  commit: "abc123",
  preset: "smoke",
};

function withStore(fn: (store: RunStore, runId: string) => Promise<void>): Promise<void> {
  return withTempDir(async (dir) => {
    const store = await RunStore.open(`${dir}/creditlab.duckdb`);
    try {
      await fn(store, await store.startRun(base));
    } finally {
      store.close();
    }
  }, { prefix: "trajectory_files_test_" });
}

/**
 * A row as the trainer builds it: prompt, two policy turns of round 1 side by side (a search and
 * a feedback call: roles and rounds alone cannot split them), the verifier's feedback with its
 * verdict, the answer; spans, log-probs, the rollout's meta, the question.
 */
function trainerRow(i: number): TrajectoryRow {
  return {
    questionId: "q7",
    groupId: 70,
    row: i,
    tokens: [1, 2, 10, 11, 12, 20, 21, 13],
    roles: [0, 0, 1, 1, 1, 3, 3, 1],
    roundIds: [0, 0, 1, 1, 1, 1, 1, 2],
    lossMask: [0, 0, 1, 1, 1, 0, 0, 1],
    advantages: [0, 0, 0.5, 0.5, 0.25, 0, 0, i === 0 ? 0.125 : -0.125],
    texts: [
      "question : who ?",
      "<search> a </search>",
      "<feedback> ann </feedback>",
      "<verifier> wrong hop </verifier>",
      "<answer> bob </answer>",
    ],
    turnRoles: ["observation", "policy", "policy", "feedback", "policy"],
    reward: 0.5,
    outcome: 1,
    toolCalls: 1,
    methodRecord: { rounds: { label: "weight", values: [0.1, 1] }, calls: { feedback: 1 } },
    answer: "bob",
    extra: { toolCalls: 1, feedbackCalls: 1, truncated: false },
    spans: [
      {
        role: "policy",
        round: 1,
        start: 0,
        end: 2,
        text: "<search> a </search>",
        action: { kind: "search", query: "a" },
      },
      {
        role: "policy",
        round: 1,
        start: 2,
        end: 3,
        text: "<feedback> ann </feedback>",
        action: { kind: "feedback", draft: "ann" },
      },
      {
        role: "feedback",
        round: 1,
        start: 3,
        end: 5,
        text: "<verifier> wrong hop </verifier>",
        verdict: { correct: false, kind: "wrong-hop" },
      },
      {
        role: "policy",
        round: 2,
        start: 5,
        end: 6,
        text: "<answer> bob </answer>",
        action: { kind: "answer", text: "bob" },
      },
    ],
    rolloutLogProbs: [-0.5, -0.25, -1, 0, 0, -0.75],
    question: {
      dataSource: "searchworld",
      text: "who ?",
      goldenAnswers: ["bob"],
      goldEntities: ["ann", "bob"],
      goldChain: [{ query: "ann employer", entity: "bob", relation: "employer" }],
    },
  };
}

Deno.test("trajectory files: the store writes interchange v1 records and reads them back", async () => {
  await withStore(async (store, id) => {
    const rows = [trainerRow(1), trainerRow(0)];
    const path = await store.writeTrajectories(id, 9, rows);
    assert.equal(await trajectoryFileEncoding((sql) => store.query(sql), path), "interchange");
    // The file is a record file: interchange's reader checks it (readRecords validates).
    const recs = await readRecords(path);
    assert.deepEqual(recs.map((r) => r.trajectory_id), ["0", "1"]); // in row order
    const r = recs[1]!;
    assert.deepEqual(
      [r.version, r.uid, r.data_source, r.question_id, r.question, r.method, r.outcome_reward],
      [1, "70", "searchworld", "q7", "who ?", "alpha", 1],
    );
    assert.deepEqual(r.ground_truth, {
      target: ["bob"],
      entities: ["ann", "bob"],
      chain: [{ query: "ann employer", entity: "bob", relation: "employer" }],
    });
    assert.deepEqual([r.prompt_ids, r.prompt_text], [[1, 2], "question : who ?"]);
    assert.deepEqual(r.response_mask, [1, 1, 1, 0, 0, 1]);
    assert.deepEqual(r.advantages, [0.5, 0.5, 0.25, 0, 0, -0.125]);
    assert.deepEqual(r.turns, trainerRow(1).spans);
    assert.deepEqual(r.meta, { toolCalls: 1, feedbackCalls: 1, truncated: false });
    // Read back through the store: the rows as written, exactly.
    assert.deepEqual(await store.readTrajectories(id, 9), [trainerRow(0), trainerRow(1)]);
    assert.deepEqual(
      (await store.readTrajectorySummaries(id, 9)).map((s) => [s.row, s.toolCalls, s.outcome]),
      [[0, 1, 1], [1, 1, 1]],
    );
  });
});

Deno.test("trajectory files: rows without spans, search counts, non-finite advantages", async () => {
  await withStore(async (store, id) => {
    const { spans: _s, rolloutLogProbs: _l, question: _q, extra: _e, ...plain } = trainerRow(0);
    // Without spans, turns are the runs of equal (role, round): here two adjacent policy turns
    // of round 1 cannot be told apart.
    await assert.rejects(
      store.writeTrajectories(id, 1, [plain]),
      /rows\[0\]: field spans: expected the turns' spans: 4 turn texts after the prompt, but roles and rounds change 3 times/,
    );
    const simple: TrajectoryRow = {
      ...plain,
      roundIds: [0, 0, 1, 1, 1, 1, 1, 2],
      texts: [
        "question : who ?",
        "<search> a </search> <feedback> ann </feedback>",
        "<verifier> wrong hop </verifier>",
        "<answer> bob </answer>",
      ],
      turnRoles: ["observation", "policy", "feedback", "policy"],
      toolCalls: 3, // not what the texts say: kept in meta.toolCalls
      advantages: [0, 0, NaN, 0.5, 0.25, 0, 0, 0],
    };
    const path = await store.writeTrajectories(id, 1, [simple]);
    const [rec] = await readRecords(path);
    assert.deepEqual(rec!.turns.map((t) => [t.role, t.round, t.start, t.end]), [
      ["policy", 1, 0, 3],
      ["feedback", 1, 3, 5],
      ["policy", 2, 5, 6],
    ]);
    assert.deepEqual([rec!.data_source, rec!.ground_truth.target, rec!.question], [
      "unknown",
      [],
      undefined,
    ]);
    assert.equal(rec!.advantages, undefined); // not all finite: none stored
    assert.deepEqual(rec!.meta, { toolCalls: 3 });
    const [back] = await store.readTrajectories(id, 1);
    assert.equal(back!.toolCalls, 3);
    assert.deepEqual(back!.advantages, [0, 0, NaN, NaN, NaN, 0, 0, NaN]);
    // A loss mask that disagrees with the roles cannot be stored: refused, naming the token.
    await assert.rejects(
      store.writeTrajectories(id, 2, [{ ...simple, lossMask: [0, 0, 1, 1, 1, 1, 0, 1] }]),
      /writeTrajectories\(r0001-alpha-s1, 2\): rows\[0\]: field lossMask\[5\]: expected 0 \(a feedback token\)/,
    );
    assert.deepEqual(await store.trajectorySteps(id), [1]);
  });
});

Deno.test("trajectory files: a legacy file (older stores) is read by the legacy reader", async () => {
  await withStore(async (store, id) => {
    const rows = [trainerRow(0), trainerRow(1)];
    const path = await store.writeTrajectories(id, 3, rows);
    await writeLegacyTrajectoryFile(store, path, rows); // the same step, as an older store wrote it
    assert.equal(await trajectoryFileEncoding((sql) => store.query(sql), path), "legacy");
    const strip = (
      { spans: _s, rolloutLogProbs: _l, question: _q, ...r }: TrajectoryRow,
    ): TrajectoryRow => r;
    assert.deepEqual(await store.readTrajectories(id, 3), rows.map(strip));
    assert.deepEqual(
      (await store.readTrajectorySummaries(id, 3)).map((s) => s.methodRecord),
      rows.map((r) => r.methodRecord),
    );
    // Neither encoding: a clear error naming the file.
    await store.query(`COPY (SELECT 1 AS x) TO '${path}' (FORMAT parquet)`);
    await assert.rejects(
      store.readTrajectories(id, 3),
      /step-000003\.parquet: not a trajectory file/,
    );
  });
});

Deno.test("trajectory files: truncateAfter removes the files of later steps", async () => {
  await withStore(async (store, id) => {
    const p1 = await store.writeTrajectories(id, 1, [trainerRow(0)]);
    const p2 = await store.writeTrajectories(id, 2, [trainerRow(0)]);
    assert.equal((await store.truncateAfter(id, 1)).trajectoryFiles, 1);
    assert.ok((await Deno.stat(p1)).isFile);
    await assert.rejects(Deno.stat(p2), Deno.errors.NotFound);
    assert.deepEqual(await store.trajectorySteps(id), [1]);
    // No temporary file is left beside them.
    const dir = p1.slice(0, p1.lastIndexOf("/"));
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["step-000001.parquet"]);
  });
});
