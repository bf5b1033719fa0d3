import assert from "node:assert/strict";
import type { RoundJudge, RoundScore, Trajectory } from "@creditlab/core";
import { getMethod } from "@creditlab/train";
import { generateWorld, searchworld, worldPreset } from "@creditlab/datasets";
import { Rng } from "@creditlab/kernels";
import { grpo } from "../grpo/mod.ts";
import {
  advantagesOf,
  assertPerToken,
  batchOf,
  configWith,
  contextOf,
  groupOf,
  question,
  randomTrajectories,
  referenceAdvantage,
  rowsOf,
  ScriptedChat,
  TableJudge,
  trajectory,
} from "../testing.ts";
import {
  contributionWeights,
  CW_GRPO_DEFAULTS,
  cwGrpo,
  type CwGrpoConfig,
  JUDGE_SYSTEM_PROMPT,
  judgedRounds,
  LlmRoundJudge,
  parseJudgeReply,
  roundScales,
  validateCwGrpoConfig,
} from "./mod.ts";

/** A judge that looks scores up by the round's policy text (default 0/0) and records calls. */

const INFO = { obs: "<information> doc </information>" };

/** rewards {1, 1, 0, 0}; row 0 has K = 3, row 1 K = 1, row 2 K = 2, row 3 K = 1. */
function group(): Trajectory[] {
  return groupOf(0, [
    {
      reward: 1,
      rounds: [
        { policy: "<search> alpha </search>", ...INFO },
        { policy: "<search> beta </search>", ...INFO },
        { policy: "<answer> x </answer>" },
      ],
    },
    { reward: 1, rounds: [{ policy: "<answer> x </answer>" }] },
    {
      reward: 0,
      rounds: [{ policy: "<search> gamma </search>", ...INFO }, { policy: "<answer> y </answer>" }],
    },
    { reward: 0, rounds: [{ policy: "<answer> z </answer>" }] },
  ]);
}

const cfg = configWith(CW_GRPO_DEFAULTS);
const A = 0.5 / (Math.sqrt(1 / 3) + 1e-6);
const r5 = (xs: number[]) => xs.map((v) => Number(v.toFixed(5)));

Deno.test("cw-grpo: registered; config validation", () => {
  assert.equal(getMethod("cw-grpo"), cwGrpo);
  validateCwGrpoConfig(cwGrpo.defaults);
  assert.throws(
    () => validateCwGrpoConfig(cfg({ weighting: { kind: "softmax", gamma: 0 } })),
    /weighting.gamma/,
  );
  assert.throws(
    () =>
      validateCwGrpoConfig(
        cfg({ allZeroContributions: "x" as CwGrpoConfig["allZeroContributions"] }),
      ),
    /allZeroContributions/,
  );
});

Deno.test("cw-grpo: weights (normalize, softmax, all-zero both ways) and round scales", () => {
  const n = { kind: "normalize" } as const;
  assert.deepEqual(
    Array.from(
      contributionWeights(new Float32Array([1, 0, 1]), { weighting: n, allZero: "zero-non-final" }),
    ),
    [0.5, 0, 0.5],
  );
  assert.deepEqual(
    Array.from(
      contributionWeights(new Float32Array([0, 0]), { weighting: n, allZero: "zero-non-final" }),
    ),
    [0, 0],
  );
  assert.deepEqual(
    Array.from(
      contributionWeights(new Float32Array([0, 0]), { weighting: n, allZero: "fall-back-to-grpo" }),
    ),
    [0.5, 0.5],
  );
  const s = contributionWeights(new Float32Array([1, 0]), {
    weighting: { kind: "softmax", gamma: 1 },
    allZero: "zero-non-final",
  });
  assert.deepEqual(r5(Array.from(s)), r5([Math.E / (Math.E + 1), 1 / (Math.E + 1)]));
  assert.deepEqual(Array.from(roundScales(new Float64Array([0.5, 0, 0.5]))), [1.5, 0, 1.5, 1]);
});

Deno.test("cw-grpo: uniform contributions (all c_k = 1) equal grpo", async () => {
  const batch = batchOf(group());
  const judge = new TableJudge({
    "<search> alpha </search>": { retrieval: 1, thinking: 1 },
    "<search> beta </search>": { retrieval: 1, thinking: 1 },
  });
  for (
    const weighting of [{ kind: "normalize" } as const, { kind: "softmax", gamma: 3 } as const]
  ) {
    const got = await advantagesOf(
      cwGrpo,
      batch,
      contextOf(cfg({ weighting }), { resources: { "round-judge": judge } }),
    );
    const want = await advantagesOf(grpo, batch, contextOf(cfg()));
    assert.deepEqual(r5(Array.from(got)), r5(Array.from(want)));
  }
});

Deno.test("cw-grpo: only successful, positive-advantage, multi-round trajectories are judged; the rest is GRPO", async () => {
  const batch = batchOf(group());
  const judge = new TableJudge({});
  const got = rowsOf(
    await advantagesOf(cwGrpo, batch, contextOf(cfg(), { resources: { "round-judge": judge } })),
    batch,
  );
  const want = rowsOf(await advantagesOf(grpo, batch, contextOf(cfg())), batch);
  assert.equal(judge.seen.length, 1);
  assert.deepEqual(judge.seen[0]!.map((r) => r.round), [1, 2]);
  assert.deepEqual(judge.seen[0]![0], {
    round: 1,
    policyText: "<search> alpha </search>",
    action: { kind: "search", query: "alpha" },
    observationText: "<information> doc </information>",
  });
  for (const r of [1, 2, 3]) assert.deepEqual(got[r], want[r], `row ${r}`);
});

Deno.test("cw-grpo: golden values (normalize, softmax) and the all-zero case both ways", async () => {
  const batch = batchOf(group());
  const judge = new TableJudge({
    "<search> alpha </search>": { retrieval: 1, thinking: 1 },
    "<search> beta </search>": { retrieval: 1, thinking: 0 },
  });
  const ctx = (c: CwGrpoConfig, j: RoundJudge = judge) =>
    contextOf(c, { resources: { "round-judge": j } });
  // row 0: prompt 3 | r1 3 | info 3 | r2 3 | info 3 | r3 3.  c = [1, 0] -> scales [2, 0, 1]
  const row0 = (v: Float32Array) => rowsOf(v, batch)[0]!;
  const z3 = [0, 0, 0];
  assert.deepEqual(
    r5(row0(await advantagesOf(cwGrpo, batch, ctx(cfg())))),
    r5([...z3, 2 * A, 2 * A, 2 * A, ...z3, ...z3, ...z3, A, A, A]),
  );
  const e = Math.E / (Math.E + 1);
  const soft = row0(
    await advantagesOf(cwGrpo, batch, ctx(cfg({ weighting: { kind: "softmax", gamma: 1 } }))),
  );
  assert.deepEqual(
    r5(soft),
    r5([
      ...z3,
      2 * e * A,
      2 * e * A,
      2 * e * A,
      ...z3,
      ...Array(3).fill(2 * (1 - e) * A),
      ...z3,
      A,
      A,
      A,
    ]),
  );
  // all contributions 0
  const none = new TableJudge({});
  const released = row0(await advantagesOf(cwGrpo, batch, ctx(cfg(), none)));
  assert.deepEqual(r5(released), r5([...z3, ...z3, ...z3, ...z3, ...z3, A, A, A]));
  const fallback = row0(
    await advantagesOf(
      cwGrpo,
      batch,
      ctx(cfg({ allZeroContributions: "fall-back-to-grpo" }), none),
    ),
  );
  assert.deepEqual(r5(fallback), r5([...z3, A, A, A, ...z3, A, A, A, ...z3, A, A, A]));
});

Deno.test("cw-grpo: missing judge, wrong score count and bad scores are errors", async () => {
  const batch = batchOf(group());
  await assert.rejects(
    async () => await advantagesOf(cwGrpo, batch, contextOf(cfg())),
    /no "round-judge" resource was granted/,
  );
  const short: RoundJudge = { score: () => Promise.resolve([{ retrieval: 1, thinking: 1 }]) };
  await assert.rejects(
    async () =>
      await advantagesOf(cwGrpo, batch, contextOf(cfg(), { resources: { "round-judge": short } })),
    /returned 1 scores for 2 rounds/,
  );
  const bad: RoundJudge = {
    score: (_q, rs) =>
      Promise.resolve(rs.map(() => ({ retrieval: 2, thinking: 1 }) as unknown as RoundScore)),
  };
  await assert.rejects(
    async () =>
      await advantagesOf(cwGrpo, batch, contextOf(cfg(), { resources: { "round-judge": bad } })),
    /retrieval = 2/,
  );
});

Deno.test("cw-grpo: LLM judge — prompt, JSON, unparseable = 0/0, cache, counted in step metrics", async () => {
  let i = 0;
  const chat = new ScriptedChat(
    () => (i++ === 0 ? '```json\n{"retrieval": 1, "thinking": true}\n```' : "no idea"),
  );
  const judge = new LlmRoundJudge(chat);
  const batch = batchOf(group());
  const ctx = contextOf(cfg(), {
    resources: { "round-judge": judge },
    questions: [question("q0", { question: "who is x ?" })],
  });
  const res = await cwGrpo.step(batch, ctx);
  const adv = rowsOf(res.advantages, batch)[0]!;
  // the two rounds are judged concurrently: one reply parses (1/1), the other is 0/0
  assert.equal(chat.calls.length, 2);
  assert.equal(judge.stats.parseFailures, 1);
  const firstAlpha = chat.calls[0]!.messages[1]!.content.includes("Current round:\n[Round 1]");
  const z3 = [0, 0, 0];
  const big = [2 * A, 2 * A, 2 * A];
  assert.deepEqual(
    r5(adv),
    r5([...z3, ...(firstAlpha ? big : z3), ...z3, ...(firstAlpha ? z3 : big), ...z3, A, A, A]),
  );
  const prompt = chat.calls.find((c) =>
    c.messages[1]!.content.includes("Current round:\n[Round 2]")
  )!;
  assert.equal(prompt.messages[0]!.content, JUDGE_SYSTEM_PROMPT);
  assert.equal(prompt.temperature, 0);
  assert.match(prompt.messages[1]!.content, /Question: who is x \?/);
  assert.match(
    prompt.messages[1]!.content,
    /Earlier rounds:\n\[Round 1\]\nAgent: <search> alpha <\/search>/,
  );
  assert.doesNotMatch(prompt.messages[1]!.content, /<answer>/);
  assert.match(JUDGE_SYSTEM_PROMPT, /Do not consider whether the agent's final answer is right/);
  const m = res.metrics;
  assert.equal(m["cw-grpo/judged_trajectories"], 1);
  assert.equal(m["cw-grpo/calls/judged_rounds"], 2);
  assert.equal(m["cw-grpo/calls/judge_llm"], 2);
  assert.equal(m["cw-grpo/judge_parse_failures"], 1);
  assert.equal(m["cw-grpo/contribution_mean"], 0.5);
  // the judged row's record: its contributions (one parsed 1/1, one 0/0) and judged rounds
  assert.equal(res.records![0]!.rounds.label, "contribution");
  assert.deepEqual([...res.records![0]!.rounds.values].sort(), [0, 1]);
  assert.deepEqual(res.records![0]!.calls, { judge: 2 });
  assert.deepEqual(res.records!.slice(1), [undefined, undefined, undefined]);
  // same batch again: every round comes from the cache
  const again = await cwGrpo.step(batch, ctx);
  assert.equal(chat.calls.length, 2);
  assert.equal(again.metrics["cw-grpo/judge_llm_cache_hits"], 2);
  assert.equal(again.metrics["cw-grpo/calls/judge_llm"], 0);
  assert.deepEqual(parseJudgeReply('{"retrieval": "1", "thinking": 0}'), {
    retrieval: 1,
    thinking: 0,
  });
  assert.equal(parseJudgeReply('{"retrieval": 3, "thinking": 0}'), null);
});

Deno.test("cw-grpo: SearchWorld's oracle judge credits the round that retrieved a new hop fact", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 5 });
  const q = world.questions("train").find((x) => (x.goldChain?.length ?? 0) === 2)!;
  const [h1, h2] = q.goldChain!;
  const start = searchworld.startEntity(q)!;
  const fact1 = `the ${h1!.relation} of ${start} is ${h1!.entity} .`;
  const fact2 = `the ${h2!.relation} of ${h1!.entity} is ${h2!.entity} .`;
  const good = trajectory({
    groupId: 0,
    reward: 1,
    questionId: q.id,
    rounds: [
      {
        policy: `<search> ${h1!.query} </search>`,
        obs: `<information> Doc 1(Title: x) ${fact1} </information>`,
      },
      {
        policy: `<search> ${h2!.query} </search>`,
        obs: `<information> Doc 1(Title: y) ${fact2} </information>`,
      },
      { policy: `<answer> ${h2!.entity} </answer>` },
    ],
  });
  const lucky = trajectory({
    groupId: 0,
    reward: 0,
    questionId: q.id,
    rounds: [{ policy: "<answer> nobody </answer>" }],
  });
  const batch = batchOf([good, lucky]);
  const scores = await world.roundJudge().score(q, judgedRounds(good));
  assert.deepEqual(scores, [{ retrieval: 1, thinking: 1 }, { retrieval: 1, thinking: 1 }]);
  const adv = await advantagesOf(
    cwGrpo,
    batch,
    contextOf(cfg(), { questions: [q], resources: { "round-judge": world.roundJudge() } }),
  );
  const want = await advantagesOf(grpo, batch, contextOf(cfg()));
  assert.deepEqual(r5(Array.from(adv)), r5(Array.from(want)));
});

Deno.test("cw-grpo: fast kernel equals a plain per-token loop across seeds", async () => {
  for (let seed = 0; seed < 30; seed++) {
    const rng = new Rng(seed);
    const table: Record<string, RoundScore> = {};
    const trajs = randomTrajectories(rng, table, { maxSearches: 3 });
    const batch = batchOf(trajs, { padTo: 50 });
    const c = cfg({
      weighting: rng.next() < 0.5
        ? { kind: "normalize" }
        : { kind: "softmax", gamma: 0.5 + rng.next() * 3 },
      allZeroContributions: rng.next() < 0.5 ? "zero-non-final" : "fall-back-to-grpo",
    });
    const fast = await advantagesOf(
      cwGrpo,
      batch,
      contextOf(c, { resources: { "round-judge": new TableJudge(table) } }),
    );
    assertPerToken(fast, trajs, batch.length, (t) => {
      const a = referenceAdvantage(trajs, t, c);
      const K = Math.max(...t.turns.filter((u) => u.role === "policy").map((u) => u.round));
      const cs = t.turns.filter((u) => u.role === "policy" && u.round < K).map((u) => {
        const s = table[u.text]!;
        return s.retrieval * s.thinking;
      });
      const sum = cs.reduce((x, y) => x + y, 0);
      const w = (k: number) => {
        if (c.weighting.kind === "softmax") {
          const g = c.weighting.gamma;
          return Math.exp(g * cs[k - 1]!) / cs.reduce((z, v) => z + Math.exp(g * v), 0);
        }
        if (sum === 0 && c.allZeroContributions === "fall-back-to-grpo") return 1 / (K - 1);
        return cs[k - 1]! / Math.max(sum, 1e-6);
      };
      const judged = t.reward > 0 && a > 0 && K > 1;
      return (turn) => (judged && turn.round < K ? a * (K - 1) * w(turn.round) : a);
    }, { tol: 1e-4, label: `seed ${seed}` });
  }
});
