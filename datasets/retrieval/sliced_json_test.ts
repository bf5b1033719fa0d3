/**
 * parseJsonSliced against JSON.parse (values, key order, `__proto__`, errors) on random and
 * hand-made documents, as text and as UTF-8 bytes, with pieces small enough that every document
 * is split; JsonChunks' bytes against TextEncoder; and that a large body is parsed with yields in
 * between.
 */
import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { JsonChunks, parseJsonSliced } from "./sliced_json.ts";
import { TimeSlicer } from "./time_slicer.ts";

function randomValue(rng: Rng, depth: number): unknown {
  const kind = depth > 3 ? rng.int(4) : rng.int(6);
  switch (kind) {
    case 0:
      return rng.int(1000) - 500 + (rng.int(2) === 0 ? 0.25 : 0);
    case 1: {
      const chars = ['"', "\\", "a", "é", "\n", "𝄞", ",", "]", "}", "{", "[", ":", " "];
      return Array.from({ length: rng.int(8) }, () => chars[rng.int(chars.length)]).join("");
    }
    case 2:
      return [true, false, null][rng.int(3)];
    case 3:
      return -0;
    case 4:
      return Array.from({ length: rng.int(12) }, () => randomValue(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(8); i > 0; i--) {
        o[`k${rng.int(20)}${i % 3 === 0 ? '"\\' : ""}`] = randomValue(rng, depth + 1);
      }
      return o;
    }
  }
}

/** JSON.parse's value or error message for `text` (bytes: decoded as a body is). */
function native(text: string | Uint8Array): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(typeof text === "string" ? text : new TextDecoder().decode(text)) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

async function sliced(
  text: string | Uint8Array,
  pieceChars: number,
): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await parseJsonSliced(text, { pieceChars }) };
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    return { error: e.message };
  }
}

/**
 * Parse `text` with a `TimeSlicer` of `sliceMs` while a 0 ms interval timer counts the turns the
 * event loop gets meanwhile; the value and the count.
 */
async function parseCountingYields(text: string | Uint8Array, sliceMs: number) {
  const slicer = new TimeSlicer({ sliceMs, busySliceMs: sliceMs });
  let yields = 0;
  const timer = setInterval(() => yields++, 0);
  try {
    return { value: await parseJsonSliced(text, { slicer }), yields };
  } finally {
    clearInterval(timer);
  }
}

Deno.test("parseJsonSliced: equals JSON.parse on random documents split into tiny pieces", async () => {
  const rng = new Rng(7);
  for (let t = 0; t < 300; t++) {
    const value = randomValue(rng, 0);
    const compact = JSON.stringify(value);
    const spaced = JSON.stringify(value, null, rng.int(3));
    for (const text of [compact, `  ${spaced}\n`]) {
      for (const pieceChars of [1, 3, 17]) {
        const got = await parseJsonSliced(text, { pieceChars });
        assert.deepEqual(got, JSON.parse(text), `${text} (pieces of ${pieceChars})`);
        if (got !== null && typeof got === "object") {
          assert.deepEqual(Object.keys(got), Object.keys(JSON.parse(text)), "key order");
        }
      }
    }
  }
});

Deno.test("parseJsonSliced: duplicate keys, __proto__, numeric keys as JSON.parse makes them", async () => {
  const text = '{"b": 1, "2": [1, 2, 3], "__proto__": {"x": 1}, "b": [4, 5], "1": null}';
  const got = await parseJsonSliced(text, { pieceChars: 2 }) as Record<string, unknown>;
  const want = JSON.parse(text);
  assert.deepEqual(got, want);
  assert.deepEqual(Object.keys(got), Object.keys(want));
  assert.equal(Object.getPrototypeOf(got), Object.prototype); // an own property, not a prototype
  assert.deepEqual(Object.getOwnPropertyDescriptor(got, "__proto__")?.value, { x: 1 });
});

Deno.test("parseJsonSliced: malformed text throws JSON.parse's own SyntaxError", async () => {
  const bad = [
    '{"queries": [1, 2,]}',
    "[1, 2] [3]",
    "[1, 2], [3]",
    '{"a": , "b": 1}',
    '{"a" 1, "b": 2}',
    '{1: 2, "b": 3}',
    '["unterminated, 1, 2, 3]',
    "[1, 2, 3",
    "[1,, 2]",
    '{"a": [1, 2}, "b": 3]',
    "[tru, false, null, 1]",
    '{"a": 1, }',
    '{"a": 1,, "b": 2}',
    "[1, 2, ]",
  ];
  for (const text of bad) {
    let native = "";
    try {
      JSON.parse(text);
    } catch (e) {
      native = (e as Error).message;
    }
    assert.notEqual(native, "", `JSON.parse accepted ${text}`);
    await assert.rejects(
      parseJsonSliced(text, { pieceChars: 2 }),
      (e: unknown) => e instanceof SyntaxError && e.message === native,
      text,
    );
  }
});

Deno.test("parseJsonSliced: mutated documents give JSON.parse's value or JSON.parse's error", async () => {
  const rng = new Rng(11);
  const noise = [",", "]", "}", "[", "{", '"', ":", "\\", " ", "1"];
  for (let t = 0; t < 500; t++) {
    const text = JSON.stringify(randomValue(rng, 0));
    const at = rng.int(text.length + 1);
    const mutated = rng.int(2) === 0
      ? text.slice(0, at) + text.slice(at + 1)
      : text.slice(0, at) + noise[rng.int(noise.length)] + text.slice(at);
    assert.deepEqual(await sliced(mutated, 3), native(mutated), mutated);
  }
});

Deno.test("parseJsonSliced: a 4 MB body of 100,000 queries is parsed in pieces with yields in between", async () => {
  const queries = Array.from(
    { length: 100_000 },
    (_, i) => `query number ${i} about "some things"`,
  );
  const text = JSON.stringify({ queries, topk: 3, return_scores: true });
  assert.ok(text.length > 4_000_000);
  const { value, yields } = await parseCountingYields(text, 1);
  assert.deepEqual(value, JSON.parse(text));
  assert.ok(yields > 2, `the parse yielded to the event loop ${yields} times`);
});

Deno.test("parseJsonSliced on UTF-8 bytes and text: JSON.parse's value or error, mutated documents", async () => {
  const rng = new Rng(13);
  const noise = [",", "]", "}", "[", "{", '"', ":", "\\", " ", "1", "é"];
  const enc = new TextEncoder();
  // and records of token arrays (the small arrays of numbers the scan skips by indexOf)
  const ids = () =>
    Array.from({ length: rng.int(12) }, () => rng.int(100) - (rng.int(4) === 0 ? 50 : 0));
  const records = () => ({
    records: Array.from({ length: 1 + rng.int(6) }, () => ({ ids: ids(), t: [ids(), ids()] })),
  });
  for (let t = 0; t < 600; t++) {
    const text = JSON.stringify(t % 3 === 2 ? records() : randomValue(rng, 0), null, rng.int(2));
    const at = rng.int(text.length + 1);
    const mutated = t % 2 === 0
      ? text
      : rng.int(2) === 0
      ? text.slice(0, at) + text.slice(at + 1)
      : text.slice(0, at) + noise[rng.int(noise.length)] + text.slice(at);
    const bytes = enc.encode(mutated);
    for (const pieceChars of [1, 3, 17, 60]) {
      assert.deepEqual(
        await sliced(bytes, pieceChars),
        native(bytes),
        `${mutated} (${pieceChars})`,
      );
      assert.deepEqual(await sliced(mutated, pieceChars), native(mutated), `${mutated} (text)`);
    }
  }
  // a byte order mark is skipped; one inside is refused as JSON.parse refuses it
  const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode('{"a": [1, 2, 3], "b": "x"}')]);
  assert.deepEqual(await sliced(bom, 2), { value: { a: [1, 2, 3], b: "x" } });
  const inner = enc.encode("[1, \ufeff2, 3]");
  assert.deepEqual(await sliced(inner, 2), native(inner));
  assert.ok("error" in native(inner));
  // malformed UTF-8 inside a string becomes U+FFFD, as the whole text decodes
  const bad = new Uint8Array([...enc.encode('["a", "'), 0xc3, 0x28, ...enc.encode('", "b"]')]);
  assert.deepEqual(await sliced(bad, 2), native(bad));
  assert.deepEqual(native(bad), { value: ["a", "\ufffd(", "b"] });
});

Deno.test("parseJsonSliced: a 25 MB body of bytes is parsed as JSON.parse does, with yields in between", async () => {
  const row = (i: number) => ({ id: `t${i}`, ids: Array.from({ length: 512 }, (_, j) => i + j) });
  const text = JSON.stringify({
    method: "grpo",
    records: Array.from({ length: 8000 }, (_, i) => row(i)),
  });
  const bytes = new TextEncoder().encode(text);
  assert.ok(bytes.length > 20_000_000, `${bytes.length} bytes`);
  const { value, yields } = await parseCountingYields(bytes, 5);
  assert.deepEqual(value, JSON.parse(text));
  assert.ok(yields > 10, `the parse yielded to the event loop ${yields} times`);
});

Deno.test("JsonChunks: the bytes of the joined text, across chunk boundaries and multi-byte characters", async () => {
  const parts = ['{"result":[', '"é𝄞"', ",", '"x"'.repeat(1), "]}"];
  for (const chunkChars of [1, 2, 5, 1000]) {
    const body = new JsonChunks({ chunkChars });
    for (const p of parts) body.write(p);
    assert.deepEqual(await body.bytes(), new TextEncoder().encode(parts.join("")));
  }
  assert.deepEqual(await new JsonChunks().bytes(), new Uint8Array(0));
});
