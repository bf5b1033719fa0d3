/**
 * Test fixture: a small batch of our own SearchWorld trajectories, as the trainer would score
 * them, and the trainer's in-process credit of that batch for any method. Used by the tests of
 * `credit`, `serve-credit` and the conversions. Groups mix the rollouts of a small random policy
 * (with the training-only feedback call offered, real sampling log-probs) with expert
 * demonstrations (plain, confirm, repair; feedback turns carry the verifier's verdict as a
 * rollout records it) and near misses (an expert chain answering its bridge entity), so that
 * every method's path runs: successes with several rounds for the judges, feedback verdicts for
 * CAPF, partial entity credit for E-GRPO.
 *
 * @module
 */
import type { Question, Role, Trajectory } from "@creditlab/core";
import { buildTestbed, getPreset, type Testbed } from "@creditlab/experiments";
import { smallPolicy } from "@creditlab/experiments/testing";
import { initBackend, Rng } from "@creditlab/kernels";
import { buildBatch, encodeTurn, expertTrajectory, parseAction, rollout } from "@creditlab/agent";
import {
  asksFor,
  checkStepResult,
  feedbackHook,
  grantResources,
  type Method,
  type MethodContext,
  scoreTrajectories,
  stepRng,
  type TrainingResources,
} from "@creditlab/train";
import { capf } from "@creditlab/methods";
import { Bm25Index, serveRetriever } from "@creditlab/datasets";
import { judgedRounds } from "../methods/round_judge.ts";
import { recordFromTrajectory } from "./convert.ts";
import { POLICY_SCORER_REFUSAL } from "./credit.ts";
import type { TrajectoryRecord } from "./record.ts";

/** One turn of a hand-written record: who produced it, its round, its text and token ids. */
export interface HandTurn {
  role: Role;
  round: number;
  text: string;
  ids: number[];
}

/**
 * A hand-written record, trajectory `id` of group "g" on question q1 (source "nq", gold answer
 * "ann", prompt [1] "question : who ?"), answering `answer`. Its response is `opts.turns` in
 * order: their ids one after the other, mask 1 on policy tokens and 0 on the others, each turn
 * the span of its ids. Without turns: one answer turn `<answer> {answer} </answer>` of ids [7, 8].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const rec = handRecord("a", "ann");
 * assert.deepEqual([rec.response_ids, rec.response_mask], [[7, 8], [1, 1]]);
 * assert.deepEqual([rec.turns[0]!.start, rec.turns[0]!.end], [0, 2]);
 * ```
 */
export function handRecord(
  id: string,
  answer: string,
  opts: { turns?: readonly HandTurn[] } = {},
): TrajectoryRecord {
  const turns = opts.turns ??
    [{ role: "policy", round: 1, text: `<answer> ${answer} </answer>`, ids: [7, 8] }];
  const responseIds: number[] = [];
  const spans = turns.map(({ role, round, text, ids }) => {
    const start = responseIds.length;
    responseIds.push(...ids);
    return { role, round, start, end: responseIds.length, text };
  });
  return {
    version: 1,
    uid: "g",
    trajectory_id: id,
    data_source: "nq",
    question_id: "q1",
    ground_truth: { target: ["ann"] },
    prompt_ids: [1],
    prompt_text: "question : who ?",
    response_ids: responseIds,
    response_mask: turns.flatMap((t) => t.ids.map(() => (t.role === "policy" ? 1 : 0))),
    answer,
    turns: spans,
  };
}

/**
 * Whether `method` asks, at its defaults, for the policy scorer (`{ kind: "policy-scorer" }`):
 * credit has no policy weights and refuses such a method, so the tests of `credit` and
 * `serve-credit` expect that refusal from it instead of the trainer's credit.
 */
export function asksForPolicyScorer(method: Method<unknown>): boolean {
  return asksFor(method, method.defaults, "policy-scorer");
}

/** The message credit fails with for method `name` that asks for the policy scorer. */
export function policyScorerRefusal(name: string): string {
  return `method ${name}: ${POLICY_SCORER_REFUSAL}`;
}

/** Our trajectories, their questions and the testbed they came from. */
export interface OurRollouts {
  testbed: Testbed;
  trajectories: Trajectory[];
  questions: Map<string, Question>;
}

let cached: Promise<OurRollouts> | undefined;

/** A deep copy of trajectories (the trainer's scoring writes into them). */
export function copyTrajectories(trajs: readonly Trajectory[]): Trajectory[] {
  return trajs.map((t) => structuredClone(t));
}

async function build(): Promise<OurRollouts> {
  await initBackend({ backend: "cpu" });
  const preset = getPreset("smoke");
  const testbed = buildTestbed(preset);
  const qs = testbed.rlTrain.filter((q) => (q.goldChain?.length ?? 0) >= 2).slice(0, 4);
  if (qs.length < 4) {
    throw new Error("test_rollouts: the smoke world has too few multi-hop questions");
  }
  const questions = new Map(testbed.rlTrain.map((q) => [q.id, q] as const));
  const model = smallPolicy(testbed, { preset, seed: 7 });
  const ctx: MethodContext<unknown> = {
    config: capf.defaults,
    questions,
    resources: grantResources(capf, capf.defaults, testbed.resources),
    rng: new Rng(1),
    step: 0,
  };
  let sampled: Trajectory[];
  try {
    sampled = await rollout(qs, {
      model,
      tokenizer: testbed.tokenizer,
      search: testbed.search,
      config: { ...preset.rl.rollout, groupSize: 3, maxTotalTokens: 120 },
      rng: new Rng(2),
      groupIdBase: 40,
      feedback: feedbackHook(capf, ctx)!,
      ...(testbed.anonymizer ? { anonymizer: testbed.anonymizer } : {}),
    });
  } finally {
    model.dispose();
  }
  const verifier = testbed.resources.provide({ kind: "privileged-verifier", detail: "error-type" });
  const experts: Trajectory[] = [];
  for (const [i, q] of qs.entries()) {
    for (const kind of ["plain", "confirm", "repair"] as const) {
      const t = await expertTrajectory(q, {
        tokenizer: testbed.tokenizer,
        search: testbed.search,
        topK: preset.rl.rollout.topK,
        maxSearchTurns: preset.rl.rollout.maxSearchTurns,
        verifier,
        kind,
        groupId: 40 + i,
      });
      // As a rollout records them: policy turns with their parsed action, feedback turns with
      // the verifier's verdict.
      for (const turn of t.turns) {
        if (turn.role === "policy") {
          turn.action = parseAction(turn.text, {
            feedbackOffered: kind !== "plain",
            searchAllowed: true,
          });
        }
        if (turn.role !== "feedback") continue;
        const draft = t.turns.find((p) => p.role === "policy" && p.round === turn.round)!.text
          .replace(/<\/?feedback>/g, "").trim();
        const fb = await verifier.verify(q, draft);
        turn.verdict = { correct: fb.correct, kind: fb.kind };
      }
      experts.push(t);
    }
    // A near miss: the plain chain answering its bridge entity.
    const miss = structuredClone(experts[experts.length - 3]!);
    const last = miss.turns[miss.turns.length - 1]!;
    const bridge = q.goldChain![0]!.entity;
    last.text = `<answer> ${bridge} </answer>`;
    last.tokens = encodeTurn(testbed.tokenizer, last.text, undefined);
    last.action = { kind: "answer", text: bridge };
    miss.answer = bridge;
    experts.push(miss);
  }
  // Interleave: each group holds its rollouts and its experts (rows need not be sorted by group).
  const trajectories = [...sampled, ...experts];
  for (const t of trajectories) {
    t.meta = { ...t.meta };
    t.reward = 0;
  }
  return { testbed, trajectories, questions };
}

/** The fixture (built once per process). */
export function ourRollouts(): Promise<OurRollouts> {
  cached ??= build();
  return cached;
}

/** What the trainer computes in-process for the batch, per row (response-aligned). */
export interface InProcess {
  advantages: Float32Array[];
  rewards: number[];
  records: unknown[];
  metrics: Record<string, number>;
}

/**
 * The trainer's credit of `trajs` (copied) under `method` and `config`: its scoring
 * (`scoreTrajectories`), `buildBatch`, the method's `step` and `checkStepResult`, with the
 * testbed's real resources (the oracle round judge, the privileged verifier) unless `resources`
 * replaces them.
 */
export async function inProcessCredit(
  method: Method<unknown>,
  opts: { rollouts: OurRollouts; config?: unknown; resources?: TrainingResources },
): Promise<InProcess> {
  const { testbed, questions } = opts.rollouts;
  const trajs = copyTrajectories(opts.rollouts.trajectories);
  const config = opts.config ?? method.defaults;
  const ctx: MethodContext<unknown> = {
    config,
    questions,
    resources: grantResources(method, config, opts.resources ?? testbed.resources),
    rng: stepRng(1, 0).fork(),
    step: 0,
  };
  const scored = scoreTrajectories(trajs, { questions, method, ctx });
  const batch = { ...buildBatch(trajs), rewardRecords: scored.records };
  const result = checkStepResult(method.name, await method.step(batch, ctx), batch);
  const kept = result.records ?? batch.rewardRecords;
  return {
    advantages: trajs.map((t, i) => {
      const from = i * batch.length + t.turns[0]!.tokens.length;
      return result.advantages.slice(from, i * batch.length + batch.lengths[i]!);
    }),
    rewards: Array.from(batch.rewards),
    records: kept.map((r) => (r === undefined ? null : JSON.parse(JSON.stringify(r)))),
    metrics: { ...scored.metrics, ...result.metrics },
  };
}

/**
 * Our trajectories as interchange records; with `judge`, each carries the testbed's oracle
 * round judge's scores of its rounds 1..K-1 (`extras.judge_scores`).
 */
export async function exportRecords(
  rollouts: OurRollouts,
  opts: { judge: boolean },
): Promise<TrajectoryRecord[]> {
  const judge = rollouts.testbed.resources.provide({ kind: "round-judge" });
  const out: TrajectoryRecord[] = [];
  for (const [i, t] of rollouts.trajectories.entries()) {
    const q = rollouts.questions.get(t.questionId)!;
    const rounds = judgedRounds(t);
    const scores = opts.judge && rounds.length > 0 ? await judge.score(q, rounds) : undefined;
    out.push(recordFromTrajectory(t, {
      question: q,
      trajectoryId: `t${i}`,
      ...(scores ? { judgeScores: scores } : {}),
    }));
  }
  return out;
}

/**
 * Run `fn` against a real Search-R1 `/retrieve` server on 127.0.0.1 (`serveRetriever`, what
 * `deno task serve-retriever` runs) over the testbed's corpus, indexed as the testbed's own
 * search tool is (BM25 with its defaults), so its answers are those the rollouts searched; then
 * shut it down. `fn` gets the server's base URL (`--retriever URL`).
 */
export async function withRetriever(
  rollouts: OurRollouts,
  fn: (url: string) => Promise<void>,
): Promise<void> {
  const server = serveRetriever(Bm25Index.build([...rollouts.testbed.world.corpus]), {
    host: "127.0.0.1",
    port: 0,
  });
  try {
    await fn(server.url);
  } finally {
    await server.shutdown();
  }
}

/**
 * A test over the fixture: `fn` gets our rollouts (built once per process) and their records
 * (`exportRecords`, with the judge's scores when `judge`); the search tool the rollouts used is
 * `rollouts.testbed.search` (served over HTTP by {@link withRetriever}). The sanitizers are off:
 * the fixture's backend outlives one test.
 */
export function rolloutTest(
  name: string,
  opts: { judge: boolean },
  fn: (fixture: { rollouts: OurRollouts; records: TrajectoryRecord[] }) => Promise<void>,
): void {
  Deno.test({
    name,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const rollouts = await ourRollouts();
      await fn({ rollouts, records: await exportRecords(rollouts, opts) });
    },
  });
}
