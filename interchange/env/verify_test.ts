/**
 * `POST /verify` over a real server on 127.0.0.1: SearchWorld answers equal the world's own
 * verifier at every detail level (one hand-checked), the LLM verifier reaches a real
 * OpenAI-compatible chat server and parses its reply, 501 without one, 502 when it fails, and
 * 400s name the field.
 */
import assert from "node:assert/strict";
import type { Question } from "@creditlab/core";
import { formatFeedback } from "@creditlab/agent";
import { generateWorld, worldPreset } from "@creditlab/datasets";
import { EndpointPolicy } from "@creditlab/serving";
import { loadBenchmarkSources } from "./benchmark_source.ts";
import { LlmBackend } from "./llm_backend.ts";
import { loadWorldSource } from "./searchworld_source.ts";
import { postJson, startChatStub, withEnvServer } from "./testing.ts";
import { FEEDBACK_DETAILS } from "./verify.ts";

/** Verdicts the tests expect. */
const CORRECT = { correct: true, kind: "correct" };
const WRONG = { correct: false, kind: "wrong" };
const WRONG_TYPE = { correct: false, kind: "wrong-type" };

/** POST `items` to `/verify` as one batch, answered 200: its verdicts in order and its LLM use. */
async function verifyBatch(
  url: string,
  items: Record<string, string>[],
): Promise<{ verdicts: unknown[]; llm: unknown }> {
  const res = await postJson(url, "/verify", { items });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const verdicts = res.body.results.map((r: { verdict: unknown }) => r.verdict);
  return { verdicts, llm: res.body.llm };
}

/** Drafts that reach every rule of the SearchWorld verifier. */
function draftsFor(q: Question, names: { wrongType: string; sameType: string }): string[] {
  const chain = q.goldChain!;
  return [
    q.goldenAnswers[0]!,
    `The ${q.goldenAnswers[0]!.toUpperCase()}.`,
    String(q.metadata?.["start"]),
    ...chain.slice(0, -1).map((s) => s.entity),
    names.wrongType,
    names.sameType,
    q.goldenAnswers[0]!.split(" ")[0]!,
    "zzz qqq",
    "",
  ];
}

Deno.test("serve-env /verify: SearchWorld answers equal the world's verifier, every detail", async () => {
  // The in-process world, generated independently with the seed serve-env uses by default.
  const world = generateWorld(worldPreset("easy"), { seed: 7 });
  await withEnvServer({ sources: [loadWorldSource("searchworld:easy")] }, async (url) => {
    // Hand-checked: searchworld-train-0 asks "which country is the country of the birthplace of
    // fupar zesur ?" (chain: birthplace -> fishak zomuth, a city; country -> vakek thegur).
    // The bridge city is a wrong hop with one hop left; the hint names the next relation.
    const one = await postJson(url, "/verify", {
      question_id: "searchworld-train-0",
      draft: "fishak zomuth",
      detail: "hint",
    });
    assert.equal(one.status, 200);
    const text = "wrong hop : you gave an intermediate city on the path , not the final entity . " +
      "the question asks for a country . follow one more hop . " +
      "hint : next follow the country relation of that city .";
    assert.deepEqual(one.body, {
      verdict: { correct: false, kind: "wrong-hop" },
      text,
      observation: `<verifier> ${text} </verifier>`,
    });

    const questions = [
      ...world.questions("train").slice(0, 25),
      ...world.questions("test").slice(0, 8),
    ];
    const kinds = new Set<string>();
    for (const detail of FEEDBACK_DETAILS) {
      const items: { question_id: string; draft: string; detail: string }[] = [];
      const expected: unknown[] = [];
      for (const q of questions) {
        const answerType = world.entityByName(q.goldenAnswers[0]!)!.type;
        const names = {
          wrongType: world.entities.find((e) => e.type !== answerType)!.name,
          sameType: world.entities.find((e) =>
            e.type === answerType && e.name !== q.goldenAnswers[0]
          )!.name,
        };
        for (const draft of draftsFor(q, names)) {
          items.push({ question_id: q.id, draft, detail });
          const fb = await world.verifier({ detail }).verify(q, draft);
          kinds.add(fb.kind);
          expected.push({
            verdict: { correct: fb.correct, kind: fb.kind },
            text: fb.text,
            observation: formatFeedback(fb.text),
          });
        }
      }
      const res = await postJson(url, "/verify", { items });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body, { results: expected }, detail);
    }
    // Every rule of the verifier was exercised.
    for (const k of ["correct", "wrong-hop", "wrong-type", "missing-entity", "wrong"]) {
      assert.ok(kinds.has(k), k);
    }
  });
});

Deno.test({
  name: "serve-env /verify: the LLM verifier through a real OpenAI-compatible chat server",
  async fn() {
    const stub = startChatStub({
      reply: () => '{"kind": "wrong-type", "feedback": "Sochi is a city; a country is asked for."}',
    });
    const [bamboogle] = await loadBenchmarkSources(["bamboogle"]);
    const client = new EndpointPolicy({ baseUrl: stub.url, api: "chat", model: "stub-judge" });
    const llm = new LlmBackend(client, { endpoint: stub.url, model: "stub-judge" });
    try {
      await withEnvServer({ sources: [bamboogle!], llm }, async (url) => {
        const one = await postJson(url, "/verify", {
          question: "Which country hosted the 2014 Winter Olympics?",
          answers: ["Russia"],
          draft: "Sochi",
        });
        assert.equal(one.status, 200);
        assert.deepEqual(one.body.verdict, WRONG_TYPE);
        assert.equal(one.body.text, "Sochi is a city; a country is asked for.");
        // The request reached the chat server, with the model, the question and the draft.
        assert.equal(stub.requests.length, 1);
        const [req] = stub.requests;
        assert.equal(req!.path, "/v1/chat/completions");
        assert.equal(req!.model, "stub-judge");
        assert.equal(req!.messages[0]!.role, "system");
        assert.match(req!.messages[0]!.content, /privileged answer verifier/);
        assert.match(req!.messages[1]!.content, /Which country hosted the 2014 Winter Olympics\?/);
        assert.match(req!.messages[1]!.content, /Draft answer: "Sochi"/);

        // A batch of benchmark questions by id: a repeated draft is answered from the request's
        // cache, an exact match needs no call; the request's calls are reported.
        const washington = {
          data_source: "bamboogle",
          question_id: "test_0",
          draft: "George Washington",
        };
        const batch = await verifyBatch(url, [
          washington,
          washington,
          { question_id: "test_0", draft: "James Madison", detail: "hint" },
        ]);
        assert.deepEqual(batch.verdicts, [WRONG_TYPE, WRONG_TYPE, CORRECT]);
        assert.deepEqual(batch.llm, { calls: 1, cache_hits: 1, parse_failures: 0 });
        assert.equal(stub.requests.length, 2);
        assert.match(stub.requests[1]!.messages[1]!.content, /Reference answers: "james madison"/);
      });
    } finally {
      await stub.close();
    }
  },
});

Deno.test("serve-env /verify: 501 naming the flag without an LLM, except at correctness", async () => {
  const [bamboogle] = await loadBenchmarkSources(["bamboogle"]);
  await withEnvServer({ sources: [bamboogle!] }, async (url) => {
    const no = await postJson(url, "/verify", { question_id: "test_0", draft: "x" });
    assert.equal(no.status, 501);
    assert.match(no.body.error, /--judge-endpoint URL/);
    const inline = await postJson(url, "/verify", { question: "q?", answers: ["a"], draft: "b" });
    assert.equal(inline.status, 501);
    // correctness is exact match: no model needed.
    const ok = await verifyBatch(url, [
      { question_id: "test_0", draft: "James Madison", detail: "correctness" },
      { question_id: "test_0", draft: "x", detail: "correctness" },
    ]);
    assert.deepEqual(ok.verdicts, [CORRECT, WRONG]);
  });
});

Deno.test({
  name: "serve-env /verify: 502 when the LLM endpoint fails; 400 naming the field",
  async fn() {
    const stub = startChatStub({ reply: () => "", status: 400 });
    const client = new EndpointPolicy({ baseUrl: stub.url, api: "chat", retries: 0 });
    const llm = new LlmBackend(client, { endpoint: stub.url, model: "default" });
    try {
      await withEnvServer({ sources: [loadWorldSource("searchworld:easy")], llm }, async (url) => {
        const bad = await postJson(url, "/verify", { question: "q?", answers: ["a"], draft: "b" });
        assert.equal(bad.status, 502);
        assert.match(bad.body.error, /the LLM endpoint failed/);
        const cases: [unknown, string][] = [
          [{ question_id: "searchworld-train-0" }, "draft"],
          [
            { items: [{ question_id: "searchworld-train-0", draft: "a" }, { draft: 3 }] },
            "items[1].draft",
          ],
          [{ question_id: "searchworld-train-0", draft: "a", detail: "all" }, "detail"],
          [{ question_id: "searchworld-train-0", draft: "a", drafts: [] }, "drafts"],
          [{ question_id: "nope", draft: "a" }, "question_id"],
          [{ data_source: "nq", question_id: "test_0", draft: "a" }, "data_source"],
          [{ question: "q?", draft: "a" }, "answers"],
          [{ question_id: "searchworld-train-0", answers: ["x"], draft: "a" }, "answers"],
        ];
        for (const [body, field] of cases) {
          const res = await postJson(url, "/verify", body);
          assert.equal(res.status, 400, JSON.stringify(body));
          assert.equal(res.body.field, field, res.body.error);
        }
        // A bad item fails the whole request before any model call.
        assert.equal(stub.requests.length, 1);
      });
    } finally {
      await stub.close();
    }
  },
});
