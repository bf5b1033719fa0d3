import assert from "node:assert/strict";
import { initBackend, tf } from "./backend.ts";
import { Rng } from "./rng.ts";
import {
  type ModelConfig,
  parameterCount,
  referenceConfig,
  Transformer,
  validateConfig,
} from "./model.ts";
import { embeddingLookup, rmsNorm, ropeTables, rotateHalfMatrix } from "./model/layers.ts";

const BACKENDS = ["cpu", "wasm"] as const;

function tiny(over: Partial<ModelConfig> = {}): ModelConfig {
  return {
    vocabSize: 13,
    dModel: 16,
    nLayers: 2,
    nHeads: 4,
    nKvHeads: 2,
    ffnHidden: 24,
    maxSeqLen: 24,
    ropeTheta: 10000,
    normEps: 1e-6,
    tiedEmbeddings: true,
    ...over,
  };
}

function ints(rows: number[][]): tf.Tensor2D {
  return tf.tensor2d(rows, undefined, "int32");
}

function randomTokens(rng: Rng, b: number, t: number, v: number): number[][] {
  return Array.from({ length: b }, () => Array.from({ length: t }, () => rng.int(v)));
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / (1 + Math.abs(b[i]!));
    if (!(d <= worst)) {
      worst = d;
      at = i;
    }
  }
  assert.ok(worst <= tol, `${what}: max rel diff ${worst} at ${at} (${a[at]} vs ${b[at]})`);
}

// ---------- plain TypeScript reference forward (one sequence), the oracle -----------------------

function refForward(
  cfg: Required<ModelConfig>,
  w: Map<string, Float32Array>,
  toks: number[],
): Float64Array {
  const d = cfg.dModel, hd = d / cfg.nHeads, g = cfg.nHeads / cfg.nKvHeads, t = toks.length;
  const W = (n: string) => w.get(n)!;
  const norm = (x: Float64Array, off: number, n: number, gain: Float32Array) => {
    let ms = 0;
    for (let i = 0; i < n; i++) ms += x[off + i]! ** 2;
    const r = 1 / Math.sqrt(ms / n + cfg.normEps);
    for (let i = 0; i < n; i++) x[off + i] = x[off + i]! * r * gain[i]!;
  };
  const mm = (x: Float64Array, m: Float32Array, n: number, k: number) => { // x [t,n] @ m [n,k]
    const y = new Float64Array(t * k);
    for (let r = 0; r < t; r++) {
      for (let j = 0; j < k; j++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += x[r * n + i]! * m[i * k + j]!;
        y[r * k + j] = s;
      }
    }
    return y;
  };
  const rope = (x: Float64Array, heads: number) => {
    for (let p = 0; p < t; p++) {
      for (let h = 0; h < heads; h++) {
        const o = (p * heads + h) * hd, half = hd / 2;
        for (let j = 0; j < half; j++) {
          const a = p * Math.pow(cfg.ropeTheta, (-2 * j) / hd);
          const x1 = x[o + j]!, x2 = x[o + j + half]!;
          x[o + j] = x1 * Math.cos(a) - x2 * Math.sin(a);
          x[o + j + half] = x2 * Math.cos(a) + x1 * Math.sin(a);
        }
      }
    }
  };
  const emb = W("embed");
  const x = new Float64Array(t * d);
  for (let p = 0; p < t; p++) for (let i = 0; i < d; i++) x[p * d + i] = emb[toks[p]! * d + i]!;
  for (let l = 0; l < cfg.nLayers; l++) {
    const P = `layers.${l}.`;
    const h = x.slice();
    for (let p = 0; p < t; p++) norm(h, p * d, d, W(P + "attn_norm"));
    const q = mm(h, W(P + "wq"), d, cfg.nHeads * hd);
    const k = mm(h, W(P + "wk"), d, cfg.nKvHeads * hd);
    const v = mm(h, W(P + "wv"), d, cfg.nKvHeads * hd);
    if (cfg.qkNorm) {
      for (let i = 0; i < t * cfg.nHeads; i++) norm(q, i * hd, hd, W(P + "q_norm"));
      for (let i = 0; i < t * cfg.nKvHeads; i++) norm(k, i * hd, hd, W(P + "k_norm"));
    }
    rope(q, cfg.nHeads);
    rope(k, cfg.nKvHeads);
    const o = new Float64Array(t * d);
    for (let hq = 0; hq < cfg.nHeads; hq++) {
      const kv = Math.floor(hq / g);
      for (let i = 0; i < t; i++) {
        const s = new Float64Array(i + 1);
        let mx = -Infinity;
        for (let j = 0; j <= i; j++) {
          let dot = 0;
          for (let e = 0; e < hd; e++) {
            dot += q[(i * cfg.nHeads + hq) * hd + e]! * k[(j * cfg.nKvHeads + kv) * hd + e]!;
          }
          s[j] = dot / Math.sqrt(hd);
          mx = Math.max(mx, s[j]!);
        }
        let z = 0;
        for (let j = 0; j <= i; j++) z += s[j] = Math.exp(s[j]! - mx);
        for (let e = 0; e < hd; e++) {
          let acc = 0;
          for (let j = 0; j <= i; j++) acc += (s[j]! / z) * v[(j * cfg.nKvHeads + kv) * hd + e]!;
          o[i * d + hq * hd + e] = acc;
        }
      }
    }
    const ao = mm(o, W(P + "wo"), d, d);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + ao[i]!;
    const h2 = x.slice();
    for (let p = 0; p < t; p++) norm(h2, p * d, d, W(P + "mlp_norm"));
    const gate = mm(h2, W(P + "w_gate"), d, cfg.ffnHidden),
      up = mm(h2, W(P + "w_up"), d, cfg.ffnHidden);
    for (let i = 0; i < gate.length; i++) gate[i] = (gate[i]! / (1 + Math.exp(-gate[i]!))) * up[i]!;
    const dn = mm(gate, W(P + "w_down"), cfg.ffnHidden, d);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + dn[i]!;
  }
  for (let p = 0; p < t; p++) norm(x, p * d, d, W("final_norm"));
  const V = cfg.vocabSize, out = new Float64Array(t * V);
  for (let p = 0; p < t; p++) {
    for (let c = 0; c < V; c++) {
      let s = 0;
      for (let i = 0; i < d; i++) {
        s += x[p * d + i]! * (cfg.tiedEmbeddings ? emb[c * d + i]! : W("lm_head")[i * V + c]!);
      }
      out[p * V + c] = s;
    }
  }
  return out;
}

function weightsOf(m: Transformer): Map<string, Float32Array> {
  return new Map(m.namedVariables().map(([n, v]) => [n, v.dataSync() as Float32Array]));
}

// ---------- tests -------------------------------------------------------------------------------

Deno.test("layers: RMSNorm, RoPE tables and rotate-half golden values", async () => {
  await initBackend({ backend: "cpu" });
  const y = rmsNorm(tf.tensor2d([[3, 4]]), tf.tensor1d([1, 2]), 0).dataSync();
  const r = 1 / Math.sqrt(12.5);
  assertClose(y, [3 * r, 8 * r], 1e-6, "rmsNorm");
  const { cos, sin } = ropeTables([0, 1], { headDim: 4, theta: 100 });
  assert.deepEqual(Array.from(cos.subarray(0, 4)), [1, 1, 1, 1]);
  assert.deepEqual(Array.from(sin.subarray(0, 4)), [0, 0, 0, 0]);
  assertClose(
    sin.subarray(4),
    [Math.sin(1), Math.sin(0.1), Math.sin(1), Math.sin(0.1)],
    1e-7,
    "sin",
  );
  const rot = tf.tensor2d(rotateHalfMatrix(4), [4, 4]);
  assert.deepEqual(Array.from(tf.matMul(tf.tensor2d([[1, 2, 3, 4]]), rot).dataSync()), [
    -3,
    -4,
    1,
    2,
  ]);
});

Deno.test("config: validation names the field; reference model size", () => {
  assert.throws(() => validateConfig(tiny({ nHeads: 3 })), /nHeads: must divide dModel/);
  assert.throws(() => validateConfig(tiny({ nKvHeads: 3 })), /nKvHeads: must divide nHeads/);
  assert.throws(() => validateConfig(tiny({ dModel: 12, nHeads: 4, nKvHeads: 4 })), /must be even/);
  assert.throws(
    () => validateConfig(tiny({ vocabSize: 0 })),
    /vocabSize: expected a positive integer/,
  );
  assert.throws(() => validateConfig(tiny({ ffnHidden: 2.5 })), /ffnHidden/);
  assert.throws(() => validateConfig(tiny({ normEps: -1 })), /normEps/);
  assert.throws(() => validateConfig({ ...tiny(), extra: 1 }), /unknown field "extra"/);
  const { tiedEmbeddings: _, ...noTie } = tiny();
  assert.throws(() => validateConfig(noTie), /tiedEmbeddings: expected a boolean/);
  assert.throws(() => validateConfig(null), /expected an object/);
  assert.throws(() => new Transformer(tiny({ nLayers: -1 }), { rng: new Rng(0) }), /nLayers/);
  assert.equal(validateConfig(tiny()).qkNorm, true);
  // 4096*256 + 4 * (256*4 + 4*256*256 + 2*32 + 3*256*704) + 256
  assert.equal(
    parameterCount(referenceConfig()),
    4096 * 256 + 4 * (2 * 256 + 4 * 65536 + 64 + 3 * 256 * 704) + 256,
  );
});

Deno.test("init: same seed gives identical weights, different seed differs", async () => {
  await initBackend({ backend: "cpu" });
  const a = new Transformer(tiny(), { rng: new Rng(5) });
  const b = new Transformer(tiny(), { rng: new Rng(5) });
  const c = new Transformer(tiny(), { rng: new Rng(6) });
  const wa = weightsOf(a), wb = weightsOf(b), wc = weightsOf(c);
  for (const [n, x] of wa) assert.deepEqual(x, wb.get(n), n);
  assert.notDeepEqual(wa.get("layers.0.wq"), wc.get("layers.0.wq"));
  assert.deepEqual(Array.from(wa.get("final_norm")!), new Array(16).fill(1));
  for (const m of [a, b, c]) m.dispose();
});

for (const backend of BACKENDS) {
  Deno.test(`forward (${backend}): equals the plain-loop reference (GQA, qk-norm, tied and untied)`, async () => {
    await initBackend({ backend });
    const rng = new Rng(11);
    for (
      const cfg of [
        tiny(),
        tiny({ nKvHeads: 4, tiedEmbeddings: false, qkNorm: false }),
        tiny({ nKvHeads: 1, nLayers: 1 }),
      ]
    ) {
      const m = new Transformer(cfg, { rng: rng.fork(), initStd: 0.3 });
      const toks = randomTokens(rng, 2, 7, cfg.vocabSize);
      const logits = m.forward(ints(toks));
      assert.deepEqual(logits.shape, [2, 7, cfg.vocabSize]);
      const got = logits.dataSync();
      const w = weightsOf(m);
      for (let b = 0; b < 2; b++) {
        const ref = refForward(m.config, w, toks[b]!);
        assertClose(
          got.subarray(b * 7 * cfg.vocabSize, (b + 1) * 7 * cfg.vocabSize),
          ref,
          2e-4,
          `row ${b}`,
        );
      }
      logits.dispose();
      m.dispose();
    }
  });

  Deno.test(`logProbs (${backend}): column 0 is 0, matches log-softmax of forward, causal`, async () => {
    await initBackend({ backend });
    const rng = new Rng(3);
    const cfg = tiny();
    const m = new Transformer(cfg, { rng, initStd: 0.3 });
    const toks = randomTokens(rng, 3, 6, cfg.vocabSize);
    const lp = m.logProbs(ints(toks)).arraySync();
    const lg = m.forward(ints(toks)).arraySync();
    for (let b = 0; b < 3; b++) {
      assert.equal(lp[b]![0], 0);
      for (let t = 1; t < 6; t++) {
        const z = lg[b]![t - 1]!;
        const mx = Math.max(...z);
        const lse = mx + Math.log(z.reduce((s, x) => s + Math.exp(x - mx), 0));
        assert.ok(Math.abs(lp[b]![t]! - (z[toks[b]![t]!]! - lse)) < 1e-5, `b=${b} t=${t}`);
      }
    }
    // changing the last token leaves every earlier log-prob unchanged
    const toks2 = toks.map((r) => [...r.slice(0, 5), (r[5]! + 1) % cfg.vocabSize]);
    const lp2 = m.logProbs(ints(toks2)).arraySync();
    for (let b = 0; b < 3; b++) {
      assertClose(lp2[b]!.slice(0, 5), lp[b]!.slice(0, 5), 1e-6, "causal");
    }
    assert.deepEqual(m.logProbs(ints([[4]])).arraySync(), [[0]]);
    // temperature T: log-softmax of forward / T
    const lpT = m.logProbs(ints(toks), { temperature: 0.7 }).arraySync();
    for (let b = 0; b < 3; b++) {
      for (let t = 1; t < 6; t++) {
        const z = lg[b]![t - 1]!.map((x) => x / 0.7);
        const mx = Math.max(...z);
        const lse = mx + Math.log(z.reduce((s, x) => s + Math.exp(x - mx), 0));
        assert.ok(Math.abs(lpT[b]![t]! - (z[toks[b]![t]!]! - lse)) < 1e-5, `T=0.7 b=${b} t=${t}`);
      }
    }
    for (const bad of [0, -1, Number.NaN]) {
      assert.throws(() => m.logProbs(ints(toks), { temperature: bad }), /temperature must be/);
    }
    m.dispose();
  });

  for (const engine of ["arrays", "tensors"] as const) {
    Deno.test(`decoder (${backend}, ${engine}): KV-cache logits equal full recompute`, async () => {
      await initBackend({ backend });
      for (
        const cfg of [tiny(), tiny({ nKvHeads: 4, tiedEmbeddings: false }), tiny({ nKvHeads: 1 })]
      ) {
        const rng = new Rng(21);
        const m = new Transformer(cfg, { rng: rng.fork(), initStd: 0.3 });
        const rows = 3;
        const seqs: number[][] = [[], [], []];
        // a schedule with prompts of different lengths, idle rows, multi-token inserts, then
        // single-token steps; capacity 16 forces at least one cache compaction.
        const schedule: number[][] = [
          [3, 1, 0],
          [1, 1, 5],
          [0, 4, 1],
          [1, 1, 1],
          [2, 0, 3],
          [1, 1, 1],
          [1, 1, 1],
          [5, 1, 0],
          [1, 1, 1],
        ];
        const dec = m.decoder(rows, { capacity: 16, engine });
        let last: Float32Array = new Float32Array(rows * cfg.vocabSize);
        for (const counts of schedule) {
          const feeds = counts.map((n, r) => {
            if (n === 0) return r === 2 ? null : new Int32Array(0);
            const f = Int32Array.from({ length: n }, () => rng.int(cfg.vocabSize));
            seqs[r]!.push(...f);
            return f;
          });
          const out = dec.feed(feeds);
          for (let r = 0; r < rows; r++) {
            const row = out.subarray(r * cfg.vocabSize, (r + 1) * cfg.vocabSize);
            if (counts[r] === 0) {
              assert.deepEqual(
                row,
                last.subarray(r * cfg.vocabSize, (r + 1) * cfg.vocabSize),
                "idle row keeps logits",
              );
              continue;
            }
            const s = seqs[r]!;
            const full = m.forward(ints([s]));
            const ref = full.dataSync().subarray((s.length - 1) * cfg.vocabSize);
            assertClose(row, ref, 1e-4, `row ${r} at length ${s.length}`);
            full.dispose();
          }
          last = out;
        }
        assert.deepEqual(Array.from(dec.lengths()), seqs.map((s) => s.length));
        assert.throws(
          () => dec.feed([Int32Array.of(1, 2, 3, 4, 5, 6, 7), null, null]),
          /row 0 would hold 22 tokens, capacity is 16/,
        );
        assert.throws(() => dec.feed([null, null]), /expected 3 feeds/);
        assert.throws(
          () => dec.feed([Int32Array.of(99), null, null]),
          /token id 99 .* outside \[0, 13\)/,
        );
        const before = tf.memory().numTensors;
        dec.dispose();
        // the tensor engine frees its cache and head snapshot; the array engine holds none
        const freed = engine === "tensors" ? 2 * cfg.nLayers + 1 : 0;
        assert.equal(tf.memory().numTensors, before - freed);
        assert.throws(() => dec.feed([null, null, null]), /after dispose/);
        m.dispose();
      }
    });
  }

  Deno.test(`training (${backend}): Adam steps lower the loss and change every parameter`, async () => {
    await initBackend({ backend });
    const rng = new Rng(8);
    const cfg = tiny({ tiedEmbeddings: false });
    const m = new Transformer(cfg, { rng });
    const toks = ints(randomTokens(rng, 4, 10, cfg.vocabSize));
    const before = weightsOf(m);
    const snapshot = new Map([...before].map(([n, x]) => [n, x.slice()]));
    const opt = tf.train.adam(0.01);
    const loss = () => tf.neg(tf.mean(tf.slice(m.logProbs(toks), [0, 1], [-1, -1]))) as tf.Scalar;
    const l0 = loss().dataSync()[0]!;
    let l = l0;
    for (let i = 0; i < 8; i++) l = opt.minimize(loss, true, m.variables())!.dataSync()[0]!;
    const l1 = loss().dataSync()[0]!;
    assert.ok(l1 < l0 - 0.1, `loss ${l0} -> ${l1} (last minimize ${l})`);
    for (const [n, v] of m.namedVariables()) {
      const now = v.dataSync(), was = snapshot.get(n)!;
      let changed = 0;
      for (let i = 0; i < now.length; i++) if (now[i] !== was[i]) changed++;
      assert.ok(changed > 0, `parameter ${n} did not change`);
    }
    opt.dispose();
    m.dispose();
  });
}

Deno.test("embedding: one-hot gradient equals the gather (segment-sum) gradient", async () => {
  await initBackend({ backend: "cpu" });
  const table = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
  const ids = tf.tensor1d([2, 0, 2, 1, 2], "int32");
  const dy = tf.tensor2d([[1, 0], [0, 1], [2, 2], [3, 0], [0, 5]]);
  const grads = (["segmentSum", "oneHot"] as const).map((grad) =>
    tf.grad((e: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(e as tf.Tensor2D, ids, { grad }), dy)))(
      table,
    )
      .arraySync()
  );
  assert.deepEqual(grads[0], [[0, 1], [3, 0], [3, 7]]);
  assert.deepEqual(grads[1], grads[0]);
  table.dispose();
});

Deno.test("model: bad token input gives clear errors", async () => {
  await initBackend({ backend: "cpu" });
  const m = new Transformer(tiny(), { rng: new Rng(1) });
  assert.throws(
    () => m.forward(tf.tensor2d([[1, 2]]) as tf.Tensor2D),
    /forward: tokens must be int32, got float32/,
  );
  assert.throws(() => m.logProbs(tf.tensor1d([1], "int32") as unknown as tf.Tensor2D), /rank 2/);
  assert.throws(
    () => m.forward(ints([[1, 13]])),
    /token id 13 at flat index 1 is outside \[0, 13\)/,
  );
  assert.throws(() => m.forward(ints([new Array(25).fill(1)])), /exceeds config.maxSeqLen 24/);
  assert.throws(() => m.decoder(0), /batchSize must be a positive integer/);
  m.dispose();
  assert.throws(() => m.variables(), /after dispose/);
});
