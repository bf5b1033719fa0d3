/**
 * The closing sections of a report: the reporting checklist of the credit-assignment survey,
 * other evaluations, and the runs with their wall time and configs ({@link runBlocks}): the
 * config the runs share once, folded, and under each run only the fields it sets otherwise.
 *
 * @module
 */

import { differenceText, splitConfigs } from "./config_split.ts";
import {
  type ChecklistArm,
  elapsedSeconds,
  type ExperimentData,
  wallSeconds,
} from "./experiment_data.ts";
import { duration, pct } from "./format.ts";
import { type Block, type Column, columnTable, para } from "./render_blocks.ts";

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
    [
      "wall time per step, median s: whole (rollouts / method / update)",
      ...f((a) => {
        const t = a.secondsPerStep;
        if (t === null) return "n/a (not logged by these runs)";
        const base = baseline?.secondsPerStep;
        const ratio = base && a !== baseline && base.step > 0
          ? `; ${(t.step / base.step).toFixed(2)}x ${baseline.arm}'s`
          : "";
        return `${t.step.toFixed(2)} (${t.rollout.toFixed(2)} / ${t.credit.toFixed(2)} / ${
          t.update.toFixed(2)
        }) over ${t.steps} steps${ratio}`;
      }),
    ],
    ["variance across seeds: std of avg EM (7)", ...f((a) => std(a.stdAvgEm))],
    ["variance across seeds: std of SearchWorld EM", ...f((a) => std(a.stdSearchWorldEm))],
  ];
  return { head, rows };
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
  const elapsed = elapsedSeconds(d.runs);
  return `Wall time: ${duration(elapsed)} from the first run's start to the last one's end; ${
    duration(total)
  } summed over ${done.length} ended run(s)${
    done.length < secs.length ? `; ${secs.length - done.length} not ended` : ""
  }${arms.length ? ` (${arms.join(", ")})` : ""}. With arms side by side (\`--jobs\`) a run's ` +
    "time includes its wait for a free worker.";
}

type Run = ExperimentData["runs"][number];

const RUN_COLUMNS: Column<Run>[] = [
  ["run", (r) => r.id],
  ["method", (r) => r.method],
  ["arm", (r) => r.arm],
  ["seed", (r) => String(r.seed)],
  ["preset", (r) => r.preset],
  ["backend", (r) => r.backend],
  ["commit", (r) => r.gitCommit],
  ["status", (r) => r.reason ? `${r.status} (${r.reason})` : r.status],
  ["started", (r) => r.startedAt],
  ["ended", (r) => r.endedAt ?? "(not ended)"],
  ["wall time", (r) => duration(wallSeconds(r))],
];

const OTHER_EVAL_COLUMNS: Column<ExperimentData["otherEvals"][number]>[] = [
  ["run", (e) => e.runId],
  ["benchmark", (e) => e.benchmark],
  ["split", (e) => e.split],
  ["step", (e) => String(e.step)],
  ["n", (e) => String(e.n)],
  ["EM %", (e) => pct(e.em)],
  ["F1 %", (e) => pct(e.f1)],
];

const CONFIG_NOTE =
  "Each run's config is the shared config (folded below) with the run's own fields applied: a " +
  "dotted path with the run's value (JSON), or `(absent)` where the run lacks a field of the " +
  "shared config. A field is shared when more than half of the runs set it, all to the same " +
  "value (arrays compared whole). Method, arm and seed are in the table above.";

/** A code span; a backtick (only ever inside a JSON string) is written as the escape \u0060. */
function code(text: string): string {
  return `\`${text.replaceAll("`", "\\u0060")}\``;
}

/** The runs' configs: the part they share once, folded, then per run what it sets otherwise. */
function configBlocks(d: ExperimentData): Block[] {
  const head: Block = { kind: "h", text: "Run configs", sub: true };
  const only = d.runs.length === 1 ? d.runs[0] : undefined;
  if (only) {
    return [head, {
      kind: "details",
      summary: `config of ${only.id}`,
      config: only.config,
    }];
  }
  const split = splitConfigs(d.runs.map((r) => r.config));
  return [
    head,
    para(CONFIG_NOTE, "note"),
    split.common === undefined
      ? para("No config field is shared by more than half of the runs.", "missing")
      : {
        kind: "details",
        summary: `config shared by the runs (${d.runs.length} runs)`,
        config: split.common,
      },
    {
      kind: "list",
      cls: "configs",
      items: d.runs.map((r, i) => {
        const diffs = split.differences[i] ?? [];
        return {
          strong: r.id,
          text: diffs.length
            ? `: ${diffs.map((x) => code(differenceText(x))).join(", ")}`
            : ": the shared config, nothing else",
        };
      }),
    },
  ];
}

/** The reporting checklist, other evaluations, the runs, their wall time and configs. */
export function runBlocks(d: ExperimentData): Block[] {
  const cl = checklistRows(d);
  const out: Block[] = [
    { kind: "h", text: "Reporting checklist (survey arXiv 2604.09459)" },
    cl.rows.length && cl.head.length > 1
      ? { kind: "table", head: cl.head, rows: cl.rows }
      : para("n/a: no runs.", "missing"),
  ];
  if (d.otherEvals.length) {
    out.push(
      { kind: "h", text: "Other evaluations" },
      columnTable(OTHER_EVAL_COLUMNS, d.otherEvals),
    );
  }
  out.push({ kind: "h", text: "Runs" });
  if (d.runs.length === 0) return [...out, para("none")];
  return [
    ...out,
    columnTable(RUN_COLUMNS, d.runs),
    para(wallTimeLine(d), "note"),
    ...configBlocks(d),
  ];
}
