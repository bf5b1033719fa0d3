/**
 * `deno task sweep [options]`: does RL raise held-out EM over its warm start? A paired
 * measurement: for each seed, the SFT warm start and the policy after RL are evaluated (greedy)
 * on the same held-out questions of both worlds, and the answers that changed are counted.
 *
 * The preset (default `smoke`) gives every setting; options override the RL budget and a few
 * hyper-parameters, so a table of settings x seeds is one command per row. Warm starts are
 * trained once per SFT setting and reused (a run store per SFT setting under `--out`). Each seed
 * appends one JSON line to `--results` (commit, machine, engines, settings, EM before and after
 * per world, changed answers, lookup probe, training reward, KL, seconds); the README's smoke
 * tables come from those lines.
 *
 *     deno task sweep --seeds 1,2,3 --n 300 --sft-steps 250 --questions 16 --group 8 \
 *       --lr 3e-4 --warmup 6 --label "16 x 8, lr 3e-4"
 *
 * Options: `--preset`, `--method` (default grpo), `--method-config JSON` (merged key by key into the
 * method's defaults; unknown keys are refused), `--seeds LIST`, `--n N` (held-out questions per
 * world), `--sft-steps N`, `--sft-decay R` (cosine decay of the SFT learning rate to R x lr),
 * `--sft-observation-weight W` (weight of the SFT loss on observation tokens),
 * `--steps N`, `--questions Q`, `--group G`, `--lr X`, `--warmup N`, `--temperature T`,
 * `--groups-per-update N` and `--epochs N` (optimizer updates per step, see `PolicyUpdates`),
 * `--label TEXT`, `--out DIR` (default runs/sweep), `--results FILE` (default
 * reports/sweeps/smoke.jsonl), `--backend`, `--jobs N` (seeds side by side in workers, one core
 * each; default: the machine's cores; lines are appended as seeds finish). `--table` only prints the results file as a
 * markdown table (one row per label and warm start, one column per seed: in-domain / OOD change
 * in EM points) and trains nothing.
 *
 * @module
 */
import { HELP_OPTION, parseArgsOrHelp, stringDefaults, stringOptions } from "@creditlab/core/cli";
import { join } from "node:path";
import { backendLabel, readCpuModel } from "@creditlab/kernels";
import { getRegime, METRIC, NEAR_MISS_METRIC } from "@creditlab/core";
import { buildTestbed, ensureSft, getPreset, type TestbedEval } from "@creditlab/experiments";
import { getMethod } from "@creditlab/train";
import { BASELINE } from "@creditlab/methods";
import { openContext, parseEngines, parsePositiveInt, startArms } from "./common.ts";
import {
  mergeMethodConfig,
  parseNonNegative,
  parsePositive,
  parseSeeds,
  sweepPreset,
  type SweepSettings,
  sweepUpdates,
} from "./sweep_settings.ts";
import { pairWorld, pts, sweepTable, type WorldResult } from "./sweep_results.ts";

export {
  mergeMethodConfig,
  parseSeeds,
  sweepPreset,
  type SweepSettings,
  sweepUpdates,
} from "./sweep_settings.ts";
export { pairWorld, sweepTable, type WorldResult } from "./sweep_results.ts";

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length === 0 ? Number.NaN : f.reduce((a, b) => a + b, 0) / f.length;
}

/** The usage text of this verb (`--help`). */
export const SWEEP_USAGE =
  `usage: deno task sweep [--preset P] [--method NAME] [--method-config JSON] [--seeds 1,2,3] [--n N]
       [--sft-steps N] [--sft-decay R] [--sft-observation-weight W] [--sft-seed N] [--steps N]
       [--questions Q] [--group G] [--lr X] [--warmup N] [--temperature T]
       [--groups-per-update N] [--epochs N] [--regime R] [--label TEXT] [--out DIR]
       [--results FILE] [--backend NAME] [--jobs N] [--table]
Paired held-out EM of the warm start and the policy after RL, per seed (see cli/sweep.ts).`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgsOrHelp(SWEEP_USAGE, {
    args,
    options: {
      help: HELP_OPTION,
      ...stringDefaults({ preset: "smoke", regime: "mixed", method: BASELINE.name, seeds: "1" }),
      ...stringDefaults({ out: "runs/sweep", results: "reports/sweeps/smoke.jsonl" }),
      ...stringOptions("method-config", "n", "label", "backend", "jobs"),
      ...stringOptions("sft-steps", "sft-decay", "sft-observation-weight", "sft-seed"),
      ...stringOptions("steps", "questions", "group", "lr", "warmup", "temperature"),
      ...stringOptions("groups-per-update", "epochs"),
      table: { type: "boolean", default: false },
    },
  });
  if (parsed === 0) return 0;
  const { values } = parsed;
  if (values.table) {
    console.log(sweepTable(await Deno.readTextFile(values.results)));
    return 0;
  }
  const base = getPreset(values.preset);
  const method = getMethod(values.method);
  const decay = values["sft-decay"];
  const decayRatio = decay === undefined ? null : Number(decay);
  if (decayRatio !== null && !(decayRatio >= 0 && decayRatio <= 1)) {
    throw new Error(`--sft-decay: expected a ratio in [0, 1], got "${decay}"`);
  }
  const warmup = values.warmup === undefined
    ? base.rl.optimizer.warmupSteps ?? 0
    : Number(values.warmup);
  if (!Number.isInteger(warmup) || warmup < 0) {
    throw new Error(`--warmup: expected an integer >= 0, got "${values.warmup}"`);
  }
  const regime = getRegime(values.regime);
  const settings: SweepSettings = {
    preset: base.name,
    regime: regime.name,
    ...(values["sft-seed"] === undefined
      ? {}
      : { sftSeed: parsePositiveInt("sft-seed", values["sft-seed"], 1) }),
    method: method.name,
    methodConfig: mergeMethodConfig(
      method.name,
      method.defaults as Record<string, unknown>,
      values["method-config"],
    ),
    n: parsePositiveInt("n", values.n, base.eval.testQuestions),
    sft: {
      steps: parsePositiveInt("sft-steps", values["sft-steps"], base.sft.steps),
      decayMinLrRatio: decayRatio,
      observationWeight: values["sft-observation-weight"] === undefined
        ? base.sft.observationWeight
        : parseNonNegative("sft-observation-weight", values["sft-observation-weight"]),
    },
    rl: {
      steps: parsePositiveInt("steps", values.steps, base.rl.steps),
      questionsPerStep: parsePositiveInt("questions", values.questions, base.rl.questionsPerStep),
      groupSize: parsePositiveInt("group", values.group, base.rl.rollout.groupSize),
      lr: parsePositive("lr", values.lr, base.rl.optimizer.lr),
      warmupSteps: warmup,
      temperature: parsePositive("temperature", values.temperature, base.rl.rollout.temperature),
    },
  };
  const updates = sweepUpdates(base, {
    groupsPerUpdate: values["groups-per-update"],
    epochs: values.epochs,
    questions: settings.rl.questionsPerStep,
  });
  if (updates) settings.rl.updates = updates;
  const seeds = parseSeeds(values.seeds);
  const preset = sweepPreset(base, settings);
  // One run store (and warm-start cache) per SFT setting: ensureSft keys warm starts by preset
  // name and seed only, so every SFT setting the sweep can change is in the folder name.
  const obs = settings.sft.observationWeight;
  const sftKey = `${preset.name}-n${settings.n}-sft${settings.sft.steps}${
    decayRatio === null ? "" : `-cos${decayRatio}`
  }-obs${obs}`;
  const engines = parseEngines(values);
  const { jobs } = engines;
  const ctx = await openContext({
    out: join(values.out, sftKey),
    backend: engines.backend,
    // Each seed appends to the results file; only other changes make the commit "+dirty".
    commitExclude: [values.results],
  });
  const machine = { cpu: readCpuModel(), cores: navigator.hardwareConcurrency };
  try {
    const testbed = buildTestbed(preset, { regime });
    // Warm starts first, on every core; then the seeds side by side, one core each.
    const sftPaths = new Map<number, string>();
    for (const seed of seeds) {
      const sftSeed = settings.sftSeed ?? seed;
      if (!sftPaths.has(sftSeed)) {
        sftPaths.set(sftSeed, await ensureSft(ctx, { preset, testbed, seed: sftSeed }));
      }
    }
    const { executor, runAll } = await startArms(ctx, testbed, engines);
    // The warm start's greedy evaluation, once per warm start (the same for every seed that
    // starts from it).
    const before = new Map<number, Promise<TestbedEval[]>>();
    const evalBefore = (sftSeed: number) => {
      let p = before.get(sftSeed);
      if (!p) {
        p = executor.evaluate(
          { preset, regime: regime.name, checkpoint: sftPaths.get(sftSeed)!, seed: sftSeed },
          ctx.log,
        );
        before.set(sftSeed, p);
      }
      return p;
    };
    const runSeed = async (seed: number) => {
      const t0 = performance.now();
      const sftSeed = settings.sftSeed ?? seed;
      const path = sftPaths.get(sftSeed)!;
      const ckDir = await Deno.makeTempDir({ prefix: "creditlab-sweep-" });
      try {
        // The warm start is evaluated before RL and then serves, frozen, as the KL reference.
        const beforeEvals = await evalBefore(sftSeed);
        const t1 = performance.now();
        const rewards: number[] = [];
        const measures: Record<string, number>[] = [];
        let kl = Number.NaN;
        const tag = jobs > 1 ? `[seed ${seed}] ` : "";
        const result = await executor.train({
          preset,
          regime: regime.name,
          method: method.name,
          methodConfig: settings.methodConfig,
          seed,
          sftCheckpoint: path,
          checkpointDir: ckDir,
        }, {
          logStep: (_step, m) => {
            rewards.push(m[METRIC.rewardMean] ?? Number.NaN);
            measures.push({
              noSuccess: m[METRIC.noSuccessShare] ?? Number.NaN,
              toolCalls: m[METRIC.toolCallsMean] ?? Number.NaN,
              nearMiss: m[NEAR_MISS_METRIC] ?? Number.NaN,
            });
            kl = m[METRIC.kl] ?? kl;
            return Promise.resolve();
          },
          // A sweep keeps numbers, not trajectories (and never resumes: a fresh folder).
          writeTrajectories: () => Promise.resolve(),
          truncateAfter: () => Promise.resolve(),
          log: (line) => ctx.log(tag + line),
        });
        const t2 = performance.now();
        const after = result.evals!;
        const worlds = {
          in: pairWorld(beforeEvals[0]!, after[0]!),
          ood: pairWorld(beforeEvals[1]!, after[1]!),
        };
        const k = Math.min(5, rewards.length);
        const w20 = Math.max(1, Math.ceil(0.2 * rewards.length));
        const firstMeasures = (key: string) =>
          mean(measures.slice(0, w20).map((x) => x[key] ?? Number.NaN));
        const row = {
          date: new Date().toISOString(),
          commit: ctx.commit,
          machine,
          backend: backendLabel(ctx.backend),
          label: values.label ?? null,
          settings,
          seed,
          worlds,
          trainReward: {
            first5: mean(rewards.slice(0, k)),
            last5: mean(rewards.slice(-k)),
            first20pct: mean(rewards.slice(0, w20)),
            last20pct: mean(rewards.slice(-w20)),
          },
          // The regime measures over the first 20% of RL steps (core/regime.ts).
          regimeMeasures: {
            noSuccessShare: firstMeasures("noSuccess"),
            toolCalls: firstMeasures("toolCalls"),
            nearMissShare: firstMeasures("nearMiss"),
          },
          finalKl: kl,
          // With --jobs > 1 the RL seconds of seeds that ran side by side overlap.
          jobs,
          seconds: { rl: (t2 - t1) / 1000, total: (performance.now() - t0) / 1000 },
        };
        await Deno.mkdir(join(values.results, ".."), { recursive: true });
        await Deno.writeTextFile(values.results, JSON.stringify(row) + "\n", { append: true });
        const w = (name: string, r: WorldResult) =>
          `${name} ${r.before.toFixed(3)} -> ${r.after.toFixed(3)} (${
            pts(r.after - r.before)
          }; +${r.gained}/-${r.lost}) lookup ${r.lookupBefore.toFixed(2)} -> ${
            r.lookupAfter.toFixed(2)
          }`;
        console.log(
          `seed ${seed}: ${w("in-domain", worlds.in)} | ${w("OOD", worlds.ood)} | train reward ${
            row.trainReward.first5.toFixed(2)
          } -> ${row.trainReward.last5.toFixed(2)} | RL ${row.seconds.rl.toFixed(0)} s`,
        );
      } finally {
        await Deno.remove(ckDir, { recursive: true });
      }
    };
    await runAll(seeds.map(runSeed));
    console.log(`results appended to ${values.results}`);
    return 0;
  } finally {
    ctx.store.close();
  }
}
