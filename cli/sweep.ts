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
 * Options: `--preset`, `--method` (default grpo), `--method-config JSON` (merged into the
 * method's defaults; unknown keys are refused), `--seeds LIST`, `--n N` (held-out questions per
 * world), `--sft-steps N`, `--sft-decay R` (cosine decay of the SFT learning rate to R x lr),
 * `--sft-observation-weight W` (weight of the SFT loss on observation tokens),
 * `--steps N`, `--questions Q`, `--group G`, `--lr X`, `--warmup N`, `--temperature T`,
 * `--groups-per-update N` and `--epochs N` (optimizer updates per step, see `PolicyUpdates`),
 * `--label TEXT`, `--out DIR` (default runs/sweep), `--results FILE` (default
 * reports/sweeps/smoke.jsonl), `--backend`. `--table` only prints the results file as a
 * markdown table (one row per label and warm start, one column per seed: in-domain / OOD change
 * in EM points) and trains nothing.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { backendLabel, loadCheckpoint, readCpuModel } from "@creditlab/kernels";
import { getRegime, METRIC, NEAR_MISS_METRIC, type RegimeName } from "@creditlab/core";
import {
  buildTestbed,
  ensureSft,
  evaluateOnTestbed,
  type ExperimentPreset,
  getPreset,
  type TestbedEval,
} from "@creditlab/experiments";
import { dirCheckpoints, getMethod, trainRl } from "@creditlab/train";
import { openContext, parseBackend, parsePositiveInt } from "./common.ts";

/** The settings of one sweep row (what a results line records under `settings`). */
export interface SweepSettings {
  preset: string;
  /** Regime of the RL and held-out questions (core/regime.ts; absent in older lines: mixed). */
  regime?: RegimeName;
  /** Seed of the SFT warm start (absent in older lines: the RL seed). */
  sftSeed?: number;
  method: string;
  methodConfig: Record<string, unknown>;
  n: number;
  sft: { steps: number; decayMinLrRatio: number | null; observationWeight: number };
  rl: {
    steps: number;
    questionsPerStep: number;
    groupSize: number;
    lr: number;
    warmupSteps: number;
    temperature: number;
    /** Optimizer updates per step (absent: one update on the whole batch). */
    updates?: { groupsPerUpdate: number; epochs: number };
  };
}

/** Per-world paired result of one seed. */
export interface WorldResult {
  before: number;
  after: number;
  /** Questions right after RL that were wrong before, and the reverse. */
  gained: number;
  lost: number;
  lookupBefore: number;
  lookupAfter: number;
}

/** Parse a positive number option. */
function parsePositive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (!(Number.isFinite(x) && x > 0)) {
    throw new Error(`--${name}: expected a positive number, got "${v}"`);
  }
  return x;
}

/** Parse a number option that must be >= 0. */
function parseNonNegative(name: string, v: string): number {
  const x = Number(v);
  if (v.trim() === "" || !(Number.isFinite(x) && x >= 0)) {
    throw new Error(`--${name}: expected a number >= 0, got "${v}"`);
  }
  return x;
}

/** Parse `--seeds 1,2,3`. */
export function parseSeeds(v: string): number[] {
  const seeds = v.split(",").map((s) => s.trim());
  return seeds.map((s) => {
    const n = Number(s);
    if (s === "" || !Number.isInteger(n) || n <= 0) {
      throw new Error(`--seeds: expected positive integers separated by commas, got "${v}"`);
    }
    return n;
  });
}

/** Merge a `--method-config` JSON object into a method's defaults, refusing unknown keys. */
export function mergeMethodConfig(
  method: string,
  defaults: Record<string, unknown>,
  json: string | undefined,
): Record<string, unknown> {
  if (json === undefined) return { ...defaults };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (e) {
    throw new Error(`--method-config: not valid JSON (${(e as Error).message}): ${json}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new Error(`--method-config: expected a JSON object, got ${json}`);
  }
  for (const k of Object.keys(parsed)) {
    if (!(k in defaults)) {
      throw new Error(
        `--method-config: ${method} has no setting "${k}"; its settings are ${
          Object.keys(defaults).join(", ")
        }`,
      );
    }
  }
  return { ...defaults, ...(parsed as Record<string, unknown>) };
}

/** The preset with a sweep's overrides applied (a copy). */
export function sweepPreset(base: ExperimentPreset, s: SweepSettings): ExperimentPreset {
  const p = structuredClone(base);
  p.world.testQuestions = Math.max(base.world.testQuestions, s.n);
  p.eval.testQuestions = s.n;
  p.eval.oodQuestions = s.n;
  p.sft.steps = s.sft.steps;
  p.sft.observationWeight = s.sft.observationWeight;
  if (s.sft.decayMinLrRatio !== null) {
    p.sft.optimizer.decay = { totalSteps: s.sft.steps, minLrRatio: s.sft.decayMinLrRatio };
  }
  p.rl.steps = s.rl.steps;
  p.rl.questionsPerStep = s.rl.questionsPerStep;
  p.rl.rollout.groupSize = s.rl.groupSize;
  p.rl.rollout.temperature = s.rl.temperature;
  p.rl.optimizer.lr = s.rl.lr;
  p.rl.optimizer.warmupSteps = s.rl.warmupSteps;
  p.rl.checkpointEvery = s.rl.steps;
  if (s.rl.updates) p.rl.updates = { ...s.rl.updates };
  else delete p.rl.updates;
  return p;
}

/**
 * The optimizer updates per step of a sweep row: the preset's, overridden by
 * `--groups-per-update` (default: the step's questions) and `--epochs` (default 1); undefined
 * when neither the preset nor the options ask for more than one update.
 */
export function sweepUpdates(
  base: ExperimentPreset,
  opts: { groupsPerUpdate: string | undefined; epochs: string | undefined; questions: number },
): { groupsPerUpdate: number; epochs: number } | undefined {
  if (opts.groupsPerUpdate === undefined && opts.epochs === undefined) return base.rl.updates;
  return {
    groupsPerUpdate: parsePositiveInt(
      "groups-per-update",
      opts.groupsPerUpdate,
      base.rl.updates?.groupsPerUpdate ?? opts.questions,
    ),
    epochs: parsePositiveInt("epochs", opts.epochs, base.rl.updates?.epochs ?? 1),
  };
}

/** Paired comparison of two evaluations of the same questions. */
export function pairWorld(before: TestbedEval, after: TestbedEval): WorldResult {
  if (before.records.length !== after.records.length) {
    throw new Error(
      `pairWorld: ${before.records.length} questions before RL, ${after.records.length} after`,
    );
  }
  let gained = 0, lost = 0;
  before.records.forEach((b, i) => {
    const a = after.records[i]!;
    if (a.questionId !== b.questionId) {
      throw new Error(
        `pairWorld: question ${i} is ${b.questionId} before RL, ${a.questionId} after`,
      );
    }
    if (a.em > b.em) gained++;
    if (a.em < b.em) lost++;
  });
  return {
    before: before.em,
    after: after.em,
    gained,
    lost,
    lookupBefore: before.lookup.accuracy,
    lookupAfter: after.lookup.accuracy,
  };
}

function mean(xs: number[]): number {
  const f = xs.filter(Number.isFinite);
  return f.length === 0 ? Number.NaN : f.reduce((a, b) => a + b, 0) / f.length;
}

const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;

/** The usage text of this verb (`--help`). */
export const SWEEP_USAGE =
  `usage: deno task sweep [--preset P] [--method NAME] [--method-config JSON] [--seeds 1,2,3] [--n N]
       [--sft-steps N] [--sft-decay R] [--sft-observation-weight W] [--sft-seed N] [--steps N]
       [--questions Q] [--group G] [--lr X] [--warmup N] [--temperature T]
       [--groups-per-update N] [--epochs N] [--regime R] [--label TEXT] [--out DIR]
       [--results FILE] [--backend NAME] [--table]
Paired held-out EM of the warm start and the policy after RL, per seed (see cli/sweep.ts).`;

/** Entry point. */
export async function main(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      help: { type: "boolean", short: "h", default: false },
      preset: { type: "string", default: "smoke" },
      method: { type: "string", default: "grpo" },
      "method-config": { type: "string" },
      seeds: { type: "string", default: "1" },
      n: { type: "string" },
      "sft-steps": { type: "string" },
      "sft-decay": { type: "string" },
      "sft-observation-weight": { type: "string" },
      steps: { type: "string" },
      questions: { type: "string" },
      group: { type: "string" },
      lr: { type: "string" },
      warmup: { type: "string" },
      temperature: { type: "string" },
      "groups-per-update": { type: "string" },
      epochs: { type: "string" },
      label: { type: "string" },
      out: { type: "string", default: "runs/sweep" },
      results: { type: "string", default: "reports/sweeps/smoke.jsonl" },
      backend: { type: "string" },
      table: { type: "boolean", default: false },
      regime: { type: "string", default: "mixed" },
      "sft-seed": { type: "string" },
    },
  });
  if (values.help) {
    console.log(SWEEP_USAGE);
    return 0;
  }
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
  const ctx = await openContext({
    out: join(values.out, sftKey),
    backend: parseBackend(values.backend),
    // Each seed appends to the results file; only other changes make the commit "+dirty".
    commitExclude: [values.results],
  });
  const machine = { cpu: readCpuModel(), cores: navigator.hardwareConcurrency };
  try {
    const testbed = buildTestbed(preset, { regime });
    // With one warm start for every seed (--sft-seed, as `reproduce` does), its greedy
    // evaluation is the same for every seed and is made once.
    let shared: TestbedEval[] | undefined;
    for (const seed of seeds) {
      const t0 = performance.now();
      const sftSeed = settings.sftSeed ?? seed;
      const path = await ensureSft(ctx, { preset, testbed, seed: sftSeed });
      // The warm start is evaluated before RL and then serves, frozen, as the KL reference.
      const sft = await loadCheckpoint(path);
      const policy = await loadCheckpoint(path);
      const ckDir = await Deno.makeTempDir({ prefix: "creditlab-sweep-" });
      try {
        const before = settings.sftSeed !== undefined && shared
          ? shared
          : await evaluateOnTestbed(sft.model, { testbed, preset, seed: sftSeed });
        if (settings.sftSeed !== undefined) shared = before;
        const t1 = performance.now();
        const rewards: number[] = [];
        const measures: Record<string, number>[] = [];
        let kl = Number.NaN;
        await trainRl({
          model: policy.model,
          refModel: sft.model,
          tokenizer: testbed.tokenizer,
          method,
          methodConfig: settings.methodConfig,
          questions: testbed.rlTrain,
          resources: testbed.resources,
          config: preset.rl,
          seed,
          sink: {
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
          },
          checkpoints: dirCheckpoints(ckDir, { extra: {} }),
          ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
          log: ctx.log,
        });
        const t2 = performance.now();
        const after = await evaluateOnTestbed(policy.model, { testbed, preset, seed });
        const worlds = {
          in: pairWorld(before[0]!, after[0]!),
          ood: pairWorld(before[1]!, after[1]!),
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
        sft.model.dispose();
        policy.model.dispose();
        await Deno.remove(ckDir, { recursive: true });
      }
    }
    console.log(`results appended to ${values.results}`);
    return 0;
  } finally {
    ctx.store.close();
  }
}

/** One results line, as far as {@link sweepTable} reads it. */
interface ResultRow {
  label: string | null;
  seed: number;
  settings: SweepSettings;
  worlds: { in: WorldResult; ood: WorldResult };
}

/**
 * A markdown table of a results file: one row per (label, warm start), one column per seed,
 * cells "in-domain / OOD" EM change in points; the last line of a repeated (label, warm start,
 * seed) wins. Warm starts are named by SFT steps ("cosine" when decayed), the SFT loss weight
 * of observation tokens and, when every seed started from one warm start (`--sft-seed`), its seed;
 * a row in a regime other than `mixed` names it in brackets.
 */
export function sweepTable(jsonl: string): string {
  const rows = new Map<string, Map<number, ResultRow>>();
  const seeds = new Set<number>();
  jsonl.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let r: ResultRow;
    try {
      r = JSON.parse(line) as ResultRow;
    } catch (e) {
      throw new Error(`sweep results line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (typeof r.seed !== "number" || !r.worlds?.in || !r.worlds?.ood || !r.settings?.sft) {
      throw new Error(`sweep results line ${i + 1}: expected seed, settings.sft and worlds.in/ood`);
    }
    const sft = r.settings.sft;
    const warm = `${sft.steps}${sft.decayMinLrRatio === null ? "" : " cosine"}, ${
      sft.observationWeight ?? "?"
    }${r.settings.sftSeed === undefined ? "" : `, seed ${r.settings.sftSeed}'s`}`;
    const regime = r.settings.regime && r.settings.regime !== "mixed"
      ? ` [${r.settings.regime}]`
      : "";
    const key = `${r.label ?? "(no label)"}${regime} | ${warm}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.seed, r);
    seeds.add(r.seed);
  });
  const cols = [...seeds].sort((a, b) => a - b);
  const d = (w: WorldResult) => pts(w.after - w.before);
  const out = [
    `| setting | SFT steps, observation weight | ${cols.map((s) => `seed ${s}`).join(" | ")} |`,
    `| --- | --- | ${cols.map(() => "---").join(" | ")} |`,
  ];
  for (const [key, bySeed] of rows) {
    const [label, warm] = key.split(" | ");
    const cells = cols.map((s) => {
      const r = bySeed.get(s);
      return r ? `${d(r.worlds.in)} / ${d(r.worlds.ood)}` : "";
    });
    out.push(`| ${label} | ${warm} | ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}
