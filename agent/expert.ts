/**
 * Expert trajectories for the SFT warm start, built from SearchWorld gold chains.
 *
 * An expert issues each hop's gold query with the real search tool (so the observation
 * tokens are exactly what a rollout would see) and answers with the gold answer. As the
 * Search-R1 prompt asks ("conduct reasoning inside <think> and </think> first every time you
 * get new information"), each action after a search result opens with a `<think>` that states
 * the fact just read, in the corpus's own words: `<think> the birthplace of X is Y </think>
 * <search> Y mayor </search>` (see {@link hopFact}; a chain step without a relation gets no
 * think). This matters for what a small policy can learn: reading the answer out of a passage
 * then becomes two short copies (the fact's words from the query, then the entity that
 * follows them in the passage, an induction-head lookup) instead of one long-range lookup
 * from the answer tag; without it the smoke policy never learned the lookup and guessed
 * among the passage's entities (44% on one-hop questions after 800 SFT steps). When the
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
import type { PrivilegedVerifier, Question, SearchTool, Trajectory, Turn } from "./types.ts";

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

/**
 * The fact of hop `h` of a gold chain as the corpus states it, `the <relation> of <subject> is
 * <entity>` (subject: the question's start entity for the first hop, else the previous hop's
 * entity), or undefined when the step has no relation or the start entity is unknown.
 *
 * @example
 * ```ts
 * import { hopFact } from "./expert.ts";
 * const q = { id: "q", question: "which city is the birthplace of the teacher of ana bel ?",
 *   goldenAnswers: ["rome"], benchmark: "searchworld", split: "train", metadata: { start: "ana bel" },
 *   goldChain: [{ query: "ana bel teacher", entity: "bo cid", relation: "teacher" },
 *     { query: "bo cid birthplace", entity: "rome", relation: "birthplace" }] };
 * hopFact(q, 1); // "the birthplace of bo cid is rome"
 * ```
 */
export function hopFact(q: Question, h: number): string | undefined {
  const step = q.goldChain?.[h];
  if (!step || step.relation === undefined) return undefined;
  const start = q.metadata?.["start"];
  const subject = h === 0
    ? (typeof start === "string" ? start : undefined)
    : q.goldChain![h - 1]!.entity;
  if (subject === undefined) return undefined;
  return `the ${step.relation} of ${subject} is ${step.entity}`;
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
  // The fact read in the last observation, stated in a <think> before the next action.
  let fact: string | undefined;
  const act = (action: string) => {
    const text = fact === undefined ? action : `<think> ${fact} </think> ${action}`;
    fact = undefined;
    turns.push(policyTurn(tokenizer, text, { round, episode }));
  };
  const searchHop = async (h: number) => {
    const query = chain[h]!.query;
    act(`<search> ${query} </search>`);
    const passages = await opts.search.search(query, topK);
    const text = formatPassages(passages);
    turns.push({ role: "observation", tokens: encodeTurn(tokenizer, text, episode), text, round });
    fact = hopFact(q, h);
    round += 1;
  };
  const feedback = async (draft: string) => {
    act(`<feedback> ${draft} </feedback>`);
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
  act(`<answer> ${answer} </answer>`);
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
