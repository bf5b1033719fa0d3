import assert from "node:assert/strict";
import { generateWorld, hopQuotas, validateWorldConfig } from "./generate.ts";
import { oodConfig, WORLD_PRESETS, worldPreset } from "./presets.ts";
import { factSentence, type RelationId, RELATIONS, typeSentence } from "./schema.ts";
import type { WorldConfig } from "./types.ts";
import { reservedWords, worldVocabulary } from "./world.ts";
import { normalizeName } from "./verifier.ts";

function small(): WorldConfig {
  const c = worldPreset("default");
  c.entities = { person: 60, company: 15, city: 12, country: 4 };
  c.questions = { train: 120, test: 40 };
  return c;
}

Deno.test("same seed gives byte-identical JSON; different seeds differ", () => {
  const a = JSON.stringify(generateWorld(worldPreset("default"), { seed: 3 }));
  const b = JSON.stringify(generateWorld(worldPreset("default"), { seed: 3 }));
  const c = JSON.stringify(generateWorld(worldPreset("default"), { seed: 4 }));
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.ok(a.length > 100_000);
});

Deno.test("question counts do not change the corpus (separate random streams)", () => {
  const c1 = small();
  const c2 = small();
  c2.questions = { train: 10, test: 5 };
  const w1 = generateWorld(c1, { seed: 9 });
  const w2 = generateWorld(c2, { seed: 9 });
  assert.equal(JSON.stringify(w1.corpus), JSON.stringify(w2.corpus));
  assert.equal(w2.questions("train").length, 10);
});

Deno.test("hopQuotas: exact largest-remainder quotas", () => {
  assert.deepEqual(hopQuotas({ 1: 0.3, 2: 0.3, 3: 0.25, 4: 0.15 }, 100), [30, 30, 25, 15]);
  assert.deepEqual(hopQuotas({ 1: 1, 2: 1, 3: 1 }, 10), [4, 3, 3, 0]);
  assert.deepEqual(hopQuotas({ 4: 2 }, 7), [0, 0, 0, 7]);
  assert.deepEqual(hopQuotas({ 1: 1, 3: 1 }, 3), [2, 0, 1, 0]);
});

Deno.test("presets: hop mixes, sizes and counts", () => {
  const expected = {
    easy: [0.5, 0.5, 0, 0],
    default: [0.3, 0.3, 0.25, 0.15],
    hard: [0, 0, 0.5, 0.5],
  } as const;
  for (const name of WORLD_PRESETS) {
    const cfg = worldPreset(name);
    const w = generateWorld(cfg, { seed: 1 });
    for (const split of ["train", "test"] as const) {
      const qs = w.questions(split);
      assert.equal(qs.length, cfg.questions[split]);
      const counts = [0, 0, 0, 0];
      for (const q of qs) counts[q.goldChain!.length - 1]! += 1;
      expected[name].forEach((p, i) =>
        assert.ok(Math.abs(counts[i]! - p * qs.length) <= 1, `${name} ${split} ${i + 1}-hop`)
      );
    }
  }
  assert.ok(worldPreset("hard").distractorSimilarity > worldPreset("default").distractorSimilarity);
  assert.ok(worldPreset("default").distractorSimilarity > worldPreset("easy").distractorSimilarity);
  // presets are fresh copies
  const p = worldPreset("easy");
  p.entities.person = 3;
  assert.equal(worldPreset("easy").entities.person, 300);
});

Deno.test("questions: canonical shape, chains follow the KB, facts are stated in the corpus", () => {
  const w = generateWorld(small(), { seed: 2 });
  const corpusById = new Map(w.corpus.map((d) => [d.id, d]));
  const keys = new Set<string>();
  for (const split of ["train", "test"] as const) {
    for (const [i, q] of w.questions(split).entries()) {
      assert.equal(q.id, `searchworld-${split}-${i}`);
      assert.equal(q.benchmark, "searchworld");
      assert.equal(q.split, split);
      const ids = q.metadata!["entityIds"] as number[];
      const path = q.metadata!["relations"] as RelationId[];
      assert.equal(ids.length, path.length + 1);
      assert.equal(new Set(ids).size, ids.length, "no entity repeats on a chain");
      assert.equal(q.metadata!["start"], w.entities[ids[0]!]!.name);
      assert.ok(q.question.endsWith(`of ${w.entities[ids[0]!]!.name} ?`));
      assert.ok(
        q.question.startsWith(`which ${w.entities[ids.at(-1)!]!.type} is the ${path.at(-1)} of`),
      );
      assert.deepEqual(q.goldenAnswers, [w.entities[ids.at(-1)!]!.name]);
      assert.deepEqual(q.goldEntities, ids.slice(1).map((id) => w.entities[id]!.name));
      q.goldChain!.forEach((step, k) => {
        const subj = w.entities[ids[k]!]!;
        assert.equal(step.relation, path[k]);
        assert.equal(subj.relations[path[k]!], ids[k + 1]);
        assert.equal(step.query, `${subj.name} ${path[k]}`);
        assert.equal(step.entity, w.entities[ids[k + 1]!]!.name);
        const doc = corpusById.get(w.factDocId(subj.id, path[k]!))!;
        assert.equal(doc.title, subj.name);
        assert.ok(doc.text.includes(factSentence(path[k]!, subj.name, step.entity)));
      });
      const key = `${ids[0]}:${path.join(",")}`;
      assert.ok(!keys.has(key), "no question repeats within or across splits");
      keys.add(key);
    }
  }
});

Deno.test("knowledge base: types, total functions, capitals in their country, twins", () => {
  const cfg = small();
  cfg.distractorSimilarity = 0.9;
  const w = generateWorld(cfg, { seed: 4 });
  const names = new Set<string>();
  let twins = 0;
  for (const e of w.entities) {
    assert.ok(!names.has(e.name));
    names.add(e.name);
    assert.equal(e.name.split(" ").length, 2);
    assert.equal(normalizeName(e.name), e.name, "names are stored normalised");
    assert.equal(w.entityByName(` The ${e.name.toUpperCase()}.`), e);
    for (const r of Object.keys(RELATIONS) as RelationId[]) {
      if (RELATIONS[r].subject !== e.type) continue;
      const o = e.relations[r];
      assert.ok(o !== undefined && o !== e.id, `${e.name} ${r}`);
      assert.equal(w.entities[o]!.type, RELATIONS[r].object);
    }
    if (e.type === "country") {
      assert.equal(w.entities[e.relations.capital!]!.relations.country, e.id);
    }
    if (e.twinOf >= 0) {
      twins++;
      const tw = w.entities[e.twinOf]!;
      assert.equal(tw.type, e.type);
      const shared = e.name.split(" ").filter((x) => tw.name.split(" ").includes(x));
      assert.equal(shared.length, 1, `${e.name} ~ ${tw.name}`);
    }
    const docs = w.corpus.filter((d) => d.title === e.name);
    assert.ok(docs.length >= 1 && docs.length <= cfg.passagesPerEntity);
    for (const d of docs) assert.ok(d.text.startsWith(typeSentence(e.name, e.type)));
  }
  assert.ok(twins > w.entities.length / 2, `twins ${twins}`);
  for (const c of w.entities.filter((e) => e.type === "country")) {
    assert.ok(
      w.entities.some((x) => x.type === "city" && x.relations.country === c.id),
      "every country has a city",
    );
  }
});

Deno.test("passages: 15-45 words, split round-robin over passagesPerEntity", () => {
  for (const p of [1, 2, 3]) {
    const cfg = small();
    cfg.passagesPerEntity = p;
    const w = generateWorld(cfg, { seed: 1 });
    for (const d of w.corpus) {
      const n = d.text.split(" ").length;
      assert.ok(n >= 8 && n <= 45, `${d.id}: ${n} words`);
    }
    const persons = w.entities.filter((e) => e.type === "person").length;
    assert.equal(
      w.corpus.filter((d) => w.entityByName(d.title)!.type === "person").length,
      persons * p,
    );
  }
  const w1 = generateWorld(small(), { seed: 1 });
  const lens = w1.corpus.map((d) => d.text.split(" ").length);
  assert.ok(Math.min(...lens) >= 15 && Math.max(...lens) <= 45);
});

Deno.test("OOD world: no shared entity name, same vocabulary, every word covered", () => {
  const cfg = worldPreset("default");
  const train = generateWorld(cfg, { seed: 1 });
  const ood = generateWorld(oodConfig(cfg), { seed: 1 });
  const oodSameSeed = generateWorld(oodConfig(cfg), { seed: 2 });
  assert.equal(ood.benchmark, "searchworld-ood");
  assert.equal(ood.questions("test")[0]!.benchmark, "searchworld-ood");
  const trainNames = new Set(train.entities.map((e) => e.name));
  for (const w of [ood, oodSameSeed]) {
    for (const e of w.entities) assert.ok(!trainNames.has(e.name), e.name);
  }
  // another training seed never collides with the OOD world either
  const train2 = generateWorld(cfg, { seed: 77 });
  for (const e of ood.entities) assert.ok(!train2.entities.some((x) => x.name === e.name));
  assert.deepEqual(ood.vocabulary(), train.vocabulary());
  const vocab = new Set(train.vocabulary());
  const words = (s: string) => s.split(/\s+/).filter((x) => x !== "");
  for (const w of [train, ood]) {
    for (const d of w.corpus) {
      for (const x of words(d.title + " " + d.text)) assert.ok(vocab.has(x), x);
    }
    for (const q of [...w.questions("train"), ...w.questions("test")]) {
      for (const x of words(q.question)) assert.ok(vocab.has(x), x);
      for (const s of q.goldChain!) for (const x of words(s.query)) assert.ok(vocab.has(x), x);
    }
  }
});

Deno.test("name words never collide with template words", () => {
  const reserved = reservedWords();
  const vocab = worldVocabulary({ nameWords: 160 });
  assert.equal(vocab.length, 160 + reserved.size);
});

Deno.test("bad config: the error names the field", () => {
  const cases: [(c: WorldConfig) => void, RegExp][] = [
    [(c) => (c.entities.person = 1), /entities\.person/],
    [(c) => (c.entities.city = 2), /entities\.city/],
    [(c) => (c.relations = ["birthplace", "nope" as RelationId]), /relations\[1\]/],
    [(c) => (c.relations = ["birthplace", "birthplace"]), /relations\[1\].*duplicate/],
    [(c) => (c.hops = { 1: -1 }), /hops\.1/],
    [(c) => (c.hops = {}), /hops/],
    [(c) => ((c.hops as Record<string, number>)["5"] = 1), /hops\.5/],
    [(c) => (c.testHops = { 4: 0 }), /testHops: expected at least one positive weight/],
    [(c) => (c.testHops = { 0: 1 } as WorldConfig["hops"]), /testHops\.0/],
    [(c) => (c.distractorSimilarity = 1.5), /distractorSimilarity/],
    [(c) => (c.passagesPerEntity = 0), /passagesPerEntity/],
    [(c) => (c.questions.test = -1), /questions\.test/],
    [(c) => (c.entityNamespace = 2), /entityNamespace/],
    [(c) => (c.nameWords = 20), /WorldConfig\.entities: expected at most half/],
  ];
  for (const [mutate, re] of cases) {
    const c = worldPreset("default");
    mutate(c);
    assert.throws(() => validateWorldConfig(c), re);
    assert.throws(() => generateWorld(c, { seed: 1 }), re);
  }
  assert.throws(() => oodConfig(worldPreset("default"), { namespace: 2 }), /namespace/);
  const tooMany = small();
  tooMany.hops = { 1: 1 };
  tooMany.questions = { train: 1000, test: 0 };
  assert.throws(
    () => generateWorld(tooMany, { seed: 1 }),
    /could only make \d+ of 1000 distinct 1-hop train/,
  );
});

Deno.test("testHops: the test split's hop mix changes, the world and training questions do not", () => {
  const cfg = small();
  cfg.questions = { train: 40, test: 30 };
  const a = generateWorld(cfg, { seed: 5 });
  const b = generateWorld({ ...cfg, testHops: { 4: 1 } }, { seed: 5 });
  const same = generateWorld({ ...cfg, testHops: cfg.hops }, { seed: 5 });
  assert.deepEqual(b.corpus, a.corpus);
  assert.deepEqual(b.questions("train"), a.questions("train"));
  assert.deepEqual(b.questions("test").map((q) => q.metadata?.hops), Array(30).fill(4));
  assert.ok(a.questions("test").some((q) => q.metadata?.hops !== 4));
  assert.deepEqual(same.questions("test"), a.questions("test"));
  const trainKeys = new Set(a.questions("train").map((q) => q.question));
  assert.ok(b.questions("test").every((q) => !trainKeys.has(q.question)));
});

Deno.test("relation subset: questions follow only the allowed relations", () => {
  const cfg = small();
  cfg.relations = ["employer", "founder", "birthplace", "country"];
  cfg.hops = { 2: 1, 3: 1 };
  const w = generateWorld(cfg, { seed: 8 });
  for (const q of w.questions("train")) {
    for (const s of q.goldChain!) assert.ok(cfg.relations.includes(s.relation as RelationId));
  }
  assert.ok(!w.corpus.some((d) => d.text.includes(" teacher ")));
});
