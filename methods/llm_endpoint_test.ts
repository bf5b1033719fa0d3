/**
 * The LLM verifier (CAPF) and the LLM round judge (CW-GRPO) through serving's real
 * `EndpointPolicy`, against a real OpenAI-compatible HTTP server on 127.0.0.1 whose "model" is
 * a small rule-based responder.
 */
import assert from "node:assert/strict";
import { EndpointPolicy } from "@creditlab/serving";
import { CW_GRPO_DEFAULTS, cwGrpo, type CwGrpoConfig } from "./cw-grpo/mod.ts";
import { LlmRoundJudge } from "./llm_judge.ts";
import { LlmVerifier } from "./llm.ts";
import { batchOf, contextOf, question, trajectory } from "./testing.ts";
import { llmResourceProvider } from "./llm_resources.ts";

type Msg = { role: string; content: string };

/** Serve /v1/chat/completions with `reply(messages)`; `status` forces an HTTP error. */
async function withChatServer(
  reply: (messages: Msg[]) => string,
  fn: (url: string, seen: Msg[][]) => Promise<void>,
  status = 200,
): Promise<void> {
  const seen: Msg[][] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json() as { messages: Msg[] };
    seen.push(body.messages);
    if (status !== 200) return new Response("overloaded", { status });
    return Response.json({
      id: "x",
      object: "chat.completion",
      choices: [{
        index: 0,
        message: { role: "assistant", content: reply(body.messages) },
        finish_reason: "stop",
      }],
    });
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, seen);
  } finally {
    await server.shutdown();
  }
}

/** A judge "model": retrieval = the current round's search result mentions "fact"; thinking = it searched. */
function judgeModel(messages: Msg[]): string {
  const user = messages.at(-1)!.content;
  const current = user.slice(user.indexOf("Current round:"));
  return JSON.stringify({
    retrieval: current.includes("fact") ? 1 : 0,
    thinking: current.includes("<search>") ? 1 : 0,
  });
}

Deno.test("LlmRoundJudge through EndpointPolicy drives CW-GRPO advantages", async () => {
  await withChatServer(judgeModel, async (url, seen) => {
    const judge = new LlmRoundJudge(new EndpointPolicy({ baseUrl: url, api: "chat" }));
    const info = (t: string) => ({ obs: `<information> ${t} </information>` });
    const trajs = [
      trajectory({
        groupId: 0,
        reward: 1,
        rounds: [
          { policy: "<search> one </search>", ...info("a fact") },
          { policy: "<search> two </search>", ...info("noise") },
          { policy: "<answer> x </answer>" },
        ],
      }),
      trajectory({ groupId: 0, reward: 0, rounds: [{ policy: "<answer> y </answer>" }] }),
    ];
    const batch = batchOf(trajs);
    const cfg: CwGrpoConfig = structuredClone(CW_GRPO_DEFAULTS) as CwGrpoConfig;
    const res = await cwGrpo.step(batch, contextOf(cfg, { resources: { "round-judge": judge } }));
    const adv = res.advantages;
    assert.equal(seen.length, 2);
    // rewards {1, 0}: A = 0.7071; c = [1, 0] -> round 1 gets 2A, round 2 gets 0, answer A
    const A = 0.5 / (Math.SQRT1_2 + 1e-6);
    const row = Array.from(adv.subarray(0, batch.lengths[0]!), (v) => Number(v.toFixed(4)));
    const z = (k: number) => Array(k).fill(0);
    assert.deepEqual(row, [
      ...z(3),
      ...Array(3).fill(Number((2 * A).toFixed(4))),
      ...z(4),
      ...z(3),
      ...z(3),
      ...Array(3).fill(Number(A.toFixed(4))),
    ]);
    assert.equal(res.metrics["cw-grpo/calls/judge_llm"], 2);
  });
});

Deno.test("LlmVerifier through EndpointPolicy; a failing endpoint is an error, not a verdict", async () => {
  const q = question("q", {
    question: "Which country hosted the 2014 Winter Olympics?",
    goldenAnswers: ["Russia"],
  });
  await withChatServer(
    () => '{"kind": "wrong-type", "feedback": "Sochi is the host city; a country is asked for."}',
    async (url) => {
      const v = new LlmVerifier(new EndpointPolicy({ baseUrl: url, api: "chat" }));
      // The open-domain provider serves the verifier at the detail a method asks for.
      const provide = llmResourceProvider(new EndpointPolicy({ baseUrl: url, api: "chat" }));
      const hint = provide({ kind: "privileged-verifier", detail: "hint" });
      assert.ok(hint instanceof LlmVerifier && hint.detail === "hint");
      assert.ok(provide({ kind: "round-judge" }) instanceof LlmRoundJudge);
      assert.deepEqual(await v.verify(q, "Sochi"), {
        correct: false,
        kind: "wrong-type",
        text: "Sochi is the host city; a country is asked for.",
      });
    },
  );
  await withChatServer(() => "", async (url) => {
    const v = new LlmVerifier(new EndpointPolicy({ baseUrl: url, api: "chat", retries: 0 }));
    await assert.rejects(() => v.verify(q, "Sochi"));
    const judge = new LlmRoundJudge(new EndpointPolicy({ baseUrl: url, api: "chat", retries: 0 }));
    await assert.rejects(() =>
      judge.score(q, [{
        round: 1,
        policyText: "<search> a </search>",
        action: { kind: "search", query: "a" },
        observationText: "",
      }])
    );
  }, 500);
});
