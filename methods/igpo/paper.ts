/**
 * IGPO's paper record and headline numbers. The numbers are read off the results table of the
 * authors' README (GuoqingWang1/IGPO, `images/Exp.png`, "Overall Performance"; the Feb 2026
 * release, read at upstream commit 745078b through the stored fork debajoycs98/IGPO): scores in
 * %, word-level F1 (the older README's training curves, `imgs/main_res.png`, are labelled
 * "F1 Score", and the DeepResearcher row equals that paper's F1 numbers). The setup is the
 * released `train.sh` / `scrl/llm_agent/generation.py` unless the key says otherwise.
 *
 * @module
 */
import { type PaperRecord, tableClaims } from "../grpo/paper.ts";
import type { MethodCard } from "../grpo/family.ts";

const TABLE = "GuoqingWang1/IGPO README, images/Exp.png (Overall Performance table)";
const AVG = "average F1 over 7 QA benchmarks (NQ, TQ, HotpotQA, 2Wiki; Musique, Bamboogle, " +
  "PopQA out of domain)";

/** Information Gain-based Policy Optimization: A Simple and Effective Approach for Multi-Turn Search Agents. */
export const IGPO_PAPER: Readonly<PaperRecord> = {
  title: "Information Gain-based Policy Optimization: A Simple and Effective Approach for " +
    "Multi-Turn Search Agents",
  arxiv: "2510.14967",
  authors: [
    "Guoqing Wang",
    "Sunhao Dai",
    "Guangze Ye",
    "Zeyu Gan",
    "Wei Yao",
    "Yong Deng",
    "Xiaofeng Wu",
    "Zhenzhe Ying",
  ],
  venue: "ICLR 2026",
  year: 2025,
  code: "https://github.com/GuoqingWang1/IGPO",
  setup: {
    "turn reward (paper; generation.py)":
      "p_t - p_{t-1}, p_t = exp(mean log-prob of the gold answer's tokens after turn t)",
    "final turn reward (paper; verl/utils/reward_score/info_gain.py)":
      "F1 of the answer, max over golds (token sets); -2 when the tags are unbalanced",
    "scored continuation (generation.py)":
      '"\\nNow there\'s enough information to answer\\n</think>\\n<answer>\\n{gold}\\n</answer>" ' +
      "after the turn's context; only the gold's tokens averaged",
    "gold answer scored (generation.py)": "the first of several (cut at <|answer_split|>)",
    "normalisation (verl/trainer/ppo/core_algos.py)":
      "z-score per prompt group over turn rewards, population std, std 1 for a set of one",
    "info_gain_type (train.sh; generation.py default prob_diff)": "log_prob_diff",
    "info_gain_norm_mode (train.sh; core_algos.py default joint)": "separate",
    "gamma (train.sh)": 1,
    "rollouts per prompt (train.sh, agent_grpo.n)": 16,
    "max turns (train.sh)": 10,
    "prompts per step (train.sh, data.train_batch_size)": 32,
    "actor learning rate (train.sh)": 1e-6,
    "KL loss coefficient (train.sh)": 0.001,
    "rollout temperature (train.sh)": 1,
    "policy (train.sh)": "Qwen/Qwen2.5-7B-Instruct, web search tool (tools_server)",
  },
  claims: [
    ...tableClaims({ metric: AVG, source: TABLE }, {
      "Qwen2.5-7B-Instruct, IGPO": 0.602,
      "DeepResearcher (best outcome-reward RL baseline of the table)": 0.539,
      "GiGPO (step-reward RL baseline)": 0.472,
      "Search-R1 (base)": 0.492,
    }),
    ...tableClaims({ metric: "2Wiki F1 (multi-hop, in domain)", source: TABLE }, {
      "Qwen2.5-7B-Instruct, IGPO": 0.721,
      "DeepResearcher": 0.597,
    }),
  ],
};

/** The method's card: registry name, what it does, the regime of its paper's claim. */
export const IGPO_CARD: MethodCard = {
  name: "igpo",
  summary:
    "IGPO: each non-final round is rewarded with the growth of the policy's own teacher-forced probability of the gold answer, the answer round with F1; turn rewards z-scored jointly per prompt group and summed from each round on.",
  regime: "long-chains",
};
