/**
 * Multi-turn batched rollout of the local policy with the Search-R1 protocol.
 *
 * B questions x G samples are decoded together with one KV-cached decoder. Each row
 * alternates policy turns (sampled until a stop tag) and environment turns (search results,
 * the corrective invalid-action text, or — in training rollouts of methods that add it —
 * privileged feedback). Observation and feedback tokens are fed to the model but never
 * trained on. Group ids are explicit: row `i * G + j` belongs to group `groupIdBase + i`.
 *
 * @module
 */
import type { Rng, Transformer } from "@creditlab/kernels";
import { sampleToken, tokenLogProbsRef } from "@creditlab/kernels";
import type { WordTokenizer } from "./tokenizer.ts";
import type { EntityAnonymizer, EpisodeAnonymizer } from "./anonymize.ts";
import {
  buildPrompt,
  formatFeedback,
  formatPassages,
  invalidActionText,
  parseAction,
  STOP_TAGS,
} from "./protocol.ts";
import type {
  Action,
  FeedbackVerdict,
  Question,
  SearchTool,
  Trajectory,
  Turn,
  VerifierFeedback,
} from "@creditlab/core";

/** Sampling and protocol limits of a rollout. */
export interface RolloutConfig {
  /** Samples per question (G). */
  groupSize: number;
  /** At most this many search turns; then one turn with search disabled (Search-R1: 4). */
  maxSearchTurns: number;
  /** Passages per search (Search-R1: 3). */
  topK: number;
  /** Maximum tokens of one policy turn. */
  maxTurnTokens: number;
  /** Maximum total tokens of a trajectory (the decoder's capacity). */
  maxTotalTokens: number;
  /**
   * Sampling temperature (0 = greedy). The trainer scores a rollout's tokens under the same
   * tempered policy `softmax(z / T)` (`Transformer.logProbs`), so updates stay on-policy at any
   * T > 0; the recorded `sampledLogProbs` are of that policy too (T = 1 for greedy rollouts).
   */
  temperature: number;
  /**
   * Nucleus sampling threshold (1 = off). Log-probs ignore the truncation (as verl's do), so a
   * `topP` below 1 makes the update slightly off-policy.
   */
  topP: number;
}

/**
 * The temperature of the distribution a rollout samples from, whose log-probs the rollout
 * records and the trainer differentiates: `config.temperature`, or 1 for a greedy rollout
 * (temperature 0 has no sampling distribution; its log-probs are the model's own).
 *
 * @example
 * ```ts
 * const config: RolloutConfig = {
 *   groupSize: 4,
 *   maxSearchTurns: 4,
 *   topK: 3,
 *   maxTurnTokens: 24,
 *   maxTotalTokens: 480,
 *   temperature: 0.7,
 *   topP: 1,
 * };
 * samplingTemperature(config); // 0.7
 * samplingTemperature({ ...config, temperature: 0 }); // 1
 * ```
 */
export function samplingTemperature(config: RolloutConfig): number {
  return config.temperature > 0 ? config.temperature : 1;
}

/** The training-only feedback call, as the rollout sees it (built from a method's hooks). */
export interface FeedbackHook {
  /** At most this many feedback calls per rollout. */
  maxCalls: number;
  /**
   * Share of each group's samples whose prompt offers the call, in (0, 1]: the first
   * ceil(share * G) samples of every group (at least one); the others get the deployment prompt.
   * Default 1 (every sample).
   */
  offerShare?: number;
  /** Answer one call; null = not allowed now (treated as an invalid action). */
  call(
    state: { question: Question; turns: readonly Turn[]; feedbackCalls: number },
    draft: string,
  ): Promise<VerifierFeedback | null>;
}

/** Options of {@link rollout}. */
export interface RolloutOptions {
  model: Transformer;
  tokenizer: WordTokenizer;
  search: SearchTool;
  config: RolloutConfig;
  rng: Rng;
  /** Group id of the first question; question i gets `groupIdBase + i`. */
  groupIdBase?: number;
  /** Present only in training rollouts of methods that add the feedback call. */
  feedback?: FeedbackHook;
  /** Entity anonymisation of the policy's text (see anonymize.ts); none = plain words. */
  anonymizer?: EntityAnonymizer;
}

/**
 * The state of one row of the decode loop ({@link runRows}): what `rollout` and
 * `continueRollouts` (continue_rollout.ts) build for each row before decoding it.
 */
export interface RowState {
  question: Question;
  groupId: number;
  turns: Turn[];
  /** Tokens of the policy turn being sampled. */
  current: number[];
  /** Their log-probs under the sampling logits (temperature 1). */
  currentLogProbs: number[];
  round: number;
  searchTurns: number;
  /** Whether this row's prompt offers the feedback call. */
  feedbackOffered: boolean;
  feedbackCalls: number;
  invalidActions: number;
  done: boolean;
  /** The prompt alone fills the token budget: the episode never started. */
  promptTooLong: boolean;
  answer?: string;
  totalTokens: number;
  pendingFeed: Int32Array | null;
  episode: EpisodeAnonymizer | undefined;
}

/** Encode text (anonymised when the episode has a mapping) into ids, no special tokens. */
export function encodeTurn(
  tokenizer: WordTokenizer,
  text: string,
  episode: EpisodeAnonymizer | undefined,
): Int32Array {
  return tokenizer.encode(episode ? episode.anonymize(text) : text);
}

/** Decode a policy turn's ids into text with real entity names. */
export function decodeTurn(
  tokenizer: WordTokenizer,
  tokens: Int32Array,
  episode: EpisodeAnonymizer | undefined,
): string {
  const text = tokenizer.decode(tokens);
  return episode ? episode.restore(text) : text;
}

/** The prompt turn of a question: `<bos>` followed by the protocol prompt. */
export function promptTurn(
  question: Question,
  opts: {
    tokenizer: WordTokenizer;
    feedbackOffered: boolean;
    maxSearchTurns: number;
    episode?: EpisodeAnonymizer | undefined;
  },
): Turn {
  const text = buildPrompt(question, {
    feedbackOffered: opts.feedbackOffered,
    maxSearchTurns: opts.maxSearchTurns,
  });
  const body = encodeTurn(opts.tokenizer, text, opts.episode);
  const tokens = new Int32Array(body.length + 1);
  tokens[0] = opts.tokenizer.id("<bos>");
  tokens.set(body, 1);
  return { role: "observation", tokens, text, round: 0 };
}

/**
 * How many of a group's G samples are offered the feedback call under `share` in (0, 1]:
 * ceil(share * G), at least 1 (the first samples of the group get it).
 *
 * @example
 * ```ts
 * feedbackOfferedPerGroup(1, 5); // 5
 * feedbackOfferedPerGroup(0.5, 5); // 3
 * feedbackOfferedPerGroup(0.01, 5); // 1
 * ```
 */
export function feedbackOfferedPerGroup(share: number, groupSize: number): number {
  if (!(share > 0 && share <= 1)) {
    throw new RangeError(`feedback offerShare must be in (0, 1], got ${share}`);
  }
  return Math.min(groupSize, Math.max(1, Math.ceil(share * groupSize - 1e-9)));
}

/**
 * Sample G trajectories per question. Rewards are left at 0: the trainer scores them.
 *
 * `meta` of each trajectory holds `toolCalls`, `feedbackOffered` (whether its prompt offered the
 * feedback call), `feedbackCalls`, `invalidActions`, `truncated` (hit the token budget without
 * an answer) and `promptTooLong` (the prompt alone has `maxTotalTokens` tokens or more: the
 * episode never started, with no answer).
 */
export async function rollout(
  questions: Question[],
  opts: RolloutOptions,
): Promise<Trajectory[]> {
  const { tokenizer, config } = opts;
  const G = config.groupSize;
  const base = opts.groupIdBase ?? 0;
  const offeredPerGroup = opts.feedback === undefined
    ? 0
    : feedbackOfferedPerGroup(opts.feedback.offerShare ?? 1, G);
  const rows: RowState[] = [];
  questions.forEach((q, i) => {
    for (let j = 0; j < G; j++) {
      const episode = opts.anonymizer?.episode();
      const feedbackOffered = j < offeredPerGroup;
      const prompt = promptTurn(q, {
        tokenizer,
        feedbackOffered,
        maxSearchTurns: config.maxSearchTurns,
        episode,
      });
      // A prompt that leaves no room to sample ends the episode before it starts (no answer),
      // rather than overflowing the decoder and aborting every other row of the batch.
      const tooLong = prompt.tokens.length >= config.maxTotalTokens;
      rows.push({
        question: q,
        groupId: base + i,
        turns: [prompt],
        current: [],
        currentLogProbs: [],
        round: 1,
        searchTurns: 0,
        feedbackOffered,
        feedbackCalls: 0,
        invalidActions: 0,
        done: tooLong,
        promptTooLong: tooLong,
        totalTokens: prompt.tokens.length,
        pendingFeed: tooLong ? null : prompt.tokens,
        episode,
      });
    }
  });
  return await runRows(rows, opts);
}

/** Decode every row to the end of its episode (the loop shared by flat and continued rollouts). */
export async function runRows(rows: RowState[], opts: RolloutOptions): Promise<Trajectory[]> {
  const { model, tokenizer, search, config, rng } = opts;
  const stopIds = new Set(STOP_TAGS.map((t) => tokenizer.id(t)));
  const eosId = tokenizer.id("<eos>");
  const vocab = tokenizer.vocabSize;
  // Log-probs of the tempered policy the sampler draws from (greedy: of the model itself).
  const logProbScale = 1 / samplingTemperature(config);
  const scaled = new Float32Array(vocab);
  const decoder = model.decoder(rows.length, { capacity: config.maxTotalTokens + 1 });
  try {
    while (rows.some((r) => !r.done)) {
      const feeds = rows.map((r) => (r.done ? null : r.pendingFeed));
      const logits = decoder.feed(feeds);
      const finishedTurns: number[] = [];
      rows.forEach((r, idx) => {
        if (r.done) return;
        r.pendingFeed = null;
        const z = logits.subarray(idx * vocab, (idx + 1) * vocab);
        const tok = sampleToken(z, { temperature: config.temperature, topP: config.topP, rng });
        r.current.push(tok);
        let zt = z;
        if (logProbScale !== 1) {
          for (let j = 0; j < vocab; j++) scaled[j] = z[j]! * logProbScale;
          zt = scaled;
        }
        r.currentLogProbs.push(tokenLogProbsRef(zt, [tok], { vocab })[0]!);
        r.totalTokens += 1;
        const budgetHit = r.totalTokens >= config.maxTotalTokens;
        if (
          stopIds.has(tok) || tok === eosId || r.current.length >= config.maxTurnTokens || budgetHit
        ) {
          finishedTurns.push(idx);
        } else {
          r.pendingFeed = Int32Array.of(tok);
        }
      });
      await Promise.all(finishedTurns.map((idx) => endTurn(rows[idx]!)));
    }
  } finally {
    decoder.dispose();
  }

  async function endTurn(r: RowState): Promise<void> {
    const tokens = Int32Array.from(r.current);
    const sampledLogProbs = Float32Array.from(r.currentLogProbs);
    r.current = [];
    r.currentLogProbs = [];
    const text = decodeTurn(tokenizer, tokens, r.episode);
    const searchAllowed = r.searchTurns < config.maxSearchTurns;
    const { feedbackOffered } = r;
    const maxCalls = feedbackOffered ? opts.feedback?.maxCalls ?? 0 : 0;
    let action: Action = parseAction(text, { feedbackOffered, searchAllowed });
    if (action.kind === "feedback" && r.feedbackCalls >= maxCalls) {
      action = { kind: "invalid", reason: "no feedback calls left" };
    }
    r.turns.push({ role: "policy", tokens, text, action, round: r.round, sampledLogProbs });
    const lastSampled = tokens[tokens.length - 1];
    const outOfBudget = r.totalTokens >= config.maxTotalTokens;
    let obs: { role: "observation" | "feedback"; text: string; verdict?: FeedbackVerdict } | null =
      null;
    switch (action.kind) {
      case "answer":
        r.answer = action.text;
        r.done = true;
        return;
      case "search": {
        r.searchTurns += 1;
        const passages = await search.search(action.query, config.topK);
        obs = { role: "observation", text: formatPassages(passages) };
        break;
      }
      case "feedback": {
        const fb = await opts.feedback!.call(
          { question: r.question, turns: r.turns, feedbackCalls: r.feedbackCalls },
          action.draft,
        );
        if (fb === null) {
          r.invalidActions += 1;
          obs = { role: "observation", text: invalidActionText({ feedbackOffered }) };
        } else {
          r.feedbackCalls += 1;
          obs = {
            role: "feedback",
            text: formatFeedback(fb.text),
            verdict: { correct: fb.correct, kind: fb.kind },
          };
        }
        break;
      }
      case "invalid":
        r.invalidActions += 1;
        obs = { role: "observation", text: invalidActionText({ feedbackOffered }) };
        break;
    }
    // The episode ends when the token budget is spent, the model emitted <eos>, or the
    // round budget (search turns + feedback calls + invalid retries) is exhausted.
    const roundBudget = config.maxSearchTurns + maxCalls + 2;
    const obsTokens = encodeTurn(tokenizer, obs.text, r.episode);
    if (
      outOfBudget || lastSampled === eosId || r.round >= roundBudget ||
      r.totalTokens + obsTokens.length + 2 >= config.maxTotalTokens
    ) {
      r.done = true;
      return;
    }
    r.turns.push({
      role: obs.role,
      tokens: obsTokens,
      text: obs.text,
      round: r.round,
      ...(obs.verdict ? { verdict: obs.verdict } : {}),
    });
    r.totalTokens += obsTokens.length;
    // Feed the stop tag the policy sampled (not yet seen by the decoder), then the observation.
    const feed = new Int32Array(obsTokens.length + 1);
    feed[0] = lastSampled ?? eosId;
    feed.set(obsTokens, 1);
    r.pendingFeed = feed;
    r.round += 1;
  }

  return rows.map((r) => {
    const traj: Trajectory = {
      questionId: r.question.id,
      groupId: r.groupId,
      turns: r.turns,
      reward: 0,
      meta: {
        toolCalls: r.searchTurns,
        feedbackOffered: r.feedbackOffered,
        feedbackCalls: r.feedbackCalls,
        invalidActions: r.invalidActions,
        truncated: r.answer === undefined,
        promptTooLong: r.promptTooLong,
      },
    };
    if (r.answer !== undefined) traj.answer = r.answer;
    return traj;
  });
}
