/**
 * MatchTIR's paper record and headline numbers, from the results table the released repository
 * shows (quchangle1/MatchTIR `images/experiments.png`, the paper's main table) and its training
 * script (`Scripts/run.sh`). Scores are the benchmarks' own (FTRL solve-F1, BFCL accuracy,
 * ToolHop answer correctness), as fractions.
 *
 * @module
 */
import { type PaperRecord, tableClaims } from "../grpo/paper.ts";
import type { MethodCard } from "../grpo/family.ts";

const TABLE = "main results table (quchangle1/MatchTIR README, images/experiments.png)";
const AVG = "average over FTRL, BFCL and ToolHop";

/** MatchTIR: Fine-Grained Supervision for Tool-Integrated Reasoning via Bipartite Matching. */
export const MATCHTIR_PAPER: Readonly<PaperRecord> = {
  title: "MatchTIR: Fine-Grained Supervision for Tool-Integrated Reasoning via Bipartite Matching",
  arxiv: "2601.10712",
  authors: ["Changle Qu", "Sunhao Dai", "Hengyi Cai", "Jun Xu", "Shuaiqiang Wang", "Dawei Yin"],
  venue: "ACL 2026",
  year: 2026,
  code: "https://github.com/quchangle1/MatchTIR",
  setup: {
    "policies (README)": "Qwen3-4B and Qwen3-8B (thinking mode)",
    "training data (README)": "FTRL (tool-integrated reasoning with local execution environments)",
    "RL algorithm (Scripts/run.sh)":
      "verl 0.3.1.dev, adv_estimator=grpo with the dual-level advantage",
    "rollouts per prompt (Scripts/run.sh)": 16,
    "train batch size, prompts (Scripts/run.sh)": 256,
    "actor learning rate (Scripts/run.sh)": 1e-6,
    "KL loss coefficient (Scripts/run.sh, low_var_kl)": 0.001,
    "epochs (Scripts/run.sh)": 3,
    "discount gamma (core_algos.py, lam)": 0.9,
    "Sinkhorn regularisation (tool.py, assign_rewards_ot)": 0.1,
    "advantage (core_algos.py)": "(A^g + A^l) / 2, A^l z-scored per (prompt, turn index)",
  },
  claims: [
    ...tableClaims({ metric: AVG, source: TABLE }, {
      "Qwen3-4B, GRPO": 0.3132,
      "Qwen3-4B, MatchTIR (OT)": 0.3445,
      "Qwen3-4B, MatchTIR (KM)": 0.3607,
      "Qwen3-8B, GRPO": 0.3492,
      "Qwen3-8B, MatchTIR (OT)": 0.3854,
      "Qwen3-8B, MatchTIR (KM)": 0.3992,
    }),
    ...tableClaims({ metric: "ToolHop answer correctness (multi-hop tool use)", source: TABLE }, {
      "Qwen3-4B, GRPO": 0.3725,
      "Qwen3-4B, MatchTIR (KM)": 0.4255,
    }),
    ...tableClaims({ metric: "FTRL solve-F1", source: TABLE }, {
      "Qwen3-4B, GRPO": 0.3067,
      "Qwen3-4B, MatchTIR (KM)": 0.3421,
    }),
  ],
};

/** The method's card: registry name, what it does, the regime of its paper's claim. */
export const MATCHTIR_CARD: MethodCard = {
  name: "matchtir",
  summary:
    "MatchTIR: search calls matched to the gold chain's hop queries (Hungarian or Sinkhorn OT) give turn rewards; discounted (0.9), normalised per turn index, averaged with GRPO's.",
  regime: "long-chains",
};
