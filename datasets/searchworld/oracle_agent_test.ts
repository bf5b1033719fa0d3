/**
 * Every SearchWorld question is answerable by following its gold chain with BM25 top-3.
 *
 * A scripted oracle agent reads only the question text: it parses the start entity and the
 * relation path out of the template, searches `<current entity> <relation>` with the real
 * BM25 tool (datasets/retrieval/bm25.ts, Pyserini defaults k1 0.9, b 0.4), reads the fact
 * sentence `the <relation> of <current> is <next> .` from the top-3 passages, and moves on.
 * The test asserts that its queries equal the gold chain's, that the passage holding each
 * hop's fact is in the top 3, and that the final entity is the golden answer.
 */
import assert from "node:assert/strict";
import { Bm25Index } from "../retrieval/bm25.ts";
import type { Passage, Question } from "@creditlab/core";
import { generateWorld } from "./generate.ts";
import { oodConfig, WORLD_PRESETS, worldPreset } from "./presets.ts";
import { RELATION_IDS, type RelationId } from "./schema.ts";
import type { WorldConfig } from "./types.ts";
import type { World } from "./world.ts";

/** Parse "which T is the r_h of ... the r_1 of START ?" into START and [r_1..r_h]. */
function parseQuestion(text: string): { start: string; path: RelationId[] } {
  const m = /^which \w+ is (.*) \?$/.exec(text);
  assert.ok(m, `unexpected question form: ${text}`);
  const words = m[1]!.split(" ");
  const path: RelationId[] = [];
  let i = 0;
  while (
    words[i] === "the" && RELATION_IDS.includes(words[i + 1] as RelationId) && words[i + 2] === "of"
  ) {
    path.push(words[i + 1] as RelationId);
    i += 3;
  }
  return { start: words.slice(i).join(" "), path: path.reverse() };
}

/** The object of `the <relation> of <subject> is <object> .` in any passage, if stated. */
function readFact(passages: Passage[], relation: string, subject: string): string | undefined {
  const prefix = `the ${relation} of ${subject} is `;
  for (const p of passages) {
    for (const sentence of p.text.split(" . ")) {
      const s = sentence.endsWith(" .") ? sentence.slice(0, -2) : sentence;
      if (s.startsWith(prefix)) return s.slice(prefix.length);
    }
  }
  return undefined;
}

function runOracle(world: World, index: Bm25Index, q: Question): void {
  const { start, path } = parseQuestion(q.question);
  const chain = q.goldChain!;
  assert.equal(path.length, chain.length, q.id);
  let current = start;
  path.forEach((relation, k) => {
    const query = `${current} ${relation}`;
    assert.equal(query, chain[k]!.query, `${q.id} hop ${k + 1}: oracle query differs from gold`);
    const top = index.search(query, 3);
    const subject = world.entityByName(current)!;
    const needed = world.factDocId(subject.id, relation);
    assert.ok(
      top.some((p) => p.id === needed),
      `${q.id} hop ${k + 1}: passage ${needed} not in BM25 top-3 for "${query}": ${
        top.map((p) => p.id)
      }`,
    );
    const next = readFact(top, relation, current);
    assert.ok(next !== undefined, `${q.id} hop ${k + 1}: no fact read`);
    assert.equal(next, chain[k]!.entity, `${q.id} hop ${k + 1}: bridge`);
    current = next;
  });
  assert.deepEqual([current], q.goldenAnswers, q.id);
}

function checkAll(config: WorldConfig, seed: number): number {
  const world = generateWorld(config, { seed });
  const index = Bm25Index.build(world.corpus);
  let n = 0;
  for (const split of ["train", "test"] as const) {
    for (const q of world.questions(split)) {
      runOracle(world, index, q);
      n++;
    }
  }
  return n;
}

for (const name of WORLD_PRESETS) {
  Deno.test(`oracle agent answers every ${name} question with BM25 top-3`, () => {
    const n = checkAll(worldPreset(name), 11);
    assert.ok(n > 0);
  });
}

Deno.test("oracle agent answers every OOD (namespace 1) default question with BM25 top-3", () => {
  checkAll(oodConfig(worldPreset("default")), 12);
});

Deno.test("oracle agent: close distractors, 3 passages per entity, classic BM25 (k1 1.2, b 0.75)", () => {
  const cfg = worldPreset("hard");
  cfg.distractorSimilarity = 1;
  cfg.passagesPerEntity = 3;
  cfg.questions = { train: 1500, test: 200 };
  const world = generateWorld(cfg, { seed: 5 });
  const index = Bm25Index.build(world.corpus, { k1: 1.2, b: 0.75 });
  for (const q of world.questions("train")) runOracle(world, index, q);
});

Deno.test("parseQuestion reads the template back", () => {
  assert.deepEqual(parseQuestion("which city is the birthplace of the founder of vorla tesin ?"), {
    start: "vorla tesin",
    path: ["founder", "birthplace"],
  });
});
