/**
 * The workloads of the kernels benchmark (bench/kernels.ts): the analytic FLOPs of a forward
 * pass, timed AdamW train steps of the reference model, and sampling with and without the KV
 * cache.
 * @module
 */
import {
  type BackendInfo,
  type DecoderEngine,
  type ModelConfig,
  Rng,
  sampleToken,
  tf,
  Transformer,
} from "@creditlab/kernels";
import { AdamW } from "../train/optim.ts";

/** Forward matMul FLOPs per token of a model over sequences of length t (see bench/kernels.ts). */
export function forwardFlopsPerToken(c: ModelConfig, t: number): number {
  const hd = c.dModel / c.nHeads;
  const perLayer = c.dModel * (c.nHeads * hd) * 2 + c.dModel * (c.nKvHeads * hd) * 2 +
    3 * c.dModel * c.ffnHidden;
  const head = c.vocabSize * c.dModel;
  return 2 * (c.nLayers * perLayer + head) + 4 * c.nLayers * t * c.dModel;
}

/** One train-step figure of the results file. */
export interface TrainFigure {
  backend: string;
  info: BackendInfo;
  batch: number;
  microBatch: number;
  seq: number;
  steps: number;
  stepSeconds: number;
  tokensPerSecond: number;
  achievedGflops: number;
  note: string;
}

/** Time `steps` AdamW steps (after one warm-up) of the reference model on the active backend. */
export function trainSteps(
  cfg: ModelConfig,
  opts: { batch: number; microBatch: number; seq: number; steps: number; warmup: boolean },
): { stepSeconds: number; losses: number[] } {
  const rng = new Rng(1);
  const model = new Transformer(cfg, { rng: rng.fork() });
  const vars = model.variables();
  const opt = new AdamW(vars, {
    lr: 1e-3,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.1,
    maxGradNorm: 1.0,
  });
  const nMicro = opts.batch / opts.microBatch;
  const micro = Array.from({ length: nMicro }, () =>
    tf.tensor2d(
      Int32Array.from({ length: opts.microBatch * opts.seq }, () => rng.int(cfg.vocabSize)),
      [opts.microBatch, opts.seq],
      "int32",
    ));
  const losses: number[] = [];
  const step = () => {
    let acc: tf.Tensor[] | undefined;
    let loss = 0;
    for (const toks of micro) {
      const { value, grads } = tf.variableGrads(
        () =>
          tf.div(
            tf.neg(tf.mean(tf.slice(model.logProbs(toks), [0, 1], [-1, -1]))),
            nMicro,
          ) as tf.Scalar,
        vars,
      );
      loss += value.dataSync()[0]!;
      value.dispose();
      const g = vars.map((v) => grads[v.name]!);
      if (acc === undefined) acc = g;
      else {
        const next = acc.map((a, i) => tf.add(a, g[i]!));
        for (const t of [...acc, ...g]) t.dispose();
        acc = next;
      }
    }
    opt.apply(acc!);
    for (const t of acc!) t.dispose();
    losses.push(loss);
  };
  if (opts.warmup) step(); // kernel setup, memory growth
  const t0 = performance.now();
  for (let i = 0; i < opts.steps; i++) step();
  const stepSeconds = (performance.now() - t0) / 1000 / opts.steps;
  for (const t of micro) t.dispose();
  opt.dispose();
  model.dispose();
  return { stepSeconds, losses };
}

/**
 * Sampling tokens/s for `n` new tokens after a 1-token prompt, batch `b`: with a KV-cached
 * decoder of the given engine, or by full recompute (`forward` over the whole prefix each step).
 */
export function sampling(
  cfg: ModelConfig,
  opts: { batch: number; tokens: number; cache: boolean; engine?: DecoderEngine },
): { seconds: number; tokensPerSecond: number } {
  const rng = new Rng(3);
  const model = new Transformer(cfg, { rng: rng.fork() });
  const b = opts.batch, v = cfg.vocabSize;
  const seqs: number[][] = Array.from({ length: b }, () => [rng.int(v)]);
  const t0 = performance.now();
  if (opts.cache) {
    const dec = model.decoder(b, { capacity: opts.tokens + 1, engine: opts.engine ?? "tensors" });
    let feeds = seqs.map((s) => Int32Array.of(s[0]!));
    for (let i = 0; i < opts.tokens; i++) {
      const logits = dec.feed(feeds);
      feeds = seqs.map((s, r) => {
        const tok = sampleToken(logits.subarray(r * v, (r + 1) * v), {
          temperature: 1,
          topP: 1,
          rng,
        });
        s.push(tok);
        return Int32Array.of(tok);
      });
    }
    dec.dispose();
  } else {
    for (let i = 0; i < opts.tokens; i++) {
      const t = seqs[0]!.length;
      const logits = tf.tidy(() => {
        const toks = tf.tensor2d(seqs.flat(), [b, t], "int32");
        const last = tf.slice(model.forward(toks), [0, t - 1, 0], [b, 1, v]);
        return last.dataSync() as Float32Array;
      });
      seqs.forEach((s, r) =>
        s.push(sampleToken(logits.subarray(r * v, (r + 1) * v), { temperature: 1, topP: 1, rng }))
      );
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  model.dispose();
  return { seconds, tokensPerSecond: (b * opts.tokens) / seconds };
}
