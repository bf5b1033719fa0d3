/**
 * CW-GRPO — Contribution-Weighted GRPO (Wang et al., arXiv 2604.14267, ACL 2026; code
 * zsxmwjz/CW-GRPO). Importing this module registers the method "cw-grpo".
 *
 * A round judge (`ctx.resources.roundJudge`: SearchWorld's oracle judge, or
 * {@link LlmRoundJudge}) scores the non-final rounds of successful trajectories; the
 * trajectory's positive GRPO advantage is redistributed over its rounds in proportion to
 * their contributions (see weights.ts).
 *
 * @example
 * ```ts
 * import { cwGrpo, CW_GRPO_DEFAULTS } from "./mod.ts";
 * const softmax = { ...CW_GRPO_DEFAULTS, weighting: { kind: "softmax", gamma: 2 } };
 * ```
 * @module
 */
import type { RolloutBatch, RoundJudge } from "@creditlab/core";
import { type Method, type MethodContext, registerMethod } from "@creditlab/agent";
import { checkOutcome, grpoLoss, grpoRowAdvantages, grpoStepMetrics } from "../grpo/mod.ts";
import { CW_GRPO_DEFAULTS, type CwGrpoConfig, validateCwGrpoConfig } from "./config.ts";
import { judgedRounds } from "./judge.ts";
import { contributions, contributionWeights, cwTokenAdvantages, roundScales } from "./weights.ts";

export * from "./config.ts";
export * from "./weights.ts";
export * from "./judge.ts";
export * from "./llm_judge.ts";
export { CW_GRPO_PAPER } from "./paper.ts";

/** What one `advantages` call did (read by `stepMetrics`). */
export interface CwStepStats {
  /** Trajectories sent to the judge (reward > 0, A > 0, K > 1). */
  judgedTrajectories: number;
  /** Non-final rounds scored. */
  judgedRounds: number;
  /** Sum of c_k over judged rounds. */
  contributionSum: number;
  /** Judged trajectories whose contributions were all 0. */
  allZeroTrajectories: number;
  /** LLM calls / cache hits / parse failures made by the judge during this call (if it counts them). */
  llmCalls: number;
  llmCacheHits: number;
  llmParseFailures: number;
}

const lastStats = new WeakMap<RolloutBatch, CwStepStats>();

function judgeCounters(
  judge: RoundJudge,
): { calls: number; cacheHits: number; parseFailures: number } {
  const s =
    (judge as { stats?: Partial<Record<"calls" | "cacheHits" | "parseFailures", unknown>> }).stats;
  const num = (v: unknown) => (typeof v === "number" ? v : 0);
  return {
    calls: num(s?.calls),
    cacheHits: num(s?.cacheHits),
    parseFailures: num(s?.parseFailures),
  };
}

/**
 * CW-GRPO per-token advantages. Calls the judge for every trajectory with reward > 0,
 * A_i > 0 and K > 1 (concurrently); everything else keeps the GRPO advantage.
 */
export async function cwGrpoAdvantages(
  batch: RolloutBatch,
  ctx: MethodContext<CwGrpoConfig>,
): Promise<{ advantages: Float32Array; stats: CwStepStats }> {
  const cfg = ctx.config;
  validateCwGrpoConfig(cfg);
  const rowAdv = grpoRowAdvantages(batch, cfg);
  const todo: number[] = [];
  for (let r = 0; r < batch.n; r++) {
    if (batch.rewards[r]! > 0 && rowAdv[r]! > 0 && batch.numRounds[r]! > 1) todo.push(r);
  }
  const stats: CwStepStats = {
    judgedTrajectories: todo.length,
    judgedRounds: 0,
    contributionSum: 0,
    allZeroTrajectories: 0,
    llmCalls: 0,
    llmCacheHits: 0,
    llmParseFailures: 0,
  };
  const scales: (Float32Array | null)[] = new Array(batch.n).fill(null);
  if (todo.length > 0) {
    const judge = ctx.resources.roundJudge;
    if (!judge) {
      throw new Error(
        "cw-grpo: the training resources have no round judge (resources.roundJudge: SearchWorld's " +
          "world.roundJudge() or an LlmRoundJudge)",
      );
    }
    const before = judgeCounters(judge);
    const scored = await Promise.all(todo.map(async (r) => {
      const traj = batch.trajectories[r]!;
      const q = ctx.questions.get(traj.questionId);
      if (!q) {
        throw new Error(`cw-grpo: no question with id ${traj.questionId} in the method context`);
      }
      const rounds = judgedRounds(traj);
      const scores = await judge.score(q, rounds);
      if (scores.length !== rounds.length) {
        throw new Error(
          `cw-grpo: the judge returned ${scores.length} scores for ${rounds.length} rounds (question ${q.id})`,
        );
      }
      return { r, c: contributions(scores) };
    }));
    const after = judgeCounters(judge);
    stats.llmCalls = after.calls - before.calls;
    stats.llmCacheHits = after.cacheHits - before.cacheHits;
    stats.llmParseFailures = after.parseFailures - before.parseFailures;
    for (const { r, c } of scored) {
      let sum = 0;
      for (const v of c) sum += v;
      stats.judgedRounds += c.length;
      stats.contributionSum += sum;
      if (sum === 0) stats.allZeroTrajectories++;
      // Recorded with the trajectory (run store column `contributions`) for the report's
      // contribution-per-round table (the paper's concentration claim).
      batch.trajectories[r]!.meta.contributions = Array.from(c);
      scales[r] = roundScales(
        contributionWeights(c, { weighting: cfg.weighting, allZero: cfg.allZeroContributions }),
      );
    }
  }
  return { advantages: cwTokenAdvantages(rowAdv, scales, batch), stats };
}

/** CW-GRPO step metrics from the last `advantages` call on `batch`, plus GRPO's. */
export function cwStepMetrics(batch: RolloutBatch): Record<string, number> {
  const s = lastStats.get(batch);
  const out: Record<string, number> = { ...grpoStepMetrics(batch) };
  if (!s) return out;
  out["cw/judged_trajectories"] = s.judgedTrajectories;
  out["cw/judged_rounds"] = s.judgedRounds;
  out["cw/contribution_mean"] = s.judgedRounds === 0 ? 0 : s.contributionSum / s.judgedRounds;
  out["cw/all_zero_trajectories"] = s.allZeroTrajectories;
  out["cw/judge_llm_calls"] = s.llmCalls;
  out["cw/judge_llm_cache_hits"] = s.llmCacheHits;
  out["cw/judge_parse_failures"] = s.llmParseFailures;
  return out;
}

/** The CW-GRPO method. */
export const cwGrpo: Method<CwGrpoConfig> = registerMethod<CwGrpoConfig>({
  name: "cw-grpo",
  summary:
    "Contribution-Weighted GRPO: a round judge scores retrieval and thinking of each non-final round of " +
    "successful trajectories; positive advantages are redistributed over rounds by contribution.",
  defaults: structuredClone(CW_GRPO_DEFAULTS) as CwGrpoConfig,
  regime: "long-chains",
  reward(traj, { outcome }) {
    return checkOutcome(outcome, `cw-grpo reward (question ${traj.questionId})`);
  },
  async advantages(batch, ctx) {
    const { advantages, stats } = await cwGrpoAdvantages(batch, ctx);
    lastStats.set(batch, stats);
    return advantages;
  },
  loss(config) {
    validateCwGrpoConfig(config);
    return grpoLoss(config);
  },
  dynamicSampling(config) {
    return config.dynamicSampling;
  },
  stepMetrics(batch) {
    return cwStepMetrics(batch);
  },
});
