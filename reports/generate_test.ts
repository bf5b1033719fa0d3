import assert from "node:assert/strict";
import { RunStore } from "@creditlab/runstore";
import { generateReport } from "./generate.ts";
import { collectExperiment } from "./collect.ts";
import { writeFixtureStore, writePairedStore } from "./testing.ts";
import { tInterval } from "./stats.ts";
import { pct } from "./format.ts";
import { withTempDir } from "@creditlab/core/testing";
import type { ReportJson } from "./json_schema.ts";
import { goldenSweepLines, sweepLineText } from "./sweeps_testing.ts";

async function readAll(dir: string, files: string[]): Promise<Map<string, Uint8Array>> {
  const m = new Map<string, Uint8Array>();
  for (const f of files) m.set(f, await Deno.readFile(`${dir}/${f}`));
  return m;
}

async function methodsDirWithCard(root: string): Promise<URL> {
  const dir = `${root}/methods`;
  await Deno.mkdir(`${dir}/beta`, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/beta/paper.ts`,
    `export const paper = { title: "Beta", arxiv: "0000.00000", authors: [], venue: "ACL", year: 2026,
       claims: [{ metric: "average EM gain over GRPO (points)", setting: "Qwen3-8B", value: 5.0, source: "Table 1" }] };`,
  );
  return new URL(`file://${dir}/`);
}

Deno.test("report: same store in, same report out, byte for byte; numbers match the store", async () => {
  await withTempDir(async (root) => {
    const storePath = `${root}/runs/creditlab.duckdb`;
    await writeFixtureStore(storePath, { seeds: 2, steps: 3 });
    const methodsDir = await methodsDirWithCard(root);
    const a = await generateReport({ store: storePath, out: `${root}/a`, methodsDir });
    const b = await generateReport({ store: storePath, out: `${root}/b`, methodsDir });
    assert.deepEqual(a.experiments, ["alpha", "beta", "sft"]);
    assert.deepEqual(a.files, b.files);
    for (const f of ["index.html", "report.css", "beta.md", "beta.html", "alpha.html"]) {
      assert.ok(a.files.includes(f), f);
    }
    assert.ok(!a.files.some((f) => f.startsWith("plots/sections/")), "no section fragments");
    assert.ok(a.files.some((f) => f.endsWith(".png")));
    assert.ok(a.files.some((f) => /heat-baseline\.svg$/.test(f)));
    const fa = await readAll(`${root}/a`, a.files);
    const fb = await readAll(`${root}/b`, b.files);
    for (const [f, bytes] of fa) assert.deepEqual(bytes, fb.get(f), `${f} differs between runs`);
    // The same folder again: the same files, byte for byte (the index reads the folder).
    const again = await generateReport({ store: storePath, out: `${root}/a`, methodsDir });
    assert.deepEqual(again.files, a.files);
    const fa2 = await readAll(`${root}/a`, a.files);
    for (const [f, bytes] of fa) assert.deepEqual(bytes, fa2.get(f), `${f} differs when rewritten`);

    // The NQ cell of the baseline is the mean ± t-interval of the stored evals.
    const store = await RunStore.open(storePath, { readOnly: true });
    const runs = await store.listRuns({ experiment: "beta", arm: "baseline" });
    const nq = (await store.evals()).filter((e) =>
      e.benchmark === "nq" && runs.some((r) => r.id === e.runId)
    ).map((e) => e.em);
    store.close();
    assert.equal(nq.length, 2);
    const iv = tInterval(nq);
    const md = new TextDecoder().decode(fa.get("beta.md"));
    assert.ok(md.includes(`${pct(iv.mean)} ± ${pct(iv.halfWidth)}`), "NQ cell");
    assert.ok(
      md.includes(
        "| NQ | TriviaQA | PopQA | HotpotQA | 2Wiki | MuSiQue | Bamboogle | SearchWorld | SearchWorld-OOD | Avg (7) |",
      ),
    );
    assert.ok(md.includes("Δ method − baseline"));
    // EM by hop count: the baseline's one-hop cell is the t-interval of the stored byHops.
    const store2 = await RunStore.open(storePath, { readOnly: true });
    const sw = (await store2.evals()).filter((e) =>
      e.benchmark === "searchworld" && runs.some((r) => r.id === e.runId)
    );
    store2.close();
    const oneHop = sw.map((e) => (e.extra["byHops"] as Record<string, { em: number }>)["1"]!.em);
    assert.equal(oneHop.length, 2);
    const hopIv = tInterval(oneHop);
    assert.ok(md.includes("## EM by hop count (SearchWorld)"), "hop table");
    assert.ok(md.includes("| arm | SearchWorld 1-hop | SearchWorld 2-hop |"), "hop columns");
    const baseRow = md.split("\n").find((l) =>
      l.startsWith("| baseline |") && l.includes(`${pct(hopIv.mean)} ± ${pct(hopIv.halfWidth)}`)
    );
    assert.ok(baseRow, "baseline one-hop cell");
    // Lookup table: the baseline's accuracy cell is the t-interval of the stored probes.
    const look = sw.map((e) => (e.extra["lookup"] as { accuracy: number }).accuracy);
    const lookIv = tInterval(look);
    assert.ok(md.includes("## Reading: teacher-forced lookup accuracy (SearchWorld)"), "lookup");
    assert.ok(md.includes("| arm | SearchWorld lookup | SearchWorld chance |"), "lookup columns");
    const lookRow = md.split("\n").find((l) =>
      l.startsWith("| baseline |") &&
      l.includes(`${pct(lookIv.mean)} ± ${pct(lookIv.halfWidth)}`) &&
      l.includes(`${pct(0.4)} ± ${pct(0)}`)
    );
    assert.ok(lookRow, "baseline lookup and chance cells");
    // The SFT start row: seeds 1 and 2 have SearchWorld EM 0.1 and 0.2.
    assert.ok(md.includes(`| start (SFT) | sft | 2 | n/a (no eval)`), "SFT start row");
    assert.ok(md.includes(`${pct(0.15)} ± ${pct(tInterval([0.1, 0.2]).halfWidth)}`), "SFT EM cell");
    assert.ok(md.includes("average EM gain over GRPO (points)"), "paper claim shown");
    assert.ok(
      md.includes("beta/calls/judged_rounds 5"),
      "judge calls per step in the checklist",
    );
    assert.ok(md.includes("training-only: round-judge"), "extra signal named");
    assert.ok(md.includes("mean top-round share"), "per-round series table");
    assert.ok(md.includes("| method | weight |"), "the series labelled by the method");
    assert.ok(md.includes("judge "), "record calls per stored step");
    assert.ok(md.includes("Not logged (no curve): loss/total"), "missing metrics named");

    // Partial experiment: missing evals and missing paper card are said in place of numbers;
    // the seven QA columns nobody evaluated collapse into one note.
    const alpha = new TextDecoder().decode(fa.get("alpha.md"));
    assert.ok(alpha.includes("| arm | method | seeds | SearchWorld | SearchWorld-OOD |"));
    assert.ok(
      alpha.includes("| method | alpha | 1 | 25.0 (1 seed, no interval) | n/a (no eval) |"),
    );
    assert.ok(alpha.includes("The seven open-domain QA benchmarks (NQ, TriviaQA"), "collapse note");
    assert.ok(!alpha.includes("needs all 7 benchmarks"), "no Avg (7) cells");
    assert.ok(alpha.includes("no paper card (methods/alpha/paper.ts not found)"));
    assert.ok(alpha.includes("no baseline arm and method arm"));
    // An old store (no per-question outcomes): Welch over seeds, labelled.
    assert.ok(md.includes("No per-question outcomes recorded in this store"), "fallback said");
    assert.ok(md.includes("(Welch over 2 vs 2 seeds; no per-question outcomes)"), "Welch verdict");
    assert.ok(md.includes("At evaluation (search calls per question"), "eval tool calls");
    // A method that is not an experiment name: the experiments it ran in are reported.
    await generateReport({ store: storePath, out: `${root}/c`, methods: ["grpo"], png: false });
    const g = await Deno.readTextFile(`${root}/c/grpo.md`);
    assert.ok(g.includes(`all runs of the experiment(s) with method "grpo": beta`));
    assert.ok(g.includes("| baseline | grpo | 2 |"));
    // The stylesheet: one copy in the repository, copied as is; linked, never inlined.
    assert.deepEqual(
      fa.get("report.css"),
      await Deno.readFile(new URL("./report.css", import.meta.url)),
    );
    const td = new TextDecoder();
    for (const f of a.files.filter((f) => f.endsWith(".html"))) {
      const html = td.decode(fa.get(f));
      assert.ok(html.startsWith("<!-- deno-fmt-ignore-file -->\n<!DOCTYPE html>"), `${f}: head`);
      assert.ok(html.includes(`<link rel="stylesheet" href="report.css">`), `${f} links the CSS`);
      assert.ok(!/<style|<script/i.test(html), `${f}: no inline CSS, no scripts`);
    }
    // The experiment page: the markdown's report, section for section, plots inlined.
    const page = td.decode(fa.get("beta.html"));
    assert.ok(page.includes("<svg"), "plots inlined in the page");
    assert.ok(page.includes(`<main id="exp-beta"><h1>beta</h1>`));
    assert.ok(page.includes(`<a href="index.html">`) && page.includes(`<a href="beta.md">`));
    const mdHeads = md.split("\n").filter((l) => /^##+ /.test(l)).map((l) =>
      l.startsWith("### ") ? `h3 ${l.slice(4)}` : `h2 ${l.slice(3)}`
    );
    const pageHeads = [...page.matchAll(/<(h[23])>([^<]*)<\/h[23]>/g)].map((m) =>
      `${m[1]} ${m[2]}`
    );
    assert.ok(mdHeads.length > 10);
    assert.deepEqual(pageHeads, mdHeads, "the page has the markdown's sections, in order");
    // Run configs: the shared config once (folded on the page and in the markdown), then under
    // each run only what it sets otherwise (here the method arm's training-only resource).
    const count = (text: string, part: string) => text.split(part).length - 1;
    assert.equal(count(md, "<details><summary>config shared by the runs (4 runs)</summary>"), 1);
    assert.equal(
      md.match(/^\| [\w.]*questionsPerStep \| 2 \|$/gm)?.length,
      1,
      "the shared config once in the markdown",
    );
    assert.equal(
      count(page, "<details><summary>config shared by the runs (4 runs)</summary><div class"),
      1,
    );
    assert.equal(
      page.match(/<tr><td>[\w.]*questionsPerStep<\/td><td>2<\/td><\/tr>/g)?.length,
      1,
      "the shared config once, a field per row",
    );
    assert.ok(!md.includes("config of ") && !page.includes("config of "), "no per-run configs");
    // Turn texts: a turn's line breaks are <br>, so a trajectory is one line of the page.
    const spans = page.match(/<span class="turn [^>]*>[^]*?<\/span>/g) ?? [];
    assert.ok(spans.length > 0, "turn texts on the page");
    assert.ok(spans.every((sp) => !sp.includes("\n")), "no raw line break in a turn");
    assert.ok(spans.some((sp) => sp.includes("<br>")), "observations keep their lines");
    assert.equal(count(md, "**: `resources: []`\n"), 2, "baseline runs: their resources");
    assert.match(md, /^- \*\*r\d+-beta-s2\*\*: `resources: \[\{"kind":"round-judge"\}\]`$/m);
    assert.match(
      page,
      /<li><strong>r\d+-beta-s1<\/strong>: <code>resources: \[\{&quot;kind&quot;:&quot;round-judge&quot;\}\]<\/code><\/li>/,
    );
    const mdTables = md.split("\n").filter((l) => /^\| (---)( \| ---)* \|$/.test(l)).length;
    assert.equal((page.match(/<table/g) ?? []).length, mdTables, "as many tables as the markdown");
    // The index: one row per experiment with its verdict, links, no inlined sections.
    const index = td.decode(fa.get("index.html"));
    assert.ok(!index.includes("<svg") && !index.includes("<h2>"), "no sections inlined");
    for (const name of ["alpha", "beta", "sft"]) {
      assert.ok(
        index.includes(`<tr id="exp-${name}"><td><a href="${name}.html">${name}</a>`),
        name,
      );
      assert.ok(index.includes(`<a href="${name}.md">markdown</a>`), `${name} markdown link`);
      assert.ok(index.includes(`<a href="${name}.json">JSON</a>`), `${name} JSON link`);
    }
  }, { prefix: "report_test_" });
});

Deno.test("report: an empty store and a missing store say so instead of crashing", async () => {
  await withTempDir(async (root) => {
    const storePath = `${root}/empty.duckdb`;
    (await RunStore.open(storePath)).close();
    const r = await generateReport({ store: storePath, out: `${root}/o1`, png: false });
    assert.deepEqual(r.experiments, []);
    const html = await Deno.readTextFile(`${root}/o1/index.html`);
    assert.ok(html.includes("holds no runs"));
    const r2 = await generateReport({
      store: `${root}/none.duckdb`,
      out: `${root}/o2`,
      methods: ["alpha"],
      png: false,
    });
    assert.deepEqual(r2.files, [
      "alpha.html",
      "alpha.json",
      "alpha.md",
      "index.html",
      "report.css",
    ]);
    const page = await Deno.readTextFile(`${root}/o2/alpha.html`);
    assert.ok(page.includes(`<p class="missing">No runs recorded for &quot;alpha&quot;`));
    const md = await Deno.readTextFile(`${root}/o2/alpha.md`);
    assert.ok(md.includes("no run store at none.duckdb"));
    assert.ok(md.includes("n/a (no runs)"));
  }, { prefix: "report_empty_" });
});

Deno.test("report: credit share per round is uniform for outcome-only credit, concentrated otherwise", async () => {
  await withTempDir(async (root) => {
    const storePath = `${root}/s.duckdb`;
    await writeFixtureStore(storePath, { seeds: 1, steps: 2 });
    const store = await RunStore.open(storePath, { readOnly: true });
    try {
      const d = await collectExperiment(store, "beta");
      const base = d.creditShares.find((c) => c.arm === "baseline")!;
      const meth = d.creditShares.find((c) => c.arm === "method")!;
      assert.ok(base.trajectories > 0 && meth.trajectories > 0);
      assert.ok(Math.abs(base.topShare - base.uniformTopShare) < 1e-6, "uniform credit: top = 1/K");
      assert.ok(meth.topShare > meth.uniformTopShare + 1e-3, "varied credit: top > 1/K");
    } finally {
      store.close();
    }
  }, { prefix: "report_share_" });
});

Deno.test("report: a run's end reason is shown beside its status and kept in the JSON", async () => {
  await withTempDir(async (root) => {
    const storePath = `${root}/runs/creditlab.duckdb`;
    const store = await RunStore.open(storePath);
    const run = { method: "grpo", arm: "baseline", experiment: "probe", config: {}, seed: 1 };
    const id = await store.startRun({ ...run, backend: "wasm", commit: "abc", preset: "smoke" });
    await store.logStep(id, 1, { "reward/mean": 0.5 });
    await assert.rejects(
      store.track(id, () => Promise.reject(new RangeError("lr must be > 0"))),
      /lr must be > 0/,
    );
    store.close();
    await generateReport({ store: storePath, out: `${root}/out`, png: false });
    const md = await Deno.readTextFile(`${root}/out/probe.md`);
    assert.match(md, /\| failed \(RangeError: lr must be > 0\) \|/);
    const json = JSON.parse(await Deno.readTextFile(`${root}/out/probe.json`));
    assert.deepEqual(
      [json.runs[0].status, json.runs[0].reason],
      ["failed", "RangeError: lr must be > 0"],
    );
  });
});

Deno.test("report: the recorded sweeps of <out>/sweeps in the method's md, html, json and plots", async () => {
  await withTempDir(async (root) => {
    // alpha and beta, each with a baseline arm (method grpo): grpo's lines are the reference.
    const storePath = `${root}/runs/creditlab.duckdb`;
    for (const experiment of ["alpha", "beta"]) {
      await writePairedStore(storePath, {
        experiment,
        seeds: 1,
        steps: 2,
        start: () => 0,
        baseline: () => 0,
        methodEm: () => 0,
      });
    }
    const out = `${root}/out`;
    await Deno.mkdir(`${out}/sweeps`, { recursive: true });
    await Deno.writeTextFile(`${out}/sweeps/alpha.jsonl`, goldenSweepLines().join("\n") + "\n");
    const r = await generateReport({ store: storePath, out });
    assert.ok(
      r.files.includes("plots/alpha-sweep-1.svg") && r.files.includes("plots/alpha-sweep-1.png"),
    );
    assert.ok(
      !r.files.some((f) => f.startsWith("sweeps/")),
      "the sweep lines are read, not written",
    );
    const md = await Deno.readTextFile(`${out}/alpha.md`);
    assert.ok(md.includes("## Recorded sweeps\n"), "section in the markdown");
    assert.ok(md.includes("### Design 1: preset smoke, regime mixed, 300 questions per world"));
    assert.ok(
      md.includes(
        "| factor 0.1 | alpha | 0.1 | 1, 2, 3 | +2.0, +4.0, +6.0 | +1.0, +1.0, +4.0 | +4.0 ± 5.0 | +2.0 ± 4.3 | +2.0 ± 2.5 (3 seeds) | 0.0 ± 2.5 (3 seeds) | — |",
      ),
      "golden row",
    );
    assert.ok(
      md.includes(
        "![shaping.factor: mean Δ EM over the warm start (design 1)](plots/alpha-sweep-1.svg)",
      ),
    );
    // Before the runs, after the other sections.
    assert.ok(md.indexOf("## Recorded sweeps") < md.indexOf("## Runs"), "before the runs");
    const page = await Deno.readTextFile(`${out}/alpha.html`);
    assert.ok(page.includes("<h2>Recorded sweeps</h2>"), "section on the page");
    assert.ok(page.includes(`<figure class="plot" data-plot="sweep-1"><svg`), "plot inlined");
    assert.ok(page.includes("<td>+2.0 ± 2.5 (3 seeds)</td>"), "paired cell on the page");
    const j: ReportJson = JSON.parse(await Deno.readTextFile(`${out}/alpha.json`));
    assert.ok(j.files.plots.includes("plots/alpha-sweep-1.svg"));
    const d = j.sweeps!.designs[0]!;
    assert.deepEqual([j.sweeps!.files, j.sweeps!.method, j.sweeps!.baseline], [
      ["alpha.jsonl"],
      "alpha",
      "grpo",
    ]);
    assert.deepEqual([d.reference, d.plot, d.doseResponse], ["grpo", "plots/alpha-sweep-1.svg", {
      field: "shaping.factor",
      values: [0.1, 1],
      rows: ["factor 0.1", "factor 1"],
    }]);
    assert.deepEqual(d.rows.map((x) => [x.label, x.in.seeds, x.vsReference?.seeds ?? null]), [
      ["grpo", 3, null],
      ["factor 0.1", 3, [1, 2, 3]],
      ["factor 1", 3, [1, 2, 3]],
    ]);
    assert.equal(Math.round(1000 * d.rows[2]!.vsReference!.ood.mean!), -20, "factor 1 − grpo OOD");
    // Another experiment's method without sweep lines: no section, an empty list in the JSON.
    assert.ok(!(await Deno.readTextFile(`${out}/beta.md`)).includes("Recorded sweeps"));
    const betaJson: ReportJson = JSON.parse(await Deno.readTextFile(`${out}/beta.json`));
    assert.deepEqual(betaJson.sweeps?.designs, []);

    // An experiment without a baseline arm (the fixture's alpha): no reference row, and no
    // baseline's lines join the design.
    const partialStore = `${root}/partial/creditlab.duckdb`;
    await writeFixtureStore(partialStore, { seeds: 1, steps: 2 });
    const alone = `${root}/alone`;
    await Deno.mkdir(`${alone}/sweeps`, { recursive: true });
    await Deno.writeTextFile(`${alone}/sweeps/alpha.jsonl`, goldenSweepLines().join("\n") + "\n");
    await generateReport({ store: partialStore, out: alone, methods: ["alpha"], png: false });
    const a: ReportJson = JSON.parse(await Deno.readTextFile(`${alone}/alpha.json`));
    assert.equal(a.sweeps!.baseline, null);
    assert.deepEqual(
      a.sweeps!.designs.map((x) => [x.reference, x.rows.map((row) => row.label)]),
      [[null, ["factor 0.1", "factor 1"]]],
    );

    // No sweeps folder: no section, `sweeps: null`.
    const none = `${root}/none`;
    await generateReport({ store: storePath, out: none, methods: ["alpha"], png: false });
    assert.ok(!(await Deno.readTextFile(`${none}/alpha.md`)).includes("Recorded sweeps"));
    assert.equal(
      (JSON.parse(await Deno.readTextFile(`${none}/alpha.json`)) as ReportJson).sweeps,
      null,
    );

    // A malformed line: an error naming file:line and field, and nothing written.
    const bad = `${root}/bad`;
    await Deno.mkdir(`${bad}/sweeps`, { recursive: true });
    const line = sweepLineText({
      label: "x",
      method: "alpha",
      methodConfig: {},
      seed: 1,
      after: { in: 0.5, ood: 0.4 },
    });
    await Deno.writeTextFile(
      `${bad}/sweeps/alpha.jsonl`,
      `${line}\n${line.replace(`"seed":1`, `"seed":"1"`)}\n`,
    );
    await assert.rejects(
      generateReport({ store: storePath, out: bad, methods: ["alpha"], png: false }),
      new Error(`${bad}/sweeps/alpha.jsonl:2: seed: expected a positive integer, got "1"`),
    );
    const written = [];
    for await (const e of Deno.readDir(bad)) written.push(e.name);
    assert.deepEqual(written, ["sweeps"], "nothing written");
  }, { prefix: "report_sweeps_" });
});
