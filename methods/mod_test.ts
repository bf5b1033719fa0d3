import assert from "node:assert/strict";
import { getMethod, methodNames } from "@creditlab/train";
import { Rng } from "@creditlab/kernels";
import {
  capf,
  CAPF_DEFAULTS,
  CAPF_PAPER,
  type CapfConfig,
  CW_GRPO_DEFAULTS,
  CW_GRPO_PAPER,
  cwGrpo,
  type CwGrpoConfig,
  E_GRPO_DEFAULTS,
  E_GRPO_PAPER,
  eGrpo,
  type EGrpoConfig,
  grpo,
  GRPO_PAPERS,
} from "./mod.ts";
import {
  advantagesOf,
  batchOf,
  contextOf,
  groupOf,
  question,
  rewardsOf,
  trajectory,
} from "./testing.ts";
import type { RoundJudge } from "@creditlab/core";

Deno.test("methods/mod.ts registers all four methods; each names its metrics by its name", async () => {
  for (
    const [name, m] of [["grpo", grpo], ["capf", capf], ["cw-grpo", cwGrpo], [
      "e-grpo",
      eGrpo,
    ]] as const
  ) {
    assert.ok(methodNames().includes(name), name);
    assert.equal(getMethod(name), m);
    assert.ok(m.summary.length > 0);
    // every method's loss is a valid policy loss of its defaults
    const loss = (m.loss as (c: unknown) => ReturnType<typeof grpo.loss>)(m.defaults);
    assert.equal(loss.klEstimator, "k3");
  }
  // Every metric a method's step returns is `<name>/...` (the trainer refuses any other).
  const trajs = groupOf(0, [
    {
      reward: 1,
      rounds: [{ policy: "<search> q </search>", obs: "<information> d </information>" }, {
        policy: "<answer> paris </answer>",
      }],
    },
    { reward: 0, rounds: [{ policy: "<answer> rome </answer>" }] },
  ]);
  const judge: RoundJudge = {
    score: (_q, rounds) =>
      Promise.resolve(rounds.map(() => ({ retrieval: 1 as const, thinking: 1 as const }))),
  };
  const q = question("q0", { goldEntities: ["q"] });
  for (const m of [grpo, capf, cwGrpo, eGrpo] as const) {
    const ctx = contextOf(m.defaults as never, {
      questions: [q],
      resources: { "round-judge": judge },
    });
    const scored = rewardsOf(m as never, trajs, [1, 0], ctx);
    const res = await (m.step as (b: unknown, c: unknown) => Promise<{ metrics: object }>)(
      batchOf(trajs, { rewardRecords: scored.records ?? [] }),
      ctx,
    );
    for (const k of Object.keys(res.metrics)) assert.ok(k.startsWith(`${m.name}/`), k);
  }
});

Deno.test("paper records carry arXiv ids, authors and sourced claims", () => {
  for (const p of [CAPF_PAPER, CW_GRPO_PAPER, E_GRPO_PAPER, GRPO_PAPERS.searchR1]) {
    assert.match(p.arxiv, /^\d{4}\.\d{5}$/);
    assert.ok(p.authors.length > 0);
    assert.ok(p.claims.length > 0);
    for (const c of p.claims) assert.ok(c.source.length > 0 && Number.isFinite(c.value));
  }
  assert.deepEqual(CAPF_PAPER.claims.map((c) => c.value), [0.447, 0.485]);
});

Deno.test("every method reduces to GRPO in its neutral setting, on random batches", async () => {
  const uniformJudge: RoundJudge = {
    score: (_q, rounds) =>
      Promise.resolve(rounds.map(() => ({ retrieval: 1 as const, thinking: 1 as const }))),
  };
  for (let seed = 0; seed < 10; seed++) {
    const rng = new Rng(100 + seed);
    const trajs = Array.from({ length: 4 + rng.int(8) }, () =>
      trajectory({
        groupId: rng.int(3),
        reward: 0,
        rounds: [
          ...Array.from({ length: rng.int(3) }, () => ({
            policy: "<search> q </search>",
            obs: "<information> d </information>",
          })),
          { policy: rng.next() < 0.5 ? "<answer> paris </answer>" : "<answer> rome </answer>" },
        ],
      }));
    const q = question("q0", { goldenAnswers: ["paris"], goldEntities: ["q"] });
    for (const t of trajs) t.reward = t.answer === "paris" ? 1 : 0;
    const batch = batchOf(trajs);
    const want = Array.from(await advantagesOf(grpo, batch, contextOf(grpo.defaults)));
    const capfCfg: CapfConfig = {
      ...(structuredClone(CAPF_DEFAULTS) as CapfConfig),
      feedback: { enabled: false },
      attenuation: { factor: 1, reach: { kind: "all-before-feedback" }, when: "every-call" },
    };
    assert.deepEqual(
      Array.from(await advantagesOf(capf, batch, contextOf(capfCfg))),
      want,
      `capf seed ${seed}`,
    );
    const cw = await advantagesOf(
      cwGrpo,
      batch,
      contextOf(structuredClone(CW_GRPO_DEFAULTS) as CwGrpoConfig, {
        resources: { "round-judge": uniformJudge },
      }),
    );
    Array.from(cw).forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]!) < 1e-5, `cw-grpo seed ${seed} token ${i}`)
    );
    const eCfg: EGrpoConfig = { ...E_GRPO_DEFAULTS, alpha: 0 };
    const ctx = contextOf(eCfg, { questions: [q] });
    const scored = rewardsOf(eGrpo, trajs, trajs.map((t) => t.reward), ctx);
    trajs.forEach((t, i) => (t.reward = scored.rewards[i]!));
    assert.deepEqual(
      Array.from(
        await advantagesOf(eGrpo, batchOf(trajs, { rewardRecords: scored.records! }), ctx),
      ),
      want,
      `e-grpo seed ${seed}`,
    );
  }
});

Deno.test("a declared turnCountVariant changes fields of the defaults into a valid config", () => {
  const declaring = methodNames().map(getMethod).filter((m) => m.turnCountVariant !== undefined);
  assert.ok(declaring.length >= 3, declaring.map((m) => m.name).join(", "));
  for (const m of declaring) {
    const defaults = m.defaults as Record<string, unknown>;
    const variant = m.turnCountVariant as Record<string, unknown>;
    assert.ok(Object.keys(variant).length > 0, m.name);
    for (const [k, v] of Object.entries(variant)) {
      assert.ok(k in defaults, `${m.name}: "${k}" is a config field`);
      assert.notDeepEqual(v, defaults[k], `${m.name}: "${k}" differs from its default`);
    }
    // loss() validates the config (grpoFamily): the merged config is accepted.
    assert.doesNotThrow(() => m.loss({ ...defaults, ...variant }), m.name);
  }
});
