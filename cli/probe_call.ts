/**
 * `deno task probe-call <method> [--preset default] [--regime R] [--seeds 1,2,3,4] [--out DIR]
 *  [--arms start,method] [--results FILE]`: issue 19's experiment (d). The checkpoints a
 * `reproduce <method>` recorded under `--out` (the warm start, and each seed's final checkpoint
 * of the chosen arms) are evaluated greedily on the regime's in-domain held-out questions twice:
 * on the deployment prompt (as every reported evaluation) and with the method's training-only
 * feedback call offered in every prompt. How much of a policy's success needs the call, how
 * often it calls, and how often a "not correct" verdict is repaired, per checkpoint.
 *
 * One JSON line per checkpoint is appended to `--results` (default
 * `reports/probes/<experiment>.jsonl`); a markdown table is printed.
 * @module
 */
import { join } from "node:path";
import { backendLabel, initBackend, loadCheckpoint, readCpuModel } from "@creditlab/kernels";
import { gitCommit } from "@creditlab/runstore";
import { type EvalSummary, evaluateLocal } from "@creditlab/agent";
import { buildTestbed, evaluateWithTrainingCall, sftCheckpointPath } from "@creditlab/experiments";
import { parseEngines, parseMethodExperimentArgs } from "./common.ts";
import { BASELINE } from "@creditlab/methods";
import { parseSeeds } from "./sweep_settings.ts";

/** The usage text of this verb (`--help`). */
export const PROBE_CALL_USAGE =
  `usage: deno task probe-call <method> [--preset P] [--regime R] [--seeds 1,2,3,4] [--out DIR]
       [--arms start,baseline,method] [--results FILE] [--backend NAME]
Greedy in-domain EM of reproduce's checkpoints without and with the method's feedback call.`;

const ARMS = ["start", "baseline", "method"] as const;
type Arm = typeof ARMS[number];

async function latestModel(dir: string): Promise<string> {
  const latest = (await Deno.readTextFile(join(dir, "LATEST")).catch(() => {
    throw new Error(`probe-call: no checkpoint in ${dir} (run reproduce first)`);
  })).trim();
  return join(dir, latest, "model.safetensors");
}

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseMethodExperimentArgs("probe-call", PROBE_CALL_USAGE, args, {
    arms: { type: "string", default: "start,method" },
    results: { type: "string" },
  });
  if (parsed === 0) return 0;
  const { name, method, preset, regime, experiment, values } = parsed;
  if (!method.rolloutHooks) throw new Error(`probe-call: method ${name} offers no feedback call`);
  const seeds = parseSeeds(
    values.seeds ?? Array.from({ length: preset.seeds }, (_, i) => i + 1).join(","),
  );
  const arms = values.arms.split(",").map((a) => a.trim());
  for (const a of arms) {
    if (!(ARMS as readonly string[]).includes(a)) {
      throw new Error(`--arms: expected a list of ${ARMS.join(", ")}, got "${a}"`);
    }
  }
  const results = values.results ?? join("reports", "probes", `${experiment}.jsonl`);
  // Reads checkpoints only: the run store stays closed (another process may hold it).
  const backend = await initBackend({ backend: parseEngines(values).backend });
  console.error(`backend: ${backendLabel(backend)}`);
  const commit = await gitCommit({ exclude: [results] });
  const out = values.out;
  const testbed = buildTestbed(preset, { regime });
  const targets: { arm: Arm; seed: number; path: string }[] = [];
  if (arms.includes("start")) {
    targets.push({
      arm: "start",
      seed: 1,
      path: sftCheckpointPath(out, { preset: preset.name, seed: 1 }),
    });
  }
  for (const seed of seeds) {
    for (const arm of ["baseline", "method"] as const) {
      if (!arms.includes(arm)) continue;
      const m = arm === "baseline" ? BASELINE.name : method.name;
      const dir = join(
        out,
        "checkpoints",
        experiment,
        preset.name,
        `seed-${seed}`,
        `${arm}-${m}`,
      );
      targets.push({ arm, seed, path: await latestModel(dir) });
    }
  }
  const rows: string[] = [
    "| arm | seed | EM without call | EM with call | called | first verdict not correct | repaired |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  await Deno.mkdir(join(results, ".."), { recursive: true });
  for (const t of targets) {
    const { model } = await loadCheckpoint(t.path);
    let without: EvalSummary;
    let withCall: EvalSummary;
    try {
      without = await evaluateLocal(testbed.test, {
        model,
        tokenizer: testbed.tokenizer,
        search: testbed.search,
        config: preset.eval.rollout,
        batchSize: preset.eval.batchSize,
        seed: t.seed,
        benchmark: testbed.world.benchmark,
        split: "test",
        ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      });
      withCall = await evaluateWithTrainingCall(model, {
        testbed,
        preset,
        seed: t.seed,
        method,
        config: method.defaults,
      });
    } finally {
      model.dispose();
    }
    const p = withCall.feedback!;
    const line = {
      date: new Date().toISOString(),
      commit,
      machine: { cpu: readCpuModel(), cores: navigator.hardwareConcurrency },
      experiment,
      preset: preset.name,
      regime: regime.name,
      arm: t.arm,
      seed: t.seed,
      checkpoint: t.path,
      methodConfig: method.defaults,
      n: without.n,
      emWithout: without.em,
      emWith: withCall.em,
      feedback: p,
    };
    await Deno.writeTextFile(results, JSON.stringify(line) + "\n", { append: true });
    const pct = (x: number, of: number) => of === 0 ? "n/a" : `${(100 * x / of).toFixed(1)}%`;
    rows.push(
      `| ${t.arm} | ${t.seed} | ${(100 * without.em).toFixed(1)} | ${
        (100 * withCall.em).toFixed(1)
      } | ${pct(p.called, p.episodes)} | ${pct(p.notCorrect, p.called)} | ${
        pct(p.repaired, p.notCorrect)
      } |`,
    );
    console.error(rows.at(-1)!);
  }
  console.log(rows.join("\n"));
  console.log(`lines appended to ${results}`);
  return 0;
}
