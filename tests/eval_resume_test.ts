/**
 * `deno task eval --policy URL` killed with SIGKILL part-way and run again with the same
 * arguments: the run resumes, the questions recorded before are not asked again (requests
 * counted at a real OpenAI-compatible server on 127.0.0.1), and the recorded evaluation (n,
 * EM, F1, extra, per-question items) equals that of an uninterrupted run. A line torn by the
 * kill is dropped with a note.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildTestbed, getPreset } from "@creditlab/experiments";
import { RunStore } from "@creditlab/runstore";
import { withTempDir } from "@creditlab/core/testing";

const LIMIT = 16;
const questions = buildTestbed(getPreset("smoke")).test.slice(0, LIMIT);
const byText = new Map(questions.map((q) => [q.question, q]));

/**
 * A two-round policy (search, then answer; right on every other question) that advertises the
 * short prompt, answers each request after `delayMs`, and counts requests per question.
 */
function policyServer(delayMs: number) {
  const asked = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    if (new URL(req.url).pathname === "/v1/models") {
      return Response.json({
        object: "list",
        data: [{ id: "scripted", creditlab: { prompt_format: "short", entity_coding: "words" } }],
      });
    }
    const { prompt } = await req.json() as { prompt: string };
    const q = byText.get(/^question : (.*?) tools :/.exec(prompt)?.[1] ?? "");
    if (q === undefined) return new Response(`unknown question in ${prompt}`, { status: 400 });
    asked.set(q.id, (asked.get(q.id) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, delayMs));
    const n = Number(q.id.split("-").pop());
    const text = !prompt.includes("<information>")
      ? `<search> ${q.question.replace(/ \?$/, "")}`
      : `<answer> ${n % 2 === 0 ? q.goldenAnswers[0] : "nobody"}`;
    const stop = text.startsWith("<search>") ? "</search>" : "</answer>";
    return Response.json({ choices: [{ text, finish_reason: "stop", stop_reason: stop }] });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, asked, server };
}

const main = new URL("../main.ts", import.meta.url).pathname;
const evalArgs = (url: string, out: string) => [
  "run",
  "-A",
  main,
  "eval",
  "--policy",
  url,
  "--benchmarks",
  "searchworld",
  "--limit",
  String(LIMIT),
  "--preset",
  "smoke",
  "--out",
  out,
  "--concurrency",
  "2",
  "--retries",
  "0",
  "--backend",
  "cpu",
];

async function runEval(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" })
    .output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  return { code: out.code, stderr };
}

async function recorded(out: string) {
  const store = await RunStore.open(join(out, "creditlab.duckdb"), { readOnly: true });
  try {
    const runs = await store.listRuns({ experiment: "eval" });
    const evals = await store.evals();
    const items = await store.evalItems();
    return { runs, evals, items };
  } finally {
    store.close();
  }
}

const outcomeLines = async (path: string) =>
  (await Deno.readTextFile(path).catch(() => "")).split("\n").slice(1).filter((l) => l !== "");

Deno.test("eval --policy URL: killed with SIGKILL, resumed by the same command, equals an uninterrupted run", async () => {
  const { url, asked, server } = policyServer(40);
  try {
    await withTempDir(async (dir) => {
      const whole = join(dir, "whole"), killed = join(dir, "killed");
      await runEval(evalArgs(url, whole));
      const reference = await recorded(whole);
      assert.equal(reference.evals.length, 1);
      assert.equal(reference.evals[0]!.n, LIMIT);
      assert.ok(reference.evals[0]!.em > 0.3 && reference.evals[0]!.em < 0.7);
      asked.clear();

      // Kill the evaluation once 5 questions are in its progress file.
      const progress = join(killed, "eval-progress", "r0001-eval-s1", "searchworld.jsonl");
      const child = new Deno.Command(Deno.execPath(), {
        args: evalArgs(url, killed),
        stdout: "null",
        stderr: "null",
      }).spawn();
      try {
        const t0 = Date.now();
        while ((await outcomeLines(progress)).length < 5) {
          assert.ok(Date.now() - t0 < 60_000, "the evaluation recorded no progress in 60 s");
          await new Promise((r) => setTimeout(r, 20));
        }
        child.kill("SIGKILL");
      } finally {
        await child.status;
      }
      const answered = (await outcomeLines(progress)).map((l) => JSON.parse(l).id as string);
      assert.ok(answered.length >= 5 && answered.length < LIMIT, `${answered.length} answered`);
      // as if the kill had come while a line was being written
      await Deno.writeTextFile(progress, '{"i": 15, "id": "searchworld-te', { append: true });
      asked.clear();

      const { stderr } = await runEval(evalArgs(url, killed));
      assert.match(stderr, /eval: resuming run r0001-eval-s1 \(interrupted: /);
      assert.match(stderr, /searchworld\.jsonl:\d+: incomplete last line .* ignored/);
      assert.match(
        stderr,
        new RegExp(`${answered.length} of ${LIMIT} questions answered before`),
      );
      for (const id of answered) assert.equal(asked.get(id), undefined, `${id} was asked again`);
      assert.equal(asked.size, LIMIT - answered.length);

      const got = await recorded(killed);
      assert.deepEqual(got.runs.map((r) => [r.id, r.status]), [["r0001-eval-s1", "completed"]]);
      const config = got.runs[0]!.config as Record<string, unknown>;
      assert.deepEqual(config.servedModels, ["scripted"]); // the model behind the URL
      const strip = <T extends { runId: string }>(xs: T[]) =>
        xs.map(({ runId: _, ...rest }) => rest);
      assert.deepEqual(strip(got.evals), strip(reference.evals));
      assert.deepEqual(strip(got.items), strip(reference.items));
      assert.equal(got.items.length, LIMIT);
      await assert.rejects(Deno.stat(join(killed, "eval-progress")), Deno.errors.NotFound);

      // Run once more: the completed run is not resumed, a new one is recorded.
      asked.clear();
      await runEval(evalArgs(url, killed));
      assert.equal(asked.size, LIMIT);
      assert.deepEqual((await recorded(killed)).runs.map((r) => r.status), [
        "completed",
        "completed",
      ]);
    });
  } finally {
    await server.shutdown();
  }
});
