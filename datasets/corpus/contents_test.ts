import assert from "node:assert/strict";
import { fromContents, toContents } from "./contents.ts";

Deno.test("contents: FlashRAG title line round trip", () => {
  const doc = { title: "Evan Morris", text: "Evan L. Morris\nwas a lobbyist." };
  assert.equal(toContents(doc), '"Evan Morris"\nEvan L. Morris\nwas a lobbyist.');
  assert.deepEqual(fromContents(toContents(doc)), doc);
  assert.deepEqual(fromContents("no newline"), { title: "", text: "no newline" });
  assert.deepEqual(fromContents("Unquoted\nx"), { title: "Unquoted", text: "x" });
});
