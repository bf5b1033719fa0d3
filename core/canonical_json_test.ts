import assert from "node:assert/strict";
import { canonicalJson } from "./canonical_json.ts";

Deno.test("canonicalJson: keys sorted at every level, arrays kept in order", () => {
  const a = { z: { y: 1, x: [3, { q: 2, p: 1 }] }, a: "s" };
  const b = { a: "s", z: { x: [3, { p: 1, q: 2 }], y: 1 } };
  const want = '{"a":"s","z":{"x":[3,{"p":1,"q":2}],"y":1}}';
  assert.equal(canonicalJson(a), want);
  assert.equal(canonicalJson(b), want);
  assert.notEqual(canonicalJson([1, 2]), canonicalJson([2, 1]));
  // Sorted as strings: "10" before "9", where a JS object would iterate "9" first.
  assert.equal(canonicalJson({ 9: 0, 10: 1 }), '{"10":1,"9":0}');
});

Deno.test("canonicalJson: a parsed value gives the text of JSON.stringify with sorted keys", () => {
  const text = '{"b":{"d":-0.25,"c":[true,null,"x"]},"a":1e21,"e":{}}';
  assert.equal(
    canonicalJson(JSON.parse(text)),
    '{"a":1e+21,"b":{"c":[true,null,"x"],"d":-0.25},"e":{}}',
  );
});

Deno.test("canonicalJson: undefined as JSON writes it", () => {
  assert.equal(canonicalJson(undefined), "null");
  assert.equal(canonicalJson({ b: undefined, a: 1 }), '{"a":1}');
  assert.equal(canonicalJson([undefined, 1]), "[null,1]");
});
