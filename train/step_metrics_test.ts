import assert from "node:assert/strict";
import type { Question, Trajectory, Turn } from "@creditlab/core";
import { namesGoldEntity, nearMissShare, noSuccessShare } from "./step_metrics.ts";

Deno.test("noSuccessShare: share of groups without a trajectory of outcome 1", () => {
  const t = (groupId: number, outcome: number): Trajectory => ({
    questionId: "q",
    groupId,
    reward: outcome,
    turns: [],
    meta: { outcome },
  });
  assert.equal(noSuccessShare([t(0, 0), t(0, 1), t(1, 0), t(1, 0)]), 0.5);
  assert.equal(noSuccessShare([]), 0);
});

/** A question whose answer is its last gold entity. */
const q = (id: string, goldEntities: string[]): Question => {
  const base = { question: `question ${id}`, benchmark: "searchworld", split: "test" };
  return { ...base, id, goldEntities, goldenAnswers: [goldEntities.at(-1)!] };
};

const turn = (role: Turn["role"], text: string): Turn => ({
  role,
  text,
  tokens: new Int32Array(0),
  round: 0,
});

const traj = (questionId: string, outcome: number, texts: string[]): Trajectory => ({
  questionId,
  groupId: 0,
  turns: [turn("observation", "prompt names Kela Moru"), ...texts.map((t) => turn("policy", t))],
  reward: outcome,
  meta: { outcome },
});

Deno.test("namesGoldEntity: whole normalised words of the agent's text, final answer cut", () => {
  const question = q("a", ["Kela Moru", "Tavi"]);
  // The prompt (an observation) names an entity: not the agent's text.
  assert.equal(namesGoldEntity(traj("a", 0, ["<search> who </search>"]), question), false);
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<search> kela moru's city </search>"]), question),
    false,
    "'moru's' normalises to 'morus', not the entity",
  );
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<search> KELA, moru city </search>"]), question),
    true,
  );
  // Naming the answer only inside the final <answer> tag is not a near miss.
  assert.equal(namesGoldEntity(traj("a", 0, ["<answer> tavi </answer>"]), question), false);
  assert.equal(
    namesGoldEntity(traj("a", 0, ["<think> tavi </think> <answer> x </answer>"]), question),
    true,
  );
  assert.equal(namesGoldEntity(traj("a", 0, ["<search> tavis </search>"]), question), false);
});

Deno.test("nearMissShare: over failed rollouts only (hand-counted)", () => {
  const questions = new Map([["a", q("a", ["Kela Moru", "Tavi"])], ["b", q("b", ["Ro"])]]);
  const trajs = [
    traj("a", 1, ["<search> tavi </search>"]), // success: not counted
    traj("a", 0, ["<search> tavi </search>"]), // failed, near miss
    traj("a", 0, ["<search> nothing </search>"]), // failed
    traj("b", 0, ["<search> ro </search>"]), // failed, near miss
  ];
  assert.equal(nearMissShare(trajs, questions), 2 / 3);
  assert.equal(nearMissShare(trajs.slice(0, 1), questions), 0);
});
