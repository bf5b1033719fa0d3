import assert from "node:assert/strict";
import { assertClose as close } from "@creditlab/core/testing";
import { mdBlocks } from "./render_blocks.ts";
import { sweepBlocks, sweepPlotSpecs, sweepsJson } from "./render_sweeps.ts";
import { parseSweepLines } from "./sweep_lines.ts";
import { differingFields, singleNumericField } from "./sweep_configs.ts";
import { type SweepEstimate, type SweepRow, sweepSection } from "./sweeps_section.ts";
import { goldenSweepLines, sweepLineText } from "./sweeps_testing.ts";

/** t(0.975, 2): the 95% two-sided quantile of Student's t with 2 degrees of freedom. */
const T2 = 4.303;
/** Half-width of the 95% t-interval of 3 seeds with sample sd `sd` (in points). */
const hw3 = (sd: number) => T2 * sd / Math.sqrt(3);

function parse(lines: string[]) {
  return parseSweepLines(lines.join("\n") + "\n", { file: "alpha.jsonl" });
}

/** An estimate in points against hand-worked mean and half-width (t quantile to 3 decimals). */
function closeEstimate(e: SweepEstimate, mean: number, halfWidth: number, what: string) {
  assert.equal(e.seeds, 3, `${what}: seeds`);
  close(100 * e.mean, mean, 1e-9, `${what}: mean`);
  close(100 * e.halfWidth, halfWidth, 1e-3 * Math.max(1, halfWidth), `${what}: half-width`);
}

function row(rows: SweepRow[], label: string): SweepRow {
  const r = rows.find((x) => x.label === label);
  assert.ok(r, label);
  return r;
}

Deno.test("sweeps: golden means, t-intervals and paired Δ vs grpo, 3 labels x 3 seeds", () => {
  const s = sweepSection(parse(goldenSweepLines()), { method: "alpha", baseline: "grpo" });
  assert.equal(s.designs.length, 1);
  const d = s.designs[0]!;
  assert.deepEqual(d.rows.map((r) => r.label), ["grpo", "factor 0.1", "factor 1"]);
  assert.equal(d.reference, "grpo");
  assert.deepEqual(d.columns, ["shaping.factor"], "klCoef and shaping.when agree");
  const g = row(d.rows, "grpo");
  const a = row(d.rows, "factor 0.1");
  const b = row(d.rows, "factor 1");
  // Per-seed Δ (points): after − before (0.5 in-domain, 0.4 OOD).
  const perSeed = (r: SweepRow, w: "in" | "ood") => r.perSeed.map((p) => Math.round(100 * p[w]));
  assert.deepEqual([perSeed(g, "in"), perSeed(g, "ood")], [[1, 2, 3], [0, 2, 4]]);
  assert.deepEqual([perSeed(a, "in"), perSeed(a, "ood")], [[2, 4, 6], [1, 1, 4]]);
  assert.deepEqual([perSeed(b, "in"), perSeed(b, "ood")], [[0, 3, 3], [-2, 0, 2]]);
  // Means and 95% t-intervals over the 3 seeds: mean ± 4.303·sd/√3.
  closeEstimate(g.in, 2, hw3(1), "grpo in"); // sd 1: 2.484
  closeEstimate(g.ood, 2, hw3(2), "grpo ood"); // sd 2: 4.969
  closeEstimate(a.in, 4, hw3(2), "factor 0.1 in");
  closeEstimate(a.ood, 2, hw3(Math.sqrt(3)), "factor 0.1 ood"); // sd √3: 4.303
  closeEstimate(b.in, 2, hw3(Math.sqrt(3)), "factor 1 in");
  closeEstimate(b.ood, 0, hw3(2), "factor 1 ood");
  // Paired Δ vs grpo, seed by seed: factor 0.1 in 1 2 3, OOD 1 −1 0; factor 1 in −1 1 0, OOD −2 −2 −2.
  assert.equal(g.vsReference, null, "the reference is not paired with itself");
  assert.deepEqual(a.vsReference!.seeds, [1, 2, 3]);
  closeEstimate(a.vsReference!.in, 2, hw3(1), "factor 0.1 − grpo in");
  closeEstimate(a.vsReference!.ood, 0, hw3(1), "factor 0.1 − grpo ood");
  closeEstimate(b.vsReference!.in, 0, hw3(1), "factor 1 − grpo in");
  closeEstimate(b.vsReference!.ood, -2, 0, "factor 1 − grpo ood"); // the same −2 every seed
  // One numeric field among the alpha rows: a dose-response over it.
  assert.deepEqual(d.doseResponse, {
    field: "shaping.factor",
    values: [0.1, 1],
    rows: ["factor 0.1", "factor 1"],
  });
  assert.deepEqual([g.fields, a.fields, b.fields], [{}, { "shaping.factor": 0.1 }, {
    "shaping.factor": 1,
  }]);
  assert.deepEqual([g.flags, a.flags, b.flags], [[], [], []]);

  // The markdown: points, one decimal, half-widths rounded from the intervals above.
  const md = mdBlocks(sweepBlocks(s, [])).join("\n");
  assert.ok(md.startsWith("## Recorded sweeps\n"));
  assert.ok(md.includes("They are sweep lines, not the reproduction's paired design"));
  assert.ok(md.includes("### Design 1: preset smoke, regime mixed, 300 questions per world"));
  assert.ok(md.includes("the warm start of SFT seed 1, shared by every seed"));
  assert.ok(
    md.includes(
      "| setting | method | shaping.factor | seeds | Δ in-domain per seed | Δ OOD per seed | mean Δ in-domain | mean Δ OOD | Δ − grpo in-domain (paired) | Δ − grpo OOD (paired) | notes |",
    ),
    md,
  );
  assert.ok(
    md.includes(
      "| grpo | grpo | — | 1, 2, 3 | +1.0, +2.0, +3.0 | 0.0, +2.0, +4.0 | +2.0 ± 2.5 | +2.0 ± 5.0 | — | — | reference |",
    ),
  );
  assert.ok(
    md.includes(
      "| factor 0.1 | alpha | 0.1 | 1, 2, 3 | +2.0, +4.0, +6.0 | +1.0, +1.0, +4.0 | +4.0 ± 5.0 | +2.0 ± 4.3 | +2.0 ± 2.5 (3 seeds) | 0.0 ± 2.5 (3 seeds) | — |",
    ),
  );
  assert.ok(
    md.includes(
      "| factor 1 | alpha | 1 | 1, 2, 3 | 0.0, +3.0, +3.0 | -2.0, 0.0, +2.0 | +2.0 ± 4.3 | 0.0 ± 5.0 | 0.0 ± 2.5 (3 seeds) | -2.0 ± 0.0 (3 seeds) | — |",
    ),
  );
  assert.ok(
    md.includes(
      "Dose-response: the alpha rows of this design differ only in `shaping.factor` (0.1, 1); mean Δ EM in-domain +4.0, +2.0, OOD +2.0, 0.0 points",
    ),
  );
  // The JSON: fractions, interval ends, the reference, the plot (none rendered here).
  const j = sweepsJson(s, [])!;
  const ja = j.designs[0]!.rows[1]!;
  close(ja.in.mean!, 0.04, 1e-12, "json mean");
  close(ja.in.lo!, 0.04 - hw3(2) / 100, 1e-4, "json lo");
  close(ja.vsReference!.in.hi!, 0.02 + hw3(1) / 100, 1e-4, "json paired hi");
  assert.deepEqual([j.designs[0]!.reference, j.designs[0]!.plot], ["grpo", null]);
  // The plot: both alpha rows, both worlds, with the reference's mean as a dashed rule.
  const [p] = sweepPlotSpecs(s);
  assert.equal(p!.id, "sweep-1");
  const values = (p!.spec["data"] as { values: { x: number; world: string; mean: number }[] })
    .values;
  assert.deepEqual(values.map((v) => [v.x, v.world, Math.round(v.mean) + 0]), [
    [0.1, "in-domain", 4],
    [0.1, "OOD", 2],
    [1, "in-domain", 2],
    [1, "OOD", 0],
  ]);
});

Deno.test("sweeps: designs group by settings; other methods and baseline-only designs are left out", () => {
  const alpha = { shaping: { factor: 1 } };
  const lines = [
    ...goldenSweepLines(),
    // Another n: another design (its own table, no grpo row, no paired Δ).
    sweepLineText({
      label: "factor 1",
      method: "alpha",
      methodConfig: alpha,
      seed: 1,
      n: 200,
      after: { in: 0.6, ood: 0.4 },
    }),
    // A grpo-only design and another method's line: not in alpha's report.
    sweepLineText({
      label: "grpo",
      method: "grpo",
      methodConfig: {},
      seed: 1,
      n: 100,
      after: { in: 0.6, ood: 0.4 },
    }),
    sweepLineText({
      label: "b",
      method: "beta",
      methodConfig: {},
      seed: 1,
      after: { in: 0.6, ood: 0.4 },
    }),
  ];
  const s = sweepSection(parse(lines), { method: "alpha", baseline: "grpo" });
  assert.deepEqual(s.designs.map((d) => [d.settings.n, d.lines, d.rows.length]), [[300, 9, 3], [
    200,
    1,
    1,
  ]]);
  const other = s.designs[1]!;
  assert.equal(other.reference, null);
  assert.equal(other.doseResponse, null, "one row: no dose-response");
  assert.equal(other.rows[0]!.vsReference, null);
  close(100 * other.rows[0]!.in.mean, 10, 1e-9, "one seed's Δ");
  assert.ok(Number.isNaN(other.rows[0]!.in.halfWidth), "one seed: no interval");
  const md = mdBlocks(sweepBlocks(s, [])).join("\n");
  assert.ok(md.includes("### Design 2: preset smoke, regime mixed, 200 questions per world"));
  assert.ok(md.includes("No grpo row in this design: no paired Δ."));
  assert.ok(
    md.includes("| factor 1 | alpha | 1 | +10.0 | 0.0 | +10.0 (1 seed) | 0.0 (1 seed) | — |"),
    md,
  );
  // A method without lines: no design, no section.
  assert.deepEqual(sweepSection(parse(lines), { method: "gamma", baseline: "grpo" }).designs, []);
  assert.deepEqual(
    sweepBlocks(sweepSection(parse(lines), { method: "gamma", baseline: "grpo" }), []),
    [],
  );
});

Deno.test("sweeps: rows from several commits or backends are flagged and kept; repeated seeds averaged", () => {
  const cfg = { shaping: { factor: 0.1 } };
  const line = (seed: number, after: number, commit: string, backend = "wasm") =>
    sweepLineText({
      label: "factor 0.1",
      method: "alpha",
      methodConfig: cfg,
      seed,
      commit,
      backend,
      after: { in: after, ood: 0.4 },
    });
  const s = sweepSection(
    parse([line(1, 0.52, "aaa"), line(1, 0.54, "bbb", "cpu"), line(2, 0.5, "aaa")]),
    { method: "alpha", baseline: "grpo" },
  );
  const r = s.designs[0]!.rows[0]!;
  assert.deepEqual(r.perSeed.map((p) => [p.seed, p.lines, Math.round(1000 * p.in)]), [[1, 2, 30], [
    2,
    1,
    0,
  ]]);
  assert.deepEqual(r.flags, [
    "lines from 2 commits (aaa, bbb)",
    "lines from 2 backends (cpu; wasm)",
    "seed 1 recorded more than once: the lines of a seed are averaged",
  ]);
  assert.deepEqual(r.sources, ["alpha.jsonl:1", "alpha.jsonl:2", "alpha.jsonl:3"]);
  assert.ok(mdBlocks(sweepBlocks(s, [])).join("\n").includes("lines from 2 commits (aaa, bbb)"));
});

Deno.test("sweeps: a line without label is named by what its config changes from the defaults", () => {
  const defaults = { klCoef: 0.001, shaping: { factor: 0.1 } };
  const line = (methodConfig: Record<string, unknown>) =>
    sweepLineText({
      label: null,
      method: "alpha",
      methodConfig,
      seed: 1,
      after: { in: 0.5, ood: 0.4 },
    });
  const lines = parse([line(defaults), line({ ...defaults, shaping: { factor: 0.5 } })]);
  const s = sweepSection(lines, {
    method: "alpha",
    baseline: "grpo",
    defaults: { alpha: defaults },
  });
  assert.deepEqual(s.designs[0]!.rows.map((r) => [r.label, r.labelSource]), [
    ["alpha defaults", "config"],
    ["alpha: shaping.factor=0.5", "config"],
  ]);
  const unknown = sweepSection(lines, { method: "alpha", baseline: "grpo" });
  assert.deepEqual(unknown.designs[0]!.rows.map((r) => r.label), [
    "alpha (no label)",
    "alpha (no label) [2]",
  ]);
});

Deno.test("sweeps: dose-response needs exactly one differing field, numeric in every row", () => {
  const c = (factor: unknown, extra: Record<string, unknown> = {}) => ({
    klCoef: 0.001,
    shaping: { factor, when: "always" },
    ...extra,
  });
  assert.equal(singleNumericField([c(0.1), c(0.5), c(1)]), "shaping.factor");
  assert.equal(singleNumericField([c(0.1)]), null, "one row");
  assert.equal(singleNumericField([c(0.1), c(0.1)]), null, "no field differs");
  assert.equal(singleNumericField([c(0.1), c(1, { klCoef: 0 })]), null, "two fields differ");
  assert.equal(singleNumericField([c("low"), c("high")]), null, "not numeric");
  assert.equal(singleNumericField([c(0.1), c(null)]), null, "null is not a number");
  assert.equal(
    singleNumericField([c(0.1), { klCoef: 0.001, shaping: { when: "always" } }]),
    null,
    "a row lacks it",
  );
  assert.equal(singleNumericField([c(0.1), c(0.5), c(0.1)]), null, "values repeat");
  // Columns: fields whose value differs between the rows that set them (absent rows ignored).
  assert.deepEqual(differingFields([{ klCoef: 0.001 }, c(0.1), c(1)]), ["shaping.factor"]);
  // An alpha design whose rows differ in two fields: table columns, but no dose-response.
  const s = sweepSection(
    parse([
      sweepLineText({
        label: "a",
        method: "alpha",
        methodConfig: c(0.1),
        seed: 1,
        after: { in: 0.5, ood: 0.4 },
      }),
      sweepLineText({
        label: "b",
        method: "alpha",
        methodConfig: c(1, { klCoef: 0 }),
        seed: 1,
        after: { in: 0.5, ood: 0.4 },
      }),
    ]),
    { method: "alpha", baseline: "grpo" },
  );
  assert.deepEqual(s.designs[0]!.columns, ["klCoef", "shaping.factor"]);
  assert.equal(s.designs[0]!.doseResponse, null);
  assert.deepEqual(sweepPlotSpecs(s), []);

  // Three rows over shaping.factor plus one that also changes klCoef: the dose-response is the
  // three, in increasing factor, and the fourth row is listed after them, outside the plot.
  const line = (label: string, config: Record<string, unknown>, after: number) =>
    sweepLineText({
      label,
      method: "alpha",
      methodConfig: config,
      seed: 1,
      after: { in: after, ood: 0.4 },
    });
  const sub = sweepSection(
    parse([
      line("factor 0.5", c(0.5), 0.53),
      line("factor 0, kl 0", c(0, { klCoef: 0 }), 0.9),
      line("factor 0", c(0), 0.51),
      line("factor 1", c(1), 0.52),
    ]),
    { method: "alpha", baseline: "grpo" },
  );
  const dd = sub.designs[0]!;
  assert.deepEqual(dd.doseResponse, {
    field: "shaping.factor",
    values: [0, 0.5, 1],
    rows: ["factor 0", "factor 0.5", "factor 1"],
  });
  assert.deepEqual(dd.rows.map((r) => r.label), [
    "factor 0",
    "factor 0.5",
    "factor 1",
    "factor 0, kl 0",
  ]);
  const [spec] = sweepPlotSpecs(sub);
  const points = (spec!.spec as { data: { values: { x: number; world: string; mean: number }[] } })
    .data.values.filter((v) => v.world === "in-domain").map((
      v,
    ) => [v.x, Math.round(v.mean * 10) / 10]);
  assert.deepEqual(points, [[0, 1], [0.5, 3], [1, 2]], "each value plotted with its own row's Δ");
});
