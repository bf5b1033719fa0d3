/**
 * Renders {@link ExperimentData} as markdown and as an HTML section. Pure functions of the
 * data (plus the already rendered SVGs), so the output is byte-stable.
 *
 * @module
 */

import { COLUMNS } from "./benchmarks.ts";
import {
  type Cell,
  type CellKey,
  type ChecklistArm,
  type ExperimentData,
  type HeatSample,
  SEARCHWORLD_COLUMNS,
  type SearchWorldKey,
} from "./collect.ts";
import { type PaperCard, paperEffects } from "./paper.ts";
import type { TrajectoryRow } from "../agent/runstore.ts";

/** Rendered plots of one experiment: name -> { file stem, svg }. */
export interface RenderedPlot {
  /** Short id, e.g. "curve-kl". */
  id: string;
  title: string;
  /** Path relative to the output folder (e.g. "plots/capf-curve-kl.svg"). */
  svgPath: string;
  pngPath: string;
  svg: string;
}

/** Everything {@link experimentMarkdown} and {@link experimentHtml} need. */
export interface RenderInput {
  data: ExperimentData;
  card: PaperCard;
  /** Which method's card it is ("" when there is no method arm). */
  cardMethod: string;
  plots: RenderedPlot[];
  /** File name of the store (no folder, so reports do not depend on where it lives). */
  storeName: string;
}

const KEYS: CellKey[] = [...COLUMNS.map((c) => c.key), "avg"];
const LABELS: string[] = [...COLUMNS.map((c) => c.label), "Avg (7)"];

/** Format a fraction as percent with one decimal. */
/**
 * The regime the methods target: share of training groups in which no sampled rollout
 * succeeded (metric `groups/no_success_share`), per arm: mean over every logged step of every
 * seed, and the range of the per-seed means.
 */
function regimeRows(d: ExperimentData): string[][] {
  const curve = d.curves.find((c) => c.metric === "groups/no_success_share");
  if (!curve || curve.points.length === 0) return [];
  const arms = [...new Set(curve.points.map((p) => p.arm))].sort();
  return arms.map((arm) => {
    const pts = curve.points.filter((p) => p.arm === arm);
    const seeds = [...new Set(pts.map((p) => p.seed))].sort((a, b) => a - b);
    const perSeed = seeds.map((s) => {
      const xs = pts.filter((p) => p.seed === s).map((p) => p.value);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    });
    const all = pts.reduce((a, p) => a + p.value, 0) / pts.length;
    return [
      arm,
      `${(100 * all).toFixed(1)}%`,
      `${(100 * Math.min(...perSeed)).toFixed(1)}% – ${(100 * Math.max(...perSeed)).toFixed(1)}%`,
      String(seeds.length),
      String(pts.length),
    ];
  });
}

const REGIME_HEAD = [
  "arm",
  "training groups with no successful rollout",
  "range of per-seed means",
  "seeds",
  "steps logged",
];

export function pct(v: number): string {
  return Number.isFinite(v) ? (v * 100).toFixed(1) : String(v);
}

/** Text of a cell: "31.2 ± 2.3", "31.2 (1 seed)", "n/a (no eval)"; partial seeds are noted. */
export function cellText(c: Cell, opts: { signed?: boolean } = {}): string {
  if (c.kind === "missing") return `n/a (${c.text})`;
  const m = c.interval.mean;
  const sign = opts.signed && m > 0 ? "+" : "";
  let s = `${sign}${pct(m)}`;
  if (Number.isFinite(c.interval.halfWidth)) s += ` ± ${pct(c.interval.halfWidth)}`;
  else s += c.interval.n <= 1 ? " (1 seed, no interval)" : "";
  if (c.seedsWith < c.seeds) s += ` [${c.seedsWith}/${c.seeds} seeds]`;
  return s;
}

function mdEscape(s: string): string {
  return s.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** Escape text for HTML. */
export function esc(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

function mdTable(head: string[], rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map(mdEscape).join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}

function htmlTable(head: string[], rows: string[][], cls = ""): string {
  return `<table${cls ? ` class="${cls}"` : ""}><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table>`;
}

function scoreRows(d: ExperimentData, which: "em" | "f1"): string[][] {
  if (d.arms.length === 0) return [["(none)", "", "0", ...KEYS.map(() => "n/a (no runs)")]];
  const rows = [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    a.method,
    String(a.runs.length),
    ...KEYS.map((k) => cellText(a[which][k])),
  ]);
  if (which === "em" && d.delta) {
    const dl = d.delta;
    rows.push([
      `Δ ${dl.arm} − baseline`,
      "(Welch 95%)",
      "",
      ...KEYS.map((k) => cellText(dl.em[k], { signed: true })),
    ]);
  }
  return rows;
}

const SCORE_HEAD = ["arm", "method", "seeds", ...LABELS];

/** The (SearchWorld column, hop count) pairs that some arm recorded, in table order. */
function hopColumns(d: ExperimentData): { col: SearchWorldKey; hop: string; label: string }[] {
  const arms = [...(d.start ? [d.start] : []), ...d.arms];
  const out: { col: SearchWorldKey; hop: string; label: string }[] = [];
  for (const col of SEARCHWORLD_COLUMNS) {
    const hops = new Set<string>();
    for (const a of arms) for (const h of Object.keys(a.emByHops[col] ?? {})) hops.add(h);
    const label = columnLabel(col);
    for (const hop of [...hops].sort((x, y) => Number(x) - Number(y))) {
      out.push({ col, hop, label: `${label} ${hop}-hop` });
    }
  }
  return out;
}

/** The table label of a column key (the key itself when it has none). */
function columnLabel(col: string): string {
  return COLUMNS.find((c) => c.key === col)?.label ?? col;
}

/** EM per hop count of the SearchWorld columns; null when no evaluation recorded one. */
function hopTable(d: ExperimentData): { head: string[]; rows: string[][] } | null {
  const cols = hopColumns(d);
  if (cols.length === 0) return null;
  const rows = [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    ...cols.map(({ col, hop }) => {
      const c = a.emByHops[col]?.[hop];
      return c ? cellText(c) : "n/a (not recorded)";
    }),
  ]);
  return { head: ["arm", ...cols.map((c) => c.label)], rows };
}

/** Teacher-forced lookup accuracy against chance per SearchWorld column; null when none recorded. */
function lookupTable(d: ExperimentData): { head: string[]; rows: string[][] } | null {
  const arms = [...(d.start ? [d.start] : []), ...d.arms];
  const cols = SEARCHWORLD_COLUMNS.filter((c) => arms.some((a) => a.lookup[c] !== undefined));
  if (cols.length === 0) return null;
  const head = [
    "arm",
    ...cols.flatMap((c) => [`${columnLabel(c)} lookup`, `${columnLabel(c)} chance`]),
  ];
  const rows = arms.map((a) => [
    a.arm,
    ...cols.flatMap((c) => {
      const l = a.lookup[c];
      return l ? [cellText(l.accuracy), cellText(l.chance)] : ["n/a (not recorded)", ""];
    }),
  ]);
  return { head, rows };
}

const LOOKUP_NOTE =
  "Reading, apart from acting: on plain expert demonstrations of the same held-out questions, the share " +
  "of hops at which the policy's most likely next token, after the hop's search results, is the hop's " +
  "gold entity (teacher forcing; agent/lookup.ts). Chance: one over the number of the hop subject's " +
  "facts whose objects appear in the results, i.e. a policy that finds the right passage and picks " +
  "one of its facts at random. In %, mean ± 95% t-interval over seeds, from `extra.lookup`.";

const HOP_NOTE =
  "EM (%) on the questions of each hop count (SearchWorld questions need 1 to 4 searches), " +
  "mean ± 95% t-interval over seeds, from `extra.byHops` of the same final evaluations.";

/** The SearchWorld-only sections of a report, in order: title, table (null: skipped), note. */
const SEARCHWORLD_SECTIONS: {
  title: string;
  table: (d: ExperimentData) => { head: string[]; rows: string[][] } | null;
  note: string;
}[] = [
  { title: "EM by hop count (SearchWorld)", table: hopTable, note: HOP_NOTE },
  {
    title: "Reading: teacher-forced lookup accuracy (SearchWorld)",
    table: lookupTable,
    note: LOOKUP_NOTE,
  },
];

const NOTES = [
  "EM and F1 in percent: mean ± half-width of the 95% Student-t interval over seeds (n − 1 degrees of freedom);",
  "a cell from one seed has no interval. The Δ row is method minus baseline with Welch's t-interval (in points).",
  "Each run contributes its latest evaluation of each benchmark (test split preferred, then dev).",
  "Avg (7) = mean over the seven open-domain benchmarks, computed per seed and only when all seven were evaluated.",
  'A "start (SFT)" row, when present, is the SFT warm start (experiment "sft", same presets and seeds) the arms began from.',
];

function claimRows(card: PaperCard): string[][] {
  if (card.kind === "missing") return [];
  return card.papers.flatMap((p) =>
    p.claims.map((c) => [
      `${p.title}${p.arxiv ? ` (arXiv ${p.arxiv})` : ""}`,
      c.metric,
      c.setting,
      String(c.value),
      c.source,
    ])
  );
}

function effectRows(card: PaperCard): string[][] {
  const fx = paperEffects(card);
  if (fx.length === 0) return [["paper", "n/a (no effect size on the card)", ""]];
  return fx.map((e) => [
    "paper",
    `${e.metric}: ${e.how}`,
    `${e.points > 0 ? "+" : ""}${e.points.toFixed(1)} points`,
  ]);
}

function oursRows(d: ExperimentData): string[][] {
  if (!d.delta) {
    return [[
      "n/a",
      d.arms.length === 0
        ? "no runs"
        : "no baseline arm and method arm in this experiment, so no delta",
    ]];
  }
  return [
    ["Δ avg EM, 7 QA benchmarks (points)", cellText(d.delta.em.avg, { signed: true })],
    ["Δ EM SearchWorld (points)", cellText(d.delta.em.searchworld, { signed: true })],
    ["Δ EM SearchWorld-OOD (points)", cellText(d.delta.em["searchworld-ood"], { signed: true })],
  ];
}

function listOr(xs: (string | number)[], none: string): string {
  return xs.length ? xs.join(", ") : none;
}

function checklistRows(d: ExperimentData): { head: string[]; rows: string[][] } {
  const arms = d.checklist;
  const head = ["item", ...arms.map((a) => `${a.arm} (${a.method})`)];
  const baseline = arms.find((a) => a.arm === "baseline");
  const f = (fn: (a: ChecklistArm) => string) => arms.map(fn);
  const std = (
    v: number,
  ) => (Number.isFinite(v) ? `${pct(v)} pts` : "n/a (fewer than 2 seeds with this eval)");
  const rows: string[][] = [
    ["seeds (count)", ...f((a) => `${listOr(a.seeds, "none")} (${a.seeds.length})`)],
    ["run status", ...f((a) => listOr(a.statuses, "none"))],
    ["compute: backend", ...f((a) => listOr(a.backends, "n/a"))],
    ["compute: preset", ...f((a) => listOr(a.presets, "n/a"))],
    [
      "compute: RL steps logged per run",
      ...f((a) => listOr(a.steps.map((s) => (s === null ? "none" : String(s))), "none")),
    ],
    [
      "compute: rollouts per step (stored trajectories)",
      ...f((a) => listOr(a.rolloutsPerStep, "n/a (no trajectory files)")),
    ],
    ["rollout settings in config", ...f((a) => listOr(a.configHints, "none found"))],
    [
      "baseline family",
      ...f(() =>
        baseline
          ? `baseline arm runs ${baseline.method}; loss settings: ${
            listOr(
              baseline.configHints.filter((h) => /kl|clip|aggregation/i.test(h)),
              "not in config",
            )
          }`
          : "n/a (no baseline arm)"
      ),
    ],
    [
      "extra signal at inference",
      ...f((a) => {
        const sig: string[] = [];
        if (
          (a.feedbackCallsPerStep !== null && a.feedbackCallsPerStep > 0) ||
          a.extraCallsPerStep.some((e) => /feedback/.test(e.metric) && e.perStep > 0)
        ) {
          sig.push("privileged feedback (training only)");
        }
        if (a.extraCallsPerStep.some((e) => /judge/.test(e.metric) && e.perStep > 0)) {
          sig.push("round judge (training only)");
        }
        const evalFb = d.evals.some((e) =>
          d.runs.some((r) => r.id === e.runId && r.arm === a.arm) &&
          Number(e.extra["feedbackCalls"] ?? e.extra["feedback_calls"] ?? 0) > 0
        );
        if (evalFb) return "WARNING: evaluation recorded feedback calls";
        return sig.length
          ? `${sig.join("; ")}; not available at inference (evaluation never offers it)`
          : "none recorded (no feedback or judge calls logged)";
      }),
    ],
    [
      "extra calls per step",
      ...f((a) => {
        const parts: string[] = [];
        if (a.feedbackCallsPerStep !== null) {
          parts.push(`feedback ${a.feedbackCallsPerStep.toFixed(2)}`);
        }
        for (const e of a.extraCallsPerStep) parts.push(`${e.metric} ${e.perStep.toFixed(2)}`);
        return parts.length ? parts.join("; ") : "n/a (not recorded)";
      }),
    ],
    ["variance across seeds: std of avg EM (7)", ...f((a) => std(a.stdAvgEm))],
    ["variance across seeds: std of SearchWorld EM", ...f((a) => std(a.stdSearchWorldEm))],
  ];
  return { head, rows };
}

function toolRows(d: ExperimentData): string[][] {
  return d.arms.map((a) => {
    const last = new Map<string, { all: number; success: number; step: number }>();
    for (const p of d.toolCalls) {
      if (p.arm !== a.arm) continue;
      const prev = last.get(p.run);
      if (!prev || p.step > prev.step) last.set(p.run, p);
    }
    const xs = [...last.values()];
    if (xs.length === 0) return [a.arm, "n/a (no trajectory files)", "", ""];
    const m = (v: number[]) => {
      const f = v.filter(Number.isFinite);
      return f.length
        ? (f.reduce((x, y) => x + y, 0) / f.length).toFixed(2)
        : "n/a (none successful)";
    };
    return [
      a.arm,
      m(xs.map((x) => x.all)),
      m(xs.map((x) => x.success)),
      String(xs.length),
    ];
  });
}

/** Search calls per question at evaluation, per benchmark (plain numbers, not percent). */
function evalToolRows(d: ExperimentData): string[][] {
  const txt = (c: Cell) => {
    if (c.kind === "missing") return `n/a (${c.text})`;
    const hw = c.interval.halfWidth;
    return `${c.interval.mean.toFixed(2)}${Number.isFinite(hw) ? ` ± ${hw.toFixed(2)}` : ""}`;
  };
  return [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    ...COLUMNS.map((c) => txt(a.evalToolCalls[c.key])),
  ]);
}

const EVAL_TOOL_HEAD = ["arm", ...COLUMNS.map((c) => c.label)];

const TOOL_HEAD = [
  "arm",
  "search calls / trajectory (last stored step)",
  "… successful trajectories",
  "runs",
];

function contribRows(d: ExperimentData): string[][] {
  return d.contributions.map((c) => [
    c.arm,
    String(c.trajectories),
    String(c.allZero),
    c.topShare.toFixed(3),
    c.activeFraction.toFixed(3),
    c.byRound.map((w, i) => `k${i + 1}: ${w.toFixed(3)}`).join(", "),
  ]);
}

const CONTRIB_HEAD = [
  "arm",
  "successful trajectories",
  "all contributions 0",
  "mean top-round share",
  "mean share of rounds with c>0",
  "mean weight by round",
];

function shareRows(d: ExperimentData): string[][] {
  return d.creditShares.map((c) => [
    c.arm,
    String(c.trajectories),
    c.meanRounds.toFixed(2),
    c.topShare.toFixed(3),
    c.uniformTopShare.toFixed(3),
    c.byRank.map((w, i) => `#${i + 1}: ${w.toFixed(3)}`).join(", "),
  ]);
}

const SHARE_HEAD = [
  "arm",
  "successful trajectories (K ≥ 2)",
  "mean rounds K",
  "mean top-round share",
  "uniform top share (mean 1/K)",
  "mean share by rank",
];

const SHARE_NOTE =
  "Credit share per round from the stored per-token advantages of successful trajectories (last 5 stored steps per run): m_k = mean advantage of round k's policy tokens, share_k = |m_k| / Σ_j |m_j|. Uniform credit (GRPO) gives every round 1/K.";

function runRows(d: ExperimentData): string[][] {
  return d.runs.map((r) => [
    r.id,
    r.method,
    r.arm,
    String(r.seed),
    r.preset,
    r.backend,
    r.gitCommit,
    r.status,
    r.startedAt,
    r.endedAt ?? "(not ended)",
  ]);
}

const RUN_HEAD = [
  "run",
  "method",
  "arm",
  "seed",
  "preset",
  "backend",
  "commit",
  "status",
  "started",
  "ended",
];

function otherEvalRows(d: ExperimentData): string[][] {
  return d.otherEvals.map((e) => [
    e.runId,
    e.benchmark,
    e.split,
    String(e.step),
    String(e.n),
    pct(e.em),
    pct(e.f1),
  ]);
}

function plotsOf(plots: RenderedPlot[], prefix: string): RenderedPlot[] {
  return plots.filter((p) => p.id.startsWith(prefix));
}

/** The markdown report of one experiment (reports/<name>.md). */
export function experimentMarkdown(inp: RenderInput): string {
  const { data: d, card } = inp;
  const out: string[] = [];
  const img = (p: RenderedPlot) => `![${p.title}](${p.svgPath}) ([PNG](${p.pngPath}))`;
  out.push(`# ${d.name}`);
  out.push("");
  out.push(
    `Generated by \`deno task report\` from the run store \`${inp.storeName}\`: ${d.runs.length} run(s), ${d.selection}.`,
  );
  out.push("");
  if (d.runs.length === 0) {
    out.push(`No runs recorded for "${d.name}": nothing to report yet.`);
    out.push("");
  }
  out.push("## Exact match (EM, %)", "", mdTable(SCORE_HEAD, scoreRows(d, "em")), "");
  out.push("## Token F1 (%)", "", mdTable(SCORE_HEAD, scoreRows(d, "f1")), "");
  out.push(...NOTES, "");
  for (const sec of SEARCHWORLD_SECTIONS) {
    const t = sec.table(d);
    if (t) out.push(`## ${sec.title}`, "", mdTable(t.head, t.rows), "", sec.note, "");
  }
  out.push("## The paper's claim beside ours", "");
  if (card.kind === "missing") {
    out.push(`${inp.cardMethod || d.name}: ${card.reason}.`, "");
  } else {
    const cr = claimRows(card);
    out.push(
      `Paper card of \`${inp.cardMethod}\` (methods/${inp.cardMethod}/paper.ts):`,
      "",
      cr.length
        ? mdTable(["paper", "metric", "setting", "value", "source"], cr)
        : "The card lists no headline numbers.",
      "",
    );
  }
  out.push(
    "Effect sizes, the paper's beside ours:",
    "",
    mdTable(
      ["source", "measure", "effect"],
      [...effectRows(card), ...oursRows(d).map((r) => ["ours", r[0] ?? "", r[1] ?? ""])],
    ),
    "",
  );
  out.push(
    "The paper's numbers come from its own models and data (e.g. Qwen3 on the full benchmarks); ours from this repository's runs. Compare directions and sizes of effects, not absolute values.",
    "",
  );
  out.push("## Training regime", "");
  {
    const rows = regimeRows(d);
    out.push(
      rows.length === 0
        ? "n/a: no run logged groups/no_success_share."
        : mdTable(REGIME_HEAD, rows),
      "",
      "Outcome-only RL learns nothing from a group in which every rollout failed (all advantages are 0); this is the regime CAPF, E-GRPO and CW-GRPO target.",
      "",
    );
  }
  out.push("## Learning curves", "");
  const curves = plotsOf(inp.plots, "curve-");
  if (curves.length === 0) out.push("No step metrics logged.", "");
  for (const p of curves) out.push(img(p), "");
  if (d.missingMetrics.length) {
    out.push(`Not logged (no curve): ${d.missingMetrics.join(", ")}.`, "");
  }
  if (d.otherMetrics.length) out.push(`Other logged metrics: ${d.otherMetrics.join(", ")}.`, "");
  out.push(
    "## Tool calls per trajectory",
    "",
    "Training rollouts:",
    "",
    mdTable(TOOL_HEAD, toolRows(d)),
    "",
  );
  out.push(
    "At evaluation (search calls per question, mean ± 95% t-interval over seeds):",
    "",
    mdTable(EVAL_TOOL_HEAD, evalToolRows(d)),
    "",
  );
  for (const p of plotsOf(inp.plots, "tools")) out.push(img(p), "");
  out.push("## Contribution per round (successful trajectories)", "");
  if (d.contributions.length === 0) {
    out.push(
      "n/a: no stored trajectory carries per-round contributions (only CW-GRPO records them).",
      "",
    );
  } else {
    out.push(mdTable(CONTRIB_HEAD, contribRows(d)), "");
    for (const p of plotsOf(inp.plots, "contrib")) out.push(img(p), "");
  }
  out.push("### Credit share per round (any method)", "", SHARE_NOTE, "");
  if (d.creditShares.length === 0) {
    out.push(
      "n/a: no successful trajectory with two or more rounds and non-zero credit stored.",
      "",
    );
  } else {
    out.push(mdTable(SHARE_HEAD, shareRows(d)), "");
    for (const p of plotsOf(inp.plots, "credit-share")) out.push(img(p), "");
  }
  out.push("## Per-token credit", "");
  const heats = plotsOf(inp.plots, "heat-");
  if (heats.length === 0) out.push("n/a: no trajectory files stored.", "");
  else {
    out.push(
      "One sampled group per arm (the first with both a success and a failure, at the last stored step). Blue = positive advantage, red = negative, grey = not trained (prompt, observations), purple = feedback text.",
      "",
    );
  }
  for (const p of heats) out.push(img(p), "");
  out.push("## Reporting checklist (survey arXiv 2604.09459)", "");
  const cl = checklistRows(d);
  out.push(cl.rows.length && cl.head.length > 1 ? mdTable(cl.head, cl.rows) : "n/a: no runs.", "");
  if (d.otherEvals.length) {
    out.push(
      "## Other evaluations",
      "",
      mdTable(["run", "benchmark", "split", "step", "n", "EM %", "F1 %"], otherEvalRows(d)),
      "",
    );
  }
  out.push("## Runs", "");
  out.push(d.runs.length ? mdTable(RUN_HEAD, runRows(d)) : "none", "");
  for (const r of d.runs) {
    out.push(`<details><summary>config of ${r.id}</summary>`, "", "```json");
    out.push(JSON.stringify(r.config, null, 2), "```", "", "</details>", "");
  }
  return out.join("\n");
}

function advColor(a: number, maxAbs: number): string {
  const t = Math.max(-1, Math.min(1, a / maxAbs));
  // Blue for positive, red for negative, white at 0.
  const mix = (c: number) => Math.round(255 - (255 - c) * Math.abs(t));
  return t >= 0
    ? `rgb(${mix(33)},${mix(102)},${mix(172)})`
    : `rgb(${mix(178)},${mix(24)},${mix(43)})`;
}

/** Mean advantage of the policy tokens of each round of a row. */
export function roundAdvantages(r: TrajectoryRow): Map<number, number> {
  const sums = new Map<number, [number, number]>();
  for (let t = 0; t < r.tokens.length; t++) {
    if ((r.lossMask[t] ?? 0) <= 0) continue;
    const k = r.roundIds[t] ?? 0;
    const s = sums.get(k) ?? [0, 0];
    s[0] += r.advantages[t] ?? 0;
    s[1] += 1;
    sums.set(k, s);
  }
  return new Map([...sums].map(([k, [s, n]]) => [k, s / n]));
}

function heatTextHtml(h: HeatSample): string {
  let maxAbs = 0;
  for (const r of h.rows) for (const a of r.advantages) maxAbs = Math.max(maxAbs, Math.abs(a));
  if (maxAbs === 0) maxAbs = 1;
  const rows = h.rows.map((r) => {
    const adv = roundAdvantages(r);
    let policyRound = 0;
    const turns = r.texts.map((text, i) => {
      const role = r.turnRoles[i] ?? "observation";
      if (role === "policy") {
        policyRound++;
        const a = adv.get(policyRound);
        const style = a === undefined ? "" : ` style="background:${advColor(a, maxAbs)}"`;
        const title = a === undefined
          ? "no trained tokens"
          : `round ${policyRound}: mean advantage ${a.toFixed(4)}`;
        return `<span class="turn policy"${style} title="${esc(title)}">${esc(text)}</span>`;
      }
      return `<span class="turn ${esc(role)}">${esc(text)}</span>`;
    });
    return `<div class="traj"><div class="trajhead">row ${r.row} · question ${
      esc(r.questionId)
    } · EM ${r.outcome} · reward ${
      r.reward.toFixed(3)
    } · ${r.toolCalls} search · ${r.feedbackCalls} feedback</div>${turns.join(" ")}</div>`;
  });
  return `<details><summary>turn texts of ${
    esc(h.arm)
  } group ${h.groupId} (policy turns coloured by their round's mean advantage)</summary>${
    rows.join("")
  }</details>`;
}

function svgInline(p: RenderedPlot): string {
  const svg = p.svg.replace(/^<\?xml[^>]*>\s*/, "");
  return `<figure class="plot" data-plot="${esc(p.id)}">${svg}<figcaption>${
    esc(p.title)
  } · <a href="${esc(p.svgPath)}">SVG</a> · <a href="${
    esc(p.pngPath)
  }">PNG</a></figcaption></figure>`;
}

/** The HTML section of one experiment (part of reports/index.html). */
export function experimentHtml(inp: RenderInput, anchor: string): string {
  const { data: d, card } = inp;
  const h: string[] = [];
  h.push(`<section id="${esc(anchor)}"><h2>${esc(d.name)}</h2>`);
  h.push(`<p>${esc(`${d.runs.length} run(s), ${d.selection}.`)}</p>`);
  if (d.runs.length === 0) {
    h.push(`<p class="missing">No runs recorded: nothing to report yet.</p>`);
  }
  h.push(`<h3>Exact match (EM, %)</h3>`, htmlTable(SCORE_HEAD, scoreRows(d, "em"), "scores"));
  h.push(`<h3>Token F1 (%)</h3>`, htmlTable(SCORE_HEAD, scoreRows(d, "f1"), "scores"));
  h.push(`<p class="note">${esc(NOTES.join(" "))}</p>`);
  for (const sec of SEARCHWORLD_SECTIONS) {
    const t = sec.table(d);
    if (!t) continue;
    h.push(`<h3>${esc(sec.title)}</h3>`, htmlTable(t.head, t.rows, "scores"));
    h.push(`<p class="note">${esc(sec.note)}</p>`);
  }
  h.push(`<h3>The paper's claim beside ours</h3>`);
  if (card.kind === "missing") {
    h.push(`<p class="missing">${esc(`${inp.cardMethod || d.name}: ${card.reason}.`)}</p>`);
  } else {
    const cr = claimRows(card);
    h.push(
      cr.length
        ? htmlTable(["paper", "metric", "setting", "value", "source"], cr)
        : `<p>The card lists no headline numbers.</p>`,
    );
  }
  h.push(
    `<p>Effect sizes, the paper's beside ours:</p>`,
    htmlTable(
      ["source", "measure", "effect"],
      [...effectRows(card), ...oursRows(d).map((r) => ["ours", r[0] ?? "", r[1] ?? ""])],
    ),
  );
  {
    const rows = regimeRows(d);
    h.push(
      `<h3>Training regime</h3>`,
      rows.length === 0
        ? `<p class="missing">n/a: no run logged groups/no_success_share.</p>`
        : htmlTable(REGIME_HEAD, rows),
    );
  }
  h.push(`<h3>Learning curves</h3><div class="grid">`);
  for (const p of plotsOf(inp.plots, "curve-")) h.push(svgInline(p));
  h.push(`</div>`);
  if (d.missingMetrics.length) {
    h.push(
      `<p class="missing">${esc(`Not logged (no curve): ${d.missingMetrics.join(", ")}.`)}</p>`,
    );
  }
  h.push(
    `<h3>Tool calls per trajectory</h3><p>Training rollouts:</p>`,
    htmlTable(TOOL_HEAD, toolRows(d)),
  );
  h.push(
    `<p>At evaluation (search calls per question, mean ± 95% t-interval over seeds):</p>`,
    htmlTable(EVAL_TOOL_HEAD, evalToolRows(d)),
  );
  for (const p of plotsOf(inp.plots, "tools")) h.push(svgInline(p));
  h.push(`<h3>Contribution per round (successful trajectories)</h3>`);
  if (d.contributions.length === 0) {
    h.push(
      `<p class="missing">n/a: no stored trajectory carries per-round contributions (only CW-GRPO records them).</p>`,
    );
  } else {
    h.push(htmlTable(CONTRIB_HEAD, contribRows(d)));
    for (const p of plotsOf(inp.plots, "contrib")) h.push(svgInline(p));
  }
  h.push(`<h4>Credit share per round (any method)</h4><p class="note">${esc(SHARE_NOTE)}</p>`);
  if (d.creditShares.length === 0) {
    h.push(
      `<p class="missing">n/a: no successful trajectory with two or more rounds and non-zero credit stored.</p>`,
    );
  } else {
    h.push(htmlTable(SHARE_HEAD, shareRows(d)));
    for (const p of plotsOf(inp.plots, "credit-share")) h.push(svgInline(p));
  }
  h.push(`<h3>Per-token credit</h3>`);
  const heats = plotsOf(inp.plots, "heat-");
  if (heats.length === 0) h.push(`<p class="missing">n/a: no trajectory files stored.</p>`);
  for (const p of heats) h.push(svgInline(p));
  for (const s of d.heat) h.push(heatTextHtml(s));
  h.push(`<h3>Reporting checklist</h3>`);
  const cl = checklistRows(d);
  h.push(cl.head.length > 1 ? htmlTable(cl.head, cl.rows) : `<p class="missing">n/a: no runs.</p>`);
  if (d.otherEvals.length) {
    h.push(
      `<h3>Other evaluations</h3>`,
      htmlTable(["run", "benchmark", "split", "step", "n", "EM %", "F1 %"], otherEvalRows(d)),
    );
  }
  h.push(`<h3>Runs</h3>`, d.runs.length ? htmlTable(RUN_HEAD, runRows(d)) : "<p>none</p>");
  for (const r of d.runs) {
    h.push(
      `<details><summary>config of ${esc(r.id)}</summary><pre>${
        esc(JSON.stringify(r.config, null, 2))
      }</pre></details>`,
    );
  }
  h.push(`</section>`);
  return h.join("\n");
}

const CSS =
  `body{font-family:"DejaVu Sans",Arial,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.6em 0;font-size:13px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f3f3}table.scores td:nth-child(n+4){text-align:right;white-space:nowrap}
.note{font-size:12px;color:#555}.missing{color:#8a5a00}
.grid{display:flex;flex-wrap:wrap;gap:10px}figure.plot{margin:6px;display:inline-block}figure.plot svg{display:block}
figcaption{font-size:11px;color:#666}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
.traj{margin:6px 0;padding:4px;border-left:3px solid #ccc;font-family:"DejaVu Sans Mono",monospace;font-size:12px;white-space:pre-wrap}
.trajhead{font-family:"DejaVu Sans",sans-serif;color:#555}.turn.observation{color:#777}.turn.feedback{color:#6a3d9a}`;

/** The whole self-contained index.html. */
export function indexHtml(
  sections: { anchor: string; name: string; html: string }[],
  storeName: string,
): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>creditlab report</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><h1>creditlab: credit assignment for search agents</h1>
<p>${
    esc(
      `Regenerated by \`deno task report\` from the run store ${storeName}. Same store, same page, byte for byte.`,
    )
  }</p>
<nav><ul>${
    sections.map((s) => `<li><a href="#${esc(s.anchor)}">${esc(s.name)}</a></li>`).join("")
  }</ul></nav>
${
    sections.length === 0
      ? `<p class="missing">The run store holds no runs: nothing to report yet.</p>`
      : ""
  }
${sections.map((s) => s.html).join("\n")}
</body></html>
`;
}
