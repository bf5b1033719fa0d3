/**
 * Teacher-forced lookup accuracy: can the policy read the hop's answer out of the passages it
 * was shown?
 *
 * Greedy EM mixes two skills: acting (search each hop with the right query, answer at the end)
 * and reading (pick, among the retrieved passages' facts, the one the question's relation points
 * to). This probe isolates reading. On a plain expert demonstration of a held-out question, after
 * the observation of hop `h` the expert writes the hop's gold entity `e_{h+1}` (as the subject of
 * the next query, or as the answer). The probe counts the hops at which the model's most likely
 * next token at that point is the entity's first token, given the expert's prefix (teacher
 * forcing, one forward pass, no decoding).
 *
 * Chance is what a policy that reads the right passage but not the right fact gets: for each hop,
 * one over the number of distinct objects of the hop subject's relation facts whose names appear
 * in that observation (the caller supplies the objects, e.g. from SearchWorld's knowledge base).
 * A hop whose gold entity does not appear in its observation is not counted (retrieval missed it).
 *
 * Recorded with every SearchWorld evaluation (`evals.extra.lookup`). It separates reading from
 * acting: with one 4-5-fact passage per entity a short warm start reads at chance (it finds the
 * passage and picks a random fact), which is why every SearchWorld preset has two passages per
 * entity (reports/experiments.md).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, Rng, Transformer } from "@creditlab/kernels";
 * import type { Question, Trajectory } from "@creditlab/core";
 * import { WordTokenizer } from "./tokenizer.ts";
 * await initBackend({ backend: "cpu" });
 * const question: Question = {
 *   id: "q",
 *   question: "who is the teacher of ana bel ?",
 *   goldenAnswers: ["bo cid"],
 *   benchmark: "searchworld",
 *   split: "test",
 *   goldChain: [{ query: "ana bel teacher", entity: "bo cid" }],
 * };
 * const found = "doc 1 ( title : ana bel ) the teacher of ana bel is bo cid . " +
 *   "the employer of ana bel is acme .";
 * const tokenizer = WordTokenizer.build([question.question, found]);
 * const turn = (role: "observation" | "policy", text: string, round: number) =>
 *   ({ role, text, tokens: tokenizer.encode(text), round });
 * // A plain expert demonstration: search, read the result, answer.
 * const demo: Trajectory = {
 *   questionId: "q",
 *   groupId: 0,
 *   reward: 1,
 *   meta: { expert: "plain" },
 *   turns: [
 *     turn("observation", question.question, 0),
 *     turn("policy", "<search> ana bel teacher </search>", 1),
 *     turn("observation", found, 1),
 *     turn("policy", "<answer> bo cid </answer>", 2),
 *   ],
 * };
 * const model = new Transformer({
 *   vocabSize: tokenizer.vocabSize,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   nKvHeads: 1,
 *   ffnHidden: 32,
 *   maxSeqLen: 64,
 *   ropeTheta: 10000,
 *   normEps: 1e-6,
 *   tiedEmbeddings: true,
 * }, { rng: new Rng(1) });
 * // The subject's facts name two objects in the result, so chance is 1/2.
 * const probe = lookupAccuracy(model, [demo], {
 *   questions: [question],
 *   objects: () => ["bo cid", "acme"],
 * });
 * assert.deepEqual([probe.n, probe.chance, probe.missed], [1, 0.5, 0]);
 * probe.accuracy; // 1 if the (untrained) model's most likely next token was "bo", else 0
 * model.dispose();
 * ```
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Transformer } from "@creditlab/kernels";
import { buildBatch } from "./batch.ts";
import type { Question, Trajectory } from "@creditlab/core";
import { WordTokenizer } from "./tokenizer.ts";

/** One probed hop: the token position of the gold entity and its candidate count. */
export interface LookupTarget {
  /** Row of the demonstration in the probed list. */
  row: number;
  /** Index of the entity's first token in the concatenated trajectory tokens. */
  pos: number;
  /** Distinct fact objects of the hop's subject named in the observation (>= 1). */
  candidates: number;
}

/** Result of {@link lookupAccuracy}. */
export interface LookupProbe {
  /** Share of probed hops whose greedy next token is the gold entity's first token. */
  accuracy: number;
  /** Mean of 1 / candidates over the probed hops. */
  chance: number;
  /** Probed hops. */
  n: number;
  /** Hops skipped because the gold entity was not in the observation. */
  missed: number;
}

/**
 * The names of the objects of hop `h`'s subject's relation facts (SearchWorld: the relations of
 * `metadata.entityIds[h]`), the gold entity among them.
 */
export type FactObjects = (q: Question, hop: number) => readonly string[];

/** `text` as space-padded word tokens, so that a name's tokens can be found with `includes`. */
function wordText(text: string): string {
  return ` ${WordTokenizer.pretokenize(text).join(" ")} `;
}

/**
 * The probed hops of plain expert demonstrations (`demos[i]` answers `questions[i]`; the
 * demonstration must alternate policy action and observation, as `expertTrajectory` with kind
 * `plain` writes it: the entity is the token right after the action's opening tag).
 */
export function lookupTargets(
  demos: readonly Trajectory[],
  opts: { questions: readonly Question[]; objects: FactObjects },
): { targets: LookupTarget[]; missed: number } {
  if (demos.length !== opts.questions.length) {
    throw new RangeError(
      `lookupTargets: ${demos.length} demonstrations but ${opts.questions.length} questions`,
    );
  }
  const targets: LookupTarget[] = [];
  let missed = 0;
  demos.forEach((demo, row) => {
    const q = opts.questions[row]!;
    if (demo.questionId !== q.id) {
      throw new Error(
        `lookupTargets: demonstration ${row} answers ${demo.questionId}, expected question ${q.id}`,
      );
    }
    if (demo.meta["expert"] !== undefined && demo.meta["expert"] !== "plain") {
      throw new Error(
        `lookupTargets: demonstration ${row} (${q.id}) is "${
          String(demo.meta["expert"])
        }", expected a plain one`,
      );
    }
    const chain = q.goldChain ?? [];
    let pos = 0;
    let hop = 0;
    demo.turns.forEach((turn, i) => {
      const next = demo.turns[i + 1];
      // round 0 is the prompt (an observation-role turn); search results have round >= 1
      const searched = turn.role === "observation" && turn.round > 0;
      if (searched && next?.role === "policy" && hop < chain.length) {
        const gold = chain[hop]!.entity;
        const hay = wordText(turn.text);
        const mentions = (name: string) => hay.includes(wordText(name));
        if (!mentions(gold)) {
          missed += 1;
        } else {
          const objects = new Set(opts.objects(q, hop).filter(mentions));
          objects.add(gold);
          targets.push({ row, pos: pos + turn.tokens.length + 1, candidates: objects.size });
        }
        hop += 1;
      }
      pos += turn.tokens.length;
    });
  });
  return { targets, missed };
}

/**
 * Teacher-forced lookup accuracy of `model` on plain expert demonstrations (see the module doc).
 * `batchSize` rows are scored per forward pass (default 25).
 */
export function lookupAccuracy(
  model: Transformer,
  demos: readonly Trajectory[],
  opts: { questions: readonly Question[]; objects: FactObjects; batchSize?: number },
): LookupProbe {
  const { targets, missed } = lookupTargets(demos, opts);
  const bs = opts.batchSize ?? 25;
  let hits = 0;
  for (let r0 = 0; r0 < demos.length; r0 += bs) {
    const rows = demos.slice(r0, r0 + bs);
    const mine = targets.filter((t) => t.row >= r0 && t.row < r0 + rows.length);
    if (mine.length === 0) continue;
    const batch = buildBatch(rows);
    const am = tf.tidy(() => {
      const tokens = tf.tensor2d(batch.tokens, [batch.n, batch.length], "int32");
      return tf.argMax(model.forward(tokens), -1);
    });
    const best = am.dataSync();
    am.dispose();
    for (const t of mine) {
      const at = (t.row - r0) * batch.length + t.pos;
      if (best[at - 1] === batch.tokens[at]) hits += 1;
    }
  }
  const n = targets.length;
  return {
    accuracy: n === 0 ? 0 : hits / n,
    chance: n === 0 ? 0 : targets.reduce((a, t) => a + 1 / t.candidates, 0) / n,
    n,
    missed,
  };
}
