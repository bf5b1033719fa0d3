import assert from "node:assert/strict";
import { stepRng } from "./trainer.ts";

Deno.test("stepRng: one random stream per step of a run", () => {
  assert.equal(stepRng(3, 7).next(), stepRng(3, 7).next());
  assert.notEqual(stepRng(3, 7).next(), stepRng(3, 8).next());
});
