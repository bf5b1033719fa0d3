import assert from "node:assert/strict";
import { join } from "node:path";
import { assertClose as close } from "@creditlab/core/testing";
import { RunStore } from "@creditlab/runstore";
import { getMethod, methodNames } from "@creditlab/train";
import { reportCli } from "./cli.ts";
import { collectExperiment } from "./collect.ts";
import { turnCountBlocks } from "./render_turn_count.ts";
import { declaredVariant, turnCountSection } from "./turn_count_section.ts";
import {
  credited,
  type FixtureRun,
  GOLD,
  record,
  type Spec,
  writeTurnCountStore,
} from "./turn_count_testing.ts";

/** Groups "0".."2" of five, K from 1 to 4, mixed outcomes; a different draw per (seed, step). */
function specs(seed: number, step: number): Spec[] {
  const out: Spec[] = [];
  for (let g = 0; g < 3; g++) {
    for (let i = 0; i < 5; i++) {
      const x = (seed * 7 + step * 3 + g * 5 + i * 11) % 13;
      out.push({ uid: String(g), rounds: 1 + (x % 4), answer: x % 3 === 0 ? GOLD : "bob" });
    }
  }
  return out;
}

const GRPO = () => getMethod("grpo").defaults;

async function withStore(
  build: (path: string) => Promise<void>,
  use: (store: RunStore, path: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  const path = join(dir, "creditlab.duckdb");
  try {
    await build(path);
    const store = await RunStore.open(path, { readOnly: true });
    try {
      await use(store, path, dir);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Both arms outcome-only GRPO, as the trainer credits them; two seeds of two stored steps. */
async function grpoStore(path: string): Promise<void> {
  const runs = [];
  for (const arm of ["baseline", "method"]) {
    for (const seed of [1, 2]) {
      const steps = [];
      for (const step of [0, 1]) steps.push(await credited(specs(seed, step), "grpo"));
      runs.push({ arm, method: "grpo", seed, config: GRPO(), steps });
    }
  }
  await writeTurnCountStore(path, "tc", runs);
}

Deno.test("turn count section: replayed under a variant, checked against the stored credit", async () => {
  await withStore(grpoStore, async (store) => {
    const d = await collectExperiment(store, "tc");
    const s = await turnCountSection(store, d, { variant: { normalizeStd: false } });
    assert.deepEqual(s.rows.map((r) => [r.role, r.source, r.measure !== null]), [
      ["default", "stored", true],
      ["variant", "replayed", true],
      ["reference", "stored", true],
    ]);
    // Replaying the recorded config gives the stored advantages exactly; no testbed for the
    // preset "fixture", so the records alone.
    assert.equal(s.replay!.fidelity, 0);
    assert.match(
      s.replay!.environments[0]!,
      /the stored records alone \(no testbed for preset "fixture"/,
    );
    const m = s.rows[0]!.measure!;
    assert.deepEqual([m.runs.length, m.steps, m.trajectories, m.groups], [2, [10, 20], 60, 12]);
    assert.ok(m.informativeCells > 0);
    // Outcome-only credit, scaled or not: same-outcome group mates get equal credit, S = 0.
    for (const r of s.rows) assert.equal(r.measure!.slope.value, 0, r.role);
    assert.equal(s.paired!.value, 0);
    assert.deepEqual([s.paired!.bootstrap.lo, s.paired!.bootstrap.hi], [0, 0]);
    // Without std normalisation every trajectory of a group with both outcomes changes.
    const mixed = [1, 2].flatMap((seed) =>
      [0, 1].flatMap((step) =>
        [0, 1, 2].map((g) => specs(seed, step).filter((x) => x.uid === String(g)))
      )
    ).filter((g) => new Set(g.map((x) => x.answer === GOLD)).size === 2);
    assert.equal(s.changed!.trajectories, mixed.reduce((a, g) => a + g.length, 0));
    assert.equal(s.changed!.of, 60);
  });
});

Deno.test("turn count section: stored credit the recorded config does not give is not replayed", async () => {
  // Hand-set credit: successes K = 2, 3, 3 with advantages 0.5, 0.25, 0.25 on every token.
  // K̄ = 8/3, c̄ = 1/3: Σ(K − K̄)(c − c̄) = (−2/3)(1/6) + 2(1/3)(−1/12) = −1/6, Σ(K − K̄)² = 2/3,
  // so S = −0.25.
  const hand = [2, 3, 3].map((k, i) => {
    const rec = record({ uid: "0", rounds: k, answer: GOLD }, i);
    const a = [0.5, 0.25, 0.25][i]!;
    return { ...rec, reward: 1, advantages: rec.response_mask.map((x) => x * a) };
  });
  await withStore(
    (path) =>
      writeTurnCountStore(path, "hand", [
        { arm: "method", method: "grpo", seed: 1, config: GRPO(), steps: [hand] },
      ]),
    async (store) => {
      const d = await collectExperiment(store, "hand");
      const s = await turnCountSection(store, d, { variant: { normalizeStd: false } });
      close(s.rows[0]!.measure!.slope.value, -0.25, 1e-12);
      assert.equal(s.rows[1]!.measure, null);
      assert.match(
        s.rows[1]!.missing!,
        /did not reproduce the stored advantages \(largest difference 0\.5/,
      );
      assert.equal(s.paired, null);
      assert.deepEqual(s.notes, ["No baseline arm: no reference row."]);
      await assert.rejects(
        () => turnCountSection(store, d, { variant: { nope: 1 } }),
        /--variant: field "nope" is not a field of the recorded config/,
      );
      await assert.rejects(
        () => turnCountSection(store, d, { variant: { eps: -1 } }),
        /--variant: .*eps/,
      );
    },
  );
});

Deno.test("turn count section: `report --variant` writes it into the md, html and json", async () => {
  await withStore(grpoStore, async (_store, path, dir) => {
    const out = join(dir, "out");
    const quiet = console.log;
    const err = console.error;
    const errors: string[] = [];
    console.log = () => {};
    console.error = (m: string) => errors.push(m);
    try {
      const args = ["tc", "--store", path, "--out", out, "--no-png"];
      assert.equal(await reportCli(args), 0);
      assert.doesNotMatch(await Deno.readTextFile(join(out, "tc.md")), /Credit by turn count/);
      assert.equal("turnCount" in JSON.parse(await Deno.readTextFile(join(out, "tc.json"))), false);
      assert.equal(await reportCli([...args, "--variant", '{"normalizeStd": false}']), 0);
      const md = await Deno.readTextFile(join(out, "tc.md"));
      assert.match(md, /## Credit by turn count/);
      assert.match(
        md,
        /\| Δ variant − recorded \(paired\) \| method \(grpo\) \| 2 \| 2 \(10–20\) \| 60 \|/,
      );
      assert.match(await Deno.readTextFile(join(out, "tc.html")), /<h2>Credit by turn count<\/h2>/);
      const json = JSON.parse(await Deno.readTextFile(join(out, "tc.json")));
      assert.deepEqual(json.turnCount.variant, { normalizeStd: false });
      assert.deepEqual(json.turnCount.rows.map((r: { role: string }) => r.role), [
        "default",
        "variant",
        "reference",
      ]);
      assert.equal(await reportCli(["all", "--store", path, "--out", out, "--variant", "{}"]), 1);
      assert.match(errors.at(-1)!, /--variant: name the experiment/);
      assert.equal(await reportCli([...args, "--variant", "[1]"]), 1);
      assert.match(errors.at(-1)!, /--variant: expected a JSON object/);
    } finally {
      console.log = quiet;
      console.error = err;
    }
  });
  assert.deepEqual(turnCountBlocks(null), []);
});

Deno.test("turn count section: a method's declared variant gives the section without --variant", async () => {
  // Any registered method that declares one (found by its field, not by name).
  const declaring = methodNames().map(getMethod).filter((m) => m.turnCountVariant !== undefined);
  assert.ok(declaring.length > 0, "some registered method declares a turnCountVariant");
  const m = declaring[0]!;
  const steps = [await credited(specs(1, 0), "grpo")];
  const runs: FixtureRun[] = [
    { arm: "baseline", method: "grpo", seed: 1, config: GRPO(), steps },
    { arm: "method", method: m.name, seed: 1, config: m.defaults, steps },
  ];
  await withStore(
    (path) => writeTurnCountStore(path, "declared", runs),
    async (store, path, dir) => {
      const d = await collectExperiment(store, "declared");
      assert.deepEqual(declaredVariant(d), m.turnCountVariant);
      const out = join(dir, "out");
      const quiet = console.log;
      console.log = () => {};
      try {
        assert.equal(await reportCli(["all", "--store", path, "--out", out, "--no-png"]), 0);
      } finally {
        console.log = quiet;
      }
      assert.match(await Deno.readTextFile(join(out, "declared.md")), /## Credit by turn count/);
      const json = JSON.parse(await Deno.readTextFile(join(out, "declared.json")));
      assert.deepEqual(json.turnCount.variant, m.turnCountVariant);
    },
  );
  // A method arm that declares none (grpo): no variant, so `report` leaves the section out.
  await withStore(grpoStore, async (store) => {
    assert.equal(declaredVariant(await collectExperiment(store, "tc")), undefined);
  });
});
