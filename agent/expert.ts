/**
 * Expert trajectories for the SFT warm start, built from SearchWorld gold chains.
 *
 * An expert issues each hop's gold query with the real search tool (so the observation
 * tokens are exactly what a rollout would see) and answers with the gold answer. It does not
 * write `<think>` blocks: demonstrations that restated the fact just read
 * (`<think> the birthplace of X is Y </think>` before the next action) lowered the `default`
 * warm start's EM by 4.5-9.5 points and did not teach the smoke policy to pick the right fact
 * of a passage either (reports/experiments.md). When the
 * prompt offers the training-only feedback call, a share of the demonstrations also shows
 * how to use it, so that every arm starts from the same checkpoint and a method that offers
 * the call at RL time finds a policy that knows its syntax:
 *
 * - `plain`: search each hop, answer.
 * - `confirm`: search each hop, submit the answer as a draft with `<feedback>`, read the
 *   verifier's verdict, answer.
 * - `repair`: stop one hop early, submit the bridge entity as a draft, read the verifier's
 *   feedback (from the real privileged verifier), search the remaining hops, answer.
 *
 * @module
 */
import type { Rng } from "@creditlab/kernels";
import type { WordTokenizer } from "./tokenizer.ts";
import { formatFeedback, formatPassages } from "./protocol.ts";
import { encodeTurn, promptTurn } from "./rollout.ts";
import type { EntityAnonymizer, EpisodeAnonymizer } from "./anonymize.ts";
import type { PrivilegedVerifier, Question, SearchTool, Trajectory, Turn } from "@creditlab/core";

/** How a demonstration uses the feedback call. */
export type DemoKind = "plain" | "confirm" | "repair";

/** Options of {@link expertTrajectory}. */
export interface ExpertOptions {
  tokenizer: WordTokenizer;
  search: SearchTool;
  topK: number;
  maxSearchTurns: number;
  /** Required for `confirm` and `repair` demonstrations. */
  verifier?: PrivilegedVerifier;
  kind: DemoKind;
  groupId?: number;
  /** Entity anonymisation, as in the rollout. */
  anonymizer?: EntityAnonymizer;
}

function policyTurn(
  tokenizer: WordTokenizer,
  text: string,
  opts: { round: number; episode: EpisodeAnonymizer | undefined },
): Turn {
  return {
    role: "policy",
    tokens: encodeTurn(tokenizer, text, opts.episode),
    text,
    round: opts.round,
  };
}

/** One expert trajectory for a question that has a gold chain. */
export async function expertTrajectory(q: Question, opts: ExpertOptions): Promise<Trajectory> {
  const chain = q.goldChain;
  if (!chain || chain.length === 0) {
    throw new Error(`expertTrajectory: question ${q.id} has no gold chain`);
  }
  const answer = q.goldenAnswers[0];
  if (answer === undefined) {
    throw new Error(`expertTrajectory: question ${q.id} has no golden answer`);
  }
  const { tokenizer, topK } = opts;
  const feedbackOffered = opts.kind !== "plain";
  if (feedbackOffered && !opts.verifier) {
    throw new Error(`expertTrajectory: a "${opts.kind}" demonstration needs a verifier`);
  }
  const episode = opts.anonymizer?.episode();
  const turns: Turn[] = [
    promptTurn(q, { tokenizer, feedbackOffered, maxSearchTurns: opts.maxSearchTurns, episode }),
  ];
  let round = 1;
  const searchHop = async (h: number) => {
    const query = chain[h]!.query;
    turns.push(policyTurn(tokenizer, `<search> ${query} </search>`, { round, episode }));
    const passages = await opts.search.search(query, topK);
    const text = formatPassages(passages);
    turns.push({ role: "observation", tokens: encodeTurn(tokenizer, text, episode), text, round });
    round += 1;
  };
  const feedback = async (draft: string) => {
    turns.push(policyTurn(tokenizer, `<feedback> ${draft} </feedback>`, { round, episode }));
    const fb = await opts.verifier!.verify(q, draft);
    const text = formatFeedback(fb.text);
    turns.push({ role: "feedback", tokens: encodeTurn(tokenizer, text, episode), text, round });
    round += 1;
  };
  const hops = Math.min(chain.length, opts.maxSearchTurns);
  if (opts.kind === "repair" && hops >= 2) {
    const stop = hops - 1;
    for (let h = 0; h < stop; h++) await searchHop(h);
    await feedback(chain[stop - 1]!.entity);
    for (let h = stop; h < hops; h++) await searchHop(h);
  } else {
    for (let h = 0; h < hops; h++) await searchHop(h);
    if (opts.kind !== "plain") await feedback(answer);
  }
  turns.push(policyTurn(tokenizer, `<answer> ${answer} </answer>`, { round, episode }));
  return {
    questionId: q.id,
    groupId: opts.groupId ?? 0,
    turns,
    reward: 1,
    answer,
    meta: { expert: opts.kind },
  };
}

/** Pick a demonstration kind: plain with probability `1 - feedbackShare`, else confirm/repair. */
export function pickDemoKind(rng: Rng, feedbackShare: number): DemoKind {
  if (rng.next() >= feedbackShare) return "plain";
  return rng.next() < 0.5 ? "confirm" : "repair";
}
