/**
 * The CLI end to end: `deno task reproduce capf --preset smoke` (SFT, grpo baseline and CAPF
 * from the same checkpoint, evaluations, report) in a temporary results folder, then the SFT
 * checkpoint evaluated twice — directly and through our own `serve` endpoint on 127.0.0.1 —
 * with the same answers.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { initBackend, loadCheckpoint } from "@creditlab/kernels";
import { evaluateLocal } from "@creditlab/agent";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { readLookup, RunStore } from "@creditlab/runstore";
import { EndpointPolicy, evaluateEndpoint, startServer } from "@creditlab/serving";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test({
  name:
    "reproduce capf --preset smoke: both arms trained, evaluated, reported; serve gives the same EM",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "creditlab-reproduce-" });
    try {
      const cmd = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "main.ts",
          "reproduce",
          "capf",
          "--preset",
          "smoke",
          "--out",
          out,
          "--reports",
          join(out, "reports"),
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      });
      const res = await cmd.output();
      const err = new TextDecoder().decode(res.stderr);
      assert.equal(res.code, 0, `reproduce failed:\n${err.slice(-3000)}`);

      const store = await RunStore.open(join(out, "creditlab.duckdb"), { readOnly: true });
      const runs = await store.listRuns({});
      const byArm = new Map(runs.map((r) => [`${r.experiment}/${r.arm}/${r.method}`, r]));
      // The warm start is trained once and evaluated once, as the experiment's start arm.
      const sftRun = byArm.get("sft/sft/sft");
      assert.equal(sftRun?.status, "completed", "the SFT warm start run completed");
      assert.deepEqual(await store.evals(sftRun.id), [], "the SFT run itself is not evaluated");
      assert.equal(
        (await store.steps(sftRun.id, "sft/loss")).length,
        getPreset("smoke").sft.steps,
      );
      for (const key of ["capf/start/sft", "capf/baseline/grpo", "capf/method/capf"]) {
        const r = byArm.get(key);
        assert.ok(r, `no run ${key}; runs: ${[...byArm.keys()].join(", ")}`);
        assert.equal(r.status, "completed", `${key} is ${r.status}`);
        const evals = await store.evals(r.id);
        assert.deepEqual(
          evals.map((e) => e.benchmark).sort(),
          ["searchworld", "searchworld-ood"],
          `${key} evaluations`,
        );
        for (const e of evals) {
          assert.ok(e.n > 0 && e.em >= 0 && e.em <= 1);
          // EM per hop count: SearchWorld easy has one- and two-hop questions, and the parts
          // add up to the whole.
          const byHops = e.extra["byHops"] as Record<string, { n: number; em: number }>;
          assert.deepEqual(Object.keys(byHops), ["1", "2"], `${key} ${e.benchmark} byHops`);
          const parts = Object.values(byHops);
          assert.equal(parts.reduce((a, h) => a + h.n, 0), e.n);
          assert.ok(Math.abs(parts.reduce((a, h) => a + h.n * h.em, 0) / e.n - e.em) < 1e-9);
          // The lookup probe: one target per hop the retrieval found (1.5 hops per question).
          const look = readLookup(e.extra);
          assert.ok(look, `${key} ${e.benchmark} lookup recorded`);
          assert.ok(look.n > e.n && look.n <= 2 * e.n, `${key} ${e.benchmark} lookup n ${look.n}`);
          assert.ok(look.accuracy >= 0 && look.accuracy <= 1);
          assert.ok(look.chance > 0.2 && look.chance < 1, `chance ${look.chance}`);
        }
      }
      // Every arm of the experiment was evaluated on the same held-out questions, per question.
      const itemsOf = async (key: string, benchmark: string) =>
        (await store.evalItems({ runId: byArm.get(key)!.id, benchmark })).map((i) => i.questionId);
      for (const benchmark of ["searchworld", "searchworld-ood"]) {
        const start = await itemsOf("capf/start/sft", benchmark);
        assert.equal(start.length, getPreset("smoke").eval.testQuestions);
        assert.deepEqual(await itemsOf("capf/baseline/grpo", benchmark), start);
        assert.deepEqual(await itemsOf("capf/method/capf", benchmark), start);
      }
      assert.equal(
        ((await store.listRuns({})).find((r) => r.arm === "start")?.config as
          | Record<string, unknown>
          | undefined)?.["regime"],
        "mixed",
        "the smoke preset runs every experiment in the mixed regime",
      );
      const capfRun = byArm.get("capf/method/capf")!;
      const calls = (await store.steps(capfRun.id, "feedback_calls/mean")).map((s) => s.value);
      assert.ok(calls.length > 0, "CAPF logged its feedback calls per step");
      const baseRun = byArm.get("capf/baseline/grpo")!;
      const baseCalls = (await store.steps(baseRun.id, "feedback_calls/mean")).map((s) => s.value);
      assert.ok(baseCalls.every((v) => v === 0), "the baseline is never offered the feedback call");
      // Experiment (d) of issue 19 on the same store: the warm start and the CAPF checkpoint
      // evaluated again without the call (the recorded in-domain EM, exactly) and with it.
      const probeFile = join(out, "probe.jsonl");
      const probe = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "main.ts",
          "probe-call",
          "capf",
          "--preset",
          "smoke",
          "--out",
          out,
          "--seeds",
          "1",
          "--results",
          probeFile,
        ],
        cwd: ROOT,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(probe.code, 0, new TextDecoder().decode(probe.stderr).slice(-2000));
      const lines = (await Deno.readTextFile(probeFile)).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(lines.map((l) => l.arm), ["start", "method"]);
      for (const l of lines) {
        const run = byArm.get(l.arm === "start" ? "capf/start/sft" : "capf/method/capf")!;
        const recorded = (await store.evals(run.id)).find((e) => e.benchmark === "searchworld")!;
        assert.equal(l.emWithout, recorded.em, `${l.arm}: the deployment prompt's EM as recorded`);
        assert.equal(l.feedback.episodes, l.n);
        assert.ok(l.feedback.repaired <= l.feedback.notCorrect && l.feedback.called <= l.n);
      }
      store.close();
      const report = await Deno.readTextFile(join(out, "reports", "capf.md"));
      assert.match(report, /searchworld/i);
      assert.match(report, /2606\.01830|CAPF/);

      // Served vs direct evaluation of the SFT checkpoint.
      await initBackend();
      const preset = getPreset("smoke");
      const testbed = buildTestbed(preset);
      const ckpt = join(out, "checkpoints", "sft", "smoke", "seed-1", "model.safetensors");
      const questions = testbed.test.slice(0, 20);
      const { model } = await loadCheckpoint(ckpt);
      const direct = await evaluateLocal(questions, {
        model,
        tokenizer: testbed.tokenizer,
        search: testbed.search,
        config: preset.eval.rollout,
        batchSize: 20,
        seed: 1,
        benchmark: "searchworld",
        split: "test",
        anonymizer: testbed.anonymizer!,
      });
      model.dispose();
      const server = await startServer({ checkpoint: ckpt, port: 0, host: "127.0.0.1" });
      try {
        const served = await evaluateEndpoint(questions, {
          policy: new EndpointPolicy({ baseUrl: server.url }),
          search: testbed.search,
          maxSearchTurns: preset.eval.rollout.maxSearchTurns,
          topK: preset.eval.rollout.topK,
          maxTurnTokens: preset.eval.rollout.maxTurnTokens,
          temperature: 0,
          benchmark: "searchworld",
          split: "test",
          anonymizer: testbed.anonymizer!,
        });
        assert.equal(served.em, direct.em);
        assert.deepEqual(
          served.records.map((r) => [r.questionId, r.answer, r.toolCalls]),
          direct.records.map((r) => [r.questionId, r.answer, r.toolCalls]),
        );
      } finally {
        await server.close();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
