/**
 * Test doubles of the resources a method is granted: a search tool over a list of passages, a
 * scripted chat client, a round judge reading a table, and the base of the policy scorers.
 *
 * @example
 * ```ts
 * const judge = new TableJudge({ "<search> a </search>": { retrieval: 1, thinking: 0 } });
 * const chat = new ScriptedChat((_user, i) => `reply ${i}`);
 * const hits = await new ListSearch([{ id: "d1", title: "A", text: "paris is a city" }])
 *   .search("paris", 3); // one passage, score 1
 * ```
 * @module
 */
import type {
  JudgedRound,
  PolicyScorer,
  Question,
  RoundJudge,
  RoundScore,
  ScoreRequest,
  ScorerStats,
  SearchTool,
  Turn,
} from "@creditlab/core";

/** A search tool over a fixed list of passages (substring match on the query's words). */
export class ListSearch implements SearchTool {
  constructor(private readonly passages: { id: string; title: string; text: string }[] = []) {}
  search(
    query: string,
    k: number,
  ): Promise<{ id: string; title: string; text: string; score: number }[]> {
    const words = query.toLowerCase().split(/\s+/).filter((w) => w.length > 0);
    const scored = this.passages.map((p) => ({
      ...p,
      score: words.filter((w) => p.text.toLowerCase().includes(w)).length,
    }));
    return Promise.resolve(
      scored.filter((p) => p.score > 0).sort((a, b) => b.score - a.score).slice(0, k),
    );
  }
}

/**
 * A chat client that answers from a function of the messages, and records every call
 * (exercises the prompt building, JSON parsing and caching of LLM judges and verifiers
 * without a model server).
 */
export class ScriptedChat {
  readonly calls: { messages: { role: string; content: string }[]; temperature: number }[] = [];
  constructor(private readonly reply: (userMessage: string, callIndex: number) => string) {}
  complete(
    messages: { role: "system" | "user" | "assistant"; content: string }[],
    opts: { temperature: number; maxTokens: number; stop?: string[] },
  ): Promise<string> {
    this.calls.push({ messages, temperature: opts.temperature });
    const user = messages.filter((m) => m.role === "user").map((m) => m.content).join("\n");
    return Promise.resolve(this.reply(user, this.calls.length - 1));
  }
}

/**
 * A round judge that looks each round's scores up by its policy text (0/0 when absent), and
 * records the rounds of every call.
 */
export class TableJudge implements RoundJudge {
  readonly seen: JudgedRound[][] = [];
  constructor(private readonly table: Record<string, RoundScore>) {}
  score(_q: Question, rounds: JudgedRound[]): Promise<RoundScore[]> {
    this.seen.push(rounds);
    return Promise.resolve(
      rounds.map((r) => this.table[r.policyText] ?? { retrieval: 0, thinking: 0 }),
    );
  }
}

/**
 * TEST DOUBLE base of the policy scorers in method tests (igpo, pbsd, a2tgpo): it keeps the
 * counters the trainer's scorer keeps (a request per request, a forward pass per non-empty
 * target, context + target tokens), records every call's requests, checks them, and scores
 * each target token with the subclass's {@link TestScorer.tokenLogProb} given the tokens before
 * it (the context and the earlier targets, or with `ignoreContext` the earlier targets only).
 * A real function of the tokens, so golden values can be worked by hand.
 */
export abstract class TestScorer implements PolicyScorer {
  readonly calls: ScoreRequest[][] = [];
  readonly #stats: ScorerStats = { requests: 0, forwardPasses: 0, tokens: 0 };
  constructor(readonly ignoreContext = false) {}
  abstract encode(text: string, opts?: { episode?: readonly Turn[] }): Int32Array;
  /** log pi(y | before). */
  protected abstract tokenLogProb(y: number, before: readonly number[]): number;
  get stats(): Readonly<ScorerStats> {
    return { ...this.#stats };
  }
  logProbs(requests: readonly ScoreRequest[]): Promise<Float32Array[]> {
    this.calls.push([...requests]);
    const out = requests.map(({ context, target }, i) => {
      if (!(context instanceof Int32Array) || !(target instanceof Int32Array)) {
        throw new TypeError(`test scorer: request ${i} needs Int32Array context and target`);
      }
      if (context.length === 0 && target.length > 0) {
        throw new RangeError(`test scorer: request ${i} has an empty context`);
      }
      const lp = new Float32Array(target.length);
      for (let t = 0; t < target.length; t++) {
        const earlier = Array.from(target.subarray(0, t));
        lp[t] = this.tokenLogProb(
          target[t]!,
          this.ignoreContext ? earlier : [...context, ...earlier],
        );
      }
      this.#stats.requests++;
      if (target.length > 0) this.#stats.forwardPasses++;
      this.#stats.tokens += context.length + target.length;
      return lp;
    });
    return Promise.resolve(out);
  }
}
