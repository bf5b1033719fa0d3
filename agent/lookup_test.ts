import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend, Rng, Transformer } from "@creditlab/kernels";
import { tinyModelConfig } from "@creditlab/kernels/testing";
import { lookupAccuracy, lookupTargets } from "./lookup.ts";
import { WordTokenizer } from "./tokenizer.ts";
import type { Question, Role, Trajectory } from "@creditlab/core";

const PROMPT = "which city is the birthplace of the teacher of ana bel ?";
const OBS1 = "doc 1 ( title : ana bel ) the birthplace of ana bel is rome . " +
  "the teacher of ana bel is bo cid .";
const OBS2 = "doc 1 ( title : bo cid ) the birthplace of bo cid is oslo .";
const tok = WordTokenizer.build([
  PROMPT,
  OBS1,
  OBS2,
  "<search> </search> <answer> </answer> paris acme",
]);

function turn(role: Role | "prompt", text: string, round = 1) {
  // the rollout's prompt turn is an observation of round 0
  return role === "prompt"
    ? { role: "observation" as const, text, tokens: tok.encode(text), round: 0 }
    : { role, text, tokens: tok.encode(text), round };
}

const questions: Question[] = [
  {
    id: "q0",
    question: PROMPT,
    goldenAnswers: ["oslo"],
    benchmark: "searchworld",
    split: "test",
    goldChain: [
      { query: "ana bel teacher", entity: "bo cid", relation: "teacher" },
      { query: "bo cid birthplace", entity: "oslo", relation: "birthplace" },
    ],
  },
  {
    id: "q1",
    question: "which company is the employer of ana bel ?",
    goldenAnswers: ["acme"],
    benchmark: "searchworld",
    split: "test",
    goldChain: [{ query: "ana bel employer", entity: "acme", relation: "employer" }],
  },
];

function demo(q: Question, turns: ReturnType<typeof turn>[]): Trajectory {
  return { questionId: q.id, groupId: 0, turns, reward: 1, meta: { expert: "plain" } };
}

const demos: Trajectory[] = [
  demo(questions[0]!, [
    turn("prompt", PROMPT),
    turn("policy", "<search> ana bel teacher </search>"),
    turn("observation", OBS1),
    turn("policy", "<search> bo cid birthplace </search>", 2),
    turn("observation", OBS2, 2),
    turn("policy", "<answer> oslo </answer>", 3),
  ]),
  // the gold entity (acme) is not in the observation: retrieval missed it
  demo(questions[1]!, [
    turn("prompt", "which company is the employer of ana bel ?"),
    turn("policy", "<search> ana bel employer </search>"),
    turn("observation", OBS1),
    turn("policy", "<answer> acme </answer>", 2),
  ]),
];

// objects of each hop subject's facts: ana bel -> rome, bo cid (and paris, not shown);
// bo cid -> oslo only
const objects = (q: Question, hop: number) =>
  hop === 0 ? ["rome", "bo cid", "paris"] : q.id === "q0" ? ["oslo"] : [];

Deno.test("lookupTargets: golden positions, candidates and misses", () => {
  const { targets, missed } = lookupTargets(demos, { questions, objects });
  const len = (i: number) => demos[0]!.turns[i]!.tokens.length;
  const first = len(0) + len(1) + len(2) + 1; // "<search>" then "bo"
  const second = first - 1 + len(3) + len(4) + 1;
  assert.deepEqual(targets, [
    { row: 0, pos: first, candidates: 2 }, // rome or bo cid
    { row: 0, pos: second, candidates: 1 },
  ]);
  assert.equal(missed, 1);
  const row0 = new Int32Array(demos[0]!.turns.flatMap((t) => [...t.tokens]));
  assert.equal(tok.decode([row0[first]!]), "bo");
  assert.equal(tok.decode([row0[second]!]), "oslo");
});

Deno.test("lookupTargets: bad input names the demonstration", () => {
  assert.throws(
    () => lookupTargets(demos, { questions: questions.slice(0, 1), objects }),
    /2 demonstrations but 1 questions/,
  );
  assert.throws(
    () => lookupTargets([demos[1]!, demos[0]!], { questions, objects }),
    /demonstration 0 answers q1, expected question q0/,
  );
  const repair = { ...demos[0]!, meta: { expert: "repair" } };
  assert.throws(
    () => lookupTargets([repair, demos[1]!], { questions, objects }),
    /demonstration 0 \(q0\) is "repair", expected a plain one/,
  );
});

Deno.test("lookupAccuracy: equals a plain per-row argmax loop, for any batch size", async () => {
  await initBackend({});
  for (const seed of [1, 2, 3]) {
    const model = new Transformer(tinyModelConfig({ vocabSize: tok.vocabSize, maxSeqLen: 128 }), {
      rng: new Rng(seed),
    });
    const { targets } = lookupTargets(demos, { questions, objects });
    let hits = 0;
    for (const t of targets) {
      const row = new Int32Array(demos[t.row]!.turns.flatMap((x) => [...x.tokens]));
      const logits = tf.tidy(() =>
        model.forward(tf.tensor2d(row, [1, row.length], "int32")).arraySync()
      )[0]!;
      const z = logits[t.pos - 1]!;
      const best = z.indexOf(Math.max(...z));
      if (best === row[t.pos]) hits += 1;
    }
    for (const batchSize of [1, 2]) {
      const p = lookupAccuracy(model, demos, { questions, objects, batchSize });
      assert.deepEqual(p, { accuracy: hits / 2, chance: (1 / 2 + 1) / 2, n: 2, missed: 1 });
    }
    model.dispose();
  }
});
