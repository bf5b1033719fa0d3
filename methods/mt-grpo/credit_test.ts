import assert from "node:assert/strict";
import type { JudgedRound, RoundScore } from "@creditlab/core";
import { r4 } from "../testing.ts";
import {
  hasPassages,
  mtGrpoTokenAdvantages,
  roundTurnAdvantages,
  rowTurns,
  segmentOfRound,
  type TurnAdvantageOptions,
  turnAdvantages,
  type TurnBaseline,
  type TurnScope,
} from "./mod.ts";

const rows4 = (a: Float32Array[]) => a.map(r4);
const opts = (
  scope: TurnScope,
  baseline: TurnBaseline,
  creditStop: boolean,
  normalizeStd = false,
): TurnAdvantageOptions => ({ scope, baseline, creditStop, normalizeStd, eps: 0 });

// One prompt group of four trajectories with different numbers of searches:
// row 0: turn rewards [1, 1] (S = 2); row 1: [0, 1, 0] (S = 3); row 2: [] (answered at once);
// row 3: [1] (S = 1). Each row's output has S + 1 entries (segments 1..S and the stop segment).
const GROUP = [[1, 1], [0, 1, 0], [], [1]];
const G0 = Int32Array.of(0, 0, 0, 0);
const third = 0.3333;

Deno.test("mt-grpo credit: golden turn advantages, first search round (centred)", () => {
  // "group" (released): index 1 over all four, row 2 counting 0: {1, 0, 0, 1}, mean 0.5;
  // rows 0 and 3 get +0.5, row 1 -0.5, row 2 (no search) nothing.
  const group = [[0.5, 0, 0], [-0.5, 0, 0, 0], [0], [0.5, 0]];
  assert.deepEqual(
    rows4(turnAdvantages(GROUP, G0, opts("first-search-round", "group", false))),
    group,
  );
  // "reached" and "pooled" (one index: the same): {1, 0, 1}, mean 2/3.
  const reached = [[third, 0, 0], [-0.6667, 0, 0, 0], [0], [third, 0]];
  for (const b of ["reached", "pooled"] as const) {
    assert.deepEqual(
      rows4(turnAdvantages(GROUP, G0, opts("first-search-round", b, false))),
      reached,
    );
  }
  // creditStop: row 2's stop decision is index 1 with value 0 and receives its advantage; the
  // statistics are those of "group" for every baseline: {1, 0, 0, 1}, mean 0.5.
  for (const b of ["group", "reached", "pooled"] as const) {
    assert.deepEqual(
      rows4(turnAdvantages(GROUP, G0, opts("first-search-round", b, true))),
      [[0.5, 0, 0], [-0.5, 0, 0, 0], [-0.5], [0.5, 0]],
    );
  }
  // with std: {1, 0, 0, 1} has unbiased std sqrt(1/3) = 0.57735: +-0.5 / 0.57735 = +-0.866025
  assert.deepEqual(
    rows4(turnAdvantages(GROUP, G0, opts("first-search-round", "group", false, true))),
    [[0.866, 0, 0], [-0.866, 0, 0, 0], [0], [0.866, 0]],
  );
});

Deno.test("mt-grpo credit: golden turn advantages, every search round (centred)", () => {
  const every = (b: TurnBaseline, stop: boolean) =>
    rows4(turnAdvantages(GROUP, G0, opts("every-search-round", b, stop)));
  // reached: index 1 {1, 0, 1} mean 2/3; index 2 {1 (row 0), 1 (row 1)} mean 1 -> 0;
  // index 3 {0} alone -> 0.
  assert.deepEqual(every("reached", false), [[third, 0, 0], [-0.6667, 0, 0, 0], [0], [third, 0]]);
  // group: index 1 {1, 0, 0, 1} mean .5; index 2 {1, 1, 0, 0} mean .5; index 3 {0, 0, 0, 0}.
  assert.deepEqual(every("group", false), [[0.5, 0.5, 0], [-0.5, 0.5, 0, 0], [0], [0.5, 0]]);
  // pooled: all six searches {1, 1, 0, 1, 0, 1}, mean 2/3: 1 -> 1/3, 0 -> -2/3.
  assert.deepEqual(every("pooled", false), [
    [third, third, 0],
    [-0.6667, third, -0.6667, 0],
    [0],
    [third, 0],
  ]);
  // creditStop, reached: decisions at index 1 {1, 0, 0 (row 2 stops), 1} mean .5; index 2
  // {1, 1, 0 (row 3 stops)} mean 2/3; index 3 {0 (row 0 stops), 0} -> 0; index 4 {0} alone -> 0.
  assert.deepEqual(every("reached", true), [
    [0.5, third, 0],
    [-0.5, third, 0, 0],
    [-0.5],
    [0.5, -0.6667],
  ]);
  // creditStop, group: index 2 adds row 2's 0: {1, 1, 0, 0} mean .5 -> row 3's stop gets -0.5.
  assert.deepEqual(every("group", true), [[0.5, 0.5, 0], [-0.5, 0.5, 0, 0], [-0.5], [0.5, -0.5]]);
  // creditStop, pooled: ten decisions {1,1,0 | 0,1,0,0 | 0 | 1,0}, mean 0.4: 1 -> .6, 0 -> -.4.
  assert.deepEqual(every("pooled", true), [
    [0.6, 0.6, -0.4],
    [-0.4, 0.6, -0.4, -0.4],
    [-0.4],
    [0.6, -0.4],
  ]);
  // groups are separate: a second group's rewards do not move the first's statistics
  const two = turnAdvantages([...GROUP, [0], [5]], Int32Array.of(0, 0, 0, 0, 1, 1), {
    ...opts("every-search-round", "pooled", true),
  });
  assert.deepEqual(rows4(two.slice(0, 4)), every("pooled", true));
  // group 1: {0, stop 0, 5, stop 0}, mean 1.25
  assert.deepEqual(rows4(two.slice(4)), [[-1.25, -1.25], [3.75, -1.25]]);
});

Deno.test("mt-grpo credit: segments, per-round advantages, turn rewards and the token kernel", () => {
  // rounds 1 invalid, 2 search, 3 search, 4 answer: segments 1, 1, 2, stop 3
  assert.deepEqual([1, 2, 3, 4].map((k) => segmentOfRound([2, 3], k)), [1, 1, 2, 3]);
  assert.deepEqual([1, 2].map((k) => segmentOfRound([], k)), [1, 1]);
  assert.deepEqual(
    Array.from(roundTurnAdvantages(Float32Array.of(0.5, -1, 2), [2, 3], 4)),
    [0, 0.5, 0.5, -1, 2],
  );
  assert.equal(hasPassages("<information>\n </information>"), false);
  assert.equal(hasPassages("<information> Doc 1(Title: a) b </information>"), true);
  const jr = (k: number, query: string | null, obs: string): JudgedRound => ({
    round: k,
    policyText: "",
    action: query === null ? { kind: "invalid", reason: "no tag" } : { kind: "search", query },
    observationText: obs,
  });
  const full = "<information> Doc 1(Title: a) b </information>";
  const rounds = [
    jr(1, null, "invalid action"),
    jr(2, "x", full),
    jr(3, "y", "<information> </information>"),
  ];
  const scores: RoundScore[] = [
    { retrieval: 1, thinking: 1 }, // not a search: no turn whatever the judge says
    { retrieval: 1, thinking: 0 },
    { retrieval: 0, thinking: 1 },
  ];
  // weights 0.5 / 0.25 / 0.2: round 2 = 0.5 + 0 + 0.2 = 0.7; round 3 = 0 + 0.25 + 0 = 0.25
  assert.deepEqual(rowTurns(rounds, scores, { retrieval: 0.5, thinking: 0.25, executed: 0.2 }), {
    searchRounds: [2, 3],
    searchRewards: [0.7, 0.25],
    roundRewards: [0, 0.7, 0.25],
  });
  // kernel: row 0 = prompt 2 | r1 2 tokens | obs 1 | r2 1 | obs 1 | r3 (answer) 1 | pad 1
  //         row 1 = prompt 2 | r1 (answer) 2 | pad 5
  const layout = {
    n: 2,
    length: 9,
    lossMask: Float32Array.of(0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0),
    roundIds: Int32Array.of(0, 0, 1, 1, 1, 2, 2, 3, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0),
  };
  const roundAdv = [Float32Array.of(0, 2, 2, -1), Float32Array.of(0, 4)];
  // lambda 0.5: row 0 rounds 1-2: 1 + 1 = 2, round 3: 1 - 0.5 = 0.5; row 1: -0.5 + 2 = 1.5
  assert.deepEqual(
    Array.from(mtGrpoTokenAdvantages(Float32Array.of(1, -0.5), roundAdv, layout, 0.5)),
    [0, 0, 2, 2, 0, 2, 0, 0.5, 0, 0, 0, 1.5, 1.5, 0, 0, 0, 0, 0],
  );
  // lambda 0: the outcome advantage on every policy token
  assert.deepEqual(
    Array.from(mtGrpoTokenAdvantages(Float32Array.of(1, -0.5), roundAdv, layout, 0)),
    [0, 0, 1, 1, 0, 1, 0, 1, 0, 0, 0, -0.5, -0.5, 0, 0, 0, 0, 0],
  );
});

Deno.test("mt-grpo credit: bad inputs are errors naming what is wrong", () => {
  const o = opts("first-search-round", "group", false);
  assert.throws(
    () => turnAdvantages([[1]], Int32Array.of(0, 0), o),
    /1 rows of turn rewards but 2/,
  );
  assert.throws(() => turnAdvantages([[NaN]], Int32Array.of(0), o), /row 0 turn 1 reward is NaN/);
  const round: JudgedRound = {
    round: 1,
    policyText: "",
    action: { kind: "search", query: "q" },
    observationText: "",
  };
  const w = { retrieval: 1, thinking: 0, executed: 0 };
  assert.throws(() => rowTurns([round], [], w), /0 scores for 1 rounds/);
  assert.throws(
    () => rowTurns([round], [{ retrieval: 2, thinking: 0 } as unknown as RoundScore], w),
    /round 1 has retrieval = 2/,
  );
  assert.throws(() => roundTurnAdvantages(Float32Array.of(1), [1], 2), /1 segment advantages/);
});

/**
 * The bias of verl issue 7244, exactly. One decision: search (probability p; then turn reward 1
 * with probability m, else 0) or answer at once (stop). The turn term's policy-gradient estimate
 * for the logit of "search" is (1/G) sum_i A^T_i * score_i with score = 1 - p after a search
 * and -p after a stop (the stop's A^T is on its answer tokens, its stop segment). Enumerating
 * every group of G = 3 samples gives its expectation.
 *
 * True gradient of E[turn reward] = p m: m p (1 - p); with a group mean that includes the sample
 * itself (centred, no std) an unbiased estimator gives (1 - 1/G) m p (1 - p) (Dr. GRPO's
 * factor). Per group, sum_i (v_i - mean) = 0 over the statistics' entries, so:
 * - creditStop (every baseline; one index): sum = n_stop * mean, E = (1 - 1/G) m p (1 - p);
 * - "group" without creditStop (released): the stops' -p terms are missing: (1 - p) times that;
 * - "reached" / "pooled" without creditStop: searches only, every group sums to exactly 0:
 *   searching is never pushed up, whatever m (the hidden -E[R_turn] per turn taken).
 */
Deno.test("mt-grpo credit: expected stop/search gradient by enumeration (verl issue 7244)", () => {
  const p = 0.6, m = 0.5, G = 3;
  const outcomes = [
    { prob: 1 - p, rewards: [] as number[], score: -p }, // stop
    { prob: p * m, rewards: [1], score: 1 - p }, // search, new fact
    { prob: p * (1 - m), rewards: [0], score: 1 - p }, // search, nothing new
  ];
  const expected = (b: TurnBaseline, creditStop: boolean) => {
    let e = 0;
    for (let c = 0; c < 27; c++) {
      const pick = [c % 3, Math.floor(c / 3) % 3, Math.floor(c / 9)].map((x) => outcomes[x]!);
      const a = turnAdvantages(pick.map((o) => o.rewards), Int32Array.of(0, 0, 0), {
        ...opts("first-search-round", b, creditStop),
      });
      const prob = pick.reduce((x, o) => x * o.prob, 1);
      e += prob * pick.reduce((x, o, i) => x + a[i]![0]! * o.score, 0) / G;
    }
    return e;
  };
  const unbiased = (1 - 1 / G) * m * p * (1 - p); // 2/3 * 0.5 * 0.6 * 0.4 = 0.08
  for (const b of ["group", "reached", "pooled"] as const) {
    assert.ok(
      Math.abs(expected(b, true) - unbiased) < 1e-6,
      `${b} creditStop: ${expected(b, true)}`,
    );
  }
  // released normalisation, stop uncredited: 0.4 * 0.08 = 0.032
  assert.ok(Math.abs(expected("group", false) - (1 - p) * unbiased) < 1e-6);
  for (const b of ["reached", "pooled"] as const) {
    assert.ok(Math.abs(expected(b, false)) < 1e-6, `${b}: ${expected(b, false)}`);
  }
});
