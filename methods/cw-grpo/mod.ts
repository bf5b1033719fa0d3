/**
 * CW-GRPO — Contribution-Weighted GRPO (Wang et al., arXiv 2604.14267, ACL 2026; code
 * zsxmwjz/CW-GRPO). Importing this module registers the method "cw-grpo".
 *
 * The method asks the environment for a round judge (`resources`: `{ kind: "round-judge" }`;
 * SearchWorld's oracle judge, or {@link LlmRoundJudge}), which scores the non-final rounds of
 * successful trajectories; the trajectory's positive GRPO advantage is redistributed over its
 * rounds in proportion to their contributions (see weights.ts). Its step returns the
 * advantages, its metrics (`cw-grpo/...`) and a {@link CwGrpoRecord} per judged trajectory
 * (the contributions c_k, a per-round series the report summarises).
 *
 * @example
 * ```ts
 * import { cwGrpo, CW_GRPO_DEFAULTS } from "./mod.ts";
 * const softmax = { ...CW_GRPO_DEFAULTS, weighting: { kind: "softmax", gamma: 2 } };
 * ```
 * @module
 */
import { type Method, registerMethod } from "@creditlab/train";
import { type JudgedRecord, judgeMethod } from "../round_judge.ts";
import { ratio } from "../metrics.ts";
import { rowRecords, withRounds } from "../records.ts";
import { CW_GRPO_CARD } from "./paper.ts";
import { CW_GRPO_CONFIG, type CwGrpoConfig } from "./config.ts";
import { contributions, contributionWeights, cwTokenAdvantages, roundScales } from "./weights.ts";

export * from "./config.ts";
export * from "./weights.ts";
// The shared round-judge pieces this module has always exported (methods/round_judge.ts,
// methods/llm_judge.ts).
export { judgedRounds } from "../round_judge.ts";
export * from "../llm_judge.ts";
export { CW_GRPO_PAPER } from "./paper.ts";

/**
 * What CW-GRPO keeps of a judged trajectory (the run store's `method_record`): the
 * contributions c_k = retrieval_k * thinking_k of its non-final rounds k = 1..K-1, a per-round
 * series the report summarises (the paper's concentration claim).
 */
export type CwGrpoRecord = JudgedRecord<"contribution">;

/**
 * The CW-GRPO method. Its step calls the judge (the method's granted round judge) for every
 * trajectory with reward > 0, A_i > 0 and K > 1 (concurrently); everything else keeps the GRPO
 * advantage. It returns the per-token advantages, the record of each judged row and its
 * metrics: judged trajectories and rounds (`cw-grpo/calls/judged_rounds`), the mean
 * contribution over judged rounds, the judged trajectories whose contributions were all 0,
 * and the judge's model calls (`cw-grpo/calls/judge_llm`), cache hits and parse failures
 * during the step. Not group-local (Method.groupLocal): the metrics are over the batch.
 */
export const cwGrpo: Method<CwGrpoConfig, CwGrpoRecord> = registerMethod(
  judgeMethod<CwGrpoConfig, Float32Array, CwGrpoRecord>(CW_GRPO_CARD, {
    config: CW_GRPO_CONFIG,
    judged: (r, { batch, rowAdv }) =>
      batch.rewards[r]! > 0 && rowAdv[r]! > 0 && batch.numRounds[r]! > 1,
    use: (scores) => contributions(scores),
    credit({ batch, config: cfg, rowAdv, byRow: contribution, counts }) {
      let contributionSum = 0, allZero = 0;
      for (const c of contribution) {
        if (c === null) continue;
        let sum = 0;
        for (const v of c) sum += v;
        contributionSum += sum;
        if (sum === 0) allZero++;
      }
      const rule = { weighting: cfg.weighting, allZero: cfg.allZeroContributions };
      const scales = contribution.map((c) =>
        c === null ? null : roundScales(contributionWeights(c, rule))
      );
      return {
        advantages: cwTokenAdvantages(rowAdv, scales, batch),
        own: {
          contribution_mean: ratio(contributionSum, counts.judgedRounds),
          all_zero_trajectories: allZero,
        },
        records: rowRecords(
          contribution,
          (c) => withRounds("contribution", c, { calls: { judge: c.length } }),
        ),
      };
    },
  }),
);
