import assert from "node:assert/strict";
import { readByHops, readLookup } from "./eval_extra.ts";

Deno.test("readByHops: the recorded EM per hop count; malformed entries left out", () => {
  assert.deepEqual(readByHops({ byHops: { "1": { n: 50, em: 0.4 }, "2": { n: 50, em: 0.1 } } }), {
    "1": { n: 50, em: 0.4 },
    "2": { n: 50, em: 0.1 },
  });
  assert.deepEqual(
    readByHops({ byHops: { "1": { n: 5, em: Number.NaN }, "2": "x", "3": { n: 2, em: 1 } } }),
    { "3": { n: 2, em: 1 } },
  );
  assert.equal(readByHops({ toolCalls: 1 }), null);
  assert.equal(readByHops({ byHops: null }), null);
});

Deno.test("readLookup: the recorded lookup probe; absent or malformed gives null", () => {
  assert.deepEqual(readLookup({ lookup: { accuracy: 0.5, chance: 0.4, n: 150, missed: 2 } }), {
    accuracy: 0.5,
    chance: 0.4,
    n: 150,
  });
  assert.equal(readLookup({ toolCalls: 2 }), null);
  assert.equal(readLookup({ lookup: { accuracy: "0.5", chance: 0.4, n: 150 } }), null);
  assert.equal(readLookup({ lookup: { accuracy: 0, chance: 0, n: 0 } }), null);
  assert.equal(readLookup({ lookup: { accuracy: NaN, chance: 0.4, n: 3 } }), null);
});
