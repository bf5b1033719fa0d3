/**
 * One experiment on the SearchWorld testbed: the worlds (in-domain and out-of-domain), the
 * tokenizer, the SFT warm start, RL arms that start from the same SFT checkpoint, and their
 * evaluations — all recorded in the run store.
 *
 * Evaluation never receives the training resources: no feedback call, no judge, no entity
 * reward. It decodes greedily on the held-out questions of the training world
 * (`searchworld`, in-domain) and on a second world with unseen entities and the same
 * relations (`searchworld-ood`, out-of-domain).
 *
 * @module
 */
import {
  type BackendInfo,
  backendLabel,
  loadCheckpoint,
  Rng,
  saveCheckpoint,
  Transformer,
} from "@creditlab/kernels";
import {
  Bm25Index,
  bm25SearchTool,
  generateWorld,
  type World,
  worldPreset,
  worldVocabulary,
} from "@creditlab/datasets";
import { join } from "node:path";
import { dirCheckpoints } from "./checkpoint.ts";
import { byHopsExtra, type EvalSummary, evaluateLocal } from "./evaluate.ts";
import type { ExperimentPreset } from "./presets.ts";
import { buildPrompt, invalidActionText } from "./protocol.ts";
import { type RunStore, trajectoryRowsFromBatch } from "./runstore.ts";
import { trainSft } from "./sft.ts";
import { WordTokenizer } from "./tokenizer.ts";
import { trainRl } from "./trainer.ts";
import type { FeedbackDetail, Question, RegimeName, SearchTool } from "@creditlab/core";
import type { Method, TrainingResources } from "./types.ts";
import { resourceProvider } from "./resources.ts";
import { EntityAnonymizer } from "./anonymize.ts";
import { expertTrajectory } from "./expert.ts";
import { type FactObjects, lookupAccuracy, type LookupProbe } from "./lookup.ts";
import { type Regime, regimeQuestions, REGIMES } from "./regimes.ts";

/** Worlds, retrieval and tokenizer of one preset. */
export interface Testbed {
  world: World;
  oodWorld: World;
  search: SearchTool;
  oodSearch: SearchTool;
  tokenizer: WordTokenizer;
  /** The regime the RL questions and the held-out questions come from. */
  regime: Regime;
  /** SFT questions: every training question of the world (the warm start is regime-free). */
  train: Question[];
  /** RL questions: the training questions of the regime's hop counts. */
  rlTrain: Question[];
  /** Held-out questions of the regime's hop counts, in-domain and out-of-domain. */
  test: Question[];
  ood: Question[];
  /**
   * The search tool and the training-only resources the world serves by request: its
   * privileged verifier at any detail level and its oracle round judge. Nothing is built
   * until a method (or the SFT warm start) asks.
   */
  resources: TrainingResources;
  /** Entity slots of the policy's text per world (absent with `entityCoding: "words"`). */
  anonymizer?: EntityAnonymizer;
  oodAnonymizer?: EntityAnonymizer;
}

/**
 * Build the testbed of a preset in a regime (default `mixed`; deterministic: same preset and
 * regime, same testbed). The world and the SFT questions do not depend on the regime; the RL
 * questions and the held-out questions are the regime's hop counts, the held-out ones the first
 * `eval.testQuestions` / `eval.oodQuestions` of the world's test pool (`world.testQuestions`).
 */
export function buildTestbed(
  preset: ExperimentPreset,
  opts: { regime?: Regime } = {},
): Testbed {
  const regime = opts.regime ?? REGIMES.mixed;
  const base = worldPreset(preset.world.preset);
  const config = {
    ...base,
    questions: { train: preset.world.trainQuestions, test: preset.world.testQuestions },
  };
  const world = generateWorld(config, { seed: preset.world.seed });
  const oodWorld = generateWorld(
    {
      ...config,
      entityNamespace: 1,
      questions: { train: 0, test: Math.max(preset.world.testQuestions, preset.eval.oodQuestions) },
    },
    { seed: preset.world.seed + 1 },
  );
  const heldOut = (w: World, n: number, what: string): Question[] => {
    const qs = regimeQuestions(w.questions("test"), regime).slice(0, n);
    if (qs.length < n) {
      throw new Error(
        `buildTestbed: preset "${preset.name}" (world ${preset.world.preset}) has ${qs.length} ` +
          `${what} test questions of ${regime.hops.join("/")} hops for regime "${regime.name}", ` +
          `needs ${n}; raise world.testQuestions or choose another regime`,
      );
    }
    return qs;
  };
  const rlTrain = regimeQuestions(world.questions("train"), regime);
  if (rlTrain.length === 0) {
    throw new Error(
      `buildTestbed: preset "${preset.name}" (world ${preset.world.preset}) has no training ` +
        `question of ${regime.hops.join("/")} hops for regime "${regime.name}"`,
    );
  }
  const search = bm25SearchTool(Bm25Index.build([...world.corpus]));
  const oodSearch = bm25SearchTool(Bm25Index.build([...oodWorld.corpus]));
  const slots = preset.entityCoding === "slots";
  const anonymizer = new EntityAnonymizer(world.entities.map((e) => e.name));
  const oodAnonymizer = new EntityAnonymizer(oodWorld.entities.map((e) => e.name));
  const tokenizer = WordTokenizer.build([
    worldVocabulary(config).join(" "),
    buildPrompt("x", { feedbackOffered: true, maxSearchTurns: 1 }),
    invalidActionText({ feedbackOffered: true }),
    "doc 0 1 2 3 4 5 6 7 8 9 ( title : ) , . ?",
  ], { extraTokens: anonymizer.slotTokens() });
  return {
    world,
    oodWorld,
    search,
    oodSearch,
    tokenizer,
    regime,
    train: world.questions("train"),
    rlTrain,
    test: heldOut(world, preset.eval.testQuestions, "in-domain"),
    ood: heldOut(oodWorld, preset.eval.oodQuestions, "out-of-domain"),
    resources: {
      search,
      provide: resourceProvider(`SearchWorld testbed (preset ${preset.name})`, {
        "privileged-verifier": (r) => world.verifier({ detail: r.detail }),
        "round-judge": () => world.roundJudge(),
      }),
    },
    ...(slots ? { anonymizer, oodAnonymizer } : {}),
  };
}

/**
 * The detail of the privileged verifier whose feedback the SFT warm start's repair
 * demonstrations show (the warm start is shared by every arm, so it does not follow a method).
 */
export const SFT_VERIFIER_DETAIL: FeedbackDetail = "error-type";

/** Checkpoint metadata of a testbed's policy: tokenizer and entity coding. */
export function checkpointExtra(testbed: Testbed): Record<string, string> {
  return {
    tokenizer: JSON.stringify(testbed.tokenizer.toJSON()),
    entityCoding: testbed.anonymizer ? "slots" : "words",
  };
}

/** Where runs keep their files. */
export interface RunContext {
  store: RunStore;
  /** Results folder (checkpoints go under `<out>/checkpoints`). */
  out: string;
  backend: BackendInfo;
  commit: string;
  log: (line: string) => void;
}

/** One world's evaluation: greedy EM (and by hop count) plus the lookup probe. */
export interface TestbedEval extends EvalSummary {
  /** Teacher-forced lookup accuracy on the same questions' plain expert demonstrations. */
  lookup: LookupProbe;
}

/** The objects of hop `h`'s subject's relation facts, from a world's knowledge base. */
export function worldFactObjects(world: World): FactObjects {
  return (q, hop) => {
    const ids = q.metadata?.["entityIds"];
    const id = Array.isArray(ids) ? ids[hop] : undefined;
    const subject = typeof id === "number" ? world.entities[id] : undefined;
    if (!subject) {
      throw new Error(`worldFactObjects: question ${q.id} has no metadata.entityIds[${hop}]`);
    }
    return Object.values(subject.relations).map((o) => world.entities[o as number]!.name);
  };
}

async function probeLookup(
  model: Transformer,
  opts: {
    questions: Question[];
    world: World;
    search: SearchTool;
    testbed: Testbed;
    preset: ExperimentPreset;
    anonymizer: EntityAnonymizer | undefined;
  },
): Promise<LookupProbe> {
  const demos = [];
  for (const q of opts.questions) {
    demos.push(
      await expertTrajectory(q, {
        tokenizer: opts.testbed.tokenizer,
        search: opts.search,
        topK: opts.preset.eval.rollout.topK,
        maxSearchTurns: opts.preset.eval.rollout.maxSearchTurns,
        kind: "plain",
        ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
      }),
    );
  }
  return lookupAccuracy(model, demos, {
    questions: opts.questions,
    objects: worldFactObjects(opts.world),
  });
}

/**
 * Evaluate a model on the in-domain and out-of-domain test questions: greedy episodes (EM, F1,
 * EM by hop count) and the teacher-forced lookup probe (agent/lookup.ts) on the same questions.
 */
export async function evaluateOnTestbed(
  model: Transformer,
  opts: { testbed: Testbed; preset: ExperimentPreset; seed: number },
): Promise<TestbedEval[]> {
  const { testbed, preset } = opts;
  const common = {
    model,
    tokenizer: testbed.tokenizer,
    config: preset.eval.rollout,
    batchSize: preset.eval.batchSize,
    seed: opts.seed,
    split: "test",
  };
  const worlds = [
    {
      questions: testbed.test,
      world: testbed.world,
      search: testbed.search,
      anonymizer: testbed.anonymizer,
    },
    {
      questions: testbed.ood,
      world: testbed.oodWorld,
      search: testbed.oodSearch,
      anonymizer: testbed.oodAnonymizer,
    },
  ];
  const out: TestbedEval[] = [];
  for (const w of worlds) {
    const summary = await evaluateLocal(w.questions, {
      ...common,
      search: w.search,
      benchmark: w.world.benchmark,
      ...(w.anonymizer ? { anonymizer: w.anonymizer } : {}),
    });
    const lookup = await probeLookup(model, { ...w, testbed, preset });
    out.push({ ...summary, lookup });
  }
  return out;
}

async function logEvals(
  ctx: RunContext,
  runId: string,
  opts: { step: number; evals: TestbedEval[] },
): Promise<void> {
  for (const e of opts.evals) {
    await ctx.store.logEval(runId, {
      benchmark: e.benchmark,
      split: e.split,
      n: e.n,
      em: e.em,
      f1: e.f1,
      step: opts.step,
      extra: {
        toolCalls: e.toolCalls,
        answered: e.answered,
        decoding: "greedy",
        ...byHopsExtra(e),
        lookup: e.lookup,
      },
      items: e.records.map((r) => ({
        questionId: r.questionId,
        em: r.em,
        f1: r.f1,
        toolCalls: r.toolCalls,
        hops: r.hops,
        answer: r.answer,
      })),
    });
    ctx.log(
      `  eval ${e.benchmark}: n=${e.n} em=${e.em.toFixed(3)} f1=${e.f1.toFixed(3)} tool_calls=${
        e.toolCalls.toFixed(2)
      } lookup=${e.lookup.accuracy.toFixed(3)} (chance ${
        e.lookup.chance.toFixed(3)
      }, n=${e.lookup.n})`,
    );
  }
}

/** Path of the SFT checkpoint of a preset and seed. */
export function sftCheckpointPath(out: string, opts: { preset: string; seed: number }): string {
  return join(out, "checkpoints", "sft", opts.preset, `seed-${opts.seed}`, "model.safetensors");
}

async function exists(p: string): Promise<boolean> {
  return await Deno.stat(p).then(() => true, () => false);
}

/**
 * Train (or reuse) the SFT warm start of a preset and seed; records an `sft` run with its
 * evaluations. Returns the checkpoint path.
 */
export async function ensureSft(
  ctx: RunContext,
  opts: { preset: ExperimentPreset; testbed: Testbed; seed: number },
): Promise<string> {
  const { preset, testbed, seed } = opts;
  const path = sftCheckpointPath(ctx.out, { preset: preset.name, seed });
  const prev = await ctx.store.findRun({
    experiment: "sft",
    method: "sft",
    seed,
    preset: preset.name,
  });
  if (prev?.status === "completed" && (await exists(path))) {
    ctx.log(`sft seed ${seed}: reusing ${path}`);
    return path;
  }
  ctx.log(`sft seed ${seed}: training ${preset.sft.steps} steps`);
  const runId = await ctx.store.startRun({
    method: "sft",
    arm: "sft",
    experiment: "sft",
    preset: preset.name,
    seed,
    config: { model: preset.model, sft: preset.sft, world: preset.world },
    backend: backendLabel(ctx.backend),
    commit: ctx.commit,
  });
  const rng = new Rng(seed);
  const model = new Transformer({ ...preset.model, vocabSize: testbed.tokenizer.vocabSize }, {
    rng: rng.fork(),
  });
  try {
    await trainSft({
      model,
      tokenizer: testbed.tokenizer,
      questions: testbed.train,
      search: testbed.search,
      verifier: testbed.resources.provide({
        kind: "privileged-verifier",
        detail: SFT_VERIFIER_DETAIL,
      }),
      config: preset.sft,
      rng,
      topK: preset.rl.rollout.topK,
      maxSearchTurns: preset.rl.rollout.maxSearchTurns,
      ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      onStep: (step, loss) => ctx.store.logStep(runId, step, { "sft/loss": loss }),
    });
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const tmp = `${path}.tmp`;
    await saveCheckpoint(tmp, model, { extra: checkpointExtra(testbed) });
    await Deno.rename(tmp, path);
    const evals = await evaluateOnTestbed(model, { testbed, preset, seed });
    await logEvals(ctx, runId, { step: preset.sft.steps, evals });
    await ctx.store.endRun(runId, "completed");
  } catch (e) {
    await ctx.store.endRun(runId, "failed");
    throw e;
  } finally {
    model.dispose();
  }
  return path;
}

/**
 * Record the warm start's evaluation on an experiment's held-out questions (the regime's), as a
 * run of arm `start` (method `sft`) in that experiment, with per-question outcomes: the point
 * every arm's gain is measured from, paired on the same questions. Greedy decoding makes it the
 * same for every seed, so one run (seed 1) serves them all. A completed one is reused.
 */
export async function recordStart(
  ctx: RunContext,
  opts: { preset: ExperimentPreset; testbed: Testbed; experiment: string; sftCheckpoint: string },
): Promise<string> {
  const { preset, testbed } = opts;
  const key = { experiment: opts.experiment, method: "sft", arm: "start", seed: 1 };
  const prev = await ctx.store.findRun({ ...key, preset: preset.name });
  if (prev?.status === "completed") return prev.id;
  const runId = await ctx.store.startRun({
    ...key,
    preset: preset.name,
    config: { regime: testbed.regime.name, sftCheckpoint: opts.sftCheckpoint },
    backend: backendLabel(ctx.backend),
    commit: ctx.commit,
  });
  const { model } = await loadCheckpoint(opts.sftCheckpoint);
  try {
    ctx.log(`start (warm start) on ${testbed.regime.name} held-out questions (run ${runId})`);
    const evals = await evaluateOnTestbed(model, { testbed, preset, seed: 1 });
    await logEvals(ctx, runId, { step: 0, evals });
    await ctx.store.endRun(runId, "completed");
  } catch (e) {
    await ctx.store.endRun(runId, "failed");
    throw e;
  } finally {
    model.dispose();
  }
  return runId;
}

/**
 * The regime `reproduce` runs a method in by default: the preset's when it fixes one (the
 * smoke world has only 1- and 2-hop questions), else the one the method's paper targets, else
 * `mixed`.
 */
export function defaultRegime(preset: ExperimentPreset, method: Method<unknown>): RegimeName {
  return preset.regime ?? method.regime ?? "mixed";
}

/**
 * The experiment name of a method in a regime: the method's name in its default regime
 * ({@link defaultRegime}), `<method>@<regime>` in any other.
 */
export function experimentName(
  method: Method<unknown>,
  opts: { preset: ExperimentPreset; regime: RegimeName },
): string {
  return opts.regime === defaultRegime(opts.preset, method)
    ? method.name
    : `${method.name}@${opts.regime}`;
}

/** Options of {@link runArm}. */
export interface RunArmOptions<C> {
  preset: ExperimentPreset;
  testbed: Testbed;
  method: Method<C>;
  methodConfig: C;
  seed: number;
  /** "baseline" or "method". */
  arm: string;
  /** The experiment the run belongs to (e.g. the method under test). */
  experiment: string;
  sftCheckpoint: string;
  /** Stop after this many steps (kill simulation in tests). */
  stopAfter?: number;
}

/**
 * Train one RL arm from the SFT checkpoint and evaluate it. A run of the same
 * (experiment, method, arm, seed, preset) that was interrupted resumes from its last
 * checkpoint; a completed one is reused. Returns the run id.
 */
export async function runArm<C>(ctx: RunContext, opts: RunArmOptions<C>): Promise<string> {
  const { preset, testbed, method, seed } = opts;
  const key = {
    experiment: opts.experiment,
    method: method.name,
    arm: opts.arm,
    seed,
    preset: preset.name,
  };
  const prev = await ctx.store.findRun(key);
  if (prev?.status === "completed") {
    ctx.log(`${opts.arm} ${method.name} seed ${seed}: already completed (run ${prev.id})`);
    return prev.id;
  }
  const ckptDir = join(
    ctx.out,
    "checkpoints",
    opts.experiment,
    preset.name,
    `seed-${seed}`,
    `${opts.arm}-${method.name}`,
  );
  let runId: string;
  if (prev && (await exists(join(ckptDir, "LATEST")))) {
    runId = prev.id;
    await ctx.store.reopenRun(runId);
  } else {
    await Deno.remove(ckptDir, { recursive: true }).catch(() => {});
    runId = await ctx.store.startRun({
      ...key,
      config: {
        method: opts.methodConfig,
        // What the method asked the environment for (training only; the report lists it).
        resources: method.resources?.(opts.methodConfig) ?? [],
        rl: preset.rl,
        model: preset.model,
        regime: testbed.regime.name,
        sftCheckpoint: opts.sftCheckpoint,
      },
      backend: backendLabel(ctx.backend),
      commit: ctx.commit,
    });
  }
  const sft = await loadCheckpoint(opts.sftCheckpoint);
  const ref = await loadCheckpoint(opts.sftCheckpoint);
  const model = sft.model;
  try {
    ctx.log(`${opts.arm} ${method.name} seed ${seed}: RL ${preset.rl.steps} steps (run ${runId})`);
    const result = await trainRl({
      model,
      refModel: ref.model,
      tokenizer: testbed.tokenizer,
      method,
      methodConfig: opts.methodConfig,
      questions: testbed.rlTrain,
      resources: testbed.resources,
      config: preset.rl,
      seed,
      sink: {
        logStep: (step, metrics) => ctx.store.logStep(runId, step, metrics),
        logTrajectories: async (step, batch, advantages, records) => {
          await ctx.store.writeTrajectories(
            runId,
            step,
            trajectoryRowsFromBatch(batch, advantages, { records }),
          );
        },
        truncateAfter: async (step) => {
          await ctx.store.truncateAfter(runId, step);
        },
      },
      checkpoints: dirCheckpoints(ckptDir, { extra: checkpointExtra(testbed) }),
      ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
      ...(opts.stopAfter !== undefined ? { stopAfter: opts.stopAfter } : {}),
      log: ctx.log,
    });
    if (result.stopped === "stop-after") {
      await ctx.store.endRun(runId, "interrupted");
      return runId;
    }
    const evals = await evaluateOnTestbed(model, { testbed, preset, seed });
    await logEvals(ctx, runId, { step: preset.rl.steps, evals });
    await ctx.store.endRun(runId, result.stopped === "done" ? "completed" : "diverged");
  } catch (e) {
    await ctx.store.endRun(runId, "failed");
    throw e;
  } finally {
    model.dispose();
    ref.model.dispose();
  }
  return runId;
}
