import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { generateWorld } from "./generate.ts";
import { containsSeq, wordTokens } from "./judge.ts";
import { worldPreset } from "./presets.ts";
import type { Question } from "@creditlab/core";
import { normalizeName } from "./verifier.ts";
import type { World } from "./world.ts";

const world = generateWorld(worldPreset("easy"), { seed: 21 });

/** A hand-built 2-hop question: which country is the country of the birthplace of P ? */
function handQuestion(w: World) {
  const p = w.entities.find((e) => e.type === "person")!;
  const city = w.entities[p.relations.birthplace!]!;
  const country = w.entities[city.relations.country!]!;
  const q: Question = {
    id: "hand-1",
    question: `which country is the country of the birthplace of ${p.name} ?`,
    goldenAnswers: [country.name],
    goldEntities: [city.name, country.name],
    goldChain: [
      { query: `${p.name} birthplace`, entity: city.name, relation: "birthplace" },
      { query: `${city.name} country`, entity: country.name, relation: "country" },
    ],
    benchmark: "searchworld",
    split: "train",
    metadata: { start: p.name },
  };
  return { q, p, city, country };
}

Deno.test("normalizeName follows Search-R1 normalize_answer", () => {
  assert.equal(normalizeName("  The Vorla-Tesin. "), "vorlatesin");
  assert.equal(normalizeName("A  vorla,  tesin!"), "vorla tesin");
  assert.equal(normalizeName(""), "");
});

Deno.test("verifier kinds and texts on a hand-built question (error-type)", async () => {
  const { q, p, city, country } = handQuestion(world);
  const v = world.verifier({ detail: "error-type" });
  assert.deepEqual(await v.verify(q, country.name), {
    correct: true,
    kind: "correct",
    text: "correct : the answer is right .",
  });
  assert.equal((await v.verify(q, `The ${country.name.toUpperCase()}.`)).kind, "correct");
  // the CAPF "Sochi" case: the bridge city for a country question
  assert.deepEqual(await v.verify(q, city.name), {
    correct: false,
    kind: "wrong-hop",
    text: "wrong hop : you gave an intermediate city on the path , not the final entity . " +
      "the question asks for a country . follow one more hop .",
  });
  assert.deepEqual(await v.verify(q, p.name), {
    correct: false,
    kind: "wrong-hop",
    text:
      "wrong hop : you gave the person named in the question . the question asks for a country . " +
      "follow two more hops .",
  });
  const otherCity = world.entities.find((e) => e.type === "city" && e.id !== city.id)!;
  assert.deepEqual(await v.verify(q, otherCity.name), {
    correct: false,
    kind: "wrong-type",
    text: "wrong type : you gave a city , the question asks for a country .",
  });
  const otherCountry = world.entities.find((e) => e.type === "country" && e.id !== country.id)!;
  assert.deepEqual(await v.verify(q, otherCountry.name), {
    correct: false,
    kind: "wrong",
    text: "wrong : you gave a country , the right type , but not the right one .",
  });
  for (
    const draft of ["", "zzz qqq", country.name.split(" ")[0]!, `${country.name} ${city.name}`]
  ) {
    assert.deepEqual(await v.verify(q, draft), {
      correct: false,
      kind: "missing-entity",
      text: "missing entity : your answer names no entity . give the full name of one entity .",
    }, JSON.stringify(draft));
  }
});

Deno.test("verifier hint level reveals the next relation, never the answer", async () => {
  const { q, p, city, country } = handQuestion(world);
  const v = world.verifier({ detail: "hint" });
  const hop = await v.verify(q, city.name);
  assert.equal(hop.kind, "wrong-hop");
  assert.ok(hop.text.endsWith(" hint : next follow the country relation of that city ."), hop.text);
  assert.ok(
    (await v.verify(q, p.name)).text.endsWith(
      " hint : next follow the birthplace relation of that person .",
    ),
  );
  const otherCity = world.entities.find((e) => e.type === "city" && e.id !== city.id)!;
  assert.ok(
    (await v.verify(q, otherCity.name)).text.endsWith(
      " hint : the last hop is the country relation of a city .",
    ),
  );
  assert.ok(
    (await v.verify(q, country.name.split(" ")[1]!)).text.endsWith(
      " hint : your answer is part of a name , give the full name .",
    ),
  );
  assert.ok(
    (await v.verify(q, "zzz")).text.endsWith(
      ` hint : start with the birthplace relation of ${p.name} .`,
    ),
  );
  const similar = world.entities.find((e) =>
    e.type === "country" && e.id !== country.id &&
    e.name.split(" ").some((w) => [...country.name.split(" "), ...city.name.split(" ")].includes(w))
  );
  const far = world.entities.find((e) =>
    e.type === "country" && e.id !== country.id &&
    !e.name.split(" ").some((w) =>
      [...country.name.split(" "), ...city.name.split(" "), ...p.name.split(" ")].includes(w)
    )
  )!;
  assert.ok(
    (await v.verify(q, far.name)).text.endsWith(
      " hint : check the country relation of the last city on the path .",
    ),
  );
  if (similar) {
    assert.ok(
      (await v.verify(q, similar.name)).text.endsWith(
        " hint : a similar name is on the path , check the full name .",
      ),
    );
  }
});

Deno.test("verifier correctness level reveals only right/wrong", async () => {
  const { q, city, country } = handQuestion(world);
  const v = world.verifier({ detail: "correctness" });
  assert.deepEqual(await v.verify(q, city.name), {
    correct: false,
    kind: "wrong",
    text: "wrong : the answer is not right .",
  });
  assert.equal((await v.verify(q, country.name)).kind, "correct");
  assert.equal(v.diagnose(q, city.name).kind, "wrong-hop");
});

Deno.test("verifier: unknown when the question has no gold chain or is not from this world", async () => {
  const { q } = handQuestion(world);
  const v = world.verifier({ detail: "hint" });
  const noChain: Question = { ...q };
  delete noChain.goldChain;
  assert.deepEqual(await v.verify(noChain, "x"), {
    correct: false,
    kind: "unknown",
    text: "unknown : no verdict for this question .",
  });
  assert.equal((await v.verify({ ...q, goldenAnswers: ["not a name here"] }, "x")).kind, "unknown");
  assert.throws(() => world.verifier({ detail: "all" as "hint" }), /detail must be/);
});

Deno.test("verifier on every question: texts in vocabulary, answer and bridges never leaked", async () => {
  const w = generateWorld(worldPreset("default"), { seed: 5 });
  const vocab = new Set(w.vocabulary());
  const rng = new Rng(1);
  const counts: Record<string, number> = {};
  for (const detail of ["correctness", "error-type", "hint"] as const) {
    const v = w.verifier({ detail });
    for (const q of w.questions("test")) {
      const chain = q.goldChain!;
      const drafts = [
        ...chain.map((s) => s.entity),
        q.metadata!["start"] as string,
        w.entities[rng.int(w.entities.length)]!.name,
        "",
        "kado",
      ];
      for (const d of drafts) {
        const fb = await v.verify(q, d);
        counts[`${detail}:${fb.kind}`] = (counts[`${detail}:${fb.kind}`] ?? 0) + 1;
        assert.equal(fb.correct, fb.kind === "correct");
        for (const t of fb.text.split(" ")) assert.ok(vocab.has(t), `${t} in "${fb.text}"`);
        if (fb.kind !== "correct") {
          const toks = wordTokens(fb.text);
          for (const s of chain) {
            assert.ok(!containsSeq(toks, wordTokens(s.entity)), `${fb.text} leaks ${s.entity}`);
          }
        }
      }
    }
  }
  for (const k of ["correct", "wrong-hop", "wrong-type", "missing-entity", "wrong"]) {
    assert.ok(
      (counts[`hint:${k}`] ?? 0) > 0,
      `hint:${k} never produced: ${JSON.stringify(counts)}`,
    );
  }
  assert.deepEqual(
    Object.keys(counts).filter((k) => k.startsWith("correctness:")).sort(),
    ["correctness:correct", "correctness:wrong"],
  );
});
