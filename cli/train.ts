/**
 * `deno task train --method NAME [--preset smoke|default|paper] [--seed N] [--out DIR]
 *  [--backend wasm|cpu|tensorflow]`: SFT warm start (reused when recorded), then RL with the
 * method; held-out evaluations of both are recorded in the run store. Re-running the same
 * command after a kill resumes from the last checkpoint.
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringOptions } from "@creditlab/core/cli";
import type { HopScore } from "@creditlab/core";
import { buildTestbed, ensureSft, getPreset, recordStart, runArm } from "@creditlab/experiments";
import { readByHops } from "@creditlab/runstore";
import { getMethod } from "@creditlab/train";
import { BASELINE } from "@creditlab/methods";
import { openContext, parseBackend, parsePositiveInt, RUN_OPTIONS } from "./common.ts";

/** The usage text of this verb (`--help`). */
export const TRAIN_USAGE =
  `usage: deno task train --method NAME [--preset smoke|default|paper] [--seed N] [--out DIR]
       [--backend NAME] [--stop-after N]
SFT warm start (reused when recorded), then RL with the method; resumes after a kill.`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(TRAIN_USAGE, {
    args,
    options: {
      help: HELP_OPTION,
      ...stringOptions("method", "stop-after"),
      ...RUN_OPTIONS,
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  if (!values.method) throw new Error("train: --method is required (e.g. --method grpo)");
  const method = getMethod(values.method);
  const preset = getPreset(values.preset);
  const seed = parsePositiveInt("seed", values.seed, 1);
  const ctx = await openContext({ out: values.out, backend: parseBackend(values.backend) });
  try {
    const testbed = buildTestbed(preset);
    const sft = await ensureSft(ctx, { preset, testbed, seed });
    const experiment = `train-${method.name}`;
    const stopAfter = values["stop-after"] === undefined
      ? undefined
      : parsePositiveInt("stop-after", values["stop-after"], 1);
    const runId = await runArm(ctx, {
      preset,
      testbed,
      method,
      methodConfig: method.defaults,
      seed,
      arm: method.name === BASELINE.name ? "baseline" : "method",
      experiment,
      sftCheckpoint: sft,
      ...(stopAfter !== undefined ? { stopAfter } : {}),
    });
    const evals = await ctx.store.evals(runId);
    const startRun = await recordStart(ctx, {
      preset,
      testbed,
      experiment,
      sftCheckpoint: sft,
      sftSeed: seed,
    });
    const sftEvals = await ctx.store.evals(startRun);
    for (const e of evals) {
      const before = sftEvals.find((s) => s.benchmark === e.benchmark && s.split === e.split);
      console.log(
        `${e.benchmark}: EM after RL ${e.em.toFixed(3)} (SFT ${
          before ? before.em.toFixed(3) : "n/a"
        }), n=${e.n}`,
      );
      const hops = hopLine(readByHops(e.extra), before ? readByHops(before.extra) : null);
      if (hops) console.log(`  by hop count: ${hops}`);
    }
    console.log(`run ${runId} recorded in ${values.out}/creditlab.duckdb`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

/** "1: 0.440 -> 0.460 (n=50), 2: ..." from two recorded EMs per hop count, or "". */
function hopLine(
  after: Record<string, HopScore> | null,
  before: Record<string, HopScore> | null,
): string {
  if (after === null) return "";
  return Object.entries(after).map(([h, a]) => {
    const b = before?.[h];
    return `${h}: ${b ? `${b.em.toFixed(3)} -> ` : ""}${a.em.toFixed(3)} (n=${a.n})`;
  }).join(", ");
}
