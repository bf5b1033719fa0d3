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
  columnsWithData,
  type ExperimentData,
  type HeatSample,
  SEARCHWORLD_COLUMNS,
  type SearchWorldKey,
} from "./experiment_data.ts";
import {
  type Comparison,
  type Decided,
  type Decisions,
  duration,
  type EstimateNumbers,
  LEVEL,
  points,
  POWER,
  signedPoints,
  TARGET_HALF_WIDTH,
  TREND_SHARE,
  wallSeconds,
  worldOf,
} from "./decide.ts";
import { type PaperCard, paperEffects } from "./paper.ts";
import { curveCaption } from "./plots.ts";
import type { TrajectoryRow } from "@creditlab/runstore";

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
  /** Verdicts and paired comparisons ({@link decide}). */
  decisions: Decisions;
  /** Moving-average window of the learning curves (0: off), for the caption. */
  curveSmoothing?: number;
}

/** Label of a table column key ("Avg (7)" for the average). */
function keyLabel(k: CellKey): string {
  return k === "avg" ? "Avg (7)" : COLUMNS.find((c) => c.key === k)?.label ?? k;
}

/** The seven QA benchmarks and their average, in table order. */
const QA_KEYS: CellKey[] = [...COLUMNS.filter((c) => c.inAverage).map((c) => c.key), "avg"];

/**
 * The note that replaces the QA columns no run evaluated (null when every column has data):
 * one line instead of a column of "n/a (no eval)" cells.
 */
export function collapsedColumnsNote(d: ExperimentData): string | null {
  const keys = columnsWithData(d);
  const gone = QA_KEYS.filter((k) => !keys.includes(k));
  if (gone.length === 0) return null;
  const hint = "run `deno task eval --policy CHECKPOINT|URL --benchmarks all`";
  if (gone.length === QA_KEYS.length) {
    return `The seven open-domain QA benchmarks (${
      QA_KEYS.filter((k) => k !== "avg").map(keyLabel).join(", ")
    }) and Avg (7): no evaluation recorded for any run of this experiment (${hint}).`;
  }
  return `No evaluation recorded for any run of this experiment: ${
    gone.map(keyLabel).join(", ")
  } (columns left out; ${hint}).`;
}

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

/** An HTML table inside a box that scrolls sideways, so a wide table never widens the page. */
function htmlTable(head: string[], rows: string[][], cls = ""): string {
  return `<div class="tw"><table${cls ? ` class="${cls}"` : ""}><thead><tr>${
    head.map((h) => `<th>${esc(h)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`).join("")
  }</tbody></table></div>`;
}

/** Text of a comparison's Δ: "+1.2 ± 3.1 (paired)", "+1.2 ± 3.1 (Welch)" or why it is missing. */
function comparisonCell(c: Comparison): string {
  const e = c.estimate;
  if (e === null) {
    return c.point === null
      ? `n/a (${c.note})`
      : `${signedPoints(c.point)} (no interval: ${c.note})`;
  }
  return `${signedPoints(e.delta)} ± ${points(e.halfWidth)} (${
    e.how === "paired" ? "paired" : "Welch"
  })`;
}

function scoreRows(d: ExperimentData, which: "em" | "f1"): string[][] {
  const keys = columnsWithData(d);
  if (d.arms.length === 0) return [["(none)", "", "0", ...keys.map(() => "n/a (no runs)")]];
  const rows = [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    a.method,
    String(a.runs.length),
    ...keys.map((k) => cellText(a[which][k])),
  ]);
  if (which === "em" && d.delta) {
    const dl = d.delta;
    const label = `${dl.arm} − ${dl.baseline}`;
    rows.push([
      `Δ ${label}`,
      "(95%)",
      "",
      ...keys.map((k) => {
        const c = d.comparisons.find((x) => x.column === k && x.label === label);
        if (c) return comparisonCell(c);
        const w = dl.em[k];
        return w.kind === "value" ? `${cellText(w, { signed: true })} (Welch)` : cellText(w);
      }),
    ]);
  }
  return rows;
}

function scoreHead(d: ExperimentData): string[] {
  return ["arm", "method", "seeds", ...columnsWithData(d).map(keyLabel)];
}

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
  "a cell from one seed has no interval. The Δ row is method minus baseline in points: paired over (seed, question)",
  "where per-question outcomes are recorded (see Paired comparisons), else Welch's t-interval over seeds, as marked.",
  "Each run contributes its latest evaluation of each benchmark (test split preferred, then dev).",
  "Avg (7) = mean over the seven open-domain benchmarks, computed per seed and only when all seven were evaluated.",
  'The "start (SFT)" row is the SFT warm start: the experiment\'s start arm (one greedy run on the same held-out',
  'questions, shared by every seed) or, in stores without one, the SFT runs of experiment "sft" with the same presets and seeds.',
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
  const label = `${d.delta.arm} − ${d.delta.baseline}`;
  const sw = (col: SearchWorldKey) => {
    const c = d.comparisons.find((x) => x.column === col && x.label === label);
    return c ? comparisonCell(c) : cellText(d.delta!.em[col], { signed: true });
  };
  const rows = [
    ["Δ EM SearchWorld (points)", sw("searchworld")],
    ["Δ EM SearchWorld-OOD (points)", sw("searchworld-ood")],
  ];
  return d.delta.em.avg.kind === "value"
    ? [["Δ avg EM, 7 QA benchmarks (points)", cellText(d.delta.em.avg, { signed: true })], ...rows]
    : rows;
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
        // What the method asked the environment for (run configs), else what its records and
        // call metrics show it called.
        const sig = a.resources.length > 0 ? [...a.resources] : [
          ...a.recordCallsPerStep.filter((c) => c.perStep > 0).map((c) => `${c.kind} calls`),
          ...a.extraCallsPerStep.filter((e) => e.perStep > 0).map((e) => e.metric),
        ];
        const evalFb = d.evals.some((e) =>
          d.runs.some((r) => r.id === e.runId && r.arm === a.arm) &&
          Number(e.extra["feedbackCalls"] ?? 0) > 0
        );
        if (evalFb) return "WARNING: evaluation recorded feedback calls";
        return sig.length
          ? `training-only: ${
            sig.join("; ")
          }; not available at inference (evaluation never offers it)`
          : "none recorded (no training-only resource requested or call logged)";
      }),
    ],
    [
      "extra calls per step",
      ...f((a) => {
        const parts: string[] = [];
        for (const c of a.recordCallsPerStep) {
          parts.push(`${c.kind} ${c.perStep.toFixed(2)} (stored steps)`);
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
  const keys = columnsWithData(d).filter((k) => k !== "avg");
  return [...(d.start ? [d.start] : []), ...d.arms].map((a) => [
    a.arm,
    ...keys.map((k) => txt(a.evalToolCalls[k])),
  ]);
}

function evalToolHead(d: ExperimentData): string[] {
  return ["arm", ...columnsWithData(d).filter((k) => k !== "avg").map(keyLabel)];
}

const TOOL_HEAD = [
  "arm",
  "search calls / trajectory (last stored step)",
  "… successful trajectories",
  "runs",
];

const NO_ROUND_SERIES =
  "n/a: no stored trajectory carries a per-round series in its method record (`rounds`).";

const ROUND_SERIES_NOTE =
  "Each row: a series a method recorded per round of its trajectories (method record `rounds`, " +
  "labelled by the method), over the successful trajectories of the stored steps; values are " +
  "normalised per trajectory as max(0, v_k) / sum_j max(0, v_j).";

function contribRows(d: ExperimentData): string[][] {
  return d.roundSeries.map((c) => [
    c.arm,
    c.label,
    String(c.trajectories),
    String(c.allZero),
    c.topShare.toFixed(3),
    c.activeFraction.toFixed(3),
    c.byRound.map((w, i) => `k${i + 1}: ${w.toFixed(3)}`).join(", "),
  ]);
}

const CONTRIB_HEAD = [
  "arm",
  "series",
  "successful trajectories",
  "all values <= 0",
  "mean top-round share",
  "mean share of rounds > 0",
  "mean normalised value by round",
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
    duration(wallSeconds(r)),
  ]);
}

/** One line: total wall time of the runs and per arm. */
function wallTimeLine(d: ExperimentData): string {
  const secs = d.runs.map(wallSeconds);
  const done = secs.filter((x): x is number => x !== null);
  const total = done.reduce((a, b) => a + b, 0);
  const arms = [...new Set(d.runs.map((r) => r.arm))].map((arm) => {
    const t = d.runs.filter((r) => r.arm === arm).map(wallSeconds)
      .filter((x): x is number => x !== null).reduce((a, b) => a + b, 0);
    return `${arm} ${duration(t)}`;
  });
  return `Wall time (ended − started, summed over ${done.length} ended run(s)${
    done.length < secs.length ? `; ${secs.length - done.length} not ended` : ""
  }): ${duration(total)}${arms.length ? ` (${arms.join(", ")})` : ""}.`;
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
  "wall time",
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

/** A run of text whose first part may be bold. */
interface Inline {
  strong?: string;
  text: string;
  /** HTML class (e.g. the verdict kind). */
  cls?: string;
}

/** A piece of a report, rendered to markdown and to HTML alike. */
type Block =
  | { kind: "h"; text: string }
  | { kind: "p"; inline: Inline; cls?: "note" | "missing" }
  | { kind: "list"; items: Inline[]; cls?: "verdicts" | "levers" }
  | { kind: "table"; head: string[]; rows: string[][]; cls?: string };

function mdInline(i: Inline): string {
  return `${i.strong ? `**${i.strong}**` : ""}${i.text}`;
}

/** Escaped text with `code` spans as <code>. */
function htmlText(s: string): string {
  return esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");
}

function htmlInline(i: Inline): string {
  return `${i.strong ? `<strong>${htmlText(i.strong)}</strong>` : ""}${htmlText(i.text)}`;
}

function mdBlocks(blocks: Block[]): string[] {
  return blocks.flatMap((b) => {
    if (b.kind === "h") return [`## ${b.text}`, ""];
    if (b.kind === "p") return [mdInline(b.inline), ""];
    if (b.kind === "list") return [...b.items.map((i) => `- ${mdInline(i)}`), ""];
    return [mdTable(b.head, b.rows), ""];
  });
}

function htmlBlocks(blocks: Block[]): string[] {
  return blocks.map((b) => {
    if (b.kind === "h") return `<h3>${esc(b.text)}</h3>`;
    if (b.kind === "p") {
      return `<p${b.cls ? ` class="${b.cls}"` : ""}>${htmlInline(b.inline)}</p>`;
    }
    if (b.kind === "list") {
      return `<ul class="${b.cls ?? "verdicts"}">${
        b.items.map((i) => `<li${i.cls ? ` class="${esc(i.cls)}"` : ""}>${htmlInline(i)}</li>`)
          .join("")
      }</ul>`;
    }
    return htmlTable(b.head, b.rows, b.cls ?? "");
  });
}

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
function verdictBlocks(d: ExperimentData, dec: Decisions): Block[] {
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
}-point target, and the smallest design that would meet it, projected from the comparison's variance components (seed, question, residual; reports/paired.ts projectDesign): a plan, not a measurement.`;

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

function pairedBlocks(d: ExperimentData, dec: Decisions): Block[] {
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

const TREND_HEAD = [
  "arm",
  "metric",
  `first ${Math.round(TREND_SHARE * 100)}% of steps`,
  `last ${Math.round(TREND_SHARE * 100)}% of steps`,
  "Δ (last − first)",
  "95% interval",
  "seeds",
  "steps per window",
];

function trendRows(d: ExperimentData): string[][] {
  const f = (x: number, sign = false) =>
    Number.isFinite(x) ? `${sign && x > 0 ? "+" : ""}${x.toFixed(3)}` : "n/a";
  return d.trends.map((t) => {
    const e = t.estimate;
    if (e === null) return [t.arm, t.metric, `n/a (${t.note})`, "", "", "", "", ""];
    return [
      t.arm,
      t.metric,
      f(e.first),
      f(e.last),
      f(e.delta, true),
      `[${f(e.lo, true)}, ${f(e.hi, true)}]${e.seedNoiseEstimated ? "" : " (one seed)"}`,
      String(e.seeds),
      String(e.stepsPerWindow),
    ];
  });
}

/** Notes for the curves left out and how the drawn ones are drawn. */
function curveNotes(d: ExperimentData, smoothing: number): Inline[] {
  const out: Inline[] = [];
  if (d.curves.length) {
    out.push({
      text: `Each plot: ${
        curveCaption(smoothing)
      } (the smoothing window grows with the number of steps: none below 20).`,
    });
  }
  for (const o of d.omittedCurves) {
    out.push({
      text:
        `Not drawn: ${o.metric} is identically ${o.value} at every logged step of every run (${o.points} points), a plot that says nothing.`,
    });
  }
  return out;
}

function plotsOf(plots: RenderedPlot[], prefix: string): RenderedPlot[] {
  return plots.filter((p) => p.id.startsWith(prefix));
}

/** The score tables (EM with the Δ row, F1), their notes and the collapsed-columns note. */
function scoreBlocks(d: ExperimentData): Block[] {
  const collapsed = collapsedColumnsNote(d);
  return [
    { kind: "h", text: "Exact match (EM, %)" },
    { kind: "table", head: scoreHead(d), rows: scoreRows(d, "em"), cls: "scores" },
    ...(collapsed ? [{ kind: "p", cls: "missing", inline: { text: collapsed } } as Block] : []),
    { kind: "h", text: "Token F1 (%)" },
    { kind: "table", head: scoreHead(d), rows: scoreRows(d, "f1"), cls: "scores" },
    { kind: "p", cls: "note", inline: { text: NOTES.join(" ") } },
  ];
}

/** The training regime and training-reward sections. */
function trainingBlocks(d: ExperimentData): Block[] {
  const rows = regimeRows(d);
  return [
    { kind: "h", text: "Training regime" },
    rows.length === 0
      ? {
        kind: "p",
        cls: "missing",
        inline: { text: "n/a: no run logged groups/no_success_share." },
      }
      : { kind: "table", head: REGIME_HEAD, rows },
    {
      kind: "p",
      cls: "note",
      inline: {
        text:
          "Outcome-only RL learns nothing from a group in which every rollout failed (all advantages are 0); this is the regime CAPF, E-GRPO and CW-GRPO target. The table averages over every logged step; the regime measure (Verdict, above) over the first steps only.",
      },
    },
    { kind: "h", text: "Training reward: first vs last steps" },
    d.trends.length
      ? { kind: "table", head: TREND_HEAD, rows: trendRows(d) }
      : { kind: "p", cls: "missing", inline: { text: "n/a: no RL arm." } },
    {
      kind: "p",
      cls: "note",
      inline: {
        text:
          "Per seed, the mean of the metric over the first and over the last 20% of its logged RL steps; Δ is the mean over seeds of last − first, with a 95% Student-t interval over the per-seed differences (one seed: Welch between the two windows' steps, which ignores run-to-run noise). reports/paired.ts, trainingTrend.",
      },
    },
  ];
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
  out.push(...mdBlocks(verdictBlocks(d, inp.decisions)));
  out.push(...mdBlocks(pairedBlocks(d, inp.decisions)));
  out.push(...mdBlocks(scoreBlocks(d)));
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
  out.push(...mdBlocks(trainingBlocks(d)));
  out.push("## Learning curves", "");
  const curves = plotsOf(inp.plots, "curve-");
  if (curves.length === 0) out.push("No step metrics logged.", "");
  for (const p of curves) out.push(img(p), "");
  for (const n of curveNotes(d, inp.curveSmoothing ?? 0)) out.push(mdInline(n), "");
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
    mdTable(evalToolHead(d), evalToolRows(d)),
    "",
  );
  for (const p of plotsOf(inp.plots, "tools")) out.push(img(p), "");
  out.push("## Per-round series recorded by the method (successful trajectories)", "");
  if (d.roundSeries.length === 0) {
    out.push(NO_ROUND_SERIES, "");
  } else {
    out.push(ROUND_SERIES_NOTE, "", mdTable(CONTRIB_HEAD, contribRows(d)), "");
    for (const p of plotsOf(inp.plots, "rounds-")) out.push(img(p), "");
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
  if (d.runs.length) out.push(wallTimeLine(d), "");
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

/** " · judge 2 · feedback 1": the training-only calls of a stored trajectory's record. */
function callsText(r: TrajectoryRow): string {
  return Object.entries(r.methodRecord?.calls ?? {}).map(([k, v]) => ` · ${v} ${k}`).join("");
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
    } · EM ${r.outcome} · reward ${r.reward.toFixed(3)} · ${r.toolCalls} search${
      callsText(r)
    }</div>${turns.join(" ")}</div>`;
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
  h.push(
    `<p>${esc(`${d.runs.length} run(s) from the run store ${inp.storeName}, ${d.selection}.`)}</p>`,
  );
  if (d.runs.length === 0) {
    h.push(`<p class="missing">No runs recorded: nothing to report yet.</p>`);
  }
  h.push(...htmlBlocks(verdictBlocks(d, inp.decisions)));
  h.push(...htmlBlocks(pairedBlocks(d, inp.decisions)));
  h.push(...htmlBlocks(scoreBlocks(d)));
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
  h.push(...htmlBlocks(trainingBlocks(d)));
  h.push(`<h3>Learning curves</h3><div class="grid">`);
  for (const p of plotsOf(inp.plots, "curve-")) h.push(svgInline(p));
  h.push(`</div>`);
  for (const n of curveNotes(d, inp.curveSmoothing ?? 0)) {
    h.push(`<p class="note">${htmlInline(n)}</p>`);
  }
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
    htmlTable(evalToolHead(d), evalToolRows(d)),
  );
  for (const p of plotsOf(inp.plots, "tools")) h.push(svgInline(p));
  h.push(`<h3>Per-round series recorded by the method (successful trajectories)</h3>`);
  if (d.roundSeries.length === 0) {
    h.push(`<p class="missing">${esc(NO_ROUND_SERIES)}</p>`);
  } else {
    h.push(
      `<p class="note">${esc(ROUND_SERIES_NOTE)}</p>`,
      htmlTable(CONTRIB_HEAD, contribRows(d)),
    );
    for (const p of plotsOf(inp.plots, "rounds-")) h.push(svgInline(p));
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
  if (d.runs.length) h.push(`<p class="note">${esc(wallTimeLine(d))}</p>`);
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
.tw{max-width:100%;overflow-x:auto}table.paired td:nth-child(n+3):nth-child(-n+6){text-align:right;white-space:nowrap}
ul.verdicts li{margin:.25em 0}li.reproduces{color:#135e2a}li.contradicts{color:#9a1c1c}li.inconclusive{color:#5a4a00}
.note{font-size:12px;color:#555}.missing{color:#8a5a00}
.grid{display:flex;flex-wrap:wrap;gap:10px}figure.plot{margin:6px;display:inline-block}figure.plot svg{display:block}
figcaption{font-size:11px;color:#666}pre{background:#f7f7f7;padding:8px;overflow:auto;font-size:12px}
.traj{margin:6px 0;padding:4px;border-left:3px solid #ccc;font-family:"DejaVu Sans Mono",monospace;font-size:12px;white-space:pre-wrap}
.trajhead{font-family:"DejaVu Sans",sans-serif;color:#555}.turn.observation{color:#777}.turn.feedback{color:#6a3d9a}`;

/** One experiment's page in the index: its section and what the nav shows about it. */
export interface IndexEntry {
  /** Experiment name. */
  name: string;
  anchor: string;
  /** The section's HTML (an {@link experimentHtml} fragment). */
  html: string;
  /** The run store the section was generated from. */
  store: string;
  /** The headline verdict kind, or null. */
  headline: string | null;
}

/**
 * The whole self-contained index.html: one section per experiment report present in the output
 * folder (see generate.ts: the sections of experiments absent from the store just read are kept).
 */
export function indexHtml(
  entries: readonly IndexEntry[],
  opts: { storeName: string; notes?: readonly string[] },
): string {
  const stores = [...new Set(entries.map((e) => e.store))].sort();
  const from = stores.length === 0
    ? `the run store ${opts.storeName}`
    : `the run store${stores.length > 1 ? "s" : ""} ${stores.join(", ")}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>creditlab report</title><link rel="icon" href="data:,">
<style>${CSS}</style></head>
<body><h1>creditlab: credit assignment for search agents</h1>
<p>${
    esc(
      `Built by \`deno task report\` from the experiment reports in this folder (<experiment>.json and plots/sections/<experiment>.html), generated from ${from}. An experiment missing from the store last read keeps its earlier page. Same store and folder, same page, byte for byte.`,
    )
  }</p>
<nav><ul>${
    entries.map((s) =>
      `<li><a href="#${esc(s.anchor)}">${esc(s.name)}</a>${
        esc(` — ${s.headline ? `verdict: ${s.headline}` : "no verdict"} (${s.store})`)
      }</li>`
    ).join("")
  }</ul></nav>
${(opts.notes ?? []).map((n) => `<p class="missing">${esc(n)}</p>`).join("\n")}
${
    entries.length === 0
      ? `<p class="missing">${
        esc(`The run store ${opts.storeName} holds no runs: nothing to report yet.`)
      }</p>`
      : ""
  }
${entries.map((s) => s.html).join("\n")}
</body></html>
`;
}
