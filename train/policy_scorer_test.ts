import assert from "node:assert/strict";
import { initBackend, Rng, tf, Transformer } from "@creditlab/kernels";
import {
  buildBatch,
  buildPrompt,
  encodeTurn,
  EntityAnonymizer,
  formatPassages,
  invalidActionText,
  type RolloutConfig,
  WordTokenizer,
} from "@creditlab/agent";
import type {
  PolicyScorer,
  Question,
  RolloutBatch,
  ScoreRequest,
  SearchTool,
  Trajectory,
  Turn,
} from "@creditlab/core";
import { inertMethod, TEST_ADAM, TINY_MODEL } from "./_test_utils.ts";
import { behaviourLogProbs } from "./gradient_step.ts";
import { TransformerPolicyScorer, withPolicyScorer } from "./policy_scorer.ts";
import { resourceProvider } from "./resources.ts";
import type { TrainingResources } from "./method.ts";
import type { CheckpointStore } from "./checkpoint.ts";
import { trainRl } from "./trainer.ts";

/** A tokenizer whose vocabulary is `words`; only `encode` is asked of it. */
const TOKENIZER = WordTokenizer.build(["alpha beta gamma delta ."]);

function randomIds(rng: Rng, n: number, vocab: number): Int32Array {
  return Int32Array.from({ length: n }, () => 1 + rng.int(vocab - 1));
}

/** `n` random requests of context 1..8 and target 0..10 tokens (some empty targets). */
function randomRequests(rng: Rng, n: number, vocab: number): ScoreRequest[] {
  return Array.from({ length: n }, () => ({
    context: randomIds(rng, 1 + rng.int(8), vocab),
    target: randomIds(rng, rng.int(11), vocab),
  }));
}

/**
 * The trainer's own recomputation (`behaviourLogProbs`, the log-probs of a step with several
 * updates) of each request as a sampled sequence: a trajectory whose prompt is the context and
 * whose policy turn is the target, all of them in one rollout batch; the target's positions.
 */
function trainerLogProbs(model: Transformer, requests: readonly ScoreRequest[]): Float32Array[] {
  const trajs: Trajectory[] = requests.map((r, i) => ({
    questionId: `q${i}`,
    groupId: i,
    reward: 0,
    meta: {},
    turns: [
      { role: "observation", tokens: r.context, text: "", round: 0 },
      { role: "policy", tokens: r.target, text: "", round: 1 },
    ],
  }));
  const batch = buildBatch(trajs);
  const lp = behaviourLogProbs(model, batch, { temperature: 1 });
  return requests.map((r, i) => {
    const from = i * batch.length + r.context.length;
    return lp.slice(from, from + r.target.length);
  });
}

function assertClose(a: Float32Array[], b: Float32Array[], tol: number, what: string): void {
  assert.equal(a.length, b.length, what);
  a.forEach((x, i) => {
    assert.equal(x.length, b[i]!.length, `${what}: request ${i} length`);
    x.forEach((v, j) =>
      assert.ok(Math.abs(v - b[i]![j]!) <= tol, `${what}: request ${i}[${j}]: ${v} vs ${b[i]![j]}`)
    );
  });
}

/**
 * Run `fn` with a tiny model on the cpu backend, initialised from `seed` (with `initStd`, the
 * model's default when absent), and dispose of it after.
 */
async function withTinyModel(
  opts: { seed: number; initStd?: number },
  fn: (model: Transformer) => Promise<void>,
): Promise<void> {
  await initBackend({ backend: "cpu" });
  const init = opts.initStd === undefined ? {} : { initStd: opts.initStd };
  const model = new Transformer(TINY_MODEL, { rng: new Rng(opts.seed), ...init });
  try {
    await fn(model);
  } finally {
    model.dispose();
  }
}

Deno.test("policy scorer: the log-probs the trainer recomputes for the same tokens, several seeds", async () => {
  for (const seed of [1, 2, 3]) {
    await withTinyModel({ seed, initStd: 0.5 }, async (model) => {
      const requests = randomRequests(new Rng(100 + seed), 6, TINY_MODEL.vocabSize)
        .filter((r) => r.target.length > 0);
      const scorer = new TransformerPolicyScorer(model, TOKENIZER);
      // One request at a time: the same [1, context + target] pass as the trainer's on a row
      // of its own, so the same values bit for bit.
      for (const r of requests) {
        assert.deepEqual(await scorer.logProbs([r]), trainerLogProbs(model, [r]), `seed ${seed}`);
      }
      // All at once, against the trainer's padded batch of the same sequences.
      const got = await scorer.logProbs(requests);
      assert.deepEqual(got, trainerLogProbs(model, requests), `seed ${seed}`);
      // Not vacuous: proper log-probabilities, not all alike.
      const flat = got.flatMap((x) => [...x]);
      assert.ok(flat.every((v) => v < 0 && Number.isFinite(v)), `seed ${seed}`);
      assert.ok(new Set(flat).size > flat.length / 2, `seed ${seed}: distinct values`);
      // Each equals log softmax of the forward logits at temperature 1 (the definition).
      const r0 = requests[0]!;
      const seq = Int32Array.from([...r0.context, ...r0.target]);
      const logits = model.forward(tf.tensor2d(seq, [1, seq.length], "int32"));
      const lsm = tf.logSoftmax(logits).arraySync()[0]!;
      logits.dispose();
      const want = Float32Array.from(r0.target, (tok, j) => lsm[r0.context.length - 1 + j]![tok]!);
      assertClose([got[0]!], [want], 1e-5, `seed ${seed}: log softmax of the logits`);
    });
  }
});

Deno.test("policy scorer: several requests of different lengths in one pass equal one at a time", async () => {
  await withTinyModel({ seed: 7, initStd: 0.5 }, async (model) => {
    const requests = randomRequests(new Rng(8), 11, TINY_MODEL.vocabSize);
    assert.ok(new Set(requests.map((r) => r.context.length + r.target.length)).size > 4);
    const one = new TransformerPolicyScorer(model, TOKENIZER, { rowsPerPass: 1 });
    const batched = new TransformerPolicyScorer(model, TOKENIZER, { rowsPerPass: 8 });
    const whole = new TransformerPolicyScorer(model, TOKENIZER, { rowsPerPass: 64 });
    const a = await one.logProbs(requests);
    const b = await batched.logProbs(requests);
    const c = await whole.logProbs(requests);
    // Right-padding cannot reach a causal row: on the cpu backend, the same values bit for bit.
    assert.deepEqual(b, a, "8 rows per pass");
    assert.deepEqual(c, a, "one pass");
    // In request order, one array per request, of its target's length.
    assert.deepEqual(a.map((x) => x.length), requests.map((r) => r.target.length));
    // The counters count requests and sequences, however many share a pass.
    assert.deepEqual(a.length, 11);
    assert.deepEqual(one.stats, batched.stats);
    assert.deepEqual(whole.stats, batched.stats);
  });
});

Deno.test("policy scorer: stats count requests, sequences run and their tokens; no tensor leaks", async () => {
  await withTinyModel({ seed: 4 }, async (model) => {
    const scorer = new TransformerPolicyScorer(model, TOKENIZER, { rowsPerPass: 2 });
    assert.deepEqual(scorer.stats, { requests: 0, forwardPasses: 0, tokens: 0 });
    const req = (c: number, t: number): ScoreRequest => ({
      context: new Int32Array(c).fill(1),
      target: new Int32Array(t).fill(2),
    });
    const requests = [req(3, 2), req(5, 0), req(1, 4), req(2, 2)];
    const out = await scorer.logProbs(requests);
    assert.deepEqual(out.map((x) => x.length), [2, 0, 4, 2]);
    // An empty target needs no pass: 3 sequences of 5 + 5 + 4 tokens.
    assert.deepEqual(scorer.stats, { requests: 4, forwardPasses: 3, tokens: 14 });
    const snapshot = scorer.stats;
    // (The model caches its position tables per length: the second call allocates nothing.)
    const before = tf.memory().numTensors;
    assert.deepEqual(await scorer.logProbs(requests), out);
    assert.equal(tf.memory().numTensors, before, "every tensor of the passes is freed");
    assert.deepEqual(scorer.stats, { requests: 8, forwardPasses: 6, tokens: 28 });
    assert.deepEqual(snapshot, { requests: 4, forwardPasses: 3, tokens: 14 }, "a snapshot");
    assert.deepEqual(await scorer.logProbs([]), []);
    assert.equal(scorer.stats.requests, 8);
  });
});

Deno.test("policy scorer: over the sequence length, empty contexts and bad ids are clear errors", async () => {
  await withTinyModel({ seed: 4 }, async (model) => {
    const scorer = new TransformerPolicyScorer(model, TOKENIZER);
    const ok = { context: Int32Array.of(1, 2), target: Int32Array.of(3) };
    const long = { context: new Int32Array(20).fill(1), target: new Int32Array(13).fill(2) };
    await assert.rejects(
      scorer.logProbs([ok, long]),
      /policy scorer: request 1: context \(20 tokens\) \+ target \(13 tokens\) = 33 tokens exceeds the policy's sequence length \(maxSeqLen 32\)/,
    );
    // Exactly the sequence length is fine.
    const full = { context: new Int32Array(20).fill(1), target: new Int32Array(12).fill(2) };
    assert.equal((await scorer.logProbs([full]))[0]!.length, 12);
    await assert.rejects(
      scorer.logProbs([{ context: new Int32Array(0), target: Int32Array.of(1) }]),
      /request 0: empty context/,
    );
    await assert.rejects(
      scorer.logProbs([ok, { context: Int32Array.of(1), target: Int32Array.of(5, 24) }]),
      /request 1: target\[1\] = 24 is not a token id of the policy \(vocabulary 24\)/,
    );
    await assert.rejects(
      scorer.logProbs([{ context: [1, 2], target: [3] } as unknown as ScoreRequest]),
      /request 0: context and target must be Int32Arrays/,
    );
    // A refused call counts nothing.
    assert.deepEqual(scorer.stats, { requests: 1, forwardPasses: 1, tokens: 32 });
  });
});

Deno.test("policy scorer: encode is the rollout's encoding of an observation", () => {
  const model = new Transformer(TINY_MODEL, { rng: new Rng(4) });
  try {
    const scorer = new TransformerPolicyScorer(model, TOKENIZER);
    const text = "Alpha, <search> gamma delta </search> omega";
    assert.deepEqual(scorer.encode(text), encodeTurn(TOKENIZER, text, undefined));
    assert.deepEqual(scorer.encode(text), TOKENIZER.encode(text));
  } finally {
    model.dispose();
  }
});

Deno.test("withPolicyScorer: the trainer's scorer for its kind (built once), the environment's for the rest", () => {
  const judge = { score: () => Promise.resolve([]) };
  const envScorer = { tag: "environment's" } as unknown as PolicyScorer;
  const provide = resourceProvider("test world", {
    "round-judge": () => judge,
    "policy-scorer": () => envScorer,
  });
  let built = 0;
  const mine = { tag: "trainer's" } as unknown as PolicyScorer;
  const wrapped = withPolicyScorer(provide, () => {
    built++;
    return mine;
  });
  assert.equal(built, 0, "nothing is built before it is asked for");
  assert.equal(wrapped({ kind: "policy-scorer" }), mine);
  assert.equal(wrapped({ kind: "policy-scorer" }), mine);
  assert.equal(built, 1);
  assert.equal(wrapped({ kind: "round-judge" }), judge);
  assert.throws(
    () => wrapped({ kind: "privileged-verifier", detail: "hint" }),
    /test world cannot serve .*no "privileged-verifier" here/,
  );
  // An environment without a scorer: the trainer's is served all the same.
  assert.equal(
    withPolicyScorer(resourceProvider("bare", {}), () => mine)({ kind: "policy-scorer" }),
    mine,
  );
});

// ---- wiring: a method asking for the scorer in a real (tiny) training run ---------------------

const QUESTIONS: Question[] = ["alpha", "beta", "gamma"].map((w, i) => ({
  id: `q${i}`,
  question: `who is ${w} ?`,
  goldenAnswers: [w],
  benchmark: "test",
  split: "train",
}));

const SEARCH: SearchTool = {
  search: (query, k) =>
    Promise.resolve(
      Array.from({ length: k }, (_, i) => ({
        id: `d${i}`,
        title: "alpha",
        text: `${query} is beta gamma`,
        score: 1,
      })),
    ),
};

const noCheckpoints: CheckpointStore = {
  latest: () => Promise.resolve(null),
  save: () => Promise.resolve(),
  restore: () => Promise.reject(new Error("no checkpoints in this test")),
};

/** What the test method saw in one step. */
interface Seen {
  step: number;
  batch: RolloutBatch;
  /** The scorer's values of row 0's first policy turn given its prompt. */
  scored: Float32Array;
  /** The model's weights when it scored. */
  weights: Map<string, Float32Array>;
  /** The scorer's counters before and after. */
  stats: [number, number];
}

Deno.test({
  name: "trainRl: a method asking for the policy scorer scores with the step's rollout policy",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await initBackend({ backend: "cpu" });
    const tokenizer = WordTokenizer.build([
      buildPrompt("who is alpha ?", { feedbackOffered: false, maxSearchTurns: 1 }),
      invalidActionText({ feedbackOffered: false }),
      formatPassages(await SEARCH.search("alpha beta gamma", 1)),
      "who is alpha beta gamma ? doc 0 1 2 ( title : ) , .",
    ]);
    const model = new Transformer(
      { ...TINY_MODEL, vocabSize: tokenizer.vocabSize, maxSeqLen: 256 },
      { rng: new Rng(11), initStd: 0.3 },
    );
    const seen: Seen[] = [];
    // A test-only method: asks for the scorer; in its step, scores row 0's first policy turn
    // given its prompt, reports it in its metrics, and pushes the policy with random advantages
    // (so the weights change from step to step).
    const probe = inertMethod("scorer-probe", { rows: 1 }, {
      summary: "test: scores its batch's first policy turn with the policy scorer",
      resources: () => [{ kind: "policy-scorer" }],
      async step(batch, ctx) {
        const scorer = ctx.resources.get("policy-scorer");
        const t = batch.trajectories[0]!;
        const turn = t.turns.find((x) => x.role === "policy")!;
        const at = t.turns.indexOf(turn);
        const context = Int32Array.from(t.turns.slice(0, at).flatMap((x) => [...x.tokens]));
        const before = scorer.stats.forwardPasses;
        const [scored] = await scorer.logProbs([{ context, target: turn.tokens }]);
        seen.push({
          step: ctx.step,
          batch,
          scored: scored!,
          weights: new Map(
            model.namedVariables().map(([k, v]) => [k, Float32Array.from(v.dataSync())]),
          ),
          stats: [before, scorer.stats.forwardPasses],
        });
        const rng = new Rng(ctx.step + 1);
        return {
          advantages: Float32Array.from(batch.lossMask, (m) => (m ? rng.normal() : 0)),
          metrics: { "scorer-probe/target_logprob_sum": scored!.reduce((a, b) => a + b, 0) },
        };
      },
    });
    // The environment serves no scorer (and would refuse one): the trainer serves its own.
    const requests: string[] = [];
    const env = resourceProvider("a scorer-less world", {});
    const resources: TrainingResources = {
      search: SEARCH,
      provide: (r) => {
        requests.push(r.kind);
        return env(r);
      },
    };
    const rollout: RolloutConfig = {
      groupSize: 2,
      maxSearchTurns: 1,
      topK: 1,
      maxTurnTokens: 6,
      maxTotalTokens: 200,
      temperature: 1,
      topP: 1,
    };
    const logged: Record<string, number>[] = [];
    try {
      await trainRl({
        model,
        tokenizer,
        method: probe,
        methodConfig: probe.defaults,
        questions: QUESTIONS,
        resources,
        config: {
          steps: 2,
          questionsPerStep: 2,
          rollout,
          optimizer: { ...TEST_ADAM, lr: 0.05 },
          checkpointEvery: 10,
          maxBadSteps: 2,
        },
        seed: 5,
        sink: {
          logStep: (_s, m) => {
            logged.push({ ...m });
            return Promise.resolve();
          },
        },
        checkpoints: noCheckpoints,
        log: () => {},
      });
      assert.deepEqual(requests, [], "the environment is never asked for the policy scorer");
      assert.deepEqual(seen.map((s) => s.step), [0, 1]);
      for (const s of seen) {
        const where = `step ${s.step}`;
        assert.deepEqual(s.stats, [s.step, s.step + 1], `${where}: one sequence scored`);
        assert.equal(
          logged[s.step]!["scorer-probe/target_logprob_sum"],
          s.scored.reduce((a, b) => a + b, 0),
          `${where}: the score reached the step's metrics`,
        );
        // The trainer's recomputation of row 0 under the weights the method scored with.
        const copy = new Transformer(model.config, { weights: s.weights });
        try {
          const lp = behaviourLogProbs(copy, s.batch, { temperature: 1 });
          const t = s.batch.trajectories[0]!;
          const turn = t.turns.find((x) => x.role === "policy")!;
          const from = t.turns.slice(0, t.turns.indexOf(turn))
            .reduce((n, x) => n + x.tokens.length, 0);
          assert.deepEqual(s.scored, lp.slice(from, from + turn.tokens.length), where);
        } finally {
          copy.dispose();
        }
        // ... which are the weights the step's rollouts sampled with (before its update): the
        // rollout's own log-probs of those tokens (its KV-cached decoder, temperature 1).
        const turn = s.batch.trajectories[0]!.turns.find((x) => x.role === "policy")!;
        assertClose([s.scored], [turn.sampledLogProbs!], 1e-4, `${where}: the rollout's`);
      }
      // Not vacuous: each step's update changed the weights the next step scored with.
      const w0 = seen[0]!.weights.get("embed")!, w1 = seen[1]!.weights.get("embed")!;
      assert.ok(w0.some((v, i) => v !== w1[i]), "the weights changed between the steps");
      const now = model.namedVariables().find(([k]) => k === "embed")![1].dataSync();
      assert.ok(w1.some((v, i) => v !== now[i]), "and after the last step's update");
    } finally {
      model.dispose();
    }
  },
});

Deno.test("policy scorer: encode with an episode shows names as that episode's slots", async () => {
  await initBackend({ backend: "cpu" });
  const anonymizer = new EntityAnonymizer(["pekun nureth", "ann bob", "cara dee"]);
  const tokenizer = WordTokenizer.build(["who founded pekun nureth ? ann bob cara dee answer"], {
    extraTokens: anonymizer.slotTokens(),
  });
  const model = new Transformer({ ...TINY_MODEL, vocabSize: tokenizer.vocabSize }, {
    rng: new Rng(1),
  });
  const scorer = new TransformerPolicyScorer(model, tokenizer, { anonymizer });
  const turn = (role: Turn["role"], text: string, round: number): Turn => ({
    role,
    text,
    round,
    tokens: new Int32Array(0),
  });
  // The rollout's order: the prompt shows pekun nureth (ent0), the observation ann bob (ent1);
  // the policy's own text (real names after restore) does not assign slots.
  const episode = [
    turn("observation", "who founded pekun nureth ?", 0),
    turn("policy", "cara dee", 1),
    turn("observation", "ann bob founded pekun nureth", 1),
  ];
  const ids = (text: string) => Array.from(tokenizer.encode(text));
  assert.deepEqual(Array.from(scorer.encode("ann bob", { episode })), ids("ent1"));
  assert.deepEqual(Array.from(scorer.encode("pekun nureth", { episode })), ids("ent0"));
  // not shown yet: the next slot, as if it appeared next
  assert.deepEqual(Array.from(scorer.encode("cara dee", { episode })), ids("ent2"));
  // without an episode: the words as given
  assert.deepEqual(Array.from(scorer.encode("ann bob")), ids("ann bob"));
  // and the rollout's own encoding of the episode's observation agrees with the replay
  const ep = anonymizer.episode();
  encodeTurn(tokenizer, "who founded pekun nureth ?", ep);
  assert.deepEqual(
    Array.from(encodeTurn(tokenizer, "ann bob founded pekun nureth", ep)),
    ids("ent1 founded ent0"),
  );
  model.dispose();
});
