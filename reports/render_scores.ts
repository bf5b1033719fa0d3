/**
 * The score sections of a report: the EM and F1 tables in Search-R1's layout with the Δ row
 * ({@link scoreBlocks}), the SearchWorld-only tables (EM by hop count, teacher-forced lookup;
 * {@link searchWorldBlocks}) and the paper's claim beside ours ({@link paperBlocks}).
 *
 * @module
 */

import { COLUMNS } from "./benchmarks.ts";
import type { Comparison } from "./compare.ts";
import {
  type CellKey,
  columnsWithData,
  type ExperimentData,
  SEARCHWORLD_COLUMNS,
  type SearchWorldKey,
} from "./experiment_data.ts";
import { cellText, points, signedPoints } from "./format.ts";
import { type PaperCard, paperEffects } from "./paper.ts";
import type { Block } from "./render_blocks.ts";

/** Label of a table column key ("Avg (7)" for the average; the key itself when it has none). */
export function keyLabel(k: string): string {
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
    const label = keyLabel(col);
    for (const hop of [...hops].sort((x, y) => Number(x) - Number(y))) {
      out.push({ col, hop, label: `${label} ${hop}-hop` });
    }
  }
  return out;
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
    ...cols.flatMap((c) => [`${keyLabel(c)} lookup`, `${keyLabel(c)} chance`]),
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

/** The score tables (EM with the Δ row, F1), their notes and the collapsed-columns note. */
export function scoreBlocks(d: ExperimentData): Block[] {
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

/** The SearchWorld-only sections that have data: title, table, note. */
export function searchWorldBlocks(d: ExperimentData): Block[] {
  return SEARCHWORLD_SECTIONS.flatMap((sec): Block[] => {
    const t = sec.table(d);
    return t
      ? [
        { kind: "h", text: sec.title },
        { kind: "table", head: t.head, rows: t.rows, cls: "scores" },
        { kind: "p", cls: "note", inline: { text: sec.note } },
      ]
      : [];
  });
}

/** The paper's claims (its card) and its effect sizes beside our deltas. */
export function paperBlocks(d: ExperimentData, card: PaperCard, cardMethod: string): Block[] {
  const out: Block[] = [{ kind: "h", text: "The paper's claim beside ours" }];
  if (card.kind === "missing") {
    out.push({
      kind: "p",
      cls: "missing",
      inline: { text: `${cardMethod || d.name}: ${card.reason}.` },
    });
  } else {
    const cr = claimRows(card);
    out.push(
      {
        kind: "p",
        inline: { text: `Paper card of \`${cardMethod}\` (methods/${cardMethod}/paper.ts):` },
      },
      cr.length
        ? { kind: "table", head: ["paper", "metric", "setting", "value", "source"], rows: cr }
        : { kind: "p", inline: { text: "The card lists no headline numbers." } },
    );
  }
  out.push(
    { kind: "p", inline: { text: "Effect sizes, the paper's beside ours:" } },
    {
      kind: "table",
      head: ["source", "measure", "effect"],
      rows: [...effectRows(card), ...oursRows(d).map((r) => ["ours", r[0] ?? "", r[1] ?? ""])],
    },
    {
      kind: "p",
      cls: "note",
      inline: {
        text:
          "The paper's numbers come from its own models and data (e.g. Qwen3 on the full benchmarks); ours from this repository's runs. Compare directions and sizes of effects, not absolute values.",
      },
    },
  );
  return out;
}
