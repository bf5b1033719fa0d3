import assert from "node:assert/strict";
import type { Trajectory, Turn } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { generateWorld, worldPreset } from "@creditlab/datasets";
import { Rng } from "@creditlab/kernels";
import { grpo } from "../grpo/mod.ts";
import {
  advantagesOf,
  assertPerToken,
  batchOf,
  contextOf,
  groupOf,
  referenceAdvantage,
  rewardsOf,
  type RoundSpec,
  rowsOf,
  trajectory,
} from "../testing.ts";
import {
  anchorRounds,
  attenuatedRounds,
  capf,
  CAPF_DEFAULTS,
  type CapfConfig,
  capfRewards,
  capfStepMetrics,
  capfVerifierDetail,
  feedbackRounds,
  validateCapfConfig,
} from "./mod.ts";

const FB = {
  obs: "<verifier> wrong hop </verifier>",
  obsRole: "feedback" as const,
  verdict: { correct: false, kind: "wrong-hop" as const },
};
/** A feedback call that confirmed a correct draft. */
const CONFIRMED = {
  obs: "<verifier> correct </verifier>",
  obsRole: "feedback" as const,
  verdict: { correct: true, kind: "correct" as const },
};
const INFO = { obs: "<information> doc one </information>" };

/** rewards {1, 1, 0, 0}: a plain success, a repair after feedback, a failed repair, a failure. */
function group(): Trajectory[] {
  return groupOf(0, [
    {
      reward: 1,
      rounds: [{ policy: "<search> a b </search>", ...INFO }, { policy: "<answer> b </answer>" }],
    },
    {
      reward: 1,
      rounds: [
        { policy: "<search> c </search>", ...INFO },
        { policy: "<feedback> x </feedback>", ...FB },
        { policy: "<answer> y </answer>" },
      ],
    },
    {
      reward: 0,
      rounds: [{ policy: "<feedback> z </feedback>", ...FB }, { policy: "<answer> z </answer>" }],
    },
    { reward: 0, rounds: [{ policy: "<answer> q </answer>" }] },
  ]);
}

function cfg(
  patch: {
    factor?: number;
    reach?: CapfConfig["attenuation"]["reach"];
    when?: CapfConfig["attenuation"]["when"];
    enabled?: boolean;
    offerShare?: number;
    repairReward?: number;
  } = {},
): CapfConfig {
  const base = structuredClone(CAPF_DEFAULTS) as CapfConfig;
  const feedback = base.feedback.enabled
    ? {
      ...base.feedback,
      offerShare: patch.offerShare ?? base.feedback.offerShare,
      repairReward: patch.repairReward ?? base.feedback.repairReward,
    }
    : base.feedback;
  return {
    ...base,
    feedback: patch.enabled === false ? { enabled: false } : feedback,
    attenuation: {
      // The golden values below are worked by hand at lambda 0.1, whatever the default.
      factor: patch.factor ?? 0.1,
      reach: patch.reach ?? base.attenuation.reach,
      when: patch.when ?? base.attenuation.when,
    },
  };
}

const round5 = (xs: number[]) => xs.map((v) => Number(v.toFixed(5)));
const A = 0.5 / (Math.sqrt(1 / 3) + 1e-6);

Deno.test("capf: registered; defaults validate; verifier detail follows the config", () => {
  assert.equal(getMethod("capf"), capf);
  validateCapfConfig(capf.defaults);
  assert.equal(capfVerifierDetail(capf.defaults), "error-type");
  assert.equal(capfVerifierDetail(cfg({ enabled: false })), null);
  // It asks the environment for its verifier at the configured detail, or for nothing.
  assert.deepEqual(capf.resources!(capf.defaults), [
    { kind: "privileged-verifier", detail: "error-type" },
  ]);
  const hint = cfg();
  if (hint.feedback.enabled) hint.feedback.detail = "hint";
  assert.deepEqual(capf.resources!(hint), [{ kind: "privileged-verifier", detail: "hint" }]);
  assert.deepEqual(capf.resources!(cfg({ enabled: false })), []);
  assert.throws(() => validateCapfConfig(cfg({ factor: 1.5 })), /attenuation.factor/);
  assert.throws(
    () => validateCapfConfig(cfg({ reach: { kind: "last-n-rounds", n: 0 } })),
    /attenuation.reach.n/,
  );
  assert.throws(() => validateCapfConfig(cfg({ offerShare: 0 })), /feedback.offerShare/);
  assert.throws(() => validateCapfConfig(cfg({ repairReward: 1.5 })), /feedback.repairReward/);
  assert.throws(
    () => validateCapfConfig(cfg({ when: "sometimes" as "every-call" })),
    /attenuation.when/,
  );
  // The removed attenuation targets are refused by name, with the reason.
  for (const target of ["reward", "loss-weight", "advantage"]) {
    const old = { ...cfg(), attenuation: { ...cfg().attenuation, target } } as CapfConfig;
    assert.throws(() => validateCapfConfig(old), /attenuation.target.*scales the advantage/);
  }
});

Deno.test("capf: feedback rounds and reach", () => {
  const g = group();
  assert.deepEqual(g.map(feedbackRounds), [[], [2], [1], []]);
  assert.deepEqual(attenuatedRounds([3], { kind: "all-before-feedback" }), [1, 2, 3]);
  assert.deepEqual(attenuatedRounds([3], { kind: "feedback-call-only" }), [3]);
  assert.deepEqual(attenuatedRounds([2, 5], { kind: "last-n-rounds", n: 2 }), [1, 2, 4, 5]);
  assert.deepEqual(attenuatedRounds([], { kind: "all-before-feedback" }), []);
});

Deno.test("capf: factor 1 equals grpo; so does a batch without feedback calls", async () => {
  const batch = batchOf(group());
  const want = await advantagesOf(grpo, batch, contextOf({ ...cfg() }));
  for (const c of [cfg({ factor: 1 }), cfg({ factor: 1, enabled: false })]) {
    assert.deepEqual(Array.from(await advantagesOf(capf, batch, contextOf(c))), Array.from(want));
    assert.equal((await capf.step(batch, contextOf(c))).lossWeights, undefined);
  }
  // What a rollout with the call disabled gives: no feedback turn, so GRPO at any factor.
  const plain = batchOf(group().filter((t) => feedbackRounds(t).length === 0));
  assert.deepEqual(
    Array.from(await advantagesOf(capf, plain, contextOf(cfg({ enabled: false })))),
    Array.from(await advantagesOf(grpo, plain, contextOf(cfg()))),
  );
});

Deno.test("capf: factor 0 gives the pre-feedback tokens zero advantage, the repair keeps it", async () => {
  const batch = batchOf(group());
  const adv = rowsOf(await advantagesOf(capf, batch, contextOf(cfg({ factor: 0 }))), batch);
  // row 1: prompt 3 | r1 3 | info 4 | r2 3 | feedback 4 | r3 3
  assert.deepEqual(
    round5(adv[1]!),
    round5([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, A, A, A]),
  );
  // row 2: prompt 3 | r1 3 | feedback 4 | r2 3
  assert.deepEqual(round5(adv[2]!), round5([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -A, -A, -A]));
  // rows without feedback are GRPO's
  assert.deepEqual(round5(adv[3]!), round5([0, 0, 0, -A, -A, -A]));
});

Deno.test("capf: golden values, factor 0.1, each reach", async () => {
  const batch = batchOf(group());
  const adv = rowsOf(await advantagesOf(capf, batch, contextOf(cfg())), batch);
  const a = 0.1 * A;
  assert.deepEqual(
    round5(adv[1]!),
    round5([0, 0, 0, a, a, a, 0, 0, 0, 0, a, a, a, 0, 0, 0, 0, A, A, A]),
  );
  assert.deepEqual(round5(adv[2]!), round5([0, 0, 0, -a, -a, -a, 0, 0, 0, 0, -A, -A, -A]));
  // feedback-call-only: the search before the call keeps full credit
  const only = rowsOf(
    await advantagesOf(capf, batch, contextOf(cfg({ reach: { kind: "feedback-call-only" } }))),
    batch,
  );
  assert.deepEqual(
    round5(only[1]!),
    round5([0, 0, 0, A, A, A, 0, 0, 0, 0, a, a, a, 0, 0, 0, 0, A, A, A]),
  );
});

Deno.test("capf: step metrics and records", async () => {
  const batch = batchOf(group());
  const res = await capf.step(batch, contextOf(cfg()));
  const m = res.metrics;
  assert.deepEqual(m, capfStepMetrics(batch, cfg()));
  assert.equal(m["capf/feedback_traj_share"], 0.5);
  assert.equal(m["capf/calls/feedback"], 2);
  assert.equal(m["capf/repair_success_share"], 0.5);
  // trainable tokens: 7 + 9 + 6 + 3 = 25; attenuated: 6 + 3 = 9
  assert.equal(m["capf/attenuated_token_share"], 9 / 25);
  assert.deepEqual(res.records, [
    { feedbackRounds: [], attenuatedRounds: [], calls: { feedback: 0 } },
    { feedbackRounds: [2], attenuatedRounds: [1, 2], calls: { feedback: 1 } },
    { feedbackRounds: [1], attenuatedRounds: [1], calls: { feedback: 1 } },
    { feedbackRounds: [], attenuatedRounds: [], calls: { feedback: 0 } },
  ]);
});

/**
 * rewards {1, 1, 1, 0}: a plain success, a repair (the verifier said the draft was wrong), a
 * success after a confirmation (the verifier said the draft was right), a failure.
 */
function withConfirmation(): Trajectory[] {
  return groupOf(0, [
    {
      reward: 1,
      rounds: [{ policy: "<search> a </search>", ...INFO }, { policy: "<answer> b </answer>" }],
    },
    {
      reward: 1,
      rounds: [{ policy: "<feedback> x </feedback>", ...FB }, { policy: "<answer> y </answer>" }],
    },
    {
      reward: 1,
      rounds: [{ policy: "<feedback> y </feedback>", ...CONFIRMED }, {
        policy: "<answer> y </answer>",
      }],
    },
    { reward: 0, rounds: [{ policy: "<answer> q </answer>" }] },
  ]);
}

Deno.test("capf: `when: not-correct` leaves a confirmed draft's rounds at full credit", async () => {
  const g = withConfirmation();
  assert.deepEqual(g.map((t) => anchorRounds(t, "every-call")), [[], [1], [1], []]);
  assert.deepEqual(g.map((t) => anchorRounds(t, "not-correct")), [[], [1], [], []]);
  const batch = batchOf(g);
  // mean 0.75, unbiased std sqrt(0.25) = 0.5: A(1) = 0.25 / 0.500001, A(0) = -0.75 / 0.500001
  const up = 0.25 / (0.5 + 1e-6);
  const a = 0.1 * up;
  const every = rowsOf(await advantagesOf(capf, batch, contextOf(cfg())), batch);
  const only = rowsOf(
    await advantagesOf(capf, batch, contextOf(cfg({ when: "not-correct" }))),
    batch,
  );
  // row 1 (repair): prompt 3 | r1 3 | verifier 4 | r2 3 — attenuated either way
  assert.deepEqual(round5(every[1]!), round5([0, 0, 0, a, a, a, 0, 0, 0, 0, up, up, up]));
  assert.deepEqual(round5(only[1]!), round5([0, 0, 0, a, a, a, 0, 0, 0, 0, up, up, up]));
  // row 2 (confirmation): prompt 3 | r1 3 | verifier 3 | r2 3
  assert.deepEqual(round5(every[2]!), round5([0, 0, 0, a, a, a, 0, 0, 0, up, up, up]));
  assert.deepEqual(round5(only[2]!), round5([0, 0, 0, up, up, up, 0, 0, 0, up, up, up]));
  const rec = (await capf.step(batch, contextOf(cfg({ when: "not-correct" })))).records!;
  assert.deepEqual(rec[2], { feedbackRounds: [1], attenuatedRounds: [], calls: { feedback: 1 } });
});

Deno.test("capf: repairReward gives a repair partial credit, not a confirmation", () => {
  const g = withConfirmation();
  const input = (t: Trajectory[]) => ({
    trajectories: t,
    outcomes: Float32Array.of(1, 1, 1, 0),
    groupIds: Int32Array.of(0, 0, 0, 0),
  });
  assert.deepEqual(Array.from(capfRewards(input(g), cfg())), [1, 1, 1, 0]);
  assert.deepEqual(Array.from(capfRewards(input(g), cfg({ repairReward: 0.5 }))), [1, 0.5, 1, 0]);
  assert.deepEqual(Array.from(capfRewards(input(g), cfg({ repairReward: 0 }))), [1, 0, 1, 0]);
  // The registered method's reward hook is this function (what the trainer calls).
  const viaMethod = rewardsOf(capf, g, [1, 1, 1, 0], contextOf(cfg({ repairReward: 0.5 })));
  assert.deepEqual(Array.from(viaMethod.rewards), [1, 0.5, 1, 0]);
  // Feedback disabled: no repair exists, the outcome is the reward.
  assert.deepEqual(Array.from(capfRewards(input(g), cfg({ enabled: false }))), [1, 1, 1, 0]);
});

Deno.test("capf: rollout hooks use SearchWorld's privileged verifier; limits and missing verifier", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 3 });
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const hooks = capf.rolloutHooks!;
  const c = cfg();
  assert.equal(hooks.offersFeedback(c), true);
  assert.equal(hooks.maxCalls(c), 1);
  assert.equal(hooks.offersFeedback(cfg({ enabled: false })), false);
  assert.equal(hooks.maxCalls(cfg({ enabled: false })), 0);
  const ctx = contextOf(c, {
    questions: [q],
    resources: { "privileged-verifier": world.verifier({ detail: "error-type" }) },
  });
  const bridge = q.goldChain![0]!.entity;
  const fb = await hooks.onFeedback({ question: q, turns: [], feedbackCalls: 0 }, bridge, ctx);
  assert.equal(fb?.correct, false);
  assert.equal(fb?.kind, "wrong-hop");
  const ok = await hooks.onFeedback(
    { question: q, turns: [], feedbackCalls: 0 },
    q.goldenAnswers[0]!,
    ctx,
  );
  assert.equal(ok?.correct, true);
  assert.equal(
    await hooks.onFeedback({ question: q, turns: [], feedbackCalls: 1 }, bridge, ctx),
    null,
  );
  assert.equal(
    await hooks.onFeedback({ question: q, turns: [], feedbackCalls: 0 }, "  ", ctx),
    null,
  );
  assert.equal(
    await hooks.onFeedback(
      { question: q, turns: [], feedbackCalls: 0 },
      bridge,
      contextOf(cfg({ enabled: false })),
    ),
    null,
  );
  await assert.rejects(
    () =>
      hooks.onFeedback(
        { question: q, turns: [], feedbackCalls: 0 },
        bridge,
        contextOf(c, { questions: [q] }),
      ),
    /no "privileged-verifier" resource was granted/,
  );
});

/** Plain reference of CAPF's advantage on the policy turns of trajectory `t` of `trajs`. */
function reference(trajs: Trajectory[], c: CapfConfig, t: Trajectory): (turn: Turn) => number {
  const a = referenceAdvantage(trajs, t, c);
  const fbs = t.turns.filter((u) =>
    u.role === "feedback" &&
    (c.attenuation.when === "every-call" || u.verdict?.correct !== true)
  ).map((u) => u.round);
  const inReach = (k: number) =>
    fbs.some((f) =>
      c.attenuation.reach.kind === "feedback-call-only"
        ? k === f
        : c.attenuation.reach.kind === "all-before-feedback"
        ? k <= Math.max(...fbs)
        : k <= f && k > f - c.attenuation.reach.n
    );
  return (turn) => (inReach(turn.round) ? c.attenuation.factor * a : a);
}

Deno.test("capf: fast kernel equals a plain per-token loop across seeds", async () => {
  const reaches: CapfConfig["attenuation"]["reach"][] = [
    { kind: "all-before-feedback" },
    { kind: "feedback-call-only" },
    { kind: "last-n-rounds", n: 2 },
  ];
  for (let seed = 0; seed < 30; seed++) {
    const rng = new Rng(seed);
    const trajs = Array.from({ length: 2 + rng.int(8) }, () => {
      const rounds: RoundSpec[] = Array.from(
        { length: 1 + rng.int(5) },
        () =>
          rng.next() < 0.3
            ? { policy: "<feedback> d </feedback>", ...(rng.next() < 0.5 ? FB : CONFIRMED) }
            : { policy: "<search> " + "w ".repeat(rng.int(3)) + "</search>", ...INFO },
      );
      rounds.push({ policy: "<answer> a </answer>" });
      return trajectory({
        groupId: rng.int(3),
        reward: rng.next() < 0.5 ? rng.int(2) : Math.fround(rng.next()),
        rounds,
      });
    });
    const batch = batchOf(trajs, { padTo: 60 });
    const c = cfg({
      factor: Math.fround(rng.next()),
      reach: reaches[rng.int(3)]!,
      when: (["every-call", "not-correct"] as const)[rng.int(2)]!,
    });
    const fast = await advantagesOf(capf, batch, contextOf(c));
    assertPerToken(fast, trajs, batch.length, (t) => reference(trajs, c, t), {
      tol: 1e-4,
      label: `seed ${seed}`,
    });
  }
});
