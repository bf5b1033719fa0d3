/**
 * The trajectory interchange record, version 1 (README.md is the specification, field by
 * field, with the verl / SkyRL / slime / rLLM field each one maps to).
 *
 * One record per trajectory. Every per-token array is aligned to the RESPONSE tokens (everything
 * after the prompt), so a batch of records is verl's `responses` / `response_mask` /
 * `rollout_log_probs` row for row. Turn spans index into `response_ids`.
 *
 * Inputs are what a rollout produced; outputs (`reward`, `advantages`, `loss_weights`, `method`,
 * `method_record`) are what a credit-assignment method computed, null until it has run.
 *
 * @module
 */
import type { Action, ChainStep, FeedbackVerdict, MethodRecord, Role } from "@creditlab/core";

/** The format's version; every record carries it in `version`. */
export const FORMAT_VERSION = 1;

/** The format's name, as file metadata and HTTP answers give it. */
export const FORMAT_NAME = "creditlab.trajectory";

/**
 * One hop of a question's gold reasoning chain: the gold tool call of the hop (its search query)
 * and what it resolves to (`ChainStep` of @creditlab/core).
 */
export interface GoldHop {
  /** The hop's gold search query (it retrieves the passage that states the hop's fact). */
  query: string;
  /** The entity the hop resolves to (a bridge entity; the last hop's is the answer). */
  entity: string;
  /** The relation followed on the hop, when the data knows it. */
  relation?: string | null;
}

/** The gold answers (and gold entities and chain) of the record's question. */
export interface GroundTruth {
  /** Accepted answers (Search-R1's `reward_model.ground_truth.target`); at least one. */
  target: string[];
  /** Gold entities on the reasoning path, when the data has them (E-GRPO reads them). */
  entities?: string[] | null;
  /**
   * The gold reasoning chain, hop by hop (the gold tool calls), when the data has it: MatchTIR
   * matches the policy's search calls to its queries, StepSearch finds each hop's gold passage
   * with them (SearchWorld questions have one; an addition within version 1).
   */
  chain?: GoldHop[] | null;
}

/** One turn after the prompt: a span `[start, end)` of `response_ids`. */
export interface TurnSpan {
  /** Who produced the tokens; only `policy` tokens are trained on (mask 1). */
  role: Role;
  /** 1-based policy round (observations and feedback belong to the round they answer). */
  round: number;
  /** First response token of the turn. */
  start: number;
  /** One past its last response token. */
  end: number;
  /** The turn's text (judges and entity matching read it). */
  text: string;
  /** Policy turns: the parsed action; when absent it is parsed from `text`. */
  action?: Action | null;
  /** Feedback turns: the privileged verifier's verdict on the draft (CAPF reads it). */
  verdict?: FeedbackVerdict | null;
  /** The engine's reward of this turn (rLLM `Step.reward`), carried as given. */
  reward?: number | null;
}

/** One judge score of a non-final round (CW-GRPO's and PURE's round judge). */
export interface JudgeScore {
  round: number;
  retrieval: 0 | 1;
  thinking: 0 | 1;
}

/** One gold entity and whether the agent's own text mentions it. */
export interface EntityMatch {
  entity: string;
  matched: boolean;
}

/** Typed method inputs beyond the tokens and turns. */
export interface Extras {
  /**
   * The round judge's scores of rounds 1..K-1, in order. With them, methods that ask for a round
   * judge run offline: the judge answers from the record.
   */
  judge_scores?: JudgeScore[] | null;
  /** Entity matches an engine computed (carried; E-GRPO recomputes its own from the text). */
  entity_matches?: EntityMatch[] | null;
}

/** One trajectory in the interchange format, version 1. */
export interface TrajectoryRecord {
  /** Always {@link FORMAT_VERSION}. */
  version: number;
  /** Group id: trajectories sampled for the same prompt share it (verl `uid`). */
  uid: string;
  /** Unique within a file or request. */
  trajectory_id: string;
  /** Dataset name (verl `data_source`), e.g. "nq", "searchworld". */
  data_source: string;
  /** The question's id (records of one question share ground truth). */
  question_id: string;
  /** The question's text (default: `prompt_text`); LLM judges read it. */
  question?: string | null;
  ground_truth: GroundTruth;
  /** Prompt token ids (verl `prompts`, unpadded). */
  prompt_ids: number[];
  /** The prompt's text. */
  prompt_text: string;
  /** Response token ids: every token after the prompt, policy and environment alike. */
  response_ids: number[];
  /** 1 = policy token (trainable), 0 = observation / feedback token; aligned to `response_ids`. */
  response_mask: number[];
  /** Sampling log-probs of the policy tokens (0 where the mask is 0), or null. */
  rollout_log_probs?: number[] | null;
  /** The response's turns, in order, tiling `response_ids` exactly. */
  turns: TurnSpan[];
  /** The final `<answer>` text, if any. */
  answer?: string | null;
  /**
   * The outcome reward the methods start from. When null, it is the Search-R1 exact match of
   * `answer` against `ground_truth.target` (0 without an answer).
   */
  outcome_reward?: number | null;
  extras?: Extras | null;
  /** Anything else the engine wants carried (free-form JSON; no method reads it). */
  meta?: Record<string, unknown> | null;
  /** Output: the reward after the method's shaping. */
  reward?: number | null;
  /** Output: per-token advantages, aligned to `response_ids` (0 where the mask is 0). */
  advantages?: number[] | null;
  /** Output: per-token loss multipliers (null = all 1). */
  loss_weights?: number[] | null;
  /** Output: the method that computed the outputs. */
  method?: string | null;
  /** Output: the method's typed per-trajectory record. */
  method_record?: MethodRecord | null;
}

/** A gold chain step as a record's `ground_truth.chain` hop. */
export function goldHopOf(step: ChainStep): GoldHop {
  return {
    query: step.query,
    entity: step.entity,
    ...(step.relation !== undefined ? { relation: step.relation } : {}),
  };
}

/** A record's `ground_truth.chain` hop as a gold chain step (a null `relation` is absent). */
export function chainStepOf(hop: GoldHop): ChainStep {
  return {
    query: hop.query,
    entity: hop.entity,
    ...(hop.relation !== undefined && hop.relation !== null ? { relation: hop.relation } : {}),
  };
}
