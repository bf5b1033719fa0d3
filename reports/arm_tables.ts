/**
 * The tables of one arm of an experiment, from its runs' final evaluations: EM and F1 per
 * benchmark column with the seven-benchmark average, search calls at evaluation, EM by hop count
 * and the lookup probe of the SearchWorld columns, each a cell over seeds.
 *
 * @module
 */

import { type EvalRecord, readByHops, readLookup, type RunRecord } from "@creditlab/runstore";
import { type ColumnKey, columnOf, COLUMNS, splitRank } from "./benchmarks.ts";
import {
  type ArmSummary,
  type Cell,
  type CellKey,
  SEARCHWORLD_COLUMNS,
  type SearchWorldKey,
  START_ARM,
} from "./experiment_data.ts";
import { mean, tInterval } from "./stats.ts";

/** The arms of the runs (the warm start's `start` runs are not an arm), baseline first. */
export function armNamesOf(runs: readonly RunRecord[]): string[] {
  return [...new Set(runs.filter((r) => r.arm !== START_ARM).map((r) => r.arm))].sort(armOrder);
}

/** Evaluations of one run each, in the order given. */
export function evalsByRunOf(evals: readonly EvalRecord[]): Map<string, EvalRecord[]> {
  const evalsByRun = new Map<string, EvalRecord[]>();
  for (const e of evals) {
    const l = evalsByRun.get(e.runId) ?? [];
    l.push(e);
    evalsByRun.set(e.runId, l);
  }
  return evalsByRun;
}

/** The tables of arm `arm` over its runs `rs`. */
export function summarizeArm(
  arm: string,
  rs: RunRecord[],
  evalsByRun: Map<string, EvalRecord[]>,
): ArmSummary {
  return {
    arm,
    method: [...new Set(rs.map((r) => r.method))].sort().join("+"),
    runs: rs,
    em: armTable(rs, evalsByRun, "em"),
    f1: armTable(rs, evalsByRun, "f1"),
    evalToolCalls: evalToolCallTable(rs, evalsByRun),
    emByHops: hopTable(rs, evalsByRun),
    lookup: lookupTable(rs, evalsByRun),
  };
}

function armOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === "baseline") return -1;
  if (b === "baseline") return 1;
  return a < b ? -1 : 1;
}

export function cellFrom(values: (number | null)[], missingText: string): Cell {
  const have = values.filter((v): v is number => v !== null && Number.isFinite(v));
  if (have.length === 0) return { kind: "missing", text: missingText };
  return {
    kind: "value",
    interval: tInterval(have),
    values: have,
    seedsWith: have.length,
    seeds: values.length,
  };
}

/** Final evaluation of each table column for one run: the latest step, preferred split. */
export function finalEvals(evals: EvalRecord[]): Map<ColumnKey, EvalRecord> {
  const out = new Map<ColumnKey, EvalRecord>();
  for (const e of evals) {
    const col = columnOf(e.benchmark, e.split);
    if (col === null) continue;
    const prev = out.get(col);
    if (
      prev === undefined || e.step > prev.step ||
      (e.step === prev.step && splitRank(e.split) < splitRank(prev.split))
    ) out.set(col, e);
  }
  return out;
}

export function perRunScores(
  evals: EvalRecord[],
  key: "em" | "f1",
): Record<CellKey, number | null> {
  const fin = finalEvals(evals);
  const out = {} as Record<CellKey, number | null>;
  const avgParts: number[] = [];
  for (const c of COLUMNS) {
    const e = fin.get(c.key);
    const v = e === undefined ? null : e[key];
    out[c.key] = v;
    if (c.inAverage && v !== null && Number.isFinite(v)) avgParts.push(v);
  }
  out.avg = avgParts.length === 7 ? mean(avgParts) : null;
  return out;
}

function evalToolCallTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out = {} as Record<CellKey, Cell>;
  const per = runs.map((r) => finalEvals(evalsByRun.get(r.id) ?? []));
  for (const c of COLUMNS) {
    out[c.key] = cellFrom(
      per.map((m) => {
        const v = m.get(c.key)?.extra["toolCalls"];
        return typeof v === "number" ? v : null;
      }),
      "not recorded",
    );
  }
  out.avg = { kind: "missing", text: "not averaged" };
  return out;
}

/**
 * For each SearchWorld column, what `read` finds in the `extra` of each run's final evaluation
 * (null where a run has no such evaluation or `read` finds nothing), in run order.
 */
function searchWorldExtras<T>(
  runs: RunRecord[],
  opts: {
    evalsByRun: Map<string, EvalRecord[]>;
    read: (extra: Record<string, unknown>) => T | null;
  },
): [SearchWorldKey, (T | null)[]][] {
  const per = runs.map((r) => finalEvals(opts.evalsByRun.get(r.id) ?? []));
  return SEARCHWORLD_COLUMNS.map((col) => [
    col,
    per.map((m) => {
      const e = m.get(col);
      return e ? opts.read(e.extra) : null;
    }),
  ]);
}

function hopTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out: Partial<Record<SearchWorldKey, Record<string, Cell>>> = {};
  for (const [col, byRun] of searchWorldExtras(runs, { evalsByRun, read: readByHops })) {
    const hops = new Set(byRun.flatMap((by) => (by ? Object.keys(by) : [])));
    if (hops.size === 0) continue;
    const cells: Record<string, Cell> = {};
    for (const h of [...hops].sort((a, b) => Number(a) - Number(b))) {
      cells[h] = cellFrom(byRun.map((by) => by?.[h]?.em ?? null), "not recorded");
    }
    out[col] = cells;
  }
  return out;
}

function lookupTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>) {
  const out: ArmSummary["lookup"] = {};
  for (const [col, byRun] of searchWorldExtras(runs, { evalsByRun, read: readLookup })) {
    if (byRun.every((l) => l === null)) continue;
    out[col] = {
      accuracy: cellFrom(byRun.map((l) => l?.accuracy ?? null), "not recorded"),
      chance: cellFrom(byRun.map((l) => l?.chance ?? null), "not recorded"),
    };
  }
  return out;
}

function armTable(runs: RunRecord[], evalsByRun: Map<string, EvalRecord[]>, key: "em" | "f1") {
  const per = runs.map((r) => perRunScores(evalsByRun.get(r.id) ?? [], key));
  const out = {} as Record<CellKey, Cell>;
  for (const c of COLUMNS) {
    out[c.key] = cellFrom(per.map((p) => p[c.key]), "no eval");
  }
  const have7 = runs.map((r) => {
    const fin = finalEvals(evalsByRun.get(r.id) ?? []);
    return COLUMNS.filter((c) => c.inAverage && fin.has(c.key)).length;
  });
  out.avg = cellFrom(
    per.map((p) => p.avg),
    `needs all 7 benchmarks (have ${have7.length ? Math.max(...have7) : 0})`,
  );
  return out;
}
