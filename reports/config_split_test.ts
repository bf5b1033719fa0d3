import assert from "node:assert/strict";
import { type ConfigDifference, differenceText, splitConfigs } from "./config_split.ts";

/** A config is the shared part with its differences applied (the inverse of the split). */
function apply(common: unknown, diffs: readonly ConfigDifference[]): unknown {
  const out = structuredClone(common) as Record<string, unknown>;
  for (const d of diffs) {
    const keys = d.path.split(".");
    let o = out;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    if ("absent" in d) delete o[keys.at(-1)!];
    else o[keys.at(-1)!] = d.value;
  }
  return out;
}

Deno.test("splitConfigs: a warm start, two baselines and two methods, by hand", () => {
  const start = { regime: "near-misses", sftCheckpoint: "sft/seed-1" };
  const base = (seed: number) => ({
    method: { clip: 0.2, kl: { coef: 0.001, estimator: "k3" } },
    rl: { steps: 120, rollout: { groupSize: 5, topK: 3 }, lrs: [3e-4, 1e-4] },
    regime: "near-misses",
    sftCheckpoint: `sft/seed-${seed}`,
  });
  // The method arm adds alpha and a nested object the baselines lack, and one rollout setting
  // differs; its arrays are equal to the baselines' as a whole.
  const method = (seed: number, alpha: number) => {
    const b = base(seed);
    return {
      ...b,
      method: { ...b.method, alpha, feedback: { enabled: true, maxCalls: 1 } },
      rl: { ...b.rl, rollout: { groupSize: 5, topK: 5 } },
    };
  };
  const configs = [start, base(1), method(1, 0.3), base(2), method(2, 0.1)];
  const s = splitConfigs(configs);
  assert.deepEqual(s.common, {
    regime: "near-misses",
    // Held by 4 of 5 runs, alike: shared; the warm start says it lacks them.
    method: { clip: 0.2, kl: { coef: 0.001, estimator: "k3" } },
    rl: { steps: 120, rollout: { groupSize: 5 }, lrs: [3e-4, 1e-4] },
  });
  // The differences of each arm, as `base` and `method` build them.
  const checkpoint = (seed: number) => ({ path: "sftCheckpoint", value: `sft/seed-${seed}` });
  const baseDiffs = (seed: number) => [checkpoint(seed), { path: "rl.rollout.topK", value: 3 }];
  const methodDiffs = (seed: number, alpha: number) => [
    checkpoint(seed),
    // Present in 2 of 5 runs only: listed under those runs, leaf by leaf.
    { path: "method.alpha", value: alpha },
    { path: "method.feedback.enabled", value: true },
    { path: "method.feedback.maxCalls", value: 1 },
    { path: "rl.rollout.topK", value: 5 },
  ];
  assert.deepEqual(s.differences, [
    [checkpoint(1), { path: "method", absent: true }, { path: "rl", absent: true }],
    baseDiffs(1),
    methodDiffs(1, 0.3),
    baseDiffs(2),
    methodDiffs(2, 0.1),
  ]);
  assert.deepEqual(s.differences[2]!.map(differenceText), [
    'sftCheckpoint: "sft/seed-1"',
    "method.alpha: 0.3",
    "method.feedback.enabled: true",
    "method.feedback.maxCalls: 1",
    "rl.rollout.topK: 5",
  ]);
  assert.deepEqual(s.differences[0]!.map(differenceText), [
    'sftCheckpoint: "sft/seed-1"',
    "method: (absent)",
    "rl: (absent)",
  ]);
  // Nothing is lost: every config is the shared part with its differences applied.
  configs.forEach((c, i) => assert.deepEqual(apply(s.common, s.differences[i]!), c, `config ${i}`));
});

Deno.test("splitConfigs: arrays compared whole, key order ignored, absent leaves, odd keys", () => {
  const s = splitConfigs([
    { xs: [1, 2], o: { a: 1, b: 2 }, "a.b": 1, e: {} },
    { o: { b: 2, a: 1 }, xs: [1, 2], "a.b": 2, e: {} },
    { xs: [1, 3], o: { a: 1 }, "a.b": 1 },
  ]);
  assert.deepEqual(s.common, { o: { a: 1, b: 2 }, e: {} });
  assert.deepEqual(s.differences, [
    [{ path: "xs", value: [1, 2] }, { path: '["a.b"]', value: 1 }],
    [{ path: "xs", value: [1, 2] }, { path: '["a.b"]', value: 2 }],
    [
      { path: "xs", value: [1, 3] },
      { path: "o.b", absent: true },
      { path: '["a.b"]', value: 1 },
      { path: "e", absent: true },
    ],
  ]);
  assert.deepEqual(s.differences[2]!.map(differenceText), [
    "xs: [1,3]",
    "o.b: (absent)",
    '["a.b"]: 1',
    "e: (absent)",
  ]);
});

Deno.test("splitConfigs: one config is all shared; none, or differing non-objects, share nothing", () => {
  assert.deepEqual(splitConfigs([{ a: { b: 1 } }]), { common: { a: { b: 1 } }, differences: [[]] });
  assert.deepEqual(splitConfigs([]), { common: undefined, differences: [] });
  assert.deepEqual(splitConfigs([null, 3]), {
    common: undefined,
    differences: [[{ path: "", value: null }], [{ path: "", value: 3 }]],
  });
  assert.equal(differenceText({ path: "", value: null }), "(whole config): null");
  // Half of the configs is not more than half: a field two of four hold is not shared.
  assert.deepEqual(splitConfigs([{ a: 1 }, { a: 1 }, {}, {}]), {
    common: {},
    differences: [[{ path: "a", value: 1 }], [{ path: "a", value: 1 }], [], []],
  });
  // A "__proto__" key stays a key of the shared part.
  const p = splitConfigs([JSON.parse('{"__proto__": {"x": 1}}')]);
  assert.deepEqual(Object.keys(p.common as object), ["__proto__"]);
  assert.equal(Object.getPrototypeOf(p.common), Object.prototype);
});
