import assert from "node:assert/strict";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { withTempDir } from "@creditlab/core/testing";
import { RunStore } from "./store.ts";
import { currentProcess, processAlive } from "./process.ts";

const base = {
  method: "grpo",
  config: {},
  seed: 1,
  backend: "cpu",
  commit: "abc",
  preset: "smoke",
};

const CHILD = new URL("./testdata/run_child.ts", import.meta.url).pathname;

/** Start `run_child.ts` on `store` and wait for its `ready <run id>` line. */
async function startChild(
  store: string,
  mode: "track" | "bare",
): Promise<{ child: Deno.ChildProcess; runId: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, store, mode],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`run_child.ts ended before it was ready: ${text}`);
    text += value;
  }
  reader.releaseLock();
  const m = /^ready (\S+)/.exec(text);
  assert.ok(m, text);
  return { child, runId: m[1]! };
}

Deno.test("track: a thrown error is recorded as failed with the error, a returned end as it is", async () => {
  await withTempDir(async (dir) => {
    const store = await RunStore.open(join(dir, "s.duckdb"));
    const a = await store.startRun(base);
    await assert.rejects(
      store.track(a, () => Promise.reject(new RangeError("lr must be positive"))),
      /lr must be positive/,
    );
    const b = await store.startRun({ ...base, seed: 2 });
    await store.track(b, () => Promise.resolve({ status: "interrupted", reason: "stop-after 2" }));
    const [ra, rb] = await store.listRuns();
    assert.deepEqual([ra!.status, ra!.reason], ["failed", "RangeError: lr must be positive"]);
    assert.ok(ra!.endedAt !== null);
    assert.deepEqual([rb!.status, rb!.reason], ["interrupted", "stop-after 2"]);
    assert.deepEqual(ra!.process, currentProcess());
    // Resume: running again in this process, no end, no reason; then completed.
    await store.reopenRun(a);
    const again = (await store.listRuns())[0]!;
    assert.deepEqual([again.status, again.reason, again.endedAt], ["running", null, null]);
    await store.track(a, () => Promise.resolve({ status: "completed" }));
    assert.deepEqual((await store.listRuns())[0]!.status, "completed");
    // The end time alone, as before reasons.
    await store.endRun(b, "completed", new Date("2026-01-02T00:00:00Z"));
    assert.equal((await store.listRuns())[1]!.endedAt, "2026-01-02T00:00:00.000Z");
    store.close();
  });
});

for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
  Deno.test(`track: ${signal} records the run interrupted by the signal; the process exits ${code}`, async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, "s.duckdb");
      const { child, runId } = await startChild(path, "track");
      child.kill(signal);
      const status = await child.status;
      assert.equal(status.code, code);
      const store = await RunStore.open(path);
      assert.deepEqual(store.reconciled, []);
      const run = (await store.listRuns())[0]!;
      assert.deepEqual([run.id, run.status, run.reason], [
        runId,
        "interrupted",
        `signal ${signal}`,
      ]);
      assert.ok(run.endedAt !== null);
      store.close();
    });
  });
}

Deno.test("open: a running run whose process was killed (SIGKILL) is recorded interrupted, naming the process", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "s.duckdb");
    const { child, runId } = await startChild(path, "bare");
    child.kill("SIGKILL");
    await child.status;
    // Read-only: nothing changes.
    const reader = await RunStore.open(path, { readOnly: true });
    const before = (await reader.listRuns())[0]!;
    assert.equal(before.status, "running");
    assert.equal(processAlive(before.process!), false);
    reader.close();
    const store = await RunStore.open(path);
    const run = (await store.listRuns())[0]!;
    assert.equal(run.status, "interrupted");
    assert.match(
      run.reason!,
      new RegExp(`^process ${before.process!.pid} on .* ended without recording how the run ended`),
    );
    assert.equal(run.endedAt, null, "the end time is not known");
    assert.deepEqual(store.reconciled, [{ id: runId, reason: run.reason }]);
    // A run of this process stays running.
    const mine = await store.startRun(base);
    store.close();
    const again = await RunStore.open(path);
    assert.deepEqual(again.reconciled, []);
    assert.equal((await again.findRun({ method: "grpo" }))?.status, "running");
    assert.equal((await again.listRuns()).find((r) => r.id === mine)?.status, "running");
    again.close();
  });
});

Deno.test("open: a store of schema 1 reads read-only as it is and is migrated on a writable open", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "old.duckdb");
    const inst = await DuckDBInstance.create(path);
    const c = await inst.connect();
    await c.run(`CREATE TABLE meta(key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`);
    await c.run(`INSERT INTO meta VALUES ('schema_version', '1')`);
    await c.run(`CREATE TABLE runs(id VARCHAR PRIMARY KEY, seq INTEGER NOT NULL,
      method VARCHAR NOT NULL CHECK (method <> ''), arm VARCHAR NOT NULL, preset VARCHAR NOT NULL,
      experiment VARCHAR NOT NULL, config JSON, seed INTEGER NOT NULL, backend VARCHAR NOT NULL,
      git_commit VARCHAR NOT NULL, status VARCHAR NOT NULL, started_at VARCHAR NOT NULL,
      ended_at VARCHAR)`);
    await c.run(`INSERT INTO runs VALUES
      ('r0001-grpo-s1', 1, 'grpo', 'baseline', 'smoke', 'x', '{}', 1, 'wasm', 'c', 'completed',
       '2026-01-01T00:00:00.000Z', '2026-01-01T01:00:00.000Z'),
      ('r0002-alpha-s1', 2, 'alpha', 'method', 'smoke', 'x', '{}', 1, 'wasm', 'c', 'running',
       '2026-01-01T00:00:00.000Z', NULL)`);
    c.closeSync();
    inst.closeSync();
    const reader = await RunStore.open(path, { readOnly: true });
    assert.deepEqual(
      (await reader.listRuns()).map((r) => [r.status, r.reason, r.process]),
      [["completed", null, null], ["running", null, null]],
    );
    reader.close();
    const store = await RunStore.open(path);
    const runs = await store.listRuns();
    assert.deepEqual(runs.map((r) => r.status), ["completed", "interrupted"]);
    assert.match(runs[1]!.reason!, /^no process recorded \(a run from before processes were\)/);
    const v = await store.query(`SELECT value FROM meta WHERE key = 'schema_version'`);
    assert.equal(v[0]?.["value"], "2");
    const id = await store.startRun(base);
    assert.equal(id, "r0003-grpo-s1");
    assert.deepEqual((await store.findRun({ method: "grpo" }))?.process, currentProcess());
    store.close();
  });
});
