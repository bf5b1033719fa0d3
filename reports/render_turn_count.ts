/**
 * The "Credit by turn count" section of a report (turn_count_section.ts): what was measured, the
 * slope S per row with its intervals and the paired difference variant − recorded, and the
 * credit by (outcome, K). Absent (no blocks) unless the report was asked for a variant.
 *
 * @module
 */

import { type Block, type Column, columnTable, para } from "./render_blocks.ts";
import type { TurnCountCell } from "./turn_count.ts";
import type {
  TurnCountEstimate,
  TurnCountMeasure,
  TurnCountRow,
  TurnCountSection,
} from "./turn_count_types.ts";

/**
 * A slope or credit value: 4 decimals with its sign, exactly `0` for 0, `n/a` for NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual([num(0), num(-0.30001), num(0.5), num(NaN)], ["0", "−0.3000", "+0.5000", "n/a"]);
 * ```
 */
export function num(x: number): string {
  if (Number.isNaN(x)) return "n/a";
  if (x === 0) return "0";
  return `${x < 0 ? "−" : "+"}${Math.abs(x).toFixed(4)}`;
}

function interval(lo: number, hi: number): string {
  return Number.isNaN(lo) || Number.isNaN(hi) ? "n/a" : `[${num(lo)}, ${num(hi)}]`;
}

function stepsText(steps: readonly number[]): string {
  if (steps.length === 0) return "0";
  return `${steps.length} (${steps[0]}–${steps[steps.length - 1]})`;
}

const ROLE_LABEL: Record<TurnCountRow["role"], string> = {
  default: "method as recorded",
  variant: "method under the variant (replayed)",
  reference: "baseline as recorded (reference)",
};

interface SummaryRow {
  label: string;
  arm: string;
  measure: TurnCountMeasure | null;
  estimate: TurnCountEstimate | null;
}

const seedsText = (e: TurnCountEstimate) =>
  e.perRun.map((r) => `s${r.seed}: ${num(r.slope)}`).join(", ");

const SUMMARY_COLUMNS: Column<SummaryRow>[] = [
  ["credit", (r) => r.label],
  ["arm (method)", (r) => r.arm],
  ["seeds", (r) => (r.measure ? String(r.measure.runs.length) : "—")],
  ["stored steps per run", (r) => (r.measure ? stepsText(r.measure.steps) : "—")],
  ["trajectories", (r) => (r.measure ? String(r.measure.trajectories) : "—")],
  ["prompt groups", (r) => (r.measure ? String(r.measure.groups) : "—")],
  [
    "same-outcome cells with ≥ 2 distinct K (trajectories)",
    (
      r,
    ) => (r.measure ? `${r.measure.informativeCells} (${r.measure.informativeTrajectories})` : "—"),
  ],
  ["S (credit per extra round)", (r) => (r.estimate ? num(r.estimate.value) : "not measured")],
  [
    "95% bootstrap over groups",
    (r) => (r.estimate ? interval(r.estimate.bootstrap.lo, r.estimate.bootstrap.hi) : "—"),
  ],
  ["S per seed", (r) => (r.estimate ? seedsText(r.estimate) : "—")],
  [
    "mean over seeds ± 95% t",
    (r) => {
      const s = r.estimate?.overSeeds;
      if (!s) return "—";
      if (Number.isNaN(s.halfWidth)) return num(s.mean);
      return `${num(s.mean)} ± ${s.halfWidth === 0 ? "0" : s.halfWidth.toFixed(4)}`;
    },
  ],
];

interface ProfileRow extends TurnCountCell {
  label: string;
}

const PROFILE_COLUMNS: Column<ProfileRow>[] = [
  ["credit", (r) => r.label],
  ["outcome", (r) => (r.outcome === 1 ? "success" : "failure")],
  ["K (policy rounds)", (r) => String(r.turns)],
  ["trajectories", (r) => String(r.trajectories)],
  ["mean credit c", (r) => num(r.meanCredit)],
  ["in cells with ≥ 2 distinct K", (r) => String(r.informative)],
  ["mean c − c̄ (same-outcome group mates)", (r) => num(r.meanDeviation)],
];

function measuredText(s: TurnCountSection): string {
  const m = s.rows.find((r) => r.measure)?.measure;
  const steps = m?.steps ?? [];
  const what = steps.length > 0
    ? `every stored training step of every run (${steps.length} per run: steps ${steps[0]}–${
      steps[steps.length - 1]
    }), every trajectory with a trained token`
    : "every stored training step of every run";
  return `Measured on ${what}. Per trajectory: K = its policy rounds; credit c = the mean ` +
    "advantage over its trained tokens (what each of its tokens is pushed by under " +
    "sequence-mean aggregation). Cells: the trajectories of one prompt group with one outcome. " +
    "S = Σ (K − K̄)(c − c̄) / Σ (K − K̄)² over all cells (the within-cell least-squares slope: " +
    "how much more credit per token a trajectory gets per extra round than its same-outcome " +
    "group mates); only cells with two or more distinct K weigh. Outcome-only GRPO gives every " +
    "token of a cell one advantage, so S = 0 exactly; a per-turn-index baseline, computed only " +
    "from the trajectories that reached turn k (verl-project/verl issue 7244), need not. S ≠ 0 " +
    "is not by itself a bias (turn rewards that differ between longer and shorter trajectories " +
    "move credit by design); what the normalisation alone changes is the paired Δ, variant − " +
    "recorded, on the same trajectories. " +
    `Intervals: ${Math.round(s.level * 100)}% percentile bootstrap over prompt groups ` +
    `(${s.resamples} resamples within each run, seed ${s.seed}), and Student-t over the ` +
    "per-seed slopes. The paired Δ resamples the same groups for both credits.";
}

function fidelityText(f: number | null): string {
  if (f === null) return "could not be compared (a stored record has no advantages)";
  if (f === 0) return "gives the stored advantages exactly (largest difference 0)";
  return `gives the stored advantages up to ${f.toPrecision(3)}`;
}

function replayText(s: TurnCountSection): string[] {
  const out = [
    `Variant: \`${JSON.stringify(s.variant)}\` merged into the method arm's recorded config, ` +
    "its credit recomputed on the same stored trajectories by the trainer's in-process " +
    "credit (interchange `creditRecords`, as `deno task credit`).",
  ];
  const r = s.replay;
  if (r) {
    out.push(
      `Replay environment: ${r.environments.join("; ")}. Gold chains filled from it: ` +
        `${r.chainsFilled} records (${r.chainsMismatched} whose question disagreed). Check: ` +
        `replaying the recorded config ${fidelityText(r.fidelity)} over ${r.tokens} response ` +
        `tokens (tolerance ${r.tolerance.toExponential(0)}).`,
    );
  }
  if (s.changed !== null) {
    out.push(
      `The variant changes the credit c of ${s.changed.trajectories} of ${s.changed.of} ` +
        `trajectories (|Δc| > ${s.changed.tolerance.toExponential(0)}), ` +
        `${s.changed.informative} of them in cells with ≥ 2 distinct K.`,
    );
  }
  return out;
}

/** The section's blocks (none without a section). */
export function turnCountBlocks(s: TurnCountSection | null): Block[] {
  if (s === null) return [];
  const out: Block[] = [{ kind: "h", text: "Credit by turn count" }, para(measuredText(s), "note")];
  out.push(...replayText(s).map((t) => para(t, "note")));
  const summary: SummaryRow[] = s.rows.map((r) => ({
    label: ROLE_LABEL[r.role],
    arm: `${r.arm} (${r.method})`,
    measure: r.measure,
    estimate: r.measure?.slope ?? null,
  }));
  const def = s.rows.find((r) => r.role === "default");
  if (s.paired && def) {
    summary.push({
      label: "Δ variant − recorded (paired)",
      arm: `${def.arm} (${def.method})`,
      measure: s.rows.find((r) => r.role === "variant")?.measure ?? null,
      estimate: s.paired,
    });
  }
  out.push(columnTable(SUMMARY_COLUMNS, summary));
  for (const r of s.rows) {
    if (r.missing) out.push(para(`${ROLE_LABEL[r.role]}: not measured — ${r.missing}.`, "missing"));
  }
  for (const n of s.notes) out.push(para(n, "missing"));
  const profile: ProfileRow[] = s.rows.flatMap((r) =>
    (r.measure?.profile ?? []).map((c) => ({ ...c, label: ROLE_LABEL[r.role] }))
  );
  if (profile.length > 0) {
    out.push(
      { kind: "h", text: "Credit by outcome and turn count", sub: true },
      columnTable(PROFILE_COLUMNS, profile),
    );
  }
  return out;
}
