import assert from "node:assert/strict";
import { getMethod, methodNames, registerMethod } from "./registry.ts";
import type { Method } from "./method.ts";
import { inertMethod } from "./_test_utils.ts";

Deno.test("registry: register, look up, and refuse a duplicate name", () => {
  const m: Method<{ x: number }> = inertMethod("test-registry-method", { x: 1 });
  registerMethod(m);
  assert.equal(getMethod("test-registry-method").name, "test-registry-method");
  assert.ok(methodNames().includes("test-registry-method"));
  assert.throws(() => registerMethod(m), /already registered/);
  assert.throws(() => getMethod("nope"), /unknown method "nope"/);
  assert.throws(() => registerMethod({ ...m, name: "a/b" }), /lower-case letters/);
});
