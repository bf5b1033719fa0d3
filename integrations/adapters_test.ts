/**
 * The engine adapters of issue 20 item 3 (integrations/: verl, SkyRL, rLLM) reproduce, from
 * real torch tensors laid out as each engine lays out its fields, exactly the advantages
 * `deno task credit` computes for the same records, for every method (grpo, capf, e-grpo, and
 * cw-grpo / pure with the judge's scores recorded in the records).
 *
 * Our own SearchWorld rollouts (interchange/testing.ts) are exported to JSONL; `deno task credit`
 * (the real CLI) gives the expected advantages; a real `deno task serve-credit --port 0` is
 * started on 127.0.0.1; integrations/tests/run_adapters.py (Debian's /usr/bin/python3 with
 * python3-torch) builds each engine's batch from the records and runs the adapters against it.
 * verl, SkyRL and rLLM are not installed here: that script stands in for their registries and
 * callers (see its docstring); the adapters, tensors, HTTP client and server are real.
 *
 * python3-torch is installed with apt-get when missing and this process is root (as CI is);
 * when it cannot be installed the test is skipped, saying why.
 */
import { runCommand } from "@creditlab/core/command";
import assert from "node:assert/strict";
import { join } from "node:path";
import { exportRecords, ourRollouts } from "../interchange/testing.ts";
import { readRecords, writeRecords } from "../interchange/files.ts";
import { aptInstall } from "../tools/apt.ts";

const PYTHON = "/usr/bin/python3";
const MAIN = new URL("../main.ts", import.meta.url).pathname;
const DRIVER = new URL("./tests/run_adapters.py", import.meta.url).pathname;
const METHODS = ["grpo", "capf", "e-grpo", "cw-grpo", "pure"];

/** Null when Debian's python3 imports torch (installing python3-torch if root), else why not. */
async function torchMissing(): Promise<string | null> {
  const probe = ["-c", "import torch, numpy"];
  if ((await runCommand(PYTHON, probe)).code === 0) return null;
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) {
    return `${PYTHON} cannot import torch and this process is not root to install it ` +
      `(sudo apt-get install -y python3-torch)`;
  }
  console.error("adapters test: installing python3-torch with apt-get");
  const r = await aptInstall(["python3-torch"], { recommends: false });
  if ((await runCommand(PYTHON, probe)).code === 0) return null;
  return `apt-get install python3-torch failed: ${r.output.trim().slice(-500)}`;
}

const missing = await torchMissing();
if (missing) console.error(`adapters test SKIPPED: ${missing}`);

/** `deno task serve-credit --port 0`, a subprocess; resolves with its URL once listening. */
async function startServeCredit(): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "serve-credit", "--port", "0"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const { done, value } = await reader.read();
    if (done) break;
    text += value;
    const m = text.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
    if (m) {
      // keep draining stderr so the server never blocks on a full pipe
      (async () => {
        while (!(await reader.read()).done) { /* drain */ }
      })().catch(() => {});
      return {
        url: m[1]!,
        stop: async () => {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
  child.kill("SIGTERM");
  await child.status;
  throw new Error(`serve-credit did not start:\n${text}`);
}

type Out = {
  verl: Record<string, Record<string, number[]>>;
  skyrl: Record<string, Record<string, number[]>>;
  rllm: Record<string, Record<string, number[][]>>;
  records: Record<string, Record<string, unknown>[]>;
  registered: { verl: string[]; skyrl: string[] };
  error: { status: number; field: string; at: string; message: string };
};

Deno.test({
  name: "adapters: verl / SkyRL / rLLM conversions of torch tensors equal `deno task credit`" +
    (missing ? ` (SKIPPED: ${missing})` : ""),
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const rollouts = await ourRollouts();
    const records = await exportRecords(rollouts, { judge: true });
    const dir = await Deno.makeTempDir({ prefix: "adapters_test_" });
    const server = await startServeCredit();
    try {
      const input = join(dir, "in.jsonl");
      await writeRecords(input, records);
      // Expected: the real CLI on the same records.
      const want: Record<string, Float32Array[]> = {};
      let outcomes: Record<string, number> = {};
      for (const m of METHODS) {
        const out = join(dir, `${m}.out.jsonl`);
        const r = await runCommand(Deno.execPath(), [
          "run",
          "-A",
          MAIN,
          "credit",
          "--method",
          m,
          "--in",
          input,
          "--out",
          out,
        ]);
        assert.equal(r.code, 0, `credit ${m}: ${r.stderr}`);
        const got = await readRecords(out);
        want[m] = got.map((g) => Float32Array.from(g.advantages!));
        assert.ok(want[m]!.some((a) => a.some((x) => x !== 0)), `${m}: some credit`);
        // The engine's reward: the outcome (grpo's reward is the exact match of the answer).
        if (m === "grpo") {
          outcomes = Object.fromEntries(got.map((g) => [g.trajectory_id, g.reward!]));
        }
      }
      assert.ok(
        Object.values(outcomes).some((x) => x === 1) &&
          Object.values(outcomes).some((x) => x === 0),
      );
      const outcomesPath = join(dir, "outcomes.json");
      await Deno.writeTextFile(outcomesPath, JSON.stringify(outcomes));
      const resultPath = join(dir, "result.json");
      const py = await runCommand(PYTHON, [
        DRIVER,
        "--url",
        server.url,
        "--records",
        input,
        "--outcomes",
        outcomesPath,
        "--methods",
        METHODS.join(","),
        "--out",
        resultPath,
      ], { env: { PYTHONDONTWRITEBYTECODE: "1" } });
      assert.equal(py.code, 0, `run_adapters.py:\n${py.stdout}\n${py.stderr}`);
      const res = JSON.parse(await Deno.readTextFile(resultPath)) as Out;

      for (const name of METHODS) {
        assert.ok(res.registered.verl.includes(`creditlab_${name}`));
        assert.ok(res.registered.skyrl.includes(`creditlab_${name}`));
      }
      assert.ok(res.registered.verl.includes("creditlab_cw_grpo"));
      for (const m of METHODS) {
        records.forEach((rec, i) => {
          const w = want[m]![i]!;
          const tid = rec.trajectory_id;
          for (const engine of ["verl", "skyrl"] as const) {
            assert.deepEqual(
              Float32Array.from(res[engine][m]![tid]!),
              w,
              `${engine} ${m} ${tid} advantages`,
            );
          }
          // rLLM: one list per policy turn (step), its span of the advantages; the
          // environment's tokens, which no step holds, get no credit in creditlab either.
          const policy = rec.turns.filter((t) => t.role === "policy");
          const steps = res.rllm[m]![tid]!;
          assert.equal(steps.length, policy.length, `rllm ${m} ${tid} steps`);
          policy.forEach((t, k) => {
            assert.deepEqual(
              Float32Array.from(steps[k]!),
              w.slice(t.start, t.end),
              `rllm ${m} ${tid} step ${k}`,
            );
          });
          for (const t of rec.turns.filter((t) => t.role !== "policy")) {
            assert.ok(w.slice(t.start, t.end).every((x) => x === 0), `${m} ${tid} env tokens`);
          }
        });
      }
      // The records each adapter built from its engine's fields are the exported ones.
      for (const engine of ["verl", "skyrl", "rllm"]) {
        const built = res.records[engine]!;
        const byId = new Map(built.map((b) => [b.trajectory_id, b]));
        for (const rec of records) {
          const b = byId.get(rec.trajectory_id)!;
          assert.ok(b, `${engine}: ${rec.trajectory_id} built`);
          for (
            const k of [
              "uid",
              "data_source",
              "question_id",
              "ground_truth",
              "prompt_ids",
              "prompt_text",
              "response_ids",
              "response_mask",
              "turns",
            ] as const
          ) {
            assert.deepEqual(
              b[k],
              JSON.parse(JSON.stringify(rec[k])),
              `${engine} ${rec.trajectory_id} ${k}`,
            );
          }
          assert.equal(b.outcome_reward, outcomes[rec.trajectory_id]);
        }
      }
      // Errors come back naming the record and field.
      assert.equal(res.error.status, 400);
      assert.equal(res.error.at, "records[0]");
      assert.match(res.error.field, /^response_mask\[0\]/);
    } finally {
      await server.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
