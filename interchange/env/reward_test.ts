/**
 * `POST /reward` over a real server on 127.0.0.1: SearchWorld rewards equal the trainer's
 * outcome (`exactMatch`) and E-GRPO's entity share (`entityMatchRate` over `agentText`) on the
 * same trajectories (one hand-checked); benchmark rewards equal datasets' EM / F1 / cover-EM on
 * real sample rows; answer extraction and 400s naming the field.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Trajectory, Turn } from "@creditlab/core";
import { formatPassages } from "@creditlab/agent";
import {
  answerScores,
  Bm25Index,
  DEFAULT_QA_DIR,
  exactMatch,
  generateWorld,
  parseBenchmarkDir,
  worldPreset,
} from "@creditlab/datasets";
import { agentText, entityMatchRate } from "@creditlab/datasets";
import { loadBenchmarkSources } from "./benchmark_source.ts";
import { agentResponseText, extractAnswer } from "./reward.ts";
import { loadWorldSource } from "./searchworld_source.ts";
import { postJson, withEnvServer } from "./testing.ts";

function turn(role: Turn["role"], text: string, round: number, action?: Turn["action"]): Turn {
  return { role, text, round, tokens: new Int32Array(0), ...(action ? { action } : {}) };
}

Deno.test("serve-env /reward: SearchWorld rewards equal the trainer's EM and E-GRPO's gamma", async () => {
  const world = generateWorld(worldPreset("easy"), { seed: 7 });
  const index = Bm25Index.build(world.corpus);
  await withEnvServer({ sources: [loadWorldSource("searchworld:easy")] }, async (url) => {
    // Hand-checked on searchworld-train-0 (gold entities: fishak zomuth, vakek thegur): the
    // agent names the bridge city in its reasoning (1 of 2 entities; the answer round does not
    // count, nor does the passage naming the answer) and answers right.
    const hand = await postJson(url, "/reward", {
      question_id: "searchworld-train-0",
      response: "<search> fupar zesur birthplace </search>\n" +
        "<information> Doc 1(Title: fishak zomuth) the country of fishak zomuth is vakek thegur . </information>\n" +
        "<think> born in fishak zomuth </think> <answer> Vakek Thegur </answer>",
    });
    assert.equal(hand.status, 200);
    assert.deepEqual(hand.body, {
      reward: 1,
      em: 1,
      f1: 1,
      cover_em: 1,
      answer: "Vakek Thegur",
      entity_match: 0.5,
      entity_matches: [
        { entity: "fishak zomuth", matched: true },
        { entity: "vakek thegur", matched: false },
      ],
    });

    // Trajectories as our rollout writes them: searches of the gold hops (thinking naming some
    // bridge entities), observations from BM25 over the world, then an answer (gold, a bridge
    // entity, or none).
    const items: unknown[] = [];
    const expected: unknown[] = [];
    const gammas = new Set<number>();
    for (const [n, q] of world.questions("train").slice(0, 40).entries()) {
      const turns: Turn[] = [turn("observation", `question : ${q.question}`, 0)];
      const chain = q.goldChain!;
      chain.forEach((step, j) => {
        const think = j % 2 === n % 2 ? `<think> next ${chain[j - 1]?.entity ?? ""} </think> ` : "";
        const query = step.query;
        turns.push(
          turn("policy", `${think}<search> ${query} </search>`, j + 1, { kind: "search", query }),
        );
        turns.push(turn("observation", formatPassages(index.search(query, 3)), j + 1));
      });
      const answer = [q.goldenAnswers[0]!, chain[0]!.entity, null][n % 3] ?? null;
      const said = n % 4 === 0 ? q.goldenAnswers[0]! : chain[chain.length - 2]?.entity ?? "it";
      if (answer !== null) {
        turns.push(
          turn(
            "policy",
            `<think> so ${said} </think> <answer> ${answer} </answer>`,
            chain.length + 1,
            {
              kind: "answer",
              text: answer,
            },
          ),
        );
      }
      const traj: Trajectory = { questionId: q.id, groupId: n, reward: 0, meta: {}, turns };
      const response = turns.slice(1).map((t) => t.text).join(n % 2 === 0 ? "" : "\n\n");
      const gamma = entityMatchRate(q.goldEntities!, agentText(traj, "before-final-answer"), {
        matching: "normalized-substring",
      });
      gammas.add(gamma);
      const em = answer === null ? 0 : exactMatch(answer, q.goldenAnswers);
      items.push({ question_id: q.id, response });
      expected.push({ em, gamma });
    }
    const res = await postJson(url, "/reward", { items });
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.body.results.map((r: { em: number; entity_match: number }) => ({
        em: r.em,
        gamma: r.entity_match,
      })),
      expected,
    );
    assert.ok(gammas.size >= 3, `varied gammas: ${[...gammas]}`);
  });
});

Deno.test("serve-env /reward: benchmark rewards equal datasets' EM/F1 on real sample rows", async () => {
  const names = ["bamboogle", "nq", "hotpotqa"];
  const sources = await loadBenchmarkSources(names);
  await withEnvServer({ sources }, async (url) => {
    for (const name of names) {
      // The rows, read here straight from the shipped files; the server serves the default
      // variant of each split (nq: the full NQ-open test set; hotpotqa: the full dev set).
      const { files } = await parseBenchmarkDir(join(DEFAULT_QA_DIR, name));
      const file = files.filter((f) => f.rows[0]!.split !== "train")
        .sort((a, b) => b.rows.length - a.rows.length)[0]!;
      const rows = file.rows.slice(0, 60);
      const items: unknown[] = [];
      const expected: unknown[] = [];
      rows.forEach((r, i) => {
        const gold = r.goldenAnswers[0]!;
        const pred = [
          `The ${gold.toUpperCase()}!`,
          gold.split(" ")[0]!,
          `${gold} and more`,
          "unknown",
        ][i % 4]!;
        items.push({
          data_source: name,
          question_id: r.id,
          response: `<think> hm </think> <answer> ${pred} </answer>`,
        });
        const s = answerScores(pred, r.goldenAnswers);
        expected.push({
          reward: s.em,
          em: s.em,
          f1: s.f1,
          cover_em: s.coverEm,
          answer: pred,
          entity_match: null,
          entity_matches: null,
        });
      });
      const res = await postJson(url, "/reward", { items });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual(res.body.results, expected, name);
      const ems = res.body.results.map((x: { em: number }) => x.em);
      assert.ok(ems.includes(1) && ems.includes(0), name);
    }
    // Inline answers and entities; an answer given directly.
    const inline = await postJson(url, "/reward", {
      items: [
        { answers: "Paris", answer: "Paris, France" },
        { answers: ["Paris"], response: "no answer tag", entities: ["France"] },
        {
          answers: ["x"],
          response: "<think> france then paris </think> <answer> x </answer>",
          entities: ["France", "Lyon"],
          entity_matching: "token-set",
        },
      ],
    });
    assert.deepEqual(
      inline.body.results.map((
        r: { em: number; f1: number; answer: string | null; entity_match: number | null },
      ) => [r.em, r.f1, r.answer, r.entity_match]),
      [[0, 2 / 3, "Paris, France", null], [0, 0, null, 0], [1, 1, "x", 0.5]],
    );
  });
});

Deno.test("serve-env /reward: answer extraction, agent text, and 400s naming the field", async () => {
  assert.equal(extractAnswer("<answer> a </answer> <answer>\n b \n</answer>"), "b");
  assert.equal(extractAnswer("<answer> a"), null);
  assert.equal(
    agentResponseText(
      "<search> q </search><information> x <verifier> y </verifier>",
      "all-policy-text",
    ),
    "<search> q </search>\n",
  );
  assert.equal(
    agentResponseText("a <answer> b </answer>", "all-policy-text"),
    "a <answer> b </answer>",
  );
  await withEnvServer({ sources: [loadWorldSource("searchworld:easy")] }, async (url) => {
    const id = "searchworld-train-0";
    const cases: [unknown, string][] = [
      [{ question_id: id }, "response"],
      [{ question_id: id, response: "a", answer: "a" }, "answer"],
      [{ answer: "a" }, "answers"],
      [{ answers: [], answer: "a" }, "answers"],
      [{ answers: ["a", 1], answer: "a" }, "answers[1]"],
      [{ question_id: id, response: "a", entities: ["x"] }, "entities"],
      [{ question_id: id, response: "a", entity_matching: "fuzzy" }, "entity_matching"],
      [{ question_id: id, response: "a", split: "dev" }, "question_id"],
      [{ answers: ["a"], answer: "a", split: "test" }, "split"],
      [
        { items: [{ answers: ["a"], answer: "a" }, { answers: ["a"], reponse: "a" }] },
        "items[1].reponse",
      ],
      ["{not json", "body"],
      [{ items: "x" }, "items"],
      [{ items: [], extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const res = await postJson(url, "/reward", body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.field, field, res.body.error);
    }
  });
});
