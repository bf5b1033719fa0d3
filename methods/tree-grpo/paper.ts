/**
 * Tree-GRPO's paper record and headline numbers, as stated in the abstract and the released
 * repository (AMAP-ML/Tree-GRPO: README results table and training scripts).
 *
 * @module
 */
import { type PaperRecord, tableClaims } from "../grpo/paper.ts";
import type { MethodCard } from "../grpo/family.ts";

const README_TABLE = "AMAP-ML/Tree-GRPO README, preliminary results table (EM)";
const MULTI_HOP = "average EM, 4 multi-hop QA benchmarks (HotpotQA, 2Wiki, Musique, Bamboogle)";
const SINGLE_HOP = "average EM, 3 single-hop QA benchmarks (NQ, TriviaQA, PopQA)";

/** Tree Search for LLM Agent Reinforcement Learning. */
export const TREE_GRPO_PAPER: Readonly<PaperRecord> = {
  title: "Tree Search for LLM Agent Reinforcement Learning",
  arxiv: "2509.21240",
  authors: [
    "Yuxiang Ji",
    "Ziyu Ma",
    "Yong Wang",
    "Guanhua Chen",
    "Xiangxiang Chu",
    "Liaoni Wu",
  ],
  venue: "arXiv preprint (under review at ICLR 2026)",
  year: 2025,
  code: "https://github.com/AMAP-ML/Tree-GRPO",
  setup: {
    "node (abstract)": "one complete agent step: thought, action (search or answer), observation",
    "tree search (train_multihopqa_tree_search.sh)":
      "M = 2 trees per prompt, L = 1 expansion, N = 2 nodes per tree, k = 3 leaves kept per tree",
    "chain baseline (train_multihopqa_grpo.sh)": "GRPO, n_agent = 4 chains per prompt",
    "node selection (tree_node.py get_expand_node, expand_mode=random)":
      "uniform with replacement over the root and every non-leaf node of the tree",
    "advantage (ray_trainer_ts.py compute_advantage, adv_estimator=tree)":
      "GRPO advantage over the prompt's leaves + GRPO advantage over the tree's leaves",
    "policy and retriever (README)": "Qwen2.5-3B (also 1.5B, 7B, 14B, Llama3.2-3B); E5, wiki-18",
    "max turns (scripts)": 3,
    "retrieved passages (scripts)": 3,
    "prompts per step (scripts)": 512,
    "KL (scripts)": "0.001, low_var_kl (k3), in the loss",
    "temperature (scripts)": 1,
    "format reward (scripts)": "structure_format_score 0.2, final_format_score 0.1",
  },
  claims: [
    ...tableClaims({ metric: MULTI_HOP, source: README_TABLE }, {
      "Qwen2.5-3B, GRPO (chains, 4 per prompt)": 0.318,
      "Qwen2.5-3B, Tree-GRPO (M=2, N=2, L=1)": 0.368,
    }),
    ...tableClaims({ metric: SINGLE_HOP, source: README_TABLE }, {
      "Qwen2.5-3B, GRPO (chains, 4 per prompt)": 0.481,
      "Qwen2.5-3B, Tree-GRPO (M=2, N=2, L=1)": 0.5,
    }),
    ...tableClaims({ metric: MULTI_HOP, source: README_TABLE }, {
      "Qwen2.5-1.5B, GRPO": 0.113,
      "Qwen2.5-1.5B, Tree-GRPO": 0.191,
    }),
    {
      metric: "share of the chain-based rollout budget at which Tree-GRPO still beats it",
      setting: "Qwen2.5-3B",
      value: 0.25,
      source: 'AMAP-ML/Tree-GRPO README ("using only a quarter of the rollout budget")',
    },
  ],
};

/** The method's card: registry name, what it does, the regime of its paper's claim. */
export const TREE_GRPO_CARD: MethodCard = {
  name: "tree-grpo",
  summary:
    "Tree-GRPO: rollouts form trees branching at turn boundaries (M trees x L expansions x N nodes, at a flat group's token budget); A = GRPO advantage over the prompt's leaves + GRPO advantage over the leaf's tree.",
  regime: "long-chains",
};
