import assert from "node:assert/strict";
import { loadPaperCard, paperEffects, papersFromModule } from "./paper.ts";
import { withTempDir } from "@creditlab/core/testing";

const alphaLike = {
  ALPHA_PAPER: {
    title: "Alpha",
    arxiv: "0000.00001",
    venue: "arXiv",
    year: 2026,
    claims: [
      { metric: "average EM", setting: "outcome-only RLVR", value: 0.447, source: "abstract" },
      { metric: "average EM", setting: "Alpha", value: 0.485, source: "abstract" },
    ],
  },
  helper: () => 1,
};

Deno.test("paper: records are found under `paper` or any export, effects read off the card", () => {
  const ps = papersFromModule(alphaLike);
  assert.equal(ps.length, 1);
  assert.equal(ps[0]!.arxiv, "0000.00001");
  const fx = paperEffects({ kind: "card", papers: ps });
  assert.equal(fx.length, 1);
  assert.equal(fx[0]!.how, "Alpha − outcome-only RLVR");
  assert.ok(Math.abs(fx[0]!.points - 3.8) < 1e-9);
  // A record of records under `paper`, and a "gain (points)" claim that is itself an effect.
  const gain = papersFromModule({
    paper: {
      b: {
        title: "B",
        claims: [{ metric: "gain over GRPO (points)", setting: "8B", value: 5, source: "t1" }],
      },
      a: { title: "A", claims: [] },
    },
  });
  assert.deepEqual(gain.map((p) => p.title), ["A", "B"]);
  assert.deepEqual(paperEffects({ kind: "card", papers: gain }).map((e) => e.points), [5]);
  assert.deepEqual(paperEffects({ kind: "missing", reason: "x" }), []);
  assert.deepEqual(papersFromModule({ x: 1 }), []);
});

Deno.test("paper: a missing or broken card is a reason, not a crash", async () => {
  await withTempDir(async (dir) => {
    const url = new URL(`file://${dir}/`);
    const none = await loadPaperCard("nope", { methodsDir: url });
    assert.equal(none.kind, "missing");
    await Deno.mkdir(`${dir}/bad`);
    await Deno.writeTextFile(`${dir}/bad/paper.ts`, `throw new Error("broken card");`);
    const bad = await loadPaperCard("bad", { methodsDir: url });
    assert.ok(bad.kind === "missing" && /failed to load: .*broken card/.test(bad.reason));
    const weird = await loadPaperCard("../etc", { methodsDir: url });
    assert.equal(weird.kind, "missing");
  }, { prefix: "paper_test_" });
});
