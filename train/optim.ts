/**
 * AdamW with global-norm gradient clipping and an exactly serialisable state.
 *
 * Update (Loshchilov & Hutter 2019, decoupled weight decay), for step t = 1, 2, ...:
 *
 *     g <- g * min(1, maxGradNorm / ||g||_2)          (global norm over all parameters)
 *     m <- b1 m + (1 - b1) g
 *     v <- b2 v + (1 - b2) g^2
 *     theta <- theta - lr_t * ( m / (1 - b1^t) / (sqrt(v / (1 - b2^t)) + eps) + wd * theta )
 *
 * with a linear warm-up `lr_t = lr * min(1, t / warmupSteps)` (constant `lr` without one) and,
 * optionally, a cosine decay after it (`decay`): from the end of the warm-up W to step T,
 * `lr_t = lr * (r + (1 - r) * (1 + cos(pi * (t - W) / (T - W))) / 2)` with r = `minLrRatio`, and
 * `lr * r` after T (verl's `warmup_style=cosine` with `min_lr_ratio`; nanoGPT's schedule). The
 * warm-up is verl's constant-with-warm-up schedule, which Search-R1's training scripts use
 * (`actor.optim.lr_warmup_steps_ratio=0.285`), with one difference: verl's first step takes the
 * schedule's value at 0 (learning rate 0, an update-free step); here step t = 1 already takes
 * `lr / warmupSteps`. A warm-up matters for Adam: its first bias-corrected steps are close to
 * sign(g) * lr for every parameter, however noisy g is.
 *
 * The moment tensors are kept per variable index (`m.<i>`, `v.<i>`), so a checkpoint stores them by name and a
 * resumed run continues bit-for-bit.
 *
 * @module
 */
import { tf } from "@creditlab/kernels";

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value; `null` disables clipping. */
  maxGradNorm: number | null;
  /** Linear learning-rate warm-up over this many steps (absent or 0: constant `lr`). */
  warmupSteps?: number;
  /** Cosine decay after the warm-up (absent: constant `lr` after the warm-up). */
  decay?: CosineDecay;
}

/** A cosine learning-rate decay (see the module doc for the formula). */
export interface CosineDecay {
  /** The step T at which the decay reaches `lr * minLrRatio` (> warmupSteps). */
  totalSteps: number;
  /** Final learning rate as a share of `lr`, in [0, 1]. */
  minLrRatio: number;
}

/**
 * The learning rate of step `t` (1-based) under a config's warm-up.
 *
 * @example
 * ```ts
 * const cfg = { lr: 1e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0, maxGradNorm: 1, warmupSteps: 4 };
 * learningRateAt(cfg, 1); // 2.5e-4
 * learningRateAt(cfg, 4); // 1e-3
 * learningRateAt(cfg, 9); // 1e-3
 * const cos = { ...cfg, warmupSteps: 0, decay: { totalSteps: 10, minLrRatio: 0.1 } };
 * learningRateAt(cos, 5); // 5.5e-4 (half-way: lr * (0.1 + 0.9 / 2))
 * learningRateAt(cos, 10); // 1e-4
 * ```
 */
export function learningRateAt(config: AdamWConfig, t: number): number {
  const w = config.warmupSteps ?? 0;
  if (w > 0 && t < w) return config.lr * (t / w);
  const d = config.decay;
  if (d === undefined) return config.lr;
  const progress = Math.min(1, Math.max(0, (t - w) / (d.totalSteps - w)));
  const r = d.minLrRatio;
  return config.lr * (r + (1 - r) * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

/** What one step reports. */
export interface StepReport {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** False when the gradient was not finite (the step was skipped). */
  applied: boolean;
}

/** AdamW over a fixed list of variables. */
export class AdamW {
  readonly config: AdamWConfig;
  #vars: tf.Variable[];
  #m: tf.Variable[];
  #v: tf.Variable[];
  #t = 0;

  constructor(variables: tf.Variable[], config: AdamWConfig) {
    if (!(config.lr > 0)) throw new RangeError(`AdamW: lr must be > 0, got ${config.lr}`);
    const w = config.warmupSteps;
    if (w !== undefined && !(Number.isInteger(w) && w >= 0)) {
      throw new RangeError(`AdamW: warmupSteps must be an integer >= 0, got ${w}`);
    }
    const d = config.decay;
    if (d !== undefined) {
      if (!(Number.isInteger(d.totalSteps) && d.totalSteps > (w ?? 0))) {
        throw new RangeError(
          `AdamW: decay.totalSteps must be an integer > warmupSteps (${
            w ?? 0
          }), got ${d.totalSteps}`,
        );
      }
      if (!(d.minLrRatio >= 0 && d.minLrRatio <= 1)) {
        throw new RangeError(`AdamW: decay.minLrRatio must be in [0, 1], got ${d.minLrRatio}`);
      }
    }
    this.config = config;
    this.#vars = variables;
    this.#m = variables.map((v) => tf.variable(tf.zerosLike(v), false));
    this.#v = variables.map((v) => tf.variable(tf.zerosLike(v), false));
  }

  /** Number of applied steps. */
  get step(): number {
    return this.#t;
  }

  /**
   * Apply one update from gradients (same order as the variables). Non-finite gradients skip
   * the update and report `applied: false`.
   */
  apply(grads: tf.Tensor[]): StepReport {
    if (grads.length !== this.#vars.length) {
      throw new Error(
        `AdamW.apply: got ${grads.length} gradients for ${this.#vars.length} variables`,
      );
    }
    const sq = tf.tidy(() => tf.addN(grads.map((g) => tf.sum(tf.square(g)))).dataSync()[0]!);
    const gradNorm = Math.sqrt(sq);
    if (!Number.isFinite(gradNorm)) return { gradNorm, applied: false };
    const { beta1, beta2, eps, weightDecay, maxGradNorm } = this.config;
    const scale = maxGradNorm !== null && gradNorm > maxGradNorm ? maxGradNorm / gradNorm : 1;
    this.#t += 1;
    const lr = learningRateAt(this.config, this.#t);
    const bc1 = 1 - Math.pow(beta1, this.#t);
    const bc2 = 1 - Math.pow(beta2, this.#t);
    tf.tidy(() => {
      this.#vars.forEach((w, i) => {
        const g = tf.mul(grads[i]!, scale);
        const m = this.#m[i]!, v = this.#v[i]!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        const decayed = weightDecay > 0 ? tf.add(update, tf.mul(w, weightDecay)) : update;
        w.assign(tf.sub(w, tf.mul(decayed, lr)));
      });
    });
    return { gradNorm, applied: true };
  }

  /** The state as named Float32 arrays plus the step count (for checkpoints). */
  state(): { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> } {
    const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
    this.#vars.forEach((w, i) => {
      tensors.set(`m.${i}`, { shape: w.shape, data: this.#m[i]!.dataSync() as Float32Array });
      tensors.set(`v.${i}`, { shape: w.shape, data: this.#v[i]!.dataSync() as Float32Array });
    });
    return { step: this.#t, tensors };
  }

  /** Restore a state written by {@link AdamW.state}. */
  load(
    state: { step: number; tensors: Map<string, { shape: number[]; data: Float32Array }> },
  ): void {
    this.#vars.forEach((w, i) => {
      for (const [kind, slot] of [["m", this.#m[i]!], ["v", this.#v[i]!]] as const) {
        const key = `${kind}.${i}`;
        const t = state.tensors.get(key);
        if (!t) throw new Error(`AdamW.load: optimizer state has no tensor "${key}"`);
        if (t.data.length !== w.size) {
          throw new Error(
            `AdamW.load: "${key}" has ${t.data.length} values, variable has ${w.size}`,
          );
        }
        slot.assign(tf.tensor(t.data, w.shape));
      }
    });
    this.#t = state.step;
  }

  /** Free the moment tensors. */
  dispose(): void {
    for (const x of [...this.#m, ...this.#v]) x.dispose();
  }
}

/**
 * Gradient accumulation over micro-batches: `acc + grads` element-wise, disposing both inputs;
 * `grads` itself when `acc` is null (the first micro-batch).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initBackend, tf } from "@creditlab/kernels";
 * await initBackend({ backend: "cpu" });
 * // the gradients of two micro-batches, one tensor per variable
 * const perMicroBatchGrads = [[tf.tensor1d([1, 2])], [tf.tensor1d([10, 20])]];
 * let acc: tf.Tensor[] | null = null;
 * for (const g of perMicroBatchGrads) acc = addGradients(acc, g);
 * assert.deepEqual(Array.from(acc![0]!.dataSync()), [11, 22]);
 * tf.dispose(acc!);
 * ```
 */
export function addGradients(acc: tf.Tensor[] | null, grads: tf.Tensor[]): tf.Tensor[] {
  if (acc === null) return grads;
  if (acc.length !== grads.length) {
    throw new Error(`addGradients: ${acc.length} accumulated tensors, ${grads.length} new ones`);
  }
  const sum = acc.map((g, j) => tf.add(g, grads[j]!));
  tf.dispose([...acc, ...grads]);
  return sum;
}
