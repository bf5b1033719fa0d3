/**
 * `deno task reproduce <method> [--preset smoke|default|paper] [--regime NAME] [--seeds N]
 *  [--out DIR] [--reports DIR] [--backend ...]`: in the regime the method's paper targets (or
 * `--regime`, core/regime.ts; experiment `<method>@<regime>`), records the warm start's
 * evaluation on the regime's held-out questions (arm `start`), then trains the outcome-only grpo baseline and the method from
 * the same SFT checkpoint with the same seeds, evaluates both in-domain and out-of-domain
 * (no feedback call, judge or entity reward at evaluation), records everything in the run store
 * and regenerates the reports of every experiment in the store (the method's among them).
 * Interrupted runs resume; completed ones are reused.
 *
 * `--jobs N` (default: the machine's cores) trains N arms side by side, each in a worker on one
 * engine thread (experiments/arm_pool.ts), while this process keeps the run store; the warm
 * start is trained first, on every core. `--jobs 1` runs the arms one after another here.
 *
 * Reports go to `--reports DIR`; without it, to the repository's `reports/` when the run store
 * is the default `runs/`, and to `<out>/reports` otherwise (a run in another folder never
 * overwrites the committed reports).
 * @module
 */
import { join } from "node:path";
import { buildTestbed, ensureSft, recordStart, runArm } from "@creditlab/experiments";
import { BASELINE } from "@creditlab/methods";
import { generateReport } from "@creditlab/reports";
import {
  openContext,
  parseEngines,
  parseMethodExperimentArgs,
  parsePositiveInt,
  startArms,
} from "./common.ts";

/** The usage text of this verb (`--help`). */
export const REPRODUCE_USAGE =
  `usage: deno task reproduce <method> [--preset smoke|default|paper] [--regime NAME] [--seeds N]
       [--out DIR] [--reports DIR] [--backend NAME] [--jobs N]
Trains the grpo baseline and <method> from one warm start, evaluates both, writes reports.
--jobs N: arms side by side, one core each (default: the machine's cores; 1: one at a time).`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseMethodExperimentArgs("reproduce", REPRODUCE_USAGE, args, {
    reports: { type: "string" },
    jobs: { type: "string" },
  });
  if (parsed === 0) return 0;
  const { name, method, preset, regime, experiment, values } = parsed;
  const baseline = BASELINE;
  const seeds = parsePositiveInt("seeds", values.seeds, preset.seeds);
  const engines = parseEngines(values);
  const ctx = await openContext({ out: values.out, backend: engines.backend });
  try {
    const testbed = buildTestbed(preset, { regime });
    ctx.log(
      `reproduce ${name}: experiment ${experiment}, preset ${preset.name}, regime ${regime.name} ` +
        `(${regime.summary}), ${seeds} seed(s), world ${preset.world.preset} ` +
        `(${testbed.train.length} SFT / ${testbed.rlTrain.length} RL / ${testbed.test.length} test / ` +
        `${testbed.ood.length} ood questions), vocab ${testbed.tokenizer.vocabSize}`,
    );
    // One warm start per preset (seed 1) plays the role of the pretrained base model: every
    // seed and both arms start from it; the seeds vary the RL runs.
    const sft = await ensureSft(ctx, { preset, testbed, seed: 1 });
    const { executor, runAll } = await startArms(ctx, testbed, engines);
    const arms = method.name === baseline.name
      ? [{ arm: "baseline", m: baseline }]
      : [{ arm: "baseline", m: baseline }, { arm: "method", m: method }];
    // Submitted together, run `jobs` at a time in this order: the start arm, then seed by seed.
    const work: Promise<unknown>[] = [
      recordStart(ctx, { preset, testbed, experiment, sftCheckpoint: sft, executor }),
    ];
    for (let seed = 1; seed <= seeds; seed++) {
      for (const { arm, m } of arms) {
        work.push(runArm(ctx, {
          preset,
          testbed,
          method: m,
          methodConfig: m.defaults,
          seed,
          arm,
          experiment,
          sftCheckpoint: sft,
          executor,
        }));
      }
    }
    await runAll(work);
    const written = await generateReport({
      store: ctx.store,
      out: values.reports ?? (values.out === "runs" ? "reports" : join(values.out, "reports")),
      // Every experiment in the store, not only this one: index.html lists them all, and a
      // report of one experiment alone overwrote it with that experiment only.
    });
    ctx.log(`report written: ${JSON.stringify(written)}`);
    return 0;
  } finally {
    ctx.store.close();
  }
}
