/**
 * The papers behind the GRPO baseline, with their headline numbers as data.
 * The {@link PaperRecord} shape is shared by every method's `paper.ts`.
 *
 * @module
 */
import { SEARCH_R1_BENCHMARKS as SEARCH_R1_COLUMNS, type SearchR1Key } from "@creditlab/core";
import type { MethodCard } from "./family.ts";

/** One number a paper reports, with where it comes from. */
export interface PaperClaim {
  /** What is measured, e.g. "average EM, 7 QA benchmarks". */
  metric: string;
  /** Model / setting the number belongs to. */
  setting: string;
  /** The value as the paper reports it (EM as a fraction in [0, 1], deltas in points). */
  value: number;
  /** Table, figure or section of the paper. */
  source: string;
}

/** Bibliographic record and headline numbers of a paper. */
export interface PaperRecord {
  title: string;
  arxiv: string;
  authors: string[];
  venue: string;
  year: number;
  /** Released code, if any. */
  code?: string;
  /** Training setup as the paper (or its released code) states it, with the source in the key. */
  setup?: Record<string, string | number>;
  claims: PaperClaim[];
}

/**
 * The seven Search-R1 benchmark keys in table order, taken from core's column layout
 * (`SEARCH_R1_BENCHMARKS` of core/benchmark.ts, the single source of truth).
 */
export const SEARCH_R1_BENCHMARKS: readonly SearchR1Key[] = SEARCH_R1_COLUMNS.map((b) => b.key);

/**
 * The claims of one column of a results table: one `metric` from one `source`, a value per
 * setting, in the order `values` lists the settings (setting names are never integer-like, so
 * the object keeps their order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const claims = tableClaims(
 *   { metric: "average EM", source: "Table 2" },
 *   { "7B, PPO": 0.431, "7B, GRPO": 0.35 },
 * );
 * assert.deepEqual(claims[1], {
 *   metric: "average EM",
 *   setting: "7B, GRPO",
 *   value: 0.35,
 *   source: "Table 2",
 * });
 * ```
 */
export function tableClaims(
  column: { metric: string; source: string },
  values: Readonly<Record<string, number>>,
): PaperClaim[] {
  return Object.entries(values).map(([setting, value]) => ({
    metric: column.metric,
    setting,
    value,
    source: column.source,
  }));
}

function perBenchmark(setting: string, values: number[], source: string): PaperClaim[] {
  return SEARCH_R1_BENCHMARKS.map((b, i) => ({
    metric: `EM ${b}`,
    setting,
    value: values[i]!,
    source,
  }));
}

const SEARCH_R1_TABLE = "Search-R1 main results table (EM; as transcribed in ../shared/METHODS.md)";
const SEARCH_R1_AVERAGE = { metric: "average EM, 7 QA benchmarks", source: SEARCH_R1_TABLE };

/** DeepSeekMath (GRPO), Search-R1 (the search-agent recipe), Dr. GRPO and DAPO (options). */
export const GRPO_PAPERS: Readonly<
  Record<"deepseekmath" | "searchR1" | "drGrpo" | "dapo", PaperRecord>
> = {
  deepseekmath: {
    title: "DeepSeekMath: Pushing the Limits of Mathematical Reasoning in Open Language Models",
    arxiv: "2402.03300",
    authors: [
      "Zhihong Shao",
      "Peiyi Wang",
      "Qihao Zhu",
      "Runxin Xu",
      "Junxiao Song",
      "Xiao Bi",
      "Haowei Zhang",
      "Mingchuan Zhang",
      "Y. K. Li",
      "Y. Wu",
      "Daya Guo",
    ],
    venue: "arXiv preprint",
    year: 2024,
    setup: {
      "advantage (section 4.1.2, outcome supervision)":
        "A_i = (r_i - mean(r)) / std(r) on every token of o_i",
      "KL (eq. 4)": "k3 estimator against the reference policy, added to the loss (not the reward)",
    },
    // GRPO's definition (section 4.1) is what this module uses; its math numbers are not
    // comparable to search-agent QA and are not listed.
    claims: [],
  },
  searchR1: {
    title:
      "Search-R1: Training LLMs to Reason and Leverage Search Engines with Reinforcement Learning",
    arxiv: "2503.09516",
    authors: [
      "Bowen Jin",
      "Hansi Zeng",
      "Zhenrui Yue",
      "Jinsung Yoon",
      "Sercan Arik",
      "Dong Wang",
      "Hamed Zamani",
      "Jiawei Han",
    ],
    venue: "COLM 2025",
    year: 2025,
    code: "https://github.com/PeterGriffinJin/Search-R1",
    setup: {
      "group size G (METHODS.md)": 5,
      "KL coefficient, k3 (METHODS.md)": 0.001,
      "learning rate (METHODS.md)": 1e-6,
      "retrieval (METHODS.md)": "top-3 passages; E5 over the 2018 Wikipedia dump",
      "search turns (METHODS.md)": "at most 4, then one turn with search disabled",
      "reward (METHODS.md)": "EM of the last <answer> after normalize_answer; no format reward",
      "training data (METHODS.md)": "NQ train + HotpotQA train",
    },
    claims: [
      ...perBenchmark(
        "Qwen2.5-7B base, PPO",
        [0.480, 0.638, 0.457, 0.433, 0.382, 0.196, 0.432],
        SEARCH_R1_TABLE,
      ),
      ...tableClaims(SEARCH_R1_AVERAGE, { "Qwen2.5-7B base, PPO": 0.431 }),
      ...perBenchmark(
        "Qwen2.5-7B base, GRPO",
        [0.395, 0.560, 0.388, 0.326, 0.297, 0.125, 0.360],
        SEARCH_R1_TABLE,
      ),
      ...tableClaims(SEARCH_R1_AVERAGE, {
        "Qwen2.5-7B base, GRPO": 0.350,
        "Qwen2.5-3B base, GRPO": 0.312,
        "Qwen2.5-7B, RAG baseline": 0.304,
      }),
      ...tableClaims({
        metric: SEARCH_R1_AVERAGE.metric,
        source: "Search-R1 retrieved-token masking ablation (METHODS.md)",
      }, {
        "retrieved-token loss masking on": 0.431,
        "retrieved-token loss masking off": 0.343,
      }),
    ],
  },
  drGrpo: {
    title: "Understanding R1-Zero-Like Training: A Critical Perspective",
    arxiv: "2503.20783",
    authors: [
      "Zichen Liu",
      "Changyu Chen",
      "Wenjun Li",
      "Penghui Qi",
      "Tianyu Pang",
      "Chao Du",
      "Wee Sun Lee",
      "Min Lin",
    ],
    venue: "arXiv preprint",
    year: 2025,
    claims: [],
  },
  dapo: {
    title: "DAPO: An Open-Source LLM Reinforcement Learning System at Scale",
    arxiv: "2503.14476",
    authors: ["Qiying Yu", "et al. (ByteDance Seed, Tsinghua AIR)"],
    venue: "arXiv preprint",
    year: 2025,
    claims: [],
  },
};

/** The baseline's card: registry name, what it does (no regime: it runs in every experiment's). */
export const GRPO_CARD: MethodCard = {
  name: "grpo",
  summary: "Outcome-only GRPO: exact-match reward, group-relative advantage on every policy token.",
};
