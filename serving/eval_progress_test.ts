/**
 * Resuming an endpoint evaluation: EvalProgress on real files (reopen, a torn last line dropped
 * and cut off, another evaluation's file refused naming the field, a bad line refused naming
 * the line and field), and evaluateEndpoint against a real HTTP server on 127.0.0.1, stopped
 * after a few questions and resumed: the result equals an uninterrupted run and no question
 * recorded before is asked again (requests counted at the server).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Question, SearchTool } from "@creditlab/core";
import { EndpointPolicy } from "./endpoint.ts";
import { EvalProgress } from "./eval_progress.ts";
import { evaluateEndpoint, type QuestionOutcome } from "./evaluate_endpoint.ts";

const questions: Question[] = Array.from({ length: 12 }, (_, i) => ({
  id: `q${i}`,
  question: `who founded company${i} ?`,
  goldenAnswers: [`founder${i}`],
  benchmark: "nq",
  split: "test",
}));
const identity = {
  run: "r0001-eval-s1",
  benchmark: "nq",
  config: { policy: "http://127.0.0.1:1", decoding: { temperature: 0, maxTurnTokens: 8 } },
};

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "creditlab-eval-progress-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const outcome = (i: number): QuestionOutcome => ({
  answer: i % 3 === 0 ? null : `answer ${i}`,
  toolCalls: i % 2,
  failure: i % 3 === 0 ? "round 1: HTTP 500" : null,
});

Deno.test("EvalProgress: outcomes survive a reopen; a torn last line is dropped, logged and cut off", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "run", "nq.jsonl");
    const p = await EvalProgress.open(path, { ...identity, questions });
    assert.equal(p.answered.size, 0);
    await Promise.all([p.record(4, outcome(4)), p.record(0, outcome(0)), p.record(7, outcome(7))]);
    await p.close();
    // killed while writing the next line: part of it reached the file, without its newline
    const whole = await Deno.readTextFile(path);
    await Deno.writeTextFile(path, '{"i": 9, "id": "q9", "ans', { append: true });
    const logged: string[] = [];
    const q = await EvalProgress.open(path, { ...identity, questions, log: (l) => logged.push(l) });
    assert.deepEqual(
      [...q.answered.entries()].sort((a, b) => a[0] - b[0]),
      [[0, outcome(0)], [4, outcome(4)], [7, outcome(7)]],
    );
    assert.equal(logged.length, 1);
    assert.match(
      logged[0]!,
      /nq\.jsonl:5: incomplete last line .* ignored; that question is asked again/,
    );
    assert.equal(await Deno.readTextFile(path), whole, "the torn line is cut off");
    await q.record(9, outcome(9));
    await q.close();
    const r = await EvalProgress.open(path, { ...identity, questions, log: (l) => logged.push(l) });
    assert.deepEqual(r.answered.get(9), outcome(9));
    assert.equal(logged.length, 1);
    await r.remove();
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  });
});

Deno.test("EvalProgress: another evaluation's file is refused naming the file and the field", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "nq.jsonl");
    await (await EvalProgress.open(path, { ...identity, questions })).close();
    const decoding = { ...identity.config.decoding, maxTurnTokens: 16 };
    await assert.rejects(
      EvalProgress.open(path, { ...identity, config: { ...identity.config, decoding }, questions }),
      new RegExp(
        `^Error: ${path} belongs to another evaluation: field config\\.decoding\\.maxTurnTokens ` +
          `is 8 there, 16 here; delete the file or run with --fresh to start over`,
      ),
    );
    const changed = questions.map((q, i) => i === 5 ? { ...q, goldenAnswers: ["someone"] } : q);
    await assert.rejects(
      EvalProgress.open(path, { ...identity, questions: changed }),
      /belongs to another evaluation: field questions\.sha256 is "[0-9a-f]{64}" there, "[0-9a-f]{64}" here/,
    );
    await assert.rejects(
      EvalProgress.open(path, { ...identity, questions: questions.slice(0, 10) }),
      /field questions\.n is 12 there, 10 here/,
    );
  });
});

Deno.test("EvalProgress: a bad outcome line is refused naming the file, line and field", async () => {
  await withDir(async (dir) => {
    const path = join(dir, "nq.jsonl");
    const header = await (async () => {
      await (await EvalProgress.open(path, { ...identity, questions })).close();
      return await Deno.readTextFile(path);
    })();
    const cases: [string, RegExp][] = [
      [
        '{"i": 3, "id": "q4", "answer": null, "toolCalls": 0, "failure": null}',
        /:2: field id: question 3 is "q3", got "q4"/,
      ],
      [
        '{"i": 12, "id": "q12", "answer": null, "toolCalls": 0, "failure": null}',
        /:2: field i: expected a question index in \[0, 12\), got 12/,
      ],
      [
        '{"i": 1, "id": "q1", "answer": 3, "toolCalls": 0, "failure": null}',
        /:2: field answer: expected a string or null, got 3/,
      ],
      [
        '{"i": 1, "id": "q1", "answer": "x", "toolCalls": -1, "failure": null}',
        /:2: field toolCalls: expected an integer >= 0, got -1/,
      ],
      ["not json", /:2: not JSON/],
    ];
    for (const [line, message] of cases) {
      await Deno.writeTextFile(path, `${header}${line}\n`);
      await assert.rejects(EvalProgress.open(path, { ...identity, questions }), message, line);
    }
    const ok = '{"i": 1, "id": "q1", "answer": "x", "toolCalls": 0, "failure": null}';
    await Deno.writeTextFile(path, `${header}${ok}\n${ok}\n`);
    await assert.rejects(
      EvalProgress.open(path, { ...identity, questions }),
      /:3: field i: question 1 \(q1\) is recorded twice/,
    );
  });
});

/** A two-round policy on 127.0.0.1: search, then answer; counts requests per question. */
function policyServer() {
  const asked = new Map<string, number>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const { prompt } = await req.json() as { prompt: string };
    const i = Number(/company(\d+)/.exec(prompt)![1]);
    asked.set(`q${i}`, (asked.get(`q${i}`) ?? 0) + 1);
    await new Promise((r) => setTimeout(r, 5 + (i * 7) % 11)); // questions end out of order
    if (!prompt.includes("<information>")) {
      return Response.json({
        choices: [{
          text: `<search> company${i}`,
          finish_reason: "stop",
          stop_reason: "</search>",
        }],
      });
    }
    if (i === 5) return new Response("model crashed", { status: 500 }); // a recorded failure
    const answer = i % 2 === 0 ? `founder${i}` : "nobody";
    return Response.json({
      choices: [{ text: `<answer> ${answer}`, finish_reason: "stop", stop_reason: "</answer>" }],
    });
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, asked, server };
}

const search: SearchTool = {
  search: (query) =>
    Promise.resolve([{ id: query, title: query, text: `${query} facts`, score: 1 }]),
};

Deno.test("evaluateEndpoint resumed from its progress file equals an uninterrupted run and asks no answered question again", async () => {
  const { url, asked, server } = policyServer();
  try {
    await withDir(async (dir) => {
      const opts = {
        search,
        maxSearchTurns: 2,
        topK: 1,
        maxTurnTokens: 8,
        temperature: 0,
        seed: 3,
        benchmark: "nq",
        split: "test",
      };
      const policy = () => new EndpointPolicy({ baseUrl: url, retries: 0, concurrency: 3 });
      const whole = await evaluateEndpoint(questions, { ...opts, policy: policy() });
      assert.deepEqual(whole.failures.map((f) => f.questionId), ["q5"]);
      assert.ok(whole.em > 0 && whole.em < 1);
      asked.clear();

      // The first run stops after 5 questions have ended (as a kill would).
      const path = join(dir, "nq.jsonl");
      const first = await EvalProgress.open(path, { ...identity, questions });
      let recorded = 0;
      await assert.rejects(
        evaluateEndpoint(questions, {
          ...opts,
          policy: policy(),
          onOutcome: async (i, o) => {
            if (recorded === 5) throw new Error("killed");
            recorded++;
            await first.record(i, o);
          },
        }),
        /killed/,
      );
      await first.close();
      await new Promise((r) => setTimeout(r, 100)); // the first run's requests in flight end
      asked.clear();

      const again = await EvalProgress.open(path, { ...identity, questions });
      assert.equal(again.answered.size, 5);
      const before = new Set([...again.answered.keys()].map((i) => questions[i]!.id));
      const resumed = await evaluateEndpoint(questions, {
        ...opts,
        policy: policy(),
        answered: again.answered,
        onOutcome: (i, o) => again.record(i, o),
      });
      await again.close();
      assert.deepEqual(resumed, whole);
      for (const id of before) assert.equal(asked.get(id), undefined, `${id} was asked again`);
      assert.deepEqual(
        [...asked.keys()].sort(),
        questions.map((q) => q.id).filter((id) => !before.has(id)).sort(),
      );
      const all = await EvalProgress.open(path, { ...identity, questions });
      assert.equal(all.answered.size, questions.length, "every question is in the file now");
      await all.close();
    });
  } finally {
    await server.shutdown();
  }
});
