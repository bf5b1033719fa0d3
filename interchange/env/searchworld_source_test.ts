/**
 * SearchWorld sources: `--world` values, the world `data export` writes (same seed, same ids),
 * the out-of-domain twin, and the world's own verifier and judge behind the source.
 */
import assert from "node:assert/strict";
import { generateWorld, oodConfig, worldPreset } from "@creditlab/datasets";
import { loadWorldSource, parseWorldSpec, worldSource } from "./searchworld_source.ts";

Deno.test("searchworld sources: specs, seeds, ids and the oracle", async () => {
  assert.deepEqual(parseWorldSpec(" searchworld-ood:hard "), {
    dataSource: "searchworld-ood",
    preset: "hard",
  });
  assert.throws(() => parseWorldSpec("easy"), /expected searchworld:<preset>/);
  assert.throws(() => parseWorldSpec("searchworld:tiny"), /unknown preset "tiny"/);

  // Default seed 7: the world of `data export --searchworld easy`.
  const source = loadWorldSource("searchworld:easy");
  const world = generateWorld(worldPreset("easy"), { seed: 7 });
  assert.equal(source.size, 1800);
  assert.deepEqual(source.info.questions, { train: 1500, test: 300 });
  for (
    const q of [...world.questions("train").slice(0, 50), ...world.questions("test").slice(0, 50)]
  ) {
    assert.deepEqual(source.lookup(q.id), [q]);
  }
  assert.deepEqual(source.lookup("nq-test-0"), []);
  const other = loadWorldSource("searchworld:easy", { seed: 8 });
  const q0 = world.questions("train")[0]!;
  assert.notDeepEqual(other.lookup(q0.id)[0]!.goldenAnswers, q0.goldenAnswers);

  const ood = loadWorldSource("searchworld-ood:easy");
  const oodWorld = generateWorld(oodConfig(worldPreset("easy")), { seed: 7 });
  assert.equal(ood.dataSource, "searchworld-ood");
  assert.deepEqual(ood.lookup(oodWorld.questions("test")[3]!.id), [oodWorld.questions("test")[3]]);

  // The oracle is the world's verifier (one per detail) and judge.
  const own = worldSource(world);
  assert.equal(own.oracle!.verifier("hint"), own.oracle!.verifier("hint"));
  const draft = q0.goldChain![0]!.entity;
  assert.deepEqual(
    await own.oracle!.verifier("error-type").verify(q0, draft),
    await world.verifier({ detail: "error-type" }).verify(q0, draft),
  );
});
