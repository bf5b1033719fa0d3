/**
 * SFT warm start: maximum likelihood of expert trajectories,
 *
 *     L = - sum_t w_t log pi(y_t | y_<t) / sum_t w_t,
 *     w_t = 1 on policy tokens, `observationWeight` on observation and feedback tokens, 0 on the prompt.
 *
 * The observation term is a language-modelling loss on the retrieved passages (what a base
 * LLM gets from pre-training): passages repeat entity names, so predicting them grows the
 * copy circuits the policy needs to put names from the question and the passages into its
 * queries and answers. It only shapes the warm start; RL never trains on observation tokens.
 *
 * @module
 */
import { type Rng, tf, type Transformer } from "@creditlab/kernels";
import {
  buildBatch,
  type DemoKind,
  type EntityAnonymizer,
  expertTrajectory,
  pickDemoKind,
  type WordTokenizer,
} from "@creditlab/agent";
import { lengthBuckets, sliceRows } from "./micro_batch.ts";
import { AdamW, type AdamWConfig, addGradients } from "./optim.ts";
import { Progress } from "./progress.ts";
import {
  type PrivilegedVerifier,
  type Question,
  ROLE_CODE,
  type RolloutBatch,
  type SearchTool,
  type Trajectory,
} from "@creditlab/core";

/** SFT hyper-parameters. */
export interface SftConfig {
  steps: number;
  batchSize: number;
  optimizer: AdamWConfig;
  /**
   * Share of demonstrations whose prompt offers the training-only feedback call (half
   * `confirm`, half `repair`; see agent/expert.ts). Every arm starts from this same checkpoint.
   */
  feedbackShare: number;
  /** Weight of the observation/feedback-token LM term (0 = policy tokens only). */
  observationWeight: number;
  /** How steps draw their demonstrations (default `"random"`); see {@link SftBatching}. */
  batching?: SftBatching;
}

/**
 * How SFT steps draw their demonstrations.
 * - `"random"`: each step draws `batchSize` demonstrations uniformly with replacement.
 * - `"length-grouped"` (Hugging Face Trainer's `group_by_length`): draw
 *   `batchSize * LENGTH_GROUP_BATCHES` demonstrations the same way, sort them by length, cut
 *   them into batches of neighbours and use those batches in random order. Every demonstration
 *   is still drawn uniformly; only which ones share a batch changes, so a batch is padded to a
 *   length close to its own rows' (SearchWorld demonstrations span ~80 to ~450 tokens).
 *   Faster (smoke SFT: 47 s -> 32 s) but not free: each batch holds demonstrations of one length
 *   band (e.g. only one-hop ones), and on the `default` preset it lowered the warm start from
 *   53.5/58.5 to 37.0/44.0 EM (in-domain/OOD, seed 1, 200 questions each), and on `smoke` it
 *   gave a policy that never searched a second time (0/50 two-hop test questions). No preset
 *   uses it.
 */
export type SftBatching = "random" | "length-grouped";

/** Batches per sorted draw of the `"length-grouped"` batching. */
export const LENGTH_GROUP_BATCHES = 16;

function trajectoryLength(t: Trajectory): number {
  let n = 0;
  for (const turn of t.turns) n += turn.tokens.length;
  return n;
}

/**
 * A source of SFT batches over `demos` (see {@link SftBatching}); deterministic for a given
 * `rng` state.
 */
export function sftBatcher(
  demos: readonly Trajectory[],
  opts: { batchSize: number; batching: SftBatching; rng: Rng },
): () => Trajectory[] {
  const { batchSize, rng } = opts;
  if (demos.length === 0) throw new Error("sftBatcher: no demonstrations");
  if (opts.batching === "random") {
    return () => Array.from({ length: batchSize }, () => demos[rng.int(demos.length)]!);
  }
  if (opts.batching !== "length-grouped") {
    throw new RangeError(
      `sftBatcher: batching must be "random" or "length-grouped", got ${String(opts.batching)}`,
    );
  }
  let queue: Trajectory[][] = [];
  return () => {
    if (queue.length === 0) {
      const drawn = Array.from(
        { length: batchSize * LENGTH_GROUP_BATCHES },
        () => demos[rng.int(demos.length)]!,
      );
      const sorted = drawn.map((t, i) => ({ t, i, n: trajectoryLength(t) }))
        .sort((a, b) => a.n - b.n || a.i - b.i);
      const batches: Trajectory[][] = [];
      for (let b = 0; b < LENGTH_GROUP_BATCHES; b++) {
        batches.push(sorted.slice(b * batchSize, (b + 1) * batchSize).map((x) => x.t));
      }
      // Fisher-Yates with the run's generator: batches of short and long rows interleave.
      for (let i = batches.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [batches[i], batches[j]] = [batches[j]!, batches[i]!];
      }
      queue = batches;
    }
    return queue.shift()!;
  };
}

/** Options of {@link trainSft}. */
export interface TrainSftOptions {
  model: Transformer;
  tokenizer: WordTokenizer;
  questions: Question[];
  search: SearchTool;
  verifier?: PrivilegedVerifier;
  config: SftConfig;
  rng: Rng;
  topK: number;
  maxSearchTurns: number;
  /** Entity anonymisation of the policy's text (as in the rollout). */
  anonymizer?: EntityAnonymizer;
  onStep?: (step: number, loss: number) => Promise<void> | void;
}

/** Build the expert demonstrations (one per question, kind drawn from `rng`). */
export async function buildDemonstrations(
  questions: Question[],
  opts: Omit<TrainSftOptions, "model" | "config" | "onStep"> & { feedbackShare: number },
): Promise<Trajectory[]> {
  const out: Trajectory[] = [];
  for (const q of questions) {
    const kind: DemoKind = opts.verifier ? pickDemoKind(opts.rng, opts.feedbackShare) : "plain";
    out.push(
      await expertTrajectory(q, {
        tokenizer: opts.tokenizer,
        search: opts.search,
        topK: opts.topK,
        maxSearchTurns: opts.maxSearchTurns,
        kind,
        ...(opts.verifier ? { verifier: opts.verifier } : {}),
        ...(opts.anonymizer ? { anonymizer: opts.anonymizer } : {}),
      }),
    );
  }
  return out;
}

/** Per-token SFT weights: 1 on policy tokens, `observationWeight` on observation/feedback tokens. */
export function sftWeights(batch: RolloutBatch, observationWeight: number): Float32Array {
  const w = new Float32Array(batch.lossMask);
  if (observationWeight === 0) return w;
  for (let i = 0; i < w.length; i++) {
    const role = batch.roles[i];
    if (role === ROLE_CODE.observation || role === ROLE_CODE.feedback) w[i] = observationWeight;
  }
  return w;
}

/** Masked negative log-likelihood of a batch (a scalar tensor). */
export function sftLoss(model: Transformer, tokens: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const lp = model.logProbs(tokens);
    return tf.div(tf.neg(tf.sum(tf.mul(lp, mask))), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Rows per micro-batch of an SFT step. Demonstrations span ~60 to ~250 tokens and attention is
 * quadratic in the padded length, so a batch cut by length into micro-batches of 4 costs less
 * than one padded batch (same loss and gradient up to float rounding, see {@link sftGradients}).
 */
export const SFT_MICRO_BATCH_ROWS = 4;

/**
 * Loss and gradients of the masked NLL of a whole batch ({@link sftLoss}: sum of w·(−log p) over
 * the batch's tokens ÷ max(Σw, 1)), computed in length-sorted micro-batches of at most
 * `microBatchRows` rows ({@link lengthBuckets}); each micro-batch's sum is divided by the whole
 * batch's Σw, so the accumulated gradient is the whole batch's.
 */
export function sftGradients(
  model: Transformer,
  batch: RolloutBatch,
  opts: { observationWeight: number; microBatchRows: number },
): { loss: number; grads: tf.Tensor[] } {
  const weights = sftWeights(batch, opts.observationWeight);
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i]!;
  const denom = Math.max(total, 1);
  const vars = model.variables();
  let acc: tf.Tensor[] | null = null;
  let loss = 0;
  for (const rows of lengthBuckets(batch.lengths.subarray(0, batch.n), opts.microBatchRows)) {
    const sl = sliceRows(batch, rows, { w: weights });
    const shape: [number, number] = [sl.n, sl.len];
    const tokens = tf.tensor2d(sl.tokens, shape, "int32");
    const w = tf.tensor2d(sl.arrays.w, shape);
    const { value, grads } = tf.variableGrads(
      () =>
        tf.tidy(() =>
          tf.div(tf.neg(tf.sum(tf.mul(model.logProbs(tokens), w))), denom) as tf.Scalar
        ),
      vars,
    );
    loss += value.dataSync()[0]!;
    acc = addGradients(acc, vars.map((v) => grads[v.name]!));
    tf.dispose([tokens, w, value]);
  }
  return { loss, grads: acc ?? [] };
}

/** Train with SFT; returns the loss of each step. */
export async function trainSft(opts: TrainSftOptions): Promise<number[]> {
  const { model, config, rng } = opts;
  const demos = await buildDemonstrations(opts.questions, {
    ...opts,
    feedbackShare: config.feedbackShare,
  });
  const optimizer = new AdamW(model.variables(), config.optimizer);
  const progress = new Progress({ total: config.steps, label: "sft" });
  const losses: number[] = [];
  const nextBatch = sftBatcher(demos, {
    batchSize: config.batchSize,
    batching: config.batching ?? "random",
    rng,
  });
  try {
    for (let step = 0; step < config.steps; step++) {
      const batch = buildBatch(nextBatch());
      const { loss, grads: gradList } = sftGradients(model, batch, {
        observationWeight: config.observationWeight,
        microBatchRows: SFT_MICRO_BATCH_ROWS,
      });
      if (Number.isFinite(loss)) optimizer.apply(gradList);
      tf.dispose(gradList);
      losses.push(loss);
      progress.tick(step + 1, { loss });
      await opts.onStep?.(step, loss);
    }
  } finally {
    progress.done();
    optimizer.dispose();
  }
  return losses;
}
