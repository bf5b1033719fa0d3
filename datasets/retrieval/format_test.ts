import assert from "node:assert/strict";
import { formatDocs } from "./format.ts";

Deno.test("formatDocs: Search-R1's _passages2string byte for byte", () => {
  const ps = [
    { id: "0", title: "Evan Morris", text: "Evan L. Morris was a lobbyist.", score: 2 },
    { id: "1", title: "Gallu", text: "A demon.", score: 1 },
  ];
  // Search-R1: title = contents.split("\n")[0] (keeps the quotes); f"Doc {idx+1}(Title: {title}) {text}\n".
  assert.equal(
    formatDocs(ps),
    'Doc 1(Title: "Evan Morris") Evan L. Morris was a lobbyist.\nDoc 2(Title: "Gallu") A demon.\n',
  );
  assert.equal(formatDocs(ps.slice(1), { quoteTitles: false }), "Doc 1(Title: Gallu) A demon.\n");
  assert.equal(formatDocs([]), "");
});
