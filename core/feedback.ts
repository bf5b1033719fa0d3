/**
 * Privileged training signals: the verifier that checks a draft answer (CAPF) and the judge
 * that scores the non-final rounds of a trajectory (CW-GRPO). Training only: evaluation never
 * uses them.
 * @module
 */
import type { Question } from "./question.ts";
import type { Action } from "./trajectory.ts";

/** Machine-readable kinds of verifier feedback. */
export type FeedbackKind =
  | "correct"
  | "wrong-type"
  | "wrong-hop"
  | "missing-entity"
  | "wrong"
  | "unknown";

/**
 * How much a privileged verifier reveals (SearchWorld's verifier and the LLM verifier alike):
 * - `"correctness"`: only whether the draft is correct;
 * - `"error-type"`: what kind of error the draft makes, explained briefly — CAPF's Figure 1
 *   example: "Sochi" is flagged as the host city rather than the requested country;
 * - `"hint"`: as `error-type`, plus what to look up next (never the answer).
 */
export type FeedbackDetail = "correctness" | "error-type" | "hint";

/** Feedback from a privileged verifier about a draft answer (CAPF). */
export interface VerifierFeedback {
  correct: boolean;
  /** Machine-readable kind of the feedback. */
  kind: FeedbackKind;
  /** The text shown to the policy. */
  text: string;
}

/** A privileged verifier: knows the gold answer (training only). */
export interface PrivilegedVerifier {
  verify(question: Question, draft: string): Promise<VerifierFeedback>;
}

/** Binary round scores of the CW-GRPO judge. */
export interface RoundScore {
  retrieval: 0 | 1;
  thinking: 0 | 1;
}

/** One round as the judge sees it: the policy's text and the observation that followed. */
export interface JudgedRound {
  round: number;
  policyText: string;
  action: Action;
  observationText: string;
}

/** Running counters of a judge that calls a model (an LLM judge). */
export interface JudgeStats {
  /** Model calls requested (cache misses). */
  calls: number;
  /** Rounds answered from the judge's cache. */
  cacheHits: number;
  /** Replies that did not parse (scored 0/0). */
  parseFailures: number;
}

/** Scores the non-final rounds of a trajectory (CW-GRPO). */
export interface RoundJudge {
  /** Scores for `rounds` (each a non-final round), in order. */
  score(question: Question, rounds: JudgedRound[]): Promise<RoundScore[]>;
  /**
   * Running counters, when the judge calls a model (absent for rule-based judges such as
   * SearchWorld's oracle): a method reports how much they grew during its step.
   */
  readonly stats?: Readonly<JudgeStats>;
}
