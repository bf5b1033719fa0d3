/** LLM sessions: one per request, their own caches, their call counters; the refusing client. */
import assert from "node:assert/strict";
import type { ChatMessage } from "@creditlab/methods";
import { LlmBackend, NO_CHAT_CLIENT } from "./llm_backend.ts";

Deno.test("llm backend: sessions cache within a request only and count its calls", async () => {
  const asked: ChatMessage[][] = [];
  const chat = {
    complete: (m: ChatMessage[]) => {
      asked.push(m);
      return Promise.resolve(
        m[0]!.content.includes("privileged") ? '{"kind": "wrong", "feedback": "No."}' : "nonsense",
      );
    },
  };
  const llm = new LlmBackend(chat, { endpoint: "http://127.0.0.1:1", model: "m" });
  const q = { id: "q", question: "Who?", goldenAnswers: ["Ann"], benchmark: "nq", split: "test" };
  const round = {
    round: 1,
    policyText: "<search> who </search>",
    action: { kind: "search" as const, query: "who" },
    observationText: "",
  };
  const a = llm.session();
  assert.equal(a.verifier("hint"), a.verifier("hint"));
  await a.verifier("hint").verify(q, "Bob");
  await a.verifier("hint").verify(q, "Bob");
  await a.verifier("correctness").verify(q, "Bob"); // exact match decides: no call
  assert.deepEqual(await a.judge().score(q, [round]), [{ retrieval: 0, thinking: 0 }]);
  assert.deepEqual(a.stats(), { calls: 2, cache_hits: 1, parse_failures: 1 });
  const b = llm.session(); // a new request: nothing cached, nothing counted
  assert.deepEqual(b.stats(), { calls: 0, cache_hits: 0, parse_failures: 0 });
  await b.verifier("hint").verify(q, "Bob");
  assert.equal(asked.length, 3);
  await assert.rejects(
    () => NO_CHAT_CLIENT.complete([], { temperature: 0, maxTokens: 1 }),
    /--judge-endpoint/,
  );
});
