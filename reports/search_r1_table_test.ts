import assert from "node:assert/strict";
import { searchR1Table } from "./search_r1_table.ts";

Deno.test("searchR1Table: golden output with all seven columns (Search-R1 GRPO 7B numbers)", () => {
  const em = [0.395, 0.560, 0.388, 0.326, 0.297, 0.125, 0.360];
  const names = ["nq", "triviaqa", "popqa", "hotpotqa", "2wikimultihopqa", "musique", "bamboogle"];
  const ns = [3610, 11313, 14267, 7405, 12576, 2417, 125];
  const rows = names.map((benchmark, i) => ({ label: "GRPO", benchmark, em: em[i]!, n: ns[i]! }));
  assert.equal(
    searchR1Table(rows),
    [
      "| Method | NQ† | TriviaQA* | PopQA* | HotpotQA† | 2Wiki* | MuSiQue* | Bamboogle* | Avg |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      // avg of the seven = 2.451 / 7 = 0.350142...
      "| GRPO | 0.395 | 0.560 | 0.388 | 0.326 | 0.297 | 0.125 | 0.360 | 0.350 |",
      "",
      "exact match (Search-R1 normalize_answer); † in-domain, * out-of-domain; n: NQ 3610, TriviaQA 11313, PopQA 14267, HotpotQA 7405, 2Wiki 12576, MuSiQue 2417, Bamboogle 125.",
      "",
    ].join("\n"),
  );
});

Deno.test("searchR1Table: missing cells n/a, partial average, extra searchworld columns, f1", () => {
  const rows = [
    { label: "sft", benchmark: "searchworld-easy", em: 0.25, n: 8 },
    { label: "sft", benchmark: "NQ", em: 0.5, f1: 0.75, n: 4 },
    { label: "grpo", benchmark: "nq", em: 1, n: 4 },
    { label: "grpo", benchmark: "hotpotqa", em: 0, f1: 0.5, n: 2 },
    { label: "grpo", benchmark: "searchworld-easy", em: 0.5, n: 8 },
    { label: "grpo", benchmark: "searchworld-hard", em: 0.125, n: 8 },
  ];
  assert.equal(
    searchR1Table(rows),
    [
      "| Method | NQ† | TriviaQA* | PopQA* | HotpotQA† | 2Wiki* | MuSiQue* | Bamboogle* | Avg | searchworld-easy | searchworld-hard |",
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
      "| sft | 0.500 | n/a | n/a | n/a | n/a | n/a | n/a | 0.500 (1/7) | 0.250 | n/a |",
      "| grpo | 1.000 | n/a | n/a | 0.000 | n/a | n/a | n/a | 0.500 (2/7) | 0.500 | 0.125 |",
      "",
      "exact match (Search-R1 normalize_answer); † in-domain, * out-of-domain; n: NQ 4, HotpotQA 2, searchworld-easy 8, searchworld-hard 8.",
      "",
    ].join("\n"),
  );
  const f1 = searchR1Table(rows, { metric: "f1", digits: 2 }).split("\n");
  assert.equal(
    f1[2],
    "| sft | 0.75 | n/a | n/a | n/a | n/a | n/a | n/a | 0.75 (1/7) | n/a | n/a |",
  );
  assert.equal(
    f1[3],
    "| grpo | n/a | n/a | n/a | 0.50 | n/a | n/a | n/a | 0.50 (1/7) | n/a | n/a |",
  );
  assert.ok(f1[5]!.startsWith("token F1"));
});

Deno.test("searchR1Table: empty input and bad rows", () => {
  assert.equal(
    searchR1Table([]),
    "| Method | NQ† | TriviaQA* | PopQA* | HotpotQA† | 2Wiki* | MuSiQue* | Bamboogle* | Avg |\n" +
      "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n\n" +
      "exact match (Search-R1 normalize_answer); † in-domain, * out-of-domain; n: none.\n",
  );
  assert.throws(
    () => searchR1Table([{ label: "a", benchmark: "nq", em: 1.5, n: 1 }]),
    /rows\[0\].*em must be a number in \[0, 1\]/,
  );
  assert.throws(
    () => searchR1Table([{ label: "a", benchmark: "nq", em: NaN, n: 1 }]),
    /em must be/,
  );
  assert.throws(
    () => searchR1Table([{ label: "a", benchmark: "nq", em: 0.5, n: -1 }]),
    /n must be/,
  );
  assert.throws(
    () =>
      searchR1Table([
        { label: "a", benchmark: "nq", em: 0.5, n: 1 },
        { label: "a", benchmark: "NQ", em: 0.5, n: 1 },
      ]),
    /rows\[1\].*second result/,
  );
  assert.equal(
    searchR1Table([{ label: "a|b", benchmark: "nq", em: 0, n: 1 }]).split("\n")[2],
    "| a\\|b | 0.000 | n/a | n/a | n/a | n/a | n/a | n/a | 0.000 (1/7) |",
  );
});
