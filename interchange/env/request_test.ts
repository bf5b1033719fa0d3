/** Request bodies: one item or a batch, the item limit, strict fields named by their path. */
import assert from "node:assert/strict";
import { EnvRequestError, FieldReader, parseJsonBody, requestItems } from "./request.ts";

function refused(f: () => unknown, status: number, field: string): void {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof EnvRequestError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.field, field);
    return true;
  });
}

Deno.test("request bodies: items, limits and field checks", () => {
  refused(() => parseJsonBody("{'a': 1}"), 400, "body");
  refused(() => requestItems("x", { maxItems: 2 }), 400, "body");
  refused(() => requestItems({ items: [] }, { maxItems: 2 }), 400, "items");
  refused(() => requestItems({ items: [1, 2, 3] }, { maxItems: 2 }), 422, "items");
  refused(() => requestItems({ items: [1], more: 1 }, { maxItems: 2 }), 400, "more");
  assert.deepEqual(requestItems({ a: 1 }, { maxItems: 2 }), {
    items: [{ value: { a: 1 }, at: "" }],
    batched: false,
  });

  refused(() => FieldReader.of([], { at: "items[0]", allowed: [] }), 400, "items[0]");
  refused(() => FieldReader.of({ b: 1 }, { at: "", allowed: ["a"] }), 400, "b");
  const r = FieldReader.of({ s: "x", n: null, l: ["a", 2], o: "hint" }, {
    at: "items[3]",
    allowed: ["s", "n", "l", "o", "m"],
  });
  assert.equal(r.where, "items[3]");
  assert.equal(r.optionalString("n"), undefined); // null is absent
  assert.equal(r.optionalString("m"), undefined);
  refused(() => r.string("m"), 400, "items[3].m");
  refused(() => r.optionalStrings("l"), 400, "items[3].l[1]");
  refused(() => r.optionalStrings("s"), 400, "items[3].s");
  assert.deepEqual(r.optionalStrings("s", { single: true }), ["x"]);
  assert.equal(r.optionalOneOf("o", ["hint", "none"]), "hint");
  refused(() => r.optionalOneOf("s", ["hint"]), 400, "items[3].s");
  refused(() => r.array("s", { max: 1, limitFlag: "--x" }), 400, "items[3].s");
  refused(() => r.array("l", { max: 1, limitFlag: "--x" }), 422, "items[3].l");
});
