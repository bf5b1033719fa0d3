import assert from "node:assert/strict";
import process from "node:process";
import {
  buildPrompt,
  formatFeedback,
  formatPassages,
  INVALID_ACTION_TEXT,
  invalidActionText,
  parseAction,
  restoreStopTag,
  searchR1Prompt,
  STOP_TAGS,
  TAG_TOKENS,
} from "./protocol.ts";
import type { Question } from "@creditlab/core";

const open = { feedbackOffered: false, searchAllowed: true };
const q: Question = {
  id: "q1",
  question: "Which country hosted the 2014 Winter Olympics?",
  goldenAnswers: ["Russia"],
  benchmark: "nq",
  split: "test",
};

Deno.test("tags and stop tags", () => {
  assert.deepEqual(TAG_TOKENS, [
    "<think>",
    "</think>",
    "<search>",
    "</search>",
    "<information>",
    "</information>",
    "<answer>",
    "</answer>",
    "<feedback>",
    "</feedback>",
    "<verifier>",
    "</verifier>",
  ]);
  assert.deepEqual(STOP_TAGS, ["</search>", "</answer>", "</feedback>"]);
});

Deno.test("buildPrompt: short, shows which tools are available", () => {
  assert.equal(
    buildPrompt(q, { feedbackOffered: false, maxSearchTurns: 4 }),
    "question : Which country hosted the 2014 Winter Olympics? tools : search answer",
  );
  assert.equal(
    buildPrompt(q, { feedbackOffered: true, maxSearchTurns: 4 }),
    "question : Which country hosted the 2014 Winter Olympics? tools : search feedback answer",
  );
  assert.equal(
    buildPrompt("who ?", { feedbackOffered: false, maxSearchTurns: 0 }),
    "question : who ? tools : answer",
  );
  assert.throws(
    () => buildPrompt({ ...q, question: "  " }, { feedbackOffered: false, maxSearchTurns: 4 }),
    /empty.*q1/,
  );
  assert.throws(
    () => buildPrompt(q, { feedbackOffered: false, maxSearchTurns: -1 }),
    /maxSearchTurns/,
  );
});

Deno.test("searchR1Prompt: Search-R1 template text", () => {
  const p = searchR1Prompt(q);
  assert.ok(
    p.startsWith(
      "Answer the given question. You must conduct reasoning inside <think> and </think> first",
    ),
  );
  assert.ok(
    p.includes(
      "call a search engine by <search> query </search> and it will return the top searched results between <information> and </information>.",
    ),
  );
  assert.ok(p.includes("For example, <answer> Beijing </answer>. Question: Which country"));
  assert.ok(p.endsWith("Olympics?\n"));
  assert.ok(!p.includes("<feedback>"));
  assert.ok(searchR1Prompt(q, { feedbackOffered: true }).includes("<feedback> draft </feedback>"));
});

Deno.test("formatPassages: Search-R1 Doc i(Title: t) format", () => {
  assert.equal(
    formatPassages([
      { id: "1", title: "Sochi", text: "Sochi is a city\nin Russia.", score: 2 },
      { id: "2", title: "2014 Winter Olympics", text: "Held in Sochi, Russia.", score: 1 },
    ]),
    "<information> Doc 1(Title: Sochi) Sochi is a city in Russia.\nDoc 2(Title: 2014 Winter Olympics) Held in Sochi, Russia. </information>",
  );
  assert.equal(formatPassages([]), "<information> </information>");
  assert.equal(
    formatFeedback("a city,\n not a country"),
    "<verifier> a city, not a country </verifier>",
  );
});

Deno.test("invalid action text is Search-R1's, feedback variant adds one sentence", () => {
  assert.equal(
    INVALID_ACTION_TEXT,
    "My previous action is invalid. If I want to search, I should put the query between <search> and </search>. If I want to give the final answer, I should put the answer between <answer> and </answer>. Let me try again.",
  );
  assert.equal(invalidActionText({ feedbackOffered: false }), INVALID_ACTION_TEXT);
  const fb = invalidActionText({ feedbackOffered: true });
  assert.ok(fb.includes("between <feedback> and </feedback>. Let me try again."));
  assert.ok(fb.startsWith("My previous action is invalid."));
});

Deno.test("parseAction: valid actions", () => {
  assert.deepEqual(
    parseAction("<think> need host </think> <search>  2014 winter\nolympics </search>", open),
    {
      kind: "search",
      query: "2014 winter olympics",
    },
  );
  assert.deepEqual(parseAction("<answer> russia </answer>", open), {
    kind: "answer",
    text: "russia",
  });
  assert.deepEqual(parseAction("free text <answer>Russia</answer>\n", open), {
    kind: "answer",
    text: "Russia",
  });
  assert.deepEqual(
    parseAction("<feedback> sochi </feedback>", { feedbackOffered: true, searchAllowed: true }),
    { kind: "feedback", draft: "sochi" },
  );
  // answering is always allowed, also when search is not
  assert.deepEqual(
    parseAction("<answer> x </answer>", { feedbackOffered: false, searchAllowed: false }),
    {
      kind: "answer",
      text: "x",
    },
  );
});

Deno.test("parseAction: several answers, the last one counts", () => {
  assert.deepEqual(parseAction("<answer> a </answer> hmm <answer> b </answer>", open), {
    kind: "answer",
    text: "b",
  });
});

function reason(text: string, opts = open): string {
  const a = parseAction(text, opts);
  assert.equal(
    a.kind,
    "invalid",
    `expected invalid for ${JSON.stringify(text)}, got ${JSON.stringify(a)}`,
  );
  return a.kind === "invalid" ? a.reason : "";
}

Deno.test("parseAction: malformed outputs are invalid with a reason", () => {
  assert.match(reason("<search> q"), /<search> is not closed/);
  assert.match(reason("<think> hmm"), /<think> is not closed/);
  assert.match(reason("<answer> a"), /<answer> is not closed/);
  assert.match(reason("q </search>"), /<\/search> without a matching <search>/);
  assert.match(reason("<search> a </answer>"), /<\/answer> closes <search>/);
  assert.match(
    reason("<think> <search> q </search> </think>"),
    /<search> is nested inside <think>/,
  );
  assert.match(reason("<answer> <answer> a </answer> </answer>"), /nested/);
  assert.match(reason("<search>   </search>"), /empty <search>/);
  assert.match(reason("<answer></answer>"), /empty <answer>/);
  assert.match(reason("just some text"), /no action/);
  assert.match(reason(""), /no action/);
  assert.match(reason("<think> x </think>"), /no action/);
  assert.match(reason("<search> q </search> <answer> a </answer>"), /several actions/);
  assert.match(reason("<search> q </search> <search> r </search>"), /several <search>/);
  assert.match(reason("<answer> a </answer> trailing"), /text after <\/answer>/);
  assert.match(
    reason("<information> fake </information> <answer> a </answer>"),
    /environment tag <information>/,
  );
  assert.match(
    reason("<verifier> ok </verifier> <answer> a </answer>"),
    /environment tag <verifier>/,
  );
  assert.match(
    reason("<search> q </search>", { feedbackOffered: false, searchAllowed: false }),
    /search is not allowed/,
  );
  assert.match(reason("<feedback> d </feedback>"), /feedback is not offered/);
  assert.match(
    reason("<feedback> </feedback>", { feedbackOffered: true, searchAllowed: true }),
    /empty <feedback>/,
  );
  // no action message names <feedback> only when offered
  assert.doesNotMatch(reason("x"), /feedback/);
  assert.match(reason("x", { feedbackOffered: true, searchAllowed: true }), /<feedback>/);
});

Deno.test("restoreStopTag puts back the stop sequence a server removed", () => {
  assert.equal(
    restoreStopTag("<think> x </think> <search> q", STOP_TAGS),
    "<think> x </think> <search> q </search>",
  );
  assert.equal(restoreStopTag("<answer> a ", STOP_TAGS), "<answer> a </answer>");
  assert.equal(restoreStopTag("<answer> a </answer>", STOP_TAGS), "<answer> a </answer>");
  assert.equal(restoreStopTag("<think> x", STOP_TAGS), "<think> x");
  assert.equal(restoreStopTag("<search> q", ["</answer>"]), "<search> q");
  assert.equal(restoreStopTag("no tags", STOP_TAGS), "no tags");
});

Deno.test("parsers: linear time on 10,000 random and adversarial strings (fuzz, generous bound)", () => {
  // Adversarial shapes: long whitespace runs followed by a non-space (a /\s+$/ regex took 35 s
  // on 200k characters), unclosed and nested tags, tag fragments, many tags.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed % n;
  };
  const pieces = [
    " ",
    "\t",
    "\n",
    "x",
    "<search>",
    "</search>",
    "<answer>",
    "</answer>",
    "<think>",
    "</think>",
    "<feedback>",
    "<information>",
    "<",
    "</",
    ">",
    "<sear",
    "é",
    "\u00a0",
  ];
  const big = 200_000;
  const adversarial = [
    "<search> q" + " ".repeat(big) + "x",
    "<answer>" + " \t".repeat(big / 2) + ".",
    "<search>".repeat(big / 8),
    "<search> q </search>".repeat(big / 20),
    "</".repeat(big / 2),
    "<".repeat(big) + "search>",
    "<answer> a" + "\u00a0".repeat(big),
    " ".repeat(big) + "<search>",
  ];
  const inputs: string[] = [...adversarial];
  while (inputs.length < 10_000) {
    const len = rand(4) === 0 ? rand(400) : rand(60);
    let s = "";
    for (let i = 0; i < len; i++) s += pieces[rand(pieces.length)]!;
    inputs.push(s);
  }
  const cpu0 = process.cpuUsage();
  for (const text of inputs) {
    for (const searchAllowed of [true, false]) {
      const a = parseAction(text, { feedbackOffered: !searchAllowed, searchAllowed });
      assert.ok(["search", "answer", "feedback", "invalid"].includes(a.kind));
    }
    const restored = restoreStopTag(text, STOP_TAGS);
    assert.ok(restored.startsWith(text.trimEnd()));
    formatFeedback(text);
    formatPassages([{ id: "p", title: text.slice(0, 100), text, score: 0 }]);
  }
  // CPU time, so that a loaded machine does not count: linear parsing takes well under a
  // second; the quadratic trim took minutes on the first adversarial string alone
  const cpu = process.cpuUsage(cpu0);
  const ms = (cpu.user + cpu.system) / 1000;
  assert.ok(ms < 10_000, `10,000 strings took ${ms.toFixed(0)} ms of CPU`);
});
