import assert from "node:assert/strict";
import { ROLE_CODE } from "./mod.ts";

Deno.test("ROLE_CODE: padding is 0 and every role has its own code", () => {
  assert.equal(ROLE_CODE.pad, 0);
  const codes = Object.values(ROLE_CODE);
  assert.equal(new Set(codes).size, codes.length);
  assert.deepEqual(Object.keys(ROLE_CODE), ["pad", "policy", "observation", "feedback"]);
});
