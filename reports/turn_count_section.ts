/**
 * The "Credit by turn count" section of an experiment (`deno task report EXP --variant JSON`):
 * the turn-count slope S of turn_count.ts measured on every stored step of the runs, for
 *
 * - the method arm's credit as recorded (the paper's default, or whatever its runs recorded);
 * - the same trajectories' credit replayed under the recorded config merged with the variant
 *   (turn_count_replay.ts), once replaying the recorded config reproduced the stored advantages;
 * - the baseline arm's credit as recorded (outcome-only GRPO gives S = 0 exactly);
 *
 * with the paired difference variant − recorded over the same trajectories. Nothing here names a
 * method: the methods and configs are the store's data and the variant is the caller's.
 *
 * @module
 */

import type { RunStoreReader } from "@creditlab/runstore";
import { getMethod, type Method, methodNames } from "@creditlab/train";
import "../methods/mod.ts";
import { type ArmSummary, baselineArm, type ExperimentData, methodArm } from "./experiment_data.ts";
import { mean, tInterval } from "./stats.ts";
import { type GroupMoments, groupMoments, pooledSlope, turnCountProfile } from "./turn_count.ts";
import { bootstrapSlope, stratumSlopes } from "./turn_count_bootstrap.ts";
import {
  changedCredit,
  collectTurnCounts,
  type Columns,
  recordedConfig,
  REPLAY_TOLERANCE,
  type ReplayState,
} from "./turn_count_collect.ts";
import { replayRefusal } from "./turn_count_replay.ts";
import type {
  TurnCountEstimate,
  TurnCountMeasure,
  TurnCountRow,
  TurnCountSection,
} from "./turn_count_types.ts";

export type * from "./turn_count_types.ts";
export { REPLAY_TOLERANCE } from "./turn_count_collect.ts";

/** Options of {@link turnCountSection}. */
export interface TurnCountOptions {
  /** Override of the method arm's recorded config (its unbiased variant), merged field by field. */
  variant: Record<string, unknown>;
  /** Bootstrap resamples (default 2000) and the resampling seed (default 1). */
  resamples?: number;
  seed?: number;
}

/** The group moments of one credit of the columns' trajectories. */
function moments(c: Columns, credit: number[]): GroupMoments {
  return groupMoments(Float64Array.from(credit), Int32Array.from(c.turns), {
    outcomes: Uint8Array.from(c.outcomes),
    groupIds: Int32Array.from(c.groups),
    strata: Int32Array.from(c.strata),
  });
}

/** S = Σ num / Σ den with its bootstrap interval and per-run slopes (num: this credit's, or a paired difference). */
function estimate(
  c: Columns,
  opts: { moments: GroupMoments; num: Float64Array; resamples: number; seed: number },
): TurnCountEstimate {
  const { moments: m, num } = opts;
  const perRun = stratumSlopes({ ...m, num }).map((s) => ({
    run: c.perRun[s.stratum]!.run,
    seed: c.perRun[s.stratum]!.seed,
    slope: s.slope,
  })).sort((a, b) => a.seed - b.seed || (a.run < b.run ? -1 : 1));
  const finite = perRun.map((r) => r.slope).filter(Number.isFinite);
  const t = tInterval(finite);
  return {
    value: pooledSlope(num, m.den),
    bootstrap: bootstrapSlope(num, m.den, {
      strata: m.strata,
      resamples: opts.resamples,
      seed: opts.seed,
    }),
    perRun,
    overSeeds: { mean: mean(finite), halfWidth: t.halfWidth, seeds: finite.length },
  };
}

/** The measurement of one credit of the columns' trajectories. */
function measure(
  c: Columns,
  credit: number[],
  opts: { resamples: number; seed: number },
): { measure: TurnCountMeasure; moments: GroupMoments } {
  const m = moments(c, credit);
  const ids = {
    outcomes: Uint8Array.from(c.outcomes),
    groupIds: Int32Array.from(c.groups),
  };
  return {
    moments: m,
    measure: {
      runs: c.perRun,
      steps: [...c.steps].sort((a, b) => a - b),
      trajectories: credit.length,
      excluded: c.excluded,
      groups: m.groups.length,
      informativeCells: m.informativeCells,
      informativeTrajectories: m.informativeTrajectories,
      slope: estimate(c, { moments: m, num: m.num, ...opts }),
      profile: turnCountProfile(Float64Array.from(credit), Int32Array.from(c.turns), ids),
    },
  };
}

/** A row of `arm`: stored credit, except the variant's (replayed); unmeasured unless given. */
function row(
  arm: ArmSummary,
  fields: Pick<TurnCountRow, "role"> & Partial<TurnCountRow>,
): TurnCountRow {
  const { role, ...rest } = fields;
  return {
    role,
    arm: arm.arm,
    method: arm.method,
    source: role === "variant" ? "replayed" : "stored",
    measure: null,
    ...rest,
  };
}

/**
 * The variant the experiment's method declares (`Method.turnCountVariant`), as a config override;
 * undefined without a method arm, for a method not registered here, or one that declares none.
 */
export function declaredVariant(data: ExperimentData): Record<string, unknown> | undefined {
  const meth = methodArm(data);
  if (meth === undefined || meth === baselineArm(data)) return undefined;
  const name = meth.runs[0]?.method ?? meth.method;
  if (!methodNames().includes(name)) return undefined;
  const variant = getMethod(name).turnCountVariant;
  return variant === undefined ? undefined : { ...(variant as Record<string, unknown>) };
}

/**
 * The section's data: rows for the method arm as recorded, replayed under the variant, and the
 * baseline arm as recorded; the paired difference; how the replay was checked.
 */
export async function turnCountSection(
  store: RunStoreReader,
  data: { arms: readonly ArmSummary[] },
  opts: TurnCountOptions,
): Promise<TurnCountSection> {
  const settings = { resamples: opts.resamples ?? 2000, seed: opts.seed ?? 1 };
  const out: TurnCountSection = {
    variant: opts.variant,
    level: 0.95,
    ...settings,
    rows: [],
    paired: null,
    changed: null,
    replay: null,
    notes: [],
  };
  const meth = methodArm(data);
  const base = baselineArm(data);
  if (meth === undefined || meth === base) {
    out.notes.push("No method arm: nothing to replay under the variant.");
  } else {
    const name = meth.runs[0]?.method ?? meth.method;
    const first = meth.runs[0];
    const recorded = first === undefined ? undefined : recordedConfig(first);
    let method: Method<unknown> | null = null;
    let refusal: string | null;
    try {
      method = getMethod(name);
      refusal = replayRefusal(method, recorded ?? method.defaults);
    } catch (e) {
      refusal = `method ${JSON.stringify(name)} is not registered here: ${(e as Error).message}`;
    }
    const state: ReplayState = {
      env: new Map(),
      environments: new Set(),
      fidelity: 0,
      tokens: 0,
      filled: 0,
      mismatched: 0,
      error: refusal,
    };
    const replay = method === null ? null : { method, variant: opts.variant, state };
    const c = await collectTurnCounts(store, meth.runs, { replay });
    const def = measure(c, c.credit, settings);
    out.rows.push(row(meth, { role: "default", measure: def.measure }));
    let why = state.error;
    if (why === null && !(state.fidelity <= REPLAY_TOLERANCE)) {
      why = `replaying the recorded config did not reproduce the stored advantages (largest ` +
        `difference ${state.fidelity.toPrecision(3)} > ${REPLAY_TOLERANCE}): the stored ` +
        "trajectories and the rebuilt environment do not determine this method's credit";
    }
    if (refusal === null && state.environments.size > 0) {
      out.replay = {
        environments: [...state.environments].sort(),
        fidelity: Number.isFinite(state.fidelity) ? state.fidelity : null,
        tokens: state.tokens,
        chainsFilled: state.filled,
        chainsMismatched: state.mismatched,
        tolerance: REPLAY_TOLERANCE,
      };
    }
    if (why !== null) out.rows.push(row(meth, { role: "variant", missing: why }));
    else {
      const v = measure(c, c.variant, settings);
      out.rows.push(row(meth, { role: "variant", measure: v.measure }));
      const diff = v.moments.num.map((x, j) => x - def.moments.num[j]!);
      out.paired = estimate(c, { moments: def.moments, num: diff, ...settings });
      out.changed = changedCredit(c);
    }
  }
  if (base === undefined) out.notes.push("No baseline arm: no reference row.");
  else {
    const c = await collectTurnCounts(store, base.runs, { replay: null });
    out.rows.push(
      row(base, { role: "reference", measure: measure(c, c.credit, settings).measure }),
    );
  }
  return out;
}
