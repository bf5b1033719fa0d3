/**
 * `POST /judge` over a real server on 127.0.0.1: SearchWorld scores equal the world's oracle
 * judge on rounds searched with the world's own BM25 (one hand-checked), the LLM judge reaches
 * a real OpenAI-compatible chat server without seeing the final answer, 501 without one, and
 * 400 / 422 name the field.
 */
import assert from "node:assert/strict";
import type { JudgedRound, Passage } from "@creditlab/core";
import { formatPassages } from "@creditlab/agent";
import { Bm25Index, generateWorld, worldPreset } from "@creditlab/datasets";
import { EndpointPolicy } from "@creditlab/serving";
import { loadBenchmarkSources } from "./benchmark_source.ts";
import { LlmBackend } from "./llm_backend.ts";
import { loadWorldSource } from "./searchworld_source.ts";
import { postJson, startChatStub, withEnvServer } from "./testing.ts";

Deno.test("serve-env /judge: SearchWorld scores equal the world's oracle judge", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 7 });
  const index = Bm25Index.build(world.corpus);
  await withEnvServer({ sources: [loadWorldSource("searchworld:easy")] }, async (url) => {
    // Hand-checked on searchworld-train-0 (chain: birthplace of fupar zesur -> fishak zomuth,
    // country -> vakek thegur): round 1 searches hop 1 and reads its fact (relevant and new,
    // useful query: 1/1); round 2 repeats it (nothing new; hop 2's subject is not in the query:
    // 0/0); round 3 names hop 2's subject but reads nothing (0/1).
    const fact = '"fupar zesur"\nthe birthplace of fupar zesur is fishak zomuth .';
    const hand = await postJson(url, "/judge", {
      question_id: "searchworld-train-0",
      rounds: [
        { thinking: "first the birthplace", query: "fupar zesur birthplace", passages: [fact] },
        { query: "fupar zesur birthplace", passages: [fact] },
        { query: "fishak zomuth country", observation: "<information> </information>" },
      ],
      answer: "vakek thegur",
    });
    assert.equal(hand.status, 200, JSON.stringify(hand.body));
    assert.deepEqual(hand.body, {
      scores: [
        { round: 1, retrieval: 1, thinking: 1 },
        { round: 2, retrieval: 0, thinking: 0 },
        { round: 3, retrieval: 0, thinking: 1 },
      ],
    });

    // Rounds as a rollout would have them: each hop's gold query, searched top-3 with BM25 over
    // the world's corpus, plus a repeated search and a feedback call; sent in the three round
    // forms (parts + passages, raw text + raw observation, Search-R1 /retrieve entries).
    const items: unknown[] = [];
    const expected: unknown[] = [];
    const oracle = world.roundJudge();
    let ones = 0;
    for (const q of world.questions("train").slice(0, 30)) {
      const judged: JudgedRound[] = [];
      const sent: unknown[] = [];
      const add = (query: string, passages: Passage[], form: number) => {
        const thinking = `looking for ${query}`;
        const policyText = `<think> ${thinking} </think> <search> ${query} </search>`;
        const observationText = formatPassages(passages);
        judged.push({
          round: judged.length + 1,
          policyText,
          action: { kind: "search", query },
          observationText,
        });
        if (form === 0) {
          sent.push({
            thinking,
            query,
            passages: passages.map(({ title, text }) => ({ title, text })),
          });
        } else if (form === 1) sent.push({ text: policyText, observation: observationText });
        else {
          sent.push({
            thinking,
            query,
            passages: passages.map((p) => ({
              document: { id: p.id, contents: `"${p.title}"\n${p.text}` },
              score: p.score,
            })),
          });
        }
      };
      for (const [j, step] of q.goldChain!.entries()) {
        add(step.query, index.search(step.query, 3), j % 3);
        if (j === 0) add(step.query, index.search(step.query, 3), 1);
      }
      const draft = q.goldChain![0]!.entity;
      judged.push({
        round: judged.length + 1,
        policyText: `<feedback> ${draft} </feedback>`,
        action: { kind: "feedback", draft },
        observationText: "<verifier> wrong hop </verifier>",
      });
      sent.push({ draft, observation: "<verifier> wrong hop </verifier>" });
      const scores = await oracle.score(q, judged);
      ones += scores.filter((s) => s.retrieval + s.thinking === 2).length;
      items.push({ question_id: q.id, rounds: sent });
      expected.push({ scores: scores.map((s, i) => ({ round: i + 1, ...s })) });
    }
    const res = await postJson(url, "/judge", { items });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { results: expected });
    assert.ok(ones > 10, `${ones} rounds scored 1/1`);
  });
});

Deno.test({
  name: "serve-env /judge: the LLM judge through a real OpenAI-compatible chat server",
  async fn() {
    const stub = startChatStub({
      reply: (m) =>
        /Current round:\n\[Round 2\]/.test(m[1]?.content ?? "")
          ? "I cannot tell."
          : '```json\n{"retrieval": 1, "thinking": 0}\n```',
    });
    const client = new EndpointPolicy({ baseUrl: stub.url, api: "chat", model: "stub-judge" });
    const llm = new LlmBackend(client, { endpoint: stub.url, model: "stub-judge" });
    try {
      await withEnvServer({ sources: [], llm }, async (url) => {
        const res = await postJson(url, "/judge", {
          items: [{
            question: "Which country hosted the 2014 Winter Olympics?",
            rounds: [
              {
                thinking: "who hosted",
                query: "2014 winter olympics host",
                passages: [{ title: "Sochi", text: "Sochi hosted the 2014 Winter Olympics." }],
              },
              { query: "Sochi country", passages: [] },
            ],
            answer: "Russia",
          }],
        });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        // Round 2's reply did not parse: 0/0, counted.
        assert.deepEqual(res.body, {
          results: [{
            scores: [
              { round: 1, retrieval: 1, thinking: 0 },
              { round: 2, retrieval: 0, thinking: 0 },
            ],
          }],
          llm: { calls: 2, cache_hits: 0, parse_failures: 1 },
        });
        assert.equal(stub.requests.length, 2);
        const user = stub.requests.map((r) => r.messages[1]!.content).join("\n");
        assert.match(user, /Search result: <information> Doc 1\(Title: Sochi\) Sochi hosted/);
        assert.match(
          user,
          /Agent: <think> who hosted <\/think> <search> 2014 winter olympics host/,
        );
        assert.doesNotMatch(user, /Russia/); // the judge never sees the final answer
        assert.equal(stub.requests[0]!.model, "stub-judge");
      });
    } finally {
      await stub.close();
    }
  },
});

Deno.test("serve-env /judge: 501 without an LLM; 400 and 422 name the field", async () => {
  const [bamboogle] = await loadBenchmarkSources(["bamboogle"]);
  const sources = [loadWorldSource("searchworld:easy"), bamboogle!];
  await withEnvServer({ sources, maxRounds: 2 }, async (url) => {
    const no = await postJson(url, "/judge", { question_id: "test_0", rounds: [{ query: "a" }] });
    assert.equal(no.status, 501);
    assert.match(no.body.error, /round judge .* --judge-endpoint URL/);
    const empty = await postJson(url, "/judge", { question_id: "searchworld-train-0", rounds: [] });
    assert.deepEqual(empty.body, { scores: [] }); // a one-round trajectory has nothing to judge
    const id = "searchworld-train-0";
    const cases: [unknown, number, string][] = [
      [{ question_id: id }, 400, "rounds"],
      [{ question_id: id, rounds: {} }, 400, "rounds"],
      [{ question_id: id, rounds: [{ query: "a" }, 3] }, 400, "rounds[1]"],
      [
        { question_id: id, rounds: [{ text: "<search> a </search>", query: "a" }] },
        400,
        "rounds[0].query",
      ],
      [{ question_id: id, rounds: [{ query: "a", draft: "b" }] }, 400, "rounds[0].draft"],
      [
        { question_id: id, rounds: [{ query: "a", passages: [{ url: "x" }] }] },
        400,
        "rounds[0].passages[0]",
      ],
      [
        { question_id: id, rounds: [{ passages: [], observation: "" }] },
        400,
        "rounds[0].observation",
      ],
      [{ items: [{ question_id: id, rounds: [{}, {}, {}] }] }, 422, "items[0].rounds"],
      [
        { items: [{ question_id: id, rounds: [{ querry: "a" }] }] },
        400,
        "items[0].rounds[0].querry",
      ],
    ];
    for (const [body, status, field] of cases) {
      const res = await postJson(url, "/judge", body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.equal(res.body.field, field, res.body.error);
    }
  });
});
