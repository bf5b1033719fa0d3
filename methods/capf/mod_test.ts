import assert from "node:assert/strict";
import type { Trajectory } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { generateWorld, worldPreset } from "@creditlab/datasets";
import { Rng } from "@creditlab/kernels";
import { grpo } from "../grpo/mod.ts";
import {
  advantagesOf,
  batchOf,
  contextOf,
  groupOf,
  referenceGroup,
  type RoundSpec,
  rowsOf,
  trajectory,
} from "../testing.ts";
import {
  attenuatedRounds,
  capf,
  CAPF_DEFAULTS,
  type CapfConfig,
  capfLossWeights,
  capfStepMetrics,
  capfVerifierDetail,
  feedbackRounds,
  validateCapfConfig,
} from "./mod.ts";

const FB = { obs: "<verifier> wrong hop </verifier>", obsRole: "feedback" as const };
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
    target?: CapfConfig["attenuation"]["target"];
    enabled?: boolean;
  } = {},
): CapfConfig {
  const base = structuredClone(CAPF_DEFAULTS) as CapfConfig;
  return {
    ...base,
    feedback: patch.enabled === false ? { enabled: false } : base.feedback,
    attenuation: {
      factor: patch.factor ?? base.attenuation.factor,
      reach: patch.reach ?? base.attenuation.reach,
      target: patch.target ?? base.attenuation.target,
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
});

Deno.test("capf: feedback rounds and reach", () => {
  const g = group();
  assert.deepEqual(g.map(feedbackRounds), [[], [2], [1], []]);
  assert.deepEqual(attenuatedRounds([3], { kind: "all-before-feedback" }), [1, 2, 3]);
  assert.deepEqual(attenuatedRounds([3], { kind: "feedback-call-only" }), [3]);
  assert.deepEqual(attenuatedRounds([2, 5], { kind: "last-n-rounds", n: 2 }), [1, 2, 4, 5]);
  assert.deepEqual(attenuatedRounds([], { kind: "all-before-feedback" }), []);
});

Deno.test("capf: factor 1 with feedback disabled equals grpo (every target)", async () => {
  const batch = batchOf(group());
  const want = await advantagesOf(grpo, batch, contextOf({ ...cfg() }));
  for (const target of ["advantage", "reward", "loss-weight"] as const) {
    const c = cfg({ factor: 1, enabled: false, target });
    assert.deepEqual(
      Array.from(await advantagesOf(capf, batch, contextOf(c))),
      Array.from(want),
      target,
    );
    assert.ok(capfLossWeights(batch, c).every((w) => w === 1));
  }
  // factor 1 is GRPO even when feedback rounds exist
  const c = cfg({ factor: 1 });
  assert.deepEqual(Array.from(await advantagesOf(capf, batch, contextOf(c))), Array.from(want));
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

Deno.test("capf: golden values, factor 0.1, each target and reach", async () => {
  const batch = batchOf(group());
  const adv = rowsOf(await advantagesOf(capf, batch, contextOf(cfg())), batch);
  const a = 0.1 * A;
  assert.deepEqual(
    round5(adv[1]!),
    round5([0, 0, 0, a, a, a, 0, 0, 0, 0, a, a, a, 0, 0, 0, 0, A, A, A]),
  );
  assert.deepEqual(round5(adv[2]!), round5([0, 0, 0, -a, -a, -a, 0, 0, 0, 0, -A, -A, -A]));
  // reward target: attenuated tokens credited with reward 0.1 * r against the group baseline
  const rw = rowsOf(await advantagesOf(capf, batch, contextOf(cfg({ target: "reward" }))), batch);
  const b = (0.1 - 0.5) / (Math.sqrt(1 / 3) + 1e-6); // -0.69282
  assert.deepEqual(
    round5(rw[1]!),
    round5([0, 0, 0, b, b, b, 0, 0, 0, 0, b, b, b, 0, 0, 0, 0, A, A, A]),
  );
  assert.deepEqual(round5(rw[2]!), round5([0, 0, 0, -A, -A, -A, 0, 0, 0, 0, -A, -A, -A]));
  // feedback-call-only: the search before the call keeps full credit
  const only = rowsOf(
    await advantagesOf(capf, batch, contextOf(cfg({ reach: { kind: "feedback-call-only" } }))),
    batch,
  );
  assert.deepEqual(
    round5(only[1]!),
    round5([0, 0, 0, A, A, A, 0, 0, 0, 0, a, a, a, 0, 0, 0, 0, A, A, A]),
  );
  // loss-weight: GRPO advantages, weights 0.1 on the attenuated tokens
  const c = cfg({ target: "loss-weight" });
  assert.deepEqual(
    Array.from(await advantagesOf(capf, batch, contextOf(c))),
    Array.from(await advantagesOf(grpo, batch, contextOf(c))),
  );
  const w = rowsOf(capfLossWeights(batch, c), batch);
  assert.deepEqual(
    round5(w[1]!),
    round5([1, 1, 1, 0.1, 0.1, 0.1, 1, 1, 1, 1, 0.1, 0.1, 0.1, 1, 1, 1, 1, 1, 1, 1]),
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
  // loss weights are returned for every target (1 outside `loss-weight`)
  assert.ok(res.lossWeights!.every((w) => w === 1));
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

/** Plain per-token reference of CAPF's advantages. */
function reference(trajs: Trajectory[], c: CapfConfig, length: number): number[] {
  const out: number[] = [];
  for (const t of trajs) {
    const { single, mean, sd } = referenceGroup(trajs, t);
    const adv = (r: number) => (r - mean === 0 ? 0 : (r - mean) / (sd + c.eps));
    const fbs = t.turns.filter((u) => u.role === "feedback").map((u) => u.round);
    const inReach = (k: number) =>
      fbs.some((f) =>
        c.attenuation.reach.kind === "feedback-call-only"
          ? k === f
          : c.attenuation.reach.kind === "all-before-feedback"
          ? k <= Math.max(...fbs)
          : k <= f && k > f - c.attenuation.reach.n
      );
    const row: number[] = [];
    for (const turn of t.turns) {
      for (let j = 0; j < turn.tokens.length; j++) {
        if (turn.role !== "policy") row.push(0);
        else if (!inReach(turn.round)) row.push(adv(t.reward));
        else if (c.attenuation.target === "advantage") {
          row.push(c.attenuation.factor * adv(t.reward));
        } else if (c.attenuation.target === "reward") {
          row.push(!single && sd === 0 ? 0 : adv(c.attenuation.factor * t.reward));
        } else row.push(adv(t.reward));
      }
    }
    while (row.length < length) row.push(0);
    out.push(...row);
  }
  return out;
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
            ? { policy: "<feedback> d </feedback>", ...FB }
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
      target: (["advantage", "reward", "loss-weight"] as const)[rng.int(3)]!,
    });
    const fast = await advantagesOf(capf, batch, contextOf(c));
    const want = reference(trajs, c, batch.length);
    fast.forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]!) < 1e-4, `seed ${seed} token ${i}: ${v} vs ${want[i]}`)
    );
  }
});

Deno.test("capf: reward target on a uniform group stays 0 (no 1/eps blow-up)", async () => {
  const trajs = [1, 2].map(() =>
    trajectory({
      groupId: 0,
      reward: 1,
      rounds: [{ policy: "<feedback> x </feedback>", ...FB }, { policy: "<answer> y </answer>" }],
    })
  );
  const adv = await advantagesOf(capf, batchOf(trajs), contextOf(cfg({ target: "reward" })));
  assert.ok(adv.every((v) => v === 0));
});
