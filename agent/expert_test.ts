import assert from "node:assert/strict";
import { buildTestbed } from "./experiment.ts";
import { expertTrajectory, hopFact } from "./expert.ts";
import { getPreset } from "./presets.ts";
import { parseAction } from "./protocol.ts";
import type { Question } from "./types.ts";

const q2: Question = {
  id: "q",
  question: "which city is the birthplace of the teacher of ana bel ?",
  goldenAnswers: ["rome"],
  benchmark: "searchworld",
  split: "train",
  metadata: { start: "ana bel" },
  goldChain: [
    { query: "ana bel teacher", entity: "bo cid", relation: "teacher" },
    { query: "bo cid birthplace", entity: "rome", relation: "birthplace" },
  ],
};

Deno.test("hopFact: the corpus sentence of each hop (golden values)", () => {
  assert.equal(hopFact(q2, 0), "the teacher of ana bel is bo cid");
  assert.equal(hopFact(q2, 1), "the birthplace of bo cid is rome");
  assert.equal(hopFact(q2, 2), undefined);
  const noRelation = { ...q2, goldChain: [{ query: "ana bel teacher", entity: "bo cid" }] };
  assert.equal(hopFact(noRelation, 0), undefined);
  const noStart = { ...q2, metadata: {} };
  assert.equal(hopFact(noStart, 0), undefined);
  assert.equal(hopFact(noStart, 1), "the birthplace of bo cid is rome");
});

Deno.test("expertTrajectory: thinks the fact it just read, then acts (real SearchWorld)", async () => {
  const preset = getPreset("smoke");
  const testbed = buildTestbed(preset);
  const twoHop = testbed.train.filter((q) => q.goldChain?.length === 2).slice(0, 5);
  assert.equal(twoHop.length, 5);
  for (const q of twoHop) {
    const t = await expertTrajectory(q, {
      tokenizer: testbed.tokenizer,
      search: testbed.search,
      topK: 3,
      maxSearchTurns: 4,
      kind: "plain",
    });
    const chain = q.goldChain!;
    const policy = t.turns.filter((u) => u.role === "policy").map((u) => u.text);
    assert.deepEqual(policy, [
      `<search> ${chain[0]!.query} </search>`,
      `<think> ${hopFact(q, 0)} </think> <search> ${chain[1]!.query} </search>`,
      `<think> ${hopFact(q, 1)} </think> <answer> ${q.goldenAnswers[0]} </answer>`,
    ]);
    // each stated fact is in the observation right before it, word for word
    t.turns.forEach((u, i) => {
      if (u.role !== "policy" || !u.text.startsWith("<think>")) return;
      const fact = u.text.slice("<think> ".length, u.text.indexOf(" </think>"));
      assert.ok(t.turns[i - 1]!.text.includes(fact), `"${fact}" not in the observation before it`);
    });
    // and the protocol parser reads the actions behind the thinks
    const opts = { feedbackOffered: false, searchAllowed: true };
    assert.deepEqual(parseAction(policy[1]!, opts), { kind: "search", query: chain[1]!.query });
    assert.deepEqual(parseAction(policy[2]!, opts), { kind: "answer", text: q.goldenAnswers[0] });
  }
});
