import assert from "node:assert/strict";
import { getMethod, methodNames, registerMethod } from "./registry.ts";
import type { Method } from "./method.ts";

Deno.test("registry: register, look up, and refuse a duplicate name", () => {
  const m: Method<{ x: number }> = {
    name: "test-registry-method",
    summary: "a test method",
    defaults: { x: 1 },
    step: (b) => ({ advantages: new Float32Array(b.n * b.length), metrics: {} }),
    loss: () => ({
      clipLow: 0.2,
      clipHigh: 0.2,
      dualClip: null,
      klCoef: 0,
      klEstimator: "k3",
      aggregation: "token-mean",
    }),
    dynamicSampling: () => ({ kind: "off" }),
  };
  registerMethod(m);
  assert.equal(getMethod("test-registry-method").name, "test-registry-method");
  assert.ok(methodNames().includes("test-registry-method"));
  assert.throws(() => registerMethod(m), /already registered/);
  assert.throws(() => getMethod("nope"), /unknown method "nope"/);
  assert.throws(() => registerMethod({ ...m, name: "a/b" }), /lower-case letters/);
});
