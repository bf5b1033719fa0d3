import assert from "node:assert/strict";
import { answerRound, batchOf, question, searchRound, trajectory } from "../testing.ts";
import {
  creditWeights,
  goldText,
  pbsdTokenAdvantages,
  rowCut,
  rowWeights,
  turnCredits,
} from "./mod.ts";

const close = (got: ArrayLike<number>, want: number[], tol = 1e-6, label = "") => {
  assert.equal(got.length, want.length, `${label} length`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) < tol, `${label}[${i}]: ${got[i]} vs ${want[i]}`);
  }
};

Deno.test("creditWeights: m * softmax(coef * sign * x), mean 1, clipped after normalising", () => {
  // x = [ln 4, ln 2, 0]: e^x = [4, 2, 1], sum 7; w = 3 * [4, 2, 1] / 7 = [12/7, 6/7, 3/7]
  const x = [Math.log(4), Math.log(2), 0];
  close(creditWeights(x, { coef: 1, sign: 1, clip: null }), [12 / 7, 6 / 7, 3 / 7]);
  // sign -1: e^-x = [1/4, 1/2, 1], sum 7/4; w = 3 * [1, 2, 4] / 7
  close(creditWeights(x, { coef: 1, sign: -1, clip: null }), [3 / 7, 6 / 7, 12 / 7]);
  // coef 2: e^2x = [16, 4, 1], sum 21; w = [48/21, 12/21, 3/21]
  close(creditWeights(x, { coef: 2, sign: 1, clip: null }), [48 / 21, 12 / 21, 3 / 21]);
  // coef 0 or equal credits: exactly 1 (the GRPO reductions rest on this being exact)
  assert.deepEqual(Array.from(creditWeights(x, { coef: 0, sign: 1, clip: null })), [1, 1, 1]);
  assert.deepEqual(Array.from(creditWeights([5, 5], { coef: 3, sign: -1, clip: null })), [1, 1]);
  // clip [0.5, 1.5] of [12/7, 6/7, 3/7] = [1.714, 0.857, 0.429] -> [1.5, 0.857, 0.5]
  close(creditWeights(x, { coef: 1, sign: 1, clip: { min: 0.5, max: 1.5 } }), [1.5, 6 / 7, 0.5]);
  // large credits do not overflow: x = [1000, 0] -> [2, 0]
  close(creditWeights([1000, 0], { coef: 1, sign: 1, clip: null }), [2, 0]);
  assert.deepEqual(Array.from(creditWeights([], { coef: 1, sign: 1, clip: null })), []);
  assert.throws(
    () => creditWeights([0, NaN], { coef: 1, sign: 1, clip: null }),
    /credit 1 is NaN/,
  );
});

Deno.test("turnCredits and rowWeights: turn sums or means; token weights; empty turns keep 1", () => {
  // rounds 1, 1, 3 (round 2 has no scored token): deltas 1, -0.5, 2
  const s = { rounds: Int32Array.of(1, 1, 3), deltas: Float64Array.of(1, -0.5, 2) };
  const sum = turnCredits(s, 3, "sum");
  close(sum.credit, [0.5, 0, 2]);
  assert.deepEqual(Array.from(sum.tokens), [2, 0, 1]);
  close(turnCredits(s, 3, "mean").credit, [0.25, 0, 2]);
  assert.throws(() => turnCredits(s, 2, "sum"), /scored token 2 is in round 3; expected 1..2/);
  // rowWeights at both granularities, of turn sums, coef 1, sign 1, no clip:
  const sumOf = { turnCredit: "sum", coef: 1, sign: 1, clip: null } as const;
  // turn: softmax over the live turns 1 and 3: credits [0.5, 2], e^(c - 2) = [e^-1.5, 1];
  // w_1 = 2 e^-1.5 / (1 + e^-1.5) = 2 * 0.223130 / 1.223130 = 0.364851, w_3 = 1.635149
  const t = rowWeights(s, 3, { ...sumOf, granularity: "turn" });
  close(t.turnWeights, [0.364851, 1, 1.635149]);
  close(t.tokenWeights, [0.364851, 0.364851, 1.635149]);
  // token: softmax over the 3 deltas [1, -0.5, 2]: e^(d - 2) = [e^-1, e^-2.5, 1] =
  // [0.367879, 0.082085, 1], sum 1.449964; w = 3 * those / sum = [0.761149, 0.169835, 2.069016]
  const k = rowWeights(s, 3, { ...sumOf, granularity: "token" });
  close(k.tokenWeights, [0.761149, 0.169835, 2.069016]);
  // turn 1's weight is the mean of its tokens' weights: (0.761149 + 0.169835) / 2 = 0.465492
  close(k.turnWeights, [0.465492, 1, 2.069016]);
});

Deno.test("pbsdTokenAdvantages: A * weight on trainable tokens, 0 elsewhere; checks lengths", () => {
  // two rows of 4: row 0 A = 2 (weights 1, 0.5, 1.5 on its 3 trainable tokens), row 1 A = 0
  const lossMask = Float32Array.of(0, 1, 1, 1, 0, 1, 0, 0);
  const w = Float32Array.of(9, 1, 0.5, 1.5, 1, 2, 1, 1);
  const out = pbsdTokenAdvantages(Float32Array.of(2, 0), w, { n: 2, length: 4, lossMask });
  assert.deepEqual(Array.from(out), [0, 2, 1, 3, 0, 0, 0, 0]);
  assert.throws(
    () => pbsdTokenAdvantages(Float32Array.of(2), w, { n: 2, length: 4, lossMask }),
    /rowAdv need n = 2 entries/,
  );
  assert.throws(
    () => pbsdTokenAdvantages(Float32Array.of(2, 0), w.subarray(1), { n: 2, length: 4, lossMask }),
    /lossMask and tokenWeights need n \* length = 8 entries/,
  );
});

Deno.test("rowCut: prompt end, scored policy tokens of non-final or all rounds", () => {
  const t = trajectory({
    groupId: 0,
    reward: 1,
    prompt: "a b",
    rounds: [searchRound("x y", "d"), searchRound("z", "e"), answerRound("w")],
  });
  const batch = batchOf([
    t,
    trajectory({ groupId: 0, reward: 0, rounds: [{ policy: "<answer> a </answer>" }] }),
  ], { padTo: 20 });
  // row 0: prompt 0..1; round 1 policy 2..5, obs 6..8; round 2 policy 9..11, obs 12..14;
  // round 3 policy 15..17
  const nf = rowCut(batch, 0, "non-final")!;
  assert.deepEqual([nf.promptEnd, nf.targetEnd], [2, 12]);
  assert.deepEqual(Array.from(nf.positions), [2, 3, 4, 5, 9, 10, 11]);
  assert.deepEqual(Array.from(nf.rounds), [1, 1, 1, 1, 2, 2, 2]);
  const all = rowCut(batch, 0, "all")!;
  assert.equal(all.targetEnd, 18);
  assert.deepEqual(Array.from(all.rounds).slice(-3), [3, 3, 3]);
  // row 1 answers at once: nothing to score unless the answer round is scored
  assert.equal(rowCut(batch, 1, "non-final"), null);
  assert.deepEqual(Array.from(rowCut(batch, 1, "all")!.positions), [3, 4, 5]);
});

Deno.test("goldText: the template with the first or every golden answer; none is an error", () => {
  const q = question("q1", { goldenAnswers: ["paris", "city of light"] });
  const g = {
    template: "gold answer : {answer}",
    placement: "after-prompt",
    answers: "first",
  } as const;
  assert.equal(goldText(q, g), "gold answer : paris");
  assert.equal(goldText(q, { ...g, answers: "all" }), "gold answer : paris or city of light");
  assert.equal(goldText(q, { ...g, template: "{answer} ! {answer}" }), "paris ! paris");
  assert.throws(
    () => goldText(question("q2", { goldenAnswers: [" "] }), g),
    /question q2 has no golden answer/,
  );
});
