/**
 * The schema of `reports/<experiment>.json` ({@link ReportJson}, marked {@link REPORT_SCHEMA}):
 * every number of an experiment's tables, machine-readable, described field by field. Built by
 * json.ts; read back by index_page.ts for the overview.
 *
 * Units: EM, F1, Δ, interval ends, half-widths and MDEs are fractions in [0, 1] (the markdown
 * shows them x 100, in points); a number that cannot be computed (NaN) is `null`.
 *
 * @module
 */

import type { RunStatus } from "@creditlab/runstore";
import type { TurnCountSection } from "./turn_count_types.ts";

/** Marker of a report file: the index reads only JSON files that carry it. */
export const REPORT_SCHEMA = "creditlab.report/1";

/** A table cell: mean and 95% t-interval over seeds, or why it is missing. */
export type CellJson =
  | {
    mean: number;
    /** Half-width of the 95% Student-t interval over seeds (null for one seed). */
    halfWidth: number | null;
    lo: number | null;
    hi: number | null;
    /** Seeds with this evaluation, of `of` runs. */
    seeds: number;
    of: number;
  }
  | { missing: string };

/** One comparison A − B with its numbers (fractions) and verdict. */
export interface ComparisonJson {
  /** "method − baseline", "baseline − start", "method − start". */
  label: string;
  arm: string;
  reference: string;
  /** "paired" (crossed seed x question, reports/paired.ts), "welch" (over seeds), or null. */
  how: "paired" | "welch" | null;
  delta: number | null;
  lo: number | null;
  hi: number | null;
  halfWidth: number | null;
  se: number | null;
  mde: number | null;
  df: number | null;
  level: number;
  power: number;
  /** Paired: seeds S; Welch: seeds of `arm`. */
  seeds: number | null;
  /** Runs of `reference` used (1: the warm start shared by every seed). */
  referenceSeeds: number | null;
  /** Paired: questions Q; Welch: null. */
  questions: number | null;
  seedNoiseEstimated: boolean | null;
  components: { seed: number; question: number; residual: number } | null;
  /**
   * Paired comparisons wider than the 3-point target: the smallest projected design that would
   * meet it, with more questions at the recorded seeds or more seeds at the recorded questions
   * (null: none within the search bound).
   */
  levers: {
    target: number;
    questions: { seeds: number; questions: number; halfWidth: number | null } | null;
    seeds: { seeds: number; questions: number; halfWidth: number | null } | null;
  } | null;
  /** mean(arm) − mean(reference) of the seeds' aggregate EM, even without interval. */
  point: number | null;
  pairedSeeds: number[];
  sharedReference: boolean;
  droppedQuestions: number;
  note: string;
  /** Claim: in the paper's direction; gain over the warm start: direction +. */
  verdict: { kind: string; text: string } | null;
  /** Gains over the warm start: "yes", "no: below its warm start", "inconclusive at MDE x ...". */
  answer: string | null;
}

/** One SearchWorld world: the arms' scores and the comparisons. */
export interface WorldJson {
  /** "searchworld" or "searchworld-ood". */
  key: string;
  label: string;
  domain: "in-domain" | "out-of-domain";
  arms: { arm: string; method: string; runs: number; em: CellJson; f1: CellJson }[];
  comparisons: ComparisonJson[];
  /** The verdict on the paper's claim (Δ method − baseline) on this world. */
  verdict: { kind: string; text: string } | null;
  /** Does RL learn: the baseline's gain over its warm start on this world. */
  learns: { kind: string; answer: string; text: string } | null;
}

/** A mean Δ over seeds with its 95% t-interval (fractions; null where not computable). */
export interface SweepEstimateJson {
  mean: number | null;
  /** Half-width of the 95% Student-t interval over seeds (null below 2 seeds). */
  halfWidth: number | null;
  lo: number | null;
  hi: number | null;
  seeds: number;
}

/** One row of a sweep design: a label (and method config) over its seeds. */
export interface SweepRowJson {
  label: string;
  /** "line": the sweep's `--label`; "config": made from the method config (no label). */
  labelSource: "line" | "config";
  method: string;
  /** The row's value of each of the design's `columns` (absent: the row does not set it). */
  fields: Record<string, unknown>;
  /** Δ EM after RL − warm start per world (fractions); `lines` > 1: that many lines averaged. */
  perSeed: { seed: number; lines: number; in: number; ood: number }[];
  in: SweepEstimateJson;
  ood: SweepEstimateJson;
  /** Paired Δ (this row − the reference row) over the seeds both have; null: no reference. */
  vsReference: { seeds: number[]; in: SweepEstimateJson; ood: SweepEstimateJson } | null;
  commits: string[];
  backends: string[];
  /** More than one commit or backend, repeated seeds: said, the lines kept. */
  flags: string[];
  /** `file:line` of every line of the row. */
  sources: string[];
}

/** One design of the recorded sweeps: the settings its lines share. */
export interface SweepDesignJson {
  id: number;
  settings: {
    preset: string;
    regime: string;
    /** The warm start's seed shared by every seed; null: each seed its own. */
    sftSeed: number | null;
    n: number;
    sft: Record<string, unknown>;
    rl: Record<string, unknown>;
  };
  files: string[];
  lines: number;
  /** Method-config fields (dotted paths) whose value differs between the rows that set them. */
  columns: string[];
  /** Label of the baseline row the paired Δ is taken against, or null. */
  reference: string | null;
  /**
   * The method's rows (labels) that differ in one numeric field only, the field, and its values
   * in the rows' order (increasing).
   */
  doseResponse: { field: string; values: number[]; rows: string[] } | null;
  /** SVG of the dose-response plot, relative to the output folder. */
  plot: string | null;
  /** Baseline rows first (the reference first), then the method's rows. */
  rows: SweepRowJson[];
}

/** The recorded sweeps of the experiment's method (`<out>/sweeps/*.jsonl`). */
export interface SweepsJson {
  /** The folder of the lines, relative to the output folder ("sweeps"). */
  folder: string;
  files: string[];
  method: string;
  /** The baseline arm's method, whose lines are the reference rows; null without one. */
  baseline: string | null;
  note: string;
  /** The designs with at least one line of `method` (empty: none). */
  designs: SweepDesignJson[];
}

/** The whole file. */
export interface ReportJson {
  schema: typeof REPORT_SCHEMA;
  experiment: string;
  /** Id of the experiment's row in index.html and of its page's main element. */
  anchor: string;
  /** File name of the run store it was generated from. */
  store: string;
  selection: string;
  /** Files of this experiment, relative to the output folder: markdown, HTML page, plots. */
  files: { markdown: string; html: string; plots: string[] };
  units: string;
  method: string | null;
  baseline: string | null;
  presets: string[];
  paper: { card: string | null; found: boolean; direction: 1 | -1; directionSource: string };
  /** The in-domain verdict on the paper's claim. */
  headline: { world: string; kind: string; text: string } | null;
  regime: {
    name: string;
    source: string;
    summary: string | null;
    measure: { metric: string; label: string; atLeast: number | null; window: number } | null;
    holds: boolean | null;
    arms: {
      arm: string;
      value: number | null;
      holds: boolean | null;
      perSeed: { seed: number; value: number; steps: number }[];
    }[];
  } | null;
  worlds: WorldJson[];
  /** The other table columns (QA benchmarks, Avg (7)) with data, and the note for the others. */
  qaBenchmarks: {
    columns: {
      key: string;
      label: string;
      arms: { arm: string; em: CellJson; f1: CellJson }[];
      /** Δ method − baseline, Welch over seeds. */
      delta: CellJson | null;
    }[];
    note: string | null;
  };
  trends: {
    arm: string;
    metric: string;
    share: number;
    first: number | null;
    last: number | null;
    delta: number | null;
    lo: number | null;
    hi: number | null;
    halfWidth: number | null;
    seeds: number | null;
    stepsPerWindow: number | null;
    seedNoiseEstimated: boolean | null;
    note: string;
  }[];
  curves: {
    drawn: string[];
    omitted: { metric: string; value: number; points: number }[];
    notLogged: string[];
    band: string;
  };
  runs: {
    id: string;
    arm: string;
    method: string;
    seed: number;
    preset: string;
    backend: string;
    commit: string;
    status: RunStatus;
    /** Why the run ended as it did (an error, a signal, a reconciled dead process); null if unsaid. */
    reason: string | null;
    startedAt: string;
    endedAt: string | null;
    wallSeconds: number | null;
  }[];
  /**
   * Summed over the ended runs (`total`, per arm) and `elapsed` from the first run's start to
   * the last one's end (null when none ended).
   */
  wallSeconds: { total: number; byArm: Record<string, number>; elapsed: number | null };
  commits: string[];
  backends: string[];
  /**
   * The sweep lines of the experiment's method and its baseline ({@link SweepsJson}); null when
   * the output folder has no `sweeps/` folder.
   */
  sweeps: SweepsJson | null;
  /**
   * Credit by turn count (turn_count_types.ts), only in reports generated with `--variant`:
   * `variant`, `level`, `resamples`, `seed`, `rows[]` (`role` default / variant / reference,
   * `arm`, `method`, `source` stored / replayed, `measure` (`runs[]`, `steps`, `trajectories`,
   * `excluded`, `groups`, `informativeCells`, `informativeTrajectories`, `slope` (`value`,
   * `bootstrap` (`lo`, `hi`, `resamples`, `degenerate`), `perRun[]`, `overSeeds` (`mean`,
   * `halfWidth`, `seeds`)), `profile[]` (`outcome`, `turns`, `trajectories`, `meanCredit`,
   * `informative`, `meanDeviation`)) or null with `missing`), `paired` (variant − recorded, as
   * `slope`), `changed` (`trajectories`, `of`, `informative`, `tolerance`), `replay`
   * (`environments`, `fidelity`, `tolerance`, `tokens`, `chainsFilled`, `chainsMismatched`),
   * `notes`. Slopes in advantage units per extra policy round.
   */
  turnCount?: TurnCountJson;
}

/** A value with its numbers as JSON writes them: NaN becomes null. */
export type JsonNumbers<T> = T extends number ? number | null
  : T extends readonly (infer U)[] ? JsonNumbers<U>[]
  : T extends object ? { [K in keyof T]: JsonNumbers<T[K]> }
  : T;

/** The "Credit by turn count" section in `<experiment>.json`. */
export type TurnCountJson = JsonNumbers<TurnCountSection>;
