import assert from "node:assert/strict";
import type { Question, Trajectory } from "@creditlab/core";
import { getMethod, type MethodBatch } from "@creditlab/train";
import { exactMatch } from "@creditlab/datasets";
import { groupAdvantages, Rng } from "@creditlab/kernels";
import { grpo } from "../grpo/mod.ts";
import { advantagesOf, batchOf, contextOf, groupOf, question, trajectory } from "../testing.ts";
import {
  agentText,
  E_GRPO_DEFAULTS,
  eGrpo,
  type EGrpoConfig,
  type EGrpoRecord,
  entityFound,
  entityMatchRate,
  entityRewards,
  normalizeGamma,
  validateEGrpoConfig,
} from "./mod.ts";

const Q = question("q0", {
  question: "which city is the home of the employer of kado rin ?",
  goldenAnswers: ["Mira City"],
  goldEntities: ["Vorla Tesin", "Mira City"],
});

function group(): Trajectory[] {
  return groupOf(0, [
    // correct; its reasoning names the bridge entity: gamma 1/2
    {
      reward: 0,
      rounds: [
        {
          policy: "<search> vorla tesin city </search>",
          obs: "<information> mira city </information>",
        },
        { policy: "<answer> Mira City </answer>" },
      ],
    },
    // near-miss: names both entities in its reasoning, answers wrong: gamma 1
    {
      reward: 0,
      rounds: [
        {
          policy:
            "<think> kado rin works for Vorla-Tesin , based in mira city ? </think> <search> vorla tesin </search>",
          obs: "<information> x </information>",
        },
        { policy: "<answer> Bolo </answer>" },
      ],
    },
    // wrong, entity only inside its answer text: gamma 0 by default
    {
      reward: 0,
      rounds: [{ policy: "<answer> Mira City Hall </answer>" }],
    },
    // no answer at all (budget exhausted) but names an entity
    {
      reward: 0,
      rounds: [{ policy: "<search> vorla tesin </search>", obs: "<information> y </information>" }],
    },
  ]);
}

const cfg = (patch: Partial<EGrpoConfig> = {}): EGrpoConfig => ({ ...E_GRPO_DEFAULTS, ...patch });

/** What scoring a round gave: the trajectories (rewards set) and their records. */
interface Scored {
  trajs: Trajectory[];
  records: EGrpoRecord[];
}

/** Score like the trainer: EM outcome, then the method's rewards of the whole round. */
function score(trajs: Trajectory[], c: EGrpoConfig, q: Question = Q): Scored {
  const ctx = contextOf(c, { questions: [q] });
  const outcomes = trajs.map((t) =>
    t.answer === undefined ? 0 : exactMatch(t.answer, q.goldenAnswers)
  );
  const out = eGrpo.rewards!({
    trajectories: trajs,
    outcomes: Float32Array.from(outcomes),
    groupIds: Int32Array.from(trajs, (t) => t.groupId),
  }, ctx);
  trajs.forEach((t, i) => {
    t.meta.outcome = outcomes[i];
    t.reward = out.rewards[i]!;
  });
  return { trajs, records: out.records!.map((r) => r!) };
}

/** The batch of a scored round, with its reward records (as the trainer builds it). */
function batchOfScored(s: Scored): MethodBatch<EGrpoRecord> {
  return batchOf(s.trajs, { rewardRecords: s.records });
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  assert.deepEqual(
    Array.from(a, (v) => Number(v.toFixed(5))),
    Array.from(b, (v) => Number(v.toFixed(5))),
  );

Deno.test("e-grpo: registered; config validation", () => {
  assert.equal(getMethod("e-grpo"), eGrpo);
  validateEGrpoConfig(eGrpo.defaults);
  assert.throws(() => validateEGrpoConfig(cfg({ alpha: 1 })), /field "alpha"/);
  assert.throws(
    () => validateEGrpoConfig(cfg({ matching: "fuzzy" as EGrpoConfig["matching"] })),
    /field "matching"/,
  );
});

Deno.test("e-grpo: entity matching rules and the agent's text", () => {
  assert.equal(entityFound("Vorla Tesin", "works for Vorla-Tesin.", "normalized-substring"), false); // hyphen joins the words
  assert.equal(entityFound("Vorla Tesin", "works for vorla tesin.", "normalized-substring"), true);
  assert.equal(entityFound("Vorla Tesin", "tesin and vorla", "normalized-substring"), false);
  assert.equal(entityFound("Vorla Tesin", "tesin and vorla", "token-set"), true);
  assert.equal(entityFound("Rin", "kado rinny", "normalized-substring"), false);
  assert.equal(entityFound("The Rin", "rin", "normalized-substring"), true);
  assert.equal(
    entityMatchRate(["A Paris", "paris", "France"], "to paris", {
      matching: "normalized-substring",
    }),
    0.5,
  );
  assert.equal(entityMatchRate([], "anything", { matching: "token-set" }), 0);
  const [, nearMiss, inAnswer] = group();
  assert.doesNotMatch(agentText(inAnswer!, "before-final-answer"), /Mira/);
  assert.match(agentText(inAnswer!, "all-policy-text"), /Mira City Hall/);
  assert.doesNotMatch(agentText(nearMiss!, "before-final-answer"), /Bolo|information/);
});

Deno.test("e-grpo: correct answers get 1; a near-miss gets alpha * gamma_hat", async () => {
  const none = score(group(), cfg({ normalization: "none" }));
  // gammas: correct 1/2, near-miss 1 ("mira city" + "vorla tesin" from the search), in-answer 0, no-answer 1/2
  assert.deepEqual(none.records.map((r) => r.gamma), [0.5, 1, 0, 0.5]);
  assert.deepEqual(none.trajs.map((t) => t.reward), [1, Math.fround(0.3), 0, 0]);
  // a weaker near-miss: only the bridge entity -> gamma 1/2, reward 0.15; group-max lifts it to 0.3
  const weak = [
    ...group().slice(0, 1),
    trajectory({
      groupId: 0,
      reward: 0,
      rounds: [
        { policy: "<search> vorla tesin </search>", obs: "<information> z </information>" },
        { policy: "<answer> Bolo </answer>" },
      ],
    }),
  ];
  score(weak, cfg({ normalization: "none" }));
  assert.deepEqual(weak.map((t) => t.reward), [1, Math.fround(0.15)]);
  const c = cfg({ normalization: "group-max" });
  // group max gamma = 1/2 (both rows), so gamma_hat = 1 for the near-miss: reward 0.3
  const scored = score(weak, c);
  assert.deepEqual(scored.records.map((r) => r.gammaHat), [1, 1]);
  const batch = batchOfScored(scored);
  const res = await eGrpo.step(batch, contextOf(c));
  const adv = res.advantages;
  const want = groupAdvantages(new Float32Array([1, 0.3]), batch.groupIds, {
    normalizeStd: true,
    eps: 1e-6,
  });
  close([adv[batch.lengths[0]! - 1]!, adv[batch.length + batch.lengths[1]! - 1]!], want);
  const m = res.metrics;
  assert.equal(m["e-grpo/near_miss_credited_share"], 1);
  assert.ok(Math.abs(m["e-grpo/shaped_reward_mean"]! - 0.65) < 1e-6);
});

Deno.test("e-grpo: alpha 0 equals grpo", async () => {
  const scored = score(group(), cfg({ alpha: 0 }));
  assert.deepEqual(scored.trajs.map((t) => t.reward), [1, 0, 0, 0]);
  const batch = batchOfScored(scored);
  const got = await advantagesOf(eGrpo, batch, contextOf(cfg({ alpha: 0 })));
  const want = await advantagesOf(grpo, batch, contextOf(cfg()));
  assert.deepEqual(Array.from(got), Array.from(want));
});

Deno.test("e-grpo: text scope, no-answer rule, questions without entities", async () => {
  const all = score(group(), cfg({ textScope: "all-policy-text", normalization: "none" }));
  assert.deepEqual(all.records.map((r) => r.gamma), [1, 1, 0.5, 0.5]);
  const credit = score(group(), cfg({ noAnswer: "entity-credit", normalization: "none" }));
  assert.deepEqual(
    credit.trajs.map((t) => t.reward),
    [1, Math.fround(0.3), 0, Math.fround(0.15)],
  );
  const plain = question("q0", { goldenAnswers: ["Mira City"] }); // the same id, no entities
  const noEnt = score(group(), cfg(), plain);
  assert.deepEqual(noEnt.trajs.map((t) => t.reward), [1, 0, 0, 0]);
  const m = (await eGrpo.step(batchOfScored(noEnt), contextOf(cfg()))).metrics;
  assert.equal(m["e-grpo/no_entities_share"], 1);
});

Deno.test("e-grpo: step needs rewards() to have scored the batch", () => {
  assert.throws(
    () => eGrpo.step(batchOf(group()), contextOf(cfg())),
    /must score every trajectory/,
  );
});

Deno.test("e-grpo: normalizeGamma golden values", () => {
  close(
    normalizeGamma(new Float32Array([0.2, 0.4, 1, 0]), new Int32Array([0, 0, 1, 2]), "group-max"),
    [0.5, 1, 1, 0],
  );
  close(normalizeGamma(new Float32Array([0.2, 0.4]), new Int32Array([0, 0]), "none"), [0.2, 0.4]);
});

Deno.test("e-grpo: fast reward kernel equals a plain loop across seeds", () => {
  for (let seed = 0; seed < 30; seed++) {
    const rng = new Rng(seed);
    const n = 1 + rng.int(20);
    const groups = Int32Array.from({ length: n }, () => rng.int(4));
    const outcome = Float32Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    const gamma = Float32Array.from({ length: n }, () => rng.int(5) / 4);
    const eligible = Uint8Array.from({ length: n }, () => (rng.next() < 0.8 ? 1 : 0));
    const alpha = Math.fround(rng.next() * 0.9);
    const normalization = rng.next() < 0.5 ? "group-max" as const : "none" as const;
    const fast = entityRewards(outcome, gamma, {
      groupIds: groups,
      eligible,
      alpha,
      normalization,
    });
    for (let i = 0; i < n; i++) {
      const max = Math.max(...Array.from(gamma).filter((_, j) => groups[j] === groups[i]));
      const hat = normalization === "none" ? gamma[i]! : max > 0 ? gamma[i]! / max : 0;
      const want = outcome[i]! > 0 ? 1 : eligible[i] ? alpha * hat : 0;
      assert.ok(Math.abs(fast[i]! - want) < 1e-6, `seed ${seed} row ${i}: ${fast[i]} vs ${want}`);
    }
  }
});
