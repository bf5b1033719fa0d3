import assert from "node:assert/strict";
import { Bm25Index } from "../retrieval/bm25.ts";
import { generateWorld } from "./generate.ts";
import { containsSeq, OracleRoundJudge, wordTokens } from "./judge.ts";
import { worldPreset } from "./presets.ts";
import type { Action, Doc, JudgedRound, Question } from "@creditlab/core";

// One passage per entity (with a filler attribute): the hand-built rounds below retrieve an
// entity's single passage, which then holds every fact of the entity.
const world = generateWorld({ ...worldPreset("easy"), passagesPerEntity: 1, attributes: 1 }, {
  seed: 31,
});
const judge = world.roundJudge();

/** Search-R1 observation framing. */
function obs(docs: readonly Doc[]): string {
  return `<information> ${
    docs.map((d, i) => `Doc ${i + 1}(Title: ${d.title}) ${d.text}`).join(" ")
  } </information>`;
}

function docOf(name: string): Doc {
  return world.corpus.find((d) => d.title === name)!;
}

function round(k: number, action: Action, observationText: string): JudgedRound {
  return { round: k, policyText: "", action, observationText };
}

const search = (query: string): Action => ({ kind: "search", query });

/** which city is the capital of the country of the birthplace of P ? */
function handQuestion() {
  const p = world.entities.find((e) => {
    if (e.type !== "person") return false;
    const c = world.entities[e.relations.birthplace!]!;
    return world.entities[c.relations.country!]!.relations.capital !== c.id;
  })!;
  const city = world.entities[p.relations.birthplace!]!;
  const country = world.entities[city.relations.country!]!;
  const capital = world.entities[country.relations.capital!]!;
  const q: Question = {
    id: "hand",
    question: `which city is the capital of the country of the birthplace of ${p.name} ?`,
    goldenAnswers: [capital.name],
    goldChain: [
      { query: `${p.name} birthplace`, entity: city.name, relation: "birthplace" },
      { query: `${city.name} country`, entity: country.name, relation: "country" },
      { query: `${country.name} capital`, entity: capital.name, relation: "capital" },
    ],
    benchmark: "searchworld",
    split: "train",
    metadata: { start: p.name },
  };
  return { q, p, city, country, capital };
}

Deno.test("wordTokens and containsSeq", () => {
  assert.deepEqual(wordTokens("Doc 1(Title: Vorla Tesin) the"), [
    "doc",
    "1",
    "(",
    "title",
    ":",
    "vorla",
    "tesin",
    ")",
    "the",
  ]);
  assert.ok(containsSeq(["a", "b", "c"], ["b", "c"]));
  assert.ok(!containsSeq(["a", "b", "c"], ["a", "c"]));
  assert.ok(!containsSeq(["a"], []));
});

Deno.test("judge: hand-built rounds", async () => {
  const { q, p, city, country } = handQuestion();
  const unrelated = world.corpus.filter((d) => ![p.name, city.name, country.name].includes(d.title))
    .slice(0, 3);
  const rounds: JudgedRound[] = [
    round(1, search(`${p.name} birthplace`), obs([docOf(p.name), ...unrelated.slice(0, 2)])), // relevant, new, useful
    round(2, search(`${p.name} birthplace`), obs([docOf(p.name)])), // repeated: nothing new, hop 1 resolved
    round(3, search(`${city.name} country`), obs(unrelated)), // right query, retrieval missed
    round(4, search(`${city.name} mayor`), obs([docOf(city.name)])), // wrong relation word, but fact arrives
    round(5, { kind: "feedback", draft: city.name }, "<feedback> wrong hop : ... </feedback>"),
    round(6, search(country.name.toUpperCase()), obs([docOf(country.name)])), // name only: useful
    round(7, search(`${country.name} capital`), obs([docOf(country.name)])), // everything resolved
    round(8, { kind: "invalid", reason: "no tag" }, "invalid action"),
  ];
  assert.deepEqual(await judge.score(q, rounds), [
    { retrieval: 1, thinking: 1 },
    { retrieval: 0, thinking: 0 },
    { retrieval: 0, thinking: 1 },
    { retrieval: 1, thinking: 0 },
    { retrieval: 0, thinking: 0 },
    { retrieval: 1, thinking: 1 },
    { retrieval: 0, thinking: 0 },
    { retrieval: 0, thinking: 0 },
  ]);
});

Deno.test("judge: a later hop retrieved first counts as new; next hop stays the earliest unresolved", async () => {
  const { q, p, city } = handQuestion();
  const scores = await judge.score(q, [
    round(1, search(`${city.name} country`), obs([docOf(city.name)])), // hop 2 fact, but hop 1 is next
    round(2, search(`${p.name}`), obs([docOf(p.name), docOf(city.name)])), // hop 1 new, hop 2 already seen
    round(3, search(`${city.name} country`), obs([docOf(city.name)])), // hop 2 already retrieved: hop 3 is next
  ]);
  assert.deepEqual(scores, [
    { retrieval: 1, thinking: 0 },
    { retrieval: 1, thinking: 1 },
    { retrieval: 0, thinking: 0 },
  ]);
});

Deno.test("judge: a passage about a chain entity without the hop's fact is not relevant", async () => {
  const { q, p } = handQuestion();
  // a passage that mentions P (as teacher/founder/...) but is not P's own passage
  const mention = world.corpus.find((d) =>
    d.title !== p.name && wordTokens(d.text).join(" ").includes(p.name)
  )!;
  assert.ok(mention, "some passage mentions P");
  assert.deepEqual(
    await judge.score(q, [round(1, search(`${p.name} birthplace`), obs([mention]))]),
    [
      { retrieval: 0, thinking: 1 },
    ],
  );
});

Deno.test("judge: no gold chain scores 0/0", async () => {
  const { q, p } = handQuestion();
  const bare: Question = { ...q };
  delete bare.goldChain;
  assert.deepEqual(await judge.score(bare, [round(1, search(p.name), obs([docOf(p.name)]))]), [
    { retrieval: 0, thinking: 0 },
  ]);
  assert.deepEqual(await judge.score(q, []), []);
});

Deno.test("judge: the oracle trajectory (gold queries, BM25 top-3) scores 1/1 on every round with new facts", async () => {
  const index = Bm25Index.build(world.corpus);
  const j = new OracleRoundJudge();
  let rounds11 = 0, total = 0;
  for (const q of world.questions("test")) {
    const rounds = q.goldChain!.map((s, k) =>
      round(k + 1, search(s.query), obs(index.search(s.query, 3)))
    );
    const scores = await j.score(q, rounds);
    let subject = q.metadata!["start"] as string;
    q.goldChain!.forEach((s, k) => {
      const fact =
        `Doc \\d\\(Title: ${subject}\\) ${subject} is a \\w+ \\.[a-z .]* the ${s.relation} of ${subject} is ${s.entity} \\.`;
      const re = new RegExp(fact);
      subject = s.entity;
      total++;
      assert.match(rounds[k]!.observationText, re, `${q.id} hop ${k + 1} fact retrieved`);
      // a fact already shown by an earlier round (incidentally in its top 3) makes this round redundant
      const seenBefore = rounds.slice(0, k).some((r) => re.test(r.observationText));
      if (!seenBefore) {
        assert.deepEqual(scores[k], { retrieval: 1, thinking: 1 }, `${q.id} round ${k + 1}`);
        rounds11++;
      } else {
        assert.equal(scores[k]!.thinking, 0, `${q.id} round ${k + 1}: hop already resolved`);
      }
    });
    // the same rounds repeated add nothing
    const again = await j.score(q, [...rounds, ...rounds]);
    assert.deepEqual(again.slice(rounds.length), rounds.map(() => ({ retrieval: 0, thinking: 0 })));
  }
  assert.ok(rounds11 > 0.9 * total, `${rounds11} of ${total}`);
});
