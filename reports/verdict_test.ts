/**
 * Reports that decide, end to end on real DuckDB stores whose answers the tests chose: the
 * verdict line, the paired table, the JSON beside the markdown, the regime measure, the
 * training-reward trend, the collapsed QA columns, the omitted flat plot, the index that keeps
 * other experiments' rows, and the Welch fallback of a store without per-question outcomes.
 */
import assert from "node:assert/strict";
import { RunStore } from "@creditlab/runstore";
import { points, signedPoints } from "./format.ts";
import { generateReport } from "./generate.ts";
import type { ComparisonJson, ReportJson } from "./json_schema.ts";
import { pairedDelta, type PairedEstimate } from "./paired.ts";
import { intervalVerdict, verdict } from "./verdict.ts";
import { type PairedStoreOptions, writeFixtureStore, writePairedStore } from "./testing.ts";
import { assertClose as close, withTempDir } from "@creditlab/core/testing";

const Q = 50;
/** Seed s answers wrong on the 20% of the questions with q % 5 = s % 5. */
const wrongOn20 = (s: number, q: number) => (q % 5 === s % 5 ? 0 : 1);
/** The warm start is wrong on 40% of the questions. */
const start40 = (q: number) => (q % 5 < 2 ? 0 : 1);

/** A methods folder with a card for method "probe" that claims a gain of +5 points. */
async function methodsDir(root: string): Promise<URL> {
  const dir = `${root}/methods`;
  await Deno.mkdir(`${dir}/probe`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/probe/paper.ts`,
    `export const paper = { title: "Probe", arxiv: "0000.00000", claims: [
       { metric: "average EM gain over GRPO (points)", setting: "8B", value: 5.0, source: "Table 1" }] };`,
  );
  return new URL(`file://${dir}/`);
}

async function report(
  root: string,
  name: string,
  opts: Omit<PairedStoreOptions, "experiment" | "start"> & { start?: (q: number) => number },
): Promise<{ md: string; json: ReportJson; jsonText: string; files: string[]; out: string }> {
  const store = `${root}/${name}.duckdb`;
  await writePairedStore(store, { experiment: "probe", start: start40, questions: Q, ...opts });
  const out = `${root}/out-${name}`;
  const r = await generateReport({
    store,
    out,
    png: false,
    methodsDir: await methodsDir(root),
  });
  const jsonText = await Deno.readTextFile(`${out}/probe.json`);
  return {
    md: await Deno.readTextFile(`${out}/probe.md`),
    json: JSON.parse(jsonText),
    jsonText,
    files: r.files,
    out,
  };
}

function comparison(j: ReportJson, world: string, label: string): ComparisonJson {
  const c = j.worlds.find((w) => w.key === world)?.comparisons.find((x) => x.label === label);
  assert.ok(c, `no comparison ${label} on ${world}`);
  return c;
}

/** The paired-table row the markdown must hold for a comparison, from the JSON's numbers. */
function pairedRow(c: ComparisonJson, world: string): string {
  return `| ${world} | ${c.label} | ${signedPoints(c.delta!)} | [${signedPoints(c.lo!)}, ${
    signedPoints(c.hi!)
  }] | ${points(c.mde!)} | ${c.df!.toFixed(1)} | ${c.seeds} seeds x ${c.questions} questions`;
}

Deno.test("verdict: method right where the baseline is wrong on 20% of questions reproduces; JSON = markdown", async () => {
  await withTempDir(async (root) => {
    const { md, json, jsonText, files, out } = await report(root, "up", {
      regime: "sparse-success",
      baseline: wrongOn20,
      methodEm: () => 1,
    });
    // Δ is exactly +0.2 (the method is right on the 20% the baseline misses), and the interval
    // is pairedDelta's over the 3 x 50 cells.
    const c = comparison(json, "searchworld", "method − baseline");
    const cells = [1, 2, 3].flatMap((s) =>
      Array.from({ length: Q }, (_, q) => ({
        seed: s,
        questionId: String(q),
        baseline: wrongOn20(s, q),
        method: 1,
      }))
    );
    const ref = pairedDelta(cells);
    assert.equal(c.how, "paired");
    close(c.delta, 0.2, 1e-12, "delta");
    close(c.lo, ref.lo, 1e-12, "lo");
    close(c.hi, ref.hi, 1e-12, "hi");
    close(c.mde, ref.mde, 1e-12, "mde");
    close(c.df, ref.df, 1e-9, "df");
    assert.equal(c.seeds, 3);
    assert.equal(c.questions, Q);
    assert.ok(c.lo! > 0);
    assert.equal(c.verdict?.kind, "reproduces");
    assert.equal(json.headline?.kind, "reproduces");
    assert.equal(json.headline?.world, "searchworld");
    assert.equal(json.paper.direction, 1);
    // The markdown shows the same numbers: the headline verdict and the paired-table row.
    assert.ok(
      md.includes(
        `**Verdict (SearchWorld, in-domain): reproduces** — Δ ${signedPoints(c.delta!)} points`,
      ),
    );
    assert.ok(
      json.headline!.text.startsWith(
        `reproduces: Δ ${signedPoints(c.delta!)} points [${signedPoints(c.lo!)}, ${
          signedPoints(c.hi!)
        }], MDE ${points(c.mde!)} points (3 seeds x ${Q} questions)`,
      ),
      json.headline!.text,
    );
    assert.ok(md.includes(`${pairedRow(c, "SearchWorld (in-domain)")} | reproduces |`));
    const ood = comparison(json, "searchworld-ood", "method − baseline");
    assert.ok(
      md.includes(
        `Verdict (SearchWorld-OOD, out-of-domain): ${ood.verdict!.text.replace(": ", " — ")}`,
      ),
    );
    // The baseline's gain over its warm start: 0.8 − 0.6, every seed paired with the one start.
    const gain = comparison(json, "searchworld", "baseline − start");
    close(gain.delta, 0.2, 1e-12, "gain");
    assert.equal(gain.sharedReference, true);
    assert.equal(gain.referenceSeeds, 1);
    assert.equal(json.worlds[0]!.learns?.answer, "yes");
    assert.ok(
      md.includes(
        `**Does RL learn? baseline − start (SearchWorld, in-domain): yes** — Δ baseline − start ${
          signedPoints(gain.delta!)
        } points`,
      ),
    );
    // Arms' EM cells: JSON and markdown.
    const arms = json.worlds[0]!.arms;
    assert.deepEqual(arms.map((a) => a.arm), ["start (SFT)", "baseline", "method"]);
    const em = arms[1]!.em;
    assert.ok("mean" in em && em.seeds === 3 && em.of === 3);
    close(em.mean, 0.8, 1e-12, "baseline EM");
    close(em.halfWidth, 0, 1e-12, "baseline EM half-width");
    assert.ok(md.includes("| baseline | grpo | 3 | 80.0 ± 0.0 | 80.0 ± 0.0 |"));
    assert.ok(md.includes("| start (SFT) | sft | 1 | 60.0 (1 seed, no interval) |"));
    // Regime: named, measured on the baseline (0.6 over the first 2 of 10 steps), holds.
    assert.equal(json.regime?.name, "sparse-success");
    assert.equal(json.regime?.holds, true);
    close(json.regime?.arms[0]?.value, 0.6, 1e-12, "regime measure");
    assert.ok(md.includes("**Regime: sparse-success** — 4-hop questions only"));
    assert.ok(md.includes("baseline 60.0% (per seed 60.0%, 60.0%, 60.0%), target ≥ 50.0%: holds"));
    // Training reward: 0.3 + 0.01 step + 0.01 seed rises by 0.08 between steps 1-2 and 9-10.
    const tb = json.trends.find((t) => t.arm === "baseline")!;
    close(tb.delta, 0.08, 1e-12, "trend");
    assert.equal(tb.stepsPerWindow, 2);
    assert.ok(
      md.includes("| baseline | reward/mean | 0.335 | 0.415 | +0.080 | [+0.080, +0.080] | 3 | 2 |"),
    );
    // Wall time: 7 runs of 90 s.
    assert.equal(json.wallSeconds.total, 7 * 90);
    assert.deepEqual(json.wallSeconds.byArm, { start: 90, baseline: 270, method: 270 });
    assert.ok(
      md.includes(
        "10m 30s summed over 7 ended run(s) (start 1m 30s, baseline 4m 30s, method 4m 30s)",
      ),
    );
    // Elapsed: the first start to the last end, computed apart from the code from the runs.
    const starts = json.runs.map((r) => Date.parse(r.startedAt));
    const ends = json.runs.map((r) => Date.parse(r.endedAt!));
    assert.equal(json.wallSeconds.elapsed, (Math.max(...ends) - Math.min(...starts)) / 1000);
    // Run configs: shared once; the warm start has its checkpoint and lacks `rl`, the six RL
    // runs set nothing else.
    const shared = "<details><summary>config shared by the runs (7 runs)</summary>";
    assert.equal(md.split(shared).length - 1, 1, "the shared config once");
    assert.equal(md.match(/^\| [\w.]*groupSize \| 4 \|$/gm)?.length, 1, "its fields once");
    const startId = json.runs.find((r) => r.arm === "start")!.id;
    assert.ok(md.includes(`- **${startId}**: \`sftCheckpoint: "fixture"\`, \`rl: (absent)\`\n`));
    for (const r of json.runs.filter((r) => r.arm !== "start")) {
      assert.ok(md.includes(`- **${r.id}**: the shared config, nothing else\n`), r.id);
    }
    assert.deepEqual(json.commits, ["fixture"]);
    assert.deepEqual(json.backends, ["wasm"]);
    assert.deepEqual(json.presets, ["smoke"]);
    // Empty QA columns collapse into one note.
    assert.ok(md.includes("| arm | method | seeds | SearchWorld | SearchWorld-OOD |"));
    assert.ok(!md.includes("n/a (no eval)"), "no n/a cells for QA benchmarks");
    assert.ok(md.includes("The seven open-domain QA benchmarks (NQ, TriviaQA, PopQA"));
    assert.equal(json.qaBenchmarks.columns.length, 0);
    assert.match(json.qaBenchmarks.note ?? "", /deno task eval --policy/);
    // A clip fraction identically 0 is not drawn; the note says why.
    assert.ok(!files.some((f) => /clip_fraction/.test(f)), "no clip fraction plot");
    assert.ok(
      md.includes("Not drawn: clip/fraction is identically 0 at every logged step of every run"),
    );
    assert.deepEqual(json.curves.omitted, [{ metric: "clip/fraction", value: 0, points: 60 }]);
    assert.ok(files.includes("plots/probe-curve-reward_mean.svg"));
    // Drawn curves: mean over seeds with a band, not one line per seed.
    const svg = await Deno.readTextFile(`${out}/plots/probe-curve-reward_mean.svg`);
    assert.ok(svg.includes("min–max over seeds"), "the plot says what its band is");
    // Deterministic: the same store gives the same JSON bytes.
    const again = `${root}/again`;
    await generateReport({
      store: `${root}/up.duckdb`,
      out: again,
      png: false,
      methodsDir: await methodsDir(root),
    });
    assert.equal(await Deno.readTextFile(`${again}/probe.json`), jsonText);
  }, { prefix: "verdict_up_" });
});

Deno.test("verdict: identical arms are inconclusive with Δ 0; a worse method contradicts", async () => {
  await withTempDir(async (root) => {
    const flat = await report(root, "flat", { baseline: wrongOn20, methodEm: wrongOn20 });
    const c = comparison(flat.json, "searchworld", "method − baseline");
    assert.equal(c.delta, 0);
    assert.equal(c.halfWidth, 0);
    assert.equal(flat.json.headline?.kind, "inconclusive");
    assert.equal(
      flat.json.headline?.text,
      `inconclusive at MDE 0.0 points: Δ 0.0 points [0.0, 0.0] (3 seeds x ${Q} questions)`,
    );
    assert.ok(
      flat.md.includes(
        `**Verdict (SearchWorld, in-domain): inconclusive at MDE 0.0 points** — Δ 0.0 points [0.0, 0.0] (3 seeds x ${Q} questions)`,
      ),
    );
    // No regime recorded: the default, mixed, without a target.
    assert.equal(flat.json.regime?.name, "mixed");
    assert.equal(flat.json.regime?.holds, null);
    assert.ok(flat.md.includes("**Regime: mixed**"));

    const down = await report(root, "down", { baseline: () => 1, methodEm: wrongOn20 });
    const d = comparison(down.json, "searchworld", "method − baseline");
    close(d.delta, -0.2, 1e-12, "delta");
    assert.ok(d.hi! < 0);
    assert.equal(down.json.headline?.kind, "contradicts");
    assert.ok(down.md.includes(`${pairedRow(d, "SearchWorld (in-domain)")} | contradicts |`));
  }, { prefix: "verdict_flat_" });
});

Deno.test("index: regenerating from a store of one experiment keeps the other experiments' rows", async () => {
  await withTempDir(async (root) => {
    const out = `${root}/reports`;
    const old = `${root}/old.duckdb`;
    await writeFixtureStore(old, { seeds: 2, steps: 2 });
    await generateReport({ store: old, out, png: false });
    // Not a report file: ignored by the index.
    await Deno.writeTextFile(`${out}/deno.json`, `{ "name": "x" }\n`);
    const probe = `${root}/probe.duckdb`;
    await writePairedStore(probe, {
      experiment: "probe",
      regime: "sparse-success",
      start: start40,
      baseline: wrongOn20,
      methodEm: () => 1,
    });
    const r = await generateReport({
      store: probe,
      out,
      png: false,
      methodsDir: await methodsDir(root),
    });
    assert.deepEqual(r.experiments, ["probe"]);
    assert.deepEqual(r.indexed, ["alpha", "beta", "probe", "sft"]);
    const html = await Deno.readTextFile(`${out}/index.html`);
    const rows = [...html.matchAll(/<tr id="exp-([^"]+)">(.*?)<\/tr>/g)];
    assert.deepEqual(rows.map((m) => m[1]), ["alpha", "beta", "probe", "sft"], "one row each");
    for (const [, name, cells] of rows) {
      assert.ok(cells!.includes(`<a href="${name}.html">page</a>`), `page link of ${name}`);
      assert.ok(await Deno.stat(`${out}/${name}.html`), `page of ${name} kept`);
    }
    assert.ok(html.includes("generated from the run stores old.duckdb, probe.duckdb"));
    // The probe row: method, regime, the headline verdict and Δ in-domain, from its JSON.
    const json: ReportJson = JSON.parse(await Deno.readTextFile(`${out}/probe.json`));
    const c = comparison(json, "searchworld", "method − baseline");
    const probeRow = rows.find((m) => m[1] === "probe")![2]!;
    assert.ok(probeRow.includes(`<td>probe</td><td>sparse-success</td>`), probeRow);
    assert.ok(probeRow.includes(`<td class="reproduces">${json.headline!.text}</td>`), probeRow);
    assert.ok(
      probeRow.includes(
        `<td>${signedPoints(c.delta!)} [${signedPoints(c.lo!)}, ${
          signedPoints(c.hi!)
        }] (paired)</td>`,
      ),
      probeRow,
    );
    assert.ok(probeRow.includes("<td>probe.duckdb</td>"));
    // The index is a function of the folder: rebuilding it from the old store gives the same
    // rows again (the probe row stays).
    await generateReport({ store: old, out, png: false });
    assert.equal(await Deno.readTextFile(`${out}/index.html`), html);
    // A report whose page is gone (e.g. written before the pages existed) keeps its row and
    // says so, instead of linking a missing file.
    await Deno.remove(`${out}/probe.html`);
    await generateReport({ store: old, out, png: false });
    const html3 = await Deno.readTextFile(`${out}/index.html`);
    assert.ok(html3.includes(`<tr id="exp-probe"><td>probe</td>`));
    assert.ok(html3.includes("no page (regenerate from its store)"));
    assert.ok(!html3.includes(`href="probe.html"`));
  }, { prefix: "verdict_index_" });
});

Deno.test("verdict: a store without per-question outcomes falls back to Welch over seeds, labelled", async () => {
  await withTempDir(async (root) => {
    const path = `${root}/old.duckdb`;
    await writePairedStore(path, {
      experiment: "probe",
      start: start40,
      baseline: (s, q) => (q < 10 + s ? 0 : 1),
      methodEm: (s, q) => (q < s ? 0 : 1),
    });
    // A store written before eval_items existed.
    const store = await RunStore.open(path);
    await store.query("DROP TABLE eval_items");
    store.close();
    const out = `${root}/out`;
    await generateReport({ store: path, out, png: false, methodsDir: await methodsDir(root) });
    const md = await Deno.readTextFile(`${out}/probe.md`);
    const json: ReportJson = JSON.parse(await Deno.readTextFile(`${out}/probe.json`));
    const c = comparison(json, "searchworld", "method − baseline");
    assert.equal(c.how, "welch");
    assert.equal(c.questions, null);
    close(c.delta, 0.2, 1e-12, "delta of the seed means");
    assert.match(c.note, /^no per-question outcomes recorded: Welch over seeds/);
    assert.ok(md.includes("No per-question outcomes recorded in this store"));
    assert.ok(md.includes("Welch: 3 vs 3 seeds (questions not paired)"));
    assert.ok(md.includes("**Verdict (SearchWorld, in-domain): reproduces** — Δ +20.0 points"));
    assert.ok(md.includes("(Welch over 3 vs 3 seeds; no per-question outcomes)"));
    // Seed means 0.98/0.96/0.94 vs 0.78/0.76/0.74: se = sqrt(2 · 0.0004 / 3), df = 4.
    close(c.halfWidth, 2.7764451 * Math.sqrt(0.0008 / 3), 1e-6, "Welch half-width");
    assert.ok(md.includes("| Δ method − baseline | (95%) |  | +20.0 ± 4.5 (Welch)"));
    // The start is one run: no Welch interval for the gain, said in place of the number.
    const gain = comparison(json, "searchworld", "baseline − start");
    assert.equal(gain.delta, null);
    close(gain.point, 0.8 - 2 / Q - 0.6, 1e-12, "point gain");
    assert.match(gain.note, /fewer than 2 seeds with an evaluation in start: no interval/);
  }, { prefix: "verdict_old_" });
});

function fakeEstimate(delta: number, lo: number, hi: number, mde: number): PairedEstimate {
  return {
    delta,
    se: (hi - lo) / 4,
    df: 100,
    lo,
    hi,
    halfWidth: (hi - lo) / 2,
    mde,
    seeds: 3,
    questions: 200,
    components: { seed: 0, question: 0, residual: 0 },
    seedNoiseEstimated: true,
    level: 0.95,
    power: 0.8,
  };
}

Deno.test("verdict: golden texts for the three kinds", () => {
  const up = fakeEstimate(0.042, 0.011, 0.073, 0.044);
  assert.deepEqual(verdict(up, { direction: 1 }), {
    kind: "reproduces",
    text: "reproduces: Δ +4.2 points [+1.1, +7.3], MDE 4.4 points (3 seeds x 200 questions)",
  });
  assert.deepEqual(verdict(up, { direction: -1 }), {
    kind: "contradicts",
    text: "contradicts: Δ +4.2 points [+1.1, +7.3], MDE 4.4 points (3 seeds x 200 questions)",
  });
  const down = fakeEstimate(-0.042, -0.073, -0.011, 0.044);
  assert.deepEqual(verdict(down, { direction: 1, label: "EM" }), {
    kind: "contradicts",
    text: "contradicts: Δ EM -4.2 points [-7.3, -1.1], MDE 4.4 points (3 seeds x 200 questions)",
  });
  // direction -1 (the paper claims the method is lower): the same interval reproduces.
  assert.deepEqual(verdict(down, { direction: -1 }), {
    kind: "reproduces",
    text: "reproduces: Δ -4.2 points [-7.3, -1.1], MDE 4.4 points (3 seeds x 200 questions)",
  });
  const flat = fakeEstimate(0.01, -0.021, 0.041, 0.044);
  assert.deepEqual(verdict(flat, { direction: 1 }), {
    kind: "inconclusive",
    text: "inconclusive at MDE 4.4 points: Δ +1.0 points [-2.1, +4.1] (3 seeds x 200 questions)",
  });
  assert.equal(verdict(flat, { direction: -1 }).kind, "inconclusive");
  // unit = 1 prints the raw outcome unit; an interval touching 0 is inconclusive.
  assert.equal(
    verdict(fakeEstimate(2, 0, 4, 3.25), { direction: 1, unit: 1 }).text,
    "inconclusive at MDE 3.3 points: Δ +2.0 points [0.0, +4.0] (3 seeds x 200 questions)",
  );
  assert.throws(() => verdict(up, { direction: 0 as 1 }), /direction must be 1 or -1/);
});

Deno.test("intervalVerdict: any interval, its design named; points print n/a when not finite", () => {
  const welch = { delta: -0.05, lo: -0.08, hi: -0.02, mde: 0.04 };
  const design = "(Welch over 3 vs 3 seeds; no per-question outcomes)";
  assert.deepEqual(intervalVerdict(welch, { direction: 1, design }), {
    kind: "contradicts",
    text: `contradicts: Δ -5.0 points [-8.0, -2.0], MDE 4.0 points ${design}`,
  });
  assert.equal(intervalVerdict(welch, { direction: -1, design, label: "EM" }).kind, "reproduces");
  // An interval from 0 exactly is not strictly on one side.
  assert.equal(
    intervalVerdict({ delta: 0.01, lo: 0, hi: 0.02, mde: 0.03 }, { direction: 1, design }).kind,
    "inconclusive",
  );
  assert.equal(
    intervalVerdict({ delta: NaN, lo: NaN, hi: NaN, mde: NaN }, { direction: 1, design }).text,
    `inconclusive at MDE n/a points: Δ n/a points [n/a, n/a] ${design}`,
  );
});
