/**
 * The opening of a report: the regime and its measure, the verdict lines (in-domain in bold,
 * OOD beside it, each arm's gain over its warm start), the training-reward trend and the
 * paper's direction ({@link verdictBlocks}); then the paired-comparison table with its notes
 * and levers ({@link pairedBlocks}).
 *
 * @module
 */

import type { Comparison, EstimateNumbers } from "./compare.ts";
import { LEVEL, POWER, TARGET_HALF_WIDTH } from "./compare.ts";
import type { Decided, Decisions } from "./decide.ts";
import { worldOf } from "./decide.ts";
import type { ExperimentData } from "./experiment_data.ts";
import { pct, points, signedPoints } from "./format.ts";
import type { Block, Inline } from "./render_blocks.ts";
import { TREND_SHARE } from "./trend.ts";

/** A regime measure's value: percent for shares and fractions, else two decimals. */
function measureText(metric: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "not logged";
  return /share|fraction|rate/i.test(metric) ? `${pct(v)}%` : v.toFixed(2);
}

function regimeBlocks(d: ExperimentData): Block[] {
  const r = d.regime;
  if (r === null) return [];
  const out: Block[] = [];
  out.push({
    kind: "p",
    inline: {
      strong: `Regime: ${r.name}`,
      text: ` — ${
        r.regime ? r.regime.summary : "not a regime of core/regime.ts, so no measure"
      }. Source: ${r.source}${
        r.others.length ? `; other runs record ${r.others.join(", ")}` : ""
      }.`,
    },
  });
  if (r.regime) {
    const m = r.regime.measure;
    const arms = r.arms.map((a) => {
      const seeds = a.perSeed.length > 1
        ? ` (per seed ${a.perSeed.map((p) => measureText(m.metric, p.value)).join(", ")})`
        : "";
      // The regime is defined on the baseline arm; other arms' measures are shown beside it.
      const verdict = m.atLeast === null || a.value === null || a.arm !== "baseline"
        ? ""
        : `, target ≥ ${measureText(m.metric, m.atLeast)}: ${a.holds ? "holds" : "does not hold"}`;
      return `${a.arm} ${measureText(m.metric, a.value)}${seeds}${verdict}`;
    });
    out.push({
      kind: "p",
      inline: {
        text: `Regime measure: ${m.label} (\`${m.metric}\`), mean over the first ${
          Math.round(m.window * 100)
        }% of each run's RL steps — ${arms.join("; ")}${
          m.atLeast === null ? " (this regime has no target: reported only)" : ""
        }.`,
      },
    });
  }
  return out;
}

function trendText(t: ExperimentData["trends"][number]): string {
  const e = t.estimate;
  if (e === null) return `${t.arm} n/a (${t.note})`;
  const sgn = (x: number) => (Number.isFinite(x) ? `${x > 0 ? "+" : ""}${x.toFixed(3)}` : "n/a");
  return `${t.arm} ${e.first.toFixed(3)} → ${e.last.toFixed(3)}, Δ ${sgn(e.delta)} [${sgn(e.lo)}, ${
    sgn(e.hi)
  }] (${e.seeds} seed${e.seeds === 1 ? "" : "s"}, ${e.stepsPerWindow} step(s) per window${
    e.seedNoiseEstimated ? "" : "; one seed: interval from step noise only"
  })`;
}

function gainItem(g: Decided, world: { label: string; domain: string }, bold: boolean): Inline {
  const head = `Does RL learn? ${g.comparison.label} (${world.label}, ${world.domain}): `;
  if (g.verdict === null || g.answer === null) {
    return { text: `${head}n/a (${g.comparison.note})` };
  }
  const v = g.verdict.text;
  const rest = ` — ${v.slice(v.indexOf(": ") + 2)}`;
  return bold
    ? { strong: `${head}${g.answer}`, text: rest, cls: g.verdict.kind }
    : { text: `${head}${g.answer}${rest}`, cls: g.verdict.kind };
}

/** The report's opening: regime, verdicts, the baseline's gain, the training-reward trend. */
export function verdictBlocks(d: ExperimentData, dec: Decisions): Block[] {
  const out: Block[] = [{ kind: "h", text: "Verdict" }];
  out.push(...regimeBlocks(d));
  const items: Inline[] = [];
  for (const w of dec.worlds) {
    const bold = w.domain === "in-domain";
    const head = `Verdict (${w.label}, ${w.domain}): `;
    if (w.claim === null) continue;
    const v = w.claim.verdict;
    if (v === null) {
      items.push({ text: `${head}n/a (${w.claim.comparison.note})` });
      continue;
    }
    // "**Verdict (…): inconclusive at MDE 4.1 points** — Δ +1.2 points [...] (...)"
    const cut = v.text.indexOf(": ");
    const kind = v.text.slice(0, cut);
    const rest = ` — ${v.text.slice(cut + 2)}`;
    items.push(
      bold
        ? { strong: `${head}${kind}`, text: rest, cls: v.kind }
        : { text: `${head}${kind}${rest}`, cls: v.kind },
    );
  }
  for (const w of dec.worlds) {
    const g = w.gains.find((x) => x.comparison.arm === "baseline");
    if (g) items.push(gainItem(g, w, w.domain === "in-domain"));
  }
  if (items.length === 0) {
    out.push({
      kind: "p",
      cls: "missing",
      inline: {
        text: d.runs.length === 0
          ? "No runs: no verdict."
          : "No SearchWorld evaluation of a baseline arm and a method arm (or a warm start): no verdict.",
      },
    });
  } else out.push({ kind: "list", items });
  if (d.trends.length) {
    out.push({
      kind: "p",
      inline: {
        text: `Training reward (\`${d.trends[0]!.metric}\`, mean of the first vs the last ${
          Math.round(TREND_SHARE * 100)
        }% of each run's RL steps, 95% t-interval over seeds): ${
          d.trends.map(trendText).join("; ")
        }.`,
      },
    });
  }
  if (dec.worlds.some((w) => w.claim !== null)) {
    out.push({
      kind: "p",
      cls: "note",
      inline: {
        text: `Paper's direction: ${
          dec.direction.direction > 0
            ? "+ (method better than baseline)"
            : "− (method below baseline)"
        }, from ${dec.direction.source}. Reproduces: the 95% interval of Δ lies above 0 in the paper's direction; contradicts: below; inconclusive: it contains 0, and the MDE says what effect this design could have detected.`,
      },
    });
  }
  return out;
}

function designText(e: EstimateNumbers, c: Comparison): string {
  if (e.how === "welch") {
    return `Welch: ${e.seeds} vs ${e.referenceSeeds} seeds (questions not paired)`;
  }
  return `${e.seeds} seed${e.seeds === 1 ? "" : "s"} x ${e.questions} questions${
    c.sharedReference ? ` (one ${c.reference} run for every seed)` : ""
  }${e.seedNoiseEstimated ? "" : "; seed noise not estimated"}${
    c.droppedQuestions ? `; ${c.droppedQuestions} unshared questions left out` : ""
  }`;
}

function decidedOf(dec: Decisions, c: Comparison): Decided | undefined {
  for (const w of dec.worlds) {
    if (w.claim?.comparison === c) return w.claim;
    const g = w.gains.find((x) => x.comparison === c);
    if (g) return g;
  }
  return undefined;
}

/** Rows of the paired-comparison table. */
function pairedRows(d: ExperimentData, dec: Decisions): string[][] {
  return d.comparisons.map((c) => {
    const w = worldOf(c.column);
    const e = c.estimate;
    const got = decidedOf(dec, c);
    const v = got?.verdict ?? null;
    const verdictCell = v === null
      ? "n/a"
      : got?.answer
      ? `RL learns: ${got.answer}`
      : v.kind === "inconclusive"
      ? `inconclusive at MDE ${points(e?.mde ?? NaN)} points`
      : v.kind;
    if (e === null) {
      return [
        `${w.label} (${w.domain})`,
        c.label,
        c.point === null ? "n/a" : signedPoints(c.point),
        "n/a",
        "n/a",
        "",
        c.note,
        verdictCell,
      ];
    }
    return [
      `${w.label} (${w.domain})`,
      c.label,
      signedPoints(e.delta),
      `[${signedPoints(e.lo)}, ${signedPoints(e.hi)}]`,
      points(e.mde),
      Number.isFinite(e.df) ? e.df.toFixed(1) : "n/a",
      designText(e, c),
      verdictCell,
    ];
  });
}

const PAIRED_HEAD = [
  "world",
  "comparison",
  "Δ EM (points)",
  `${Math.round(LEVEL * 100)}% interval`,
  `MDE (${Math.round(POWER * 100)}% power)`,
  "df",
  "design",
  "verdict",
];

const PAIRED_NOTE =
  "Paired on the per-question EM of each arm's final evaluation: every arm answers the same held-out questions, so each (seed, question) cell gives a difference, and Δ is their mean. The interval counts both noise sources, the RL seed and the sample of questions (crossed random effects by the method of moments, Satterthwaite df; reports/paired.ts). MDE: the smallest true Δ this design detects with 80% power at 5% two-sided, (t₀.₉₇₅ + t₀.₈)·se. The warm start is one greedy run: every seed of an arm is paired with it on the same question.";

const LEVERS_NOTE = `Levers: the paired comparisons whose 95% half-width exceeds the ${
  Math.round(TARGET_HALF_WIDTH * 1000) / 10
}-point target, and the smallest design that would meet it, projected from the comparison's variance components (seed, question, residual; reports/design.ts projectDesign): a plan, not a measurement.`;

/** One line per paired comparison above the half-width target: what would reach it. */
function leverLines(d: ExperimentData): string[] {
  const out: string[] = [];
  for (const c of d.comparisons) {
    const l = c.estimate?.levers;
    if (!c.estimate || !l) continue;
    const w = worldOf(c.column);
    const q = l.questions;
    const s = l.seeds;
    out.push(
      `${c.label}, ${w.label} (${w.domain}): half-width ${
        points(c.estimate.halfWidth)
      } points at ${c.estimate.seeds} seeds x ${c.estimate.questions} questions; ${
        q === null
          ? `no number of questions up to 100,000 reaches ${
            points(l.target)
          } at ${c.estimate.seeds} seeds`
          : `${q.questions} questions per world at ${q.seeds} seeds would (${points(q.halfWidth)})`
      }; ${
        s === null
          ? `no number of seeds up to 1,000 reaches it at ${c.estimate.questions} questions`
          : `${s.seeds} seeds at ${s.questions} questions would (${points(s.halfWidth)})`
      }.`,
    );
  }
  return out;
}

const WELCH_NOTE =
  "No per-question outcomes recorded in this store (written before `eval_items`): Welch over seeds on each run's aggregate EM, questions not paired; the MDE uses the same se and df.";

const SOME_WELCH_NOTE =
  "Rows whose design says Welch: per-question outcomes missing for one of the arms (see the design column), so Welch over seeds on each run's aggregate EM, questions not paired.";

/** The paired-comparison table with its notes: how Δ is paired, the levers, any Welch rows. */
export function pairedBlocks(d: ExperimentData, dec: Decisions): Block[] {
  if (d.comparisons.length === 0) return [];
  const paired = d.comparisons.some((c) => c.estimate?.how === "paired");
  const welch = d.comparisons.some((c) => c.estimate?.how === "welch");
  const notes: Block[] = [];
  if (paired) notes.push({ kind: "p", cls: "note", inline: { text: PAIRED_NOTE } });
  const levers = leverLines(d);
  if (levers.length > 0) {
    notes.push({ kind: "p", cls: "note", inline: { text: LEVERS_NOTE } });
    notes.push({ kind: "list", items: levers.map((text) => ({ text })), cls: "levers" });
  }
  if (!d.itemsRecorded) notes.push({ kind: "p", cls: "missing", inline: { text: WELCH_NOTE } });
  else if (welch) notes.push({ kind: "p", cls: "missing", inline: { text: SOME_WELCH_NOTE } });
  return [
    { kind: "h", text: "Paired comparisons (EM, points)" },
    { kind: "table", head: PAIRED_HEAD, rows: pairedRows(d, dec), cls: "paired" },
    ...notes,
  ];
}
