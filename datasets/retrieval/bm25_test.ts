import assert from "node:assert/strict";
import { Rng } from "@creditlab/kernels";
import { bm25Idf, Bm25Index, bm25SearchTool } from "./bm25.ts";
import { stopWordSet, tokenize } from "./tokenize.ts";
import type { Doc } from "@creditlab/core";

/** Plain-loop BM25 (Lucene formula) over every document, ties by doc order. */
function bruteForce(
  docs: Doc[],
  query: string,
  k: number,
  opts: { k1: number; b: number; stop: ReadonlySet<string> },
): { id: string; score: number }[] {
  const toks = docs.map((d) => tokenize(d.title + "\n" + d.text, { stopWords: opts.stop }));
  const n = docs.length;
  const avgdl = toks.reduce((s, t) => s + t.length, 0) / n || 1;
  const df = new Map<string, number>();
  for (const t of toks) for (const w of new Set(t)) df.set(w, (df.get(w) ?? 0) + 1);
  const q = tokenize(query, { stopWords: opts.stop });
  const scored = docs.map((d, i) => {
    const dt = toks[i]!;
    let s = 0;
    let hit = false;
    for (const w of q) {
      const f = df.get(w);
      if (f === undefined) continue;
      const tf = dt.filter((x) => x === w).length;
      if (tf === 0) continue;
      hit = true;
      const norm = opts.k1 * (1 - opts.b + (opts.b * dt.length) / avgdl);
      s += bm25Idf(f, n) * Math.fround(tf / (tf + norm));
    }
    return { i, id: d.id, score: s, hit };
  });
  return scored.filter((x) => x.hit).sort((a, b) => b.score - a.score || a.i - b.i).slice(0, k)
    .map(({ id, score }) => ({ id, score }));
}

function zipfWord(rng: Rng, vocab: number): string {
  // P(w_r) proportional to 1/r, by inverse CDF over a small vocabulary.
  let h = 0;
  for (let r = 1; r <= vocab; r++) h += 1 / r;
  let u = rng.next() * h;
  for (let r = 1; r <= vocab; r++) {
    u -= 1 / r;
    if (u <= 0) return `w${r}`;
  }
  return `w${vocab}`;
}

function randomCorpus(rng: Rng, n: number, vocab: number): Doc[] {
  const docs: Doc[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rng.int(40);
    const words: string[] = [];
    for (let j = 0; j < len; j++) words.push(rng.next() < 0.1 ? "the" : zipfWord(rng, vocab));
    docs.push({ id: `d${i}`, title: zipfWord(rng, vocab), text: words.join(" ") });
  }
  return docs;
}

Deno.test("bm25: hand-checked scores on a two-document corpus", () => {
  const index = Bm25Index.build([
    { id: "a", title: "", text: "cat cat dog" },
    { id: "b", title: "", text: "dog" },
  ], { k1: 1.2, b: 0.75, stopWords: { kind: "none" } });
  // N = 2, avgdl = 2. "cat": df 1, idf = ln(1 + 1.5/1.5) = ln 2; doc a: tf 2, |d| = 3,
  // norm = 1.2 * (0.25 + 0.75 * 1.5) = 1.65, impact = 2 / 3.65.
  const [top] = index.search("cat", 5);
  assert.equal(index.search("cat", 5).length, 1);
  assert.equal(top!.id, "a");
  assert.ok(Math.abs(top!.score - Math.log(2) * Math.fround(2 / 3.65)) < 1e-12);
  // "dog": df 2, idf = ln(1 + 0.5/2.5) = ln 1.2; doc b: tf 1, |d| = 1, norm = 1.2 * 0.625 = 0.75.
  const dog = index.search("dog", 5);
  assert.deepEqual(dog.map((p) => p.id), ["b", "a"]);
  assert.ok(Math.abs(dog[0]!.score - Math.log(1.2) * Math.fround(1 / 1.75)) < 1e-12);
  assert.equal(index.avgDocLength, 2);
  assert.deepEqual(index.termStats("dog"), { df: 2, idf: Math.log(1.2) });
});

Deno.test("bm25: top-k equals a brute-force scorer on random queries, across seeds and params", () => {
  for (const seed of [1, 2, 3, 4]) {
    const rng = new Rng(seed);
    const docs = randomCorpus(rng, 150 + rng.int(150), 40);
    for (
      const params of [
        { k1: 0.9, b: 0.4, stopWords: { kind: "lucene" } as const },
        { k1: 1.2, b: 0.75, stopWords: { kind: "none" } as const },
        { k1: 0, b: 0, stopWords: { kind: "none" } as const },
      ]
    ) {
      const index = Bm25Index.build(docs, params);
      const stop = stopWordSet(params.stopWords);
      for (let qi = 0; qi < 60; qi++) {
        const qlen = 1 + rng.int(6);
        const words: string[] = [];
        for (let j = 0; j < qlen; j++) {
          const u = rng.next();
          words.push(u < 0.1 ? "the" : u < 0.15 ? "unseenword" : zipfWord(rng, 40));
        }
        const query = words.join(" ");
        const k = [1, 3, 5, 10][rng.int(4)]!;
        const got = index.search(query, k);
        const want = bruteForce(docs, query, k, { k1: params.k1, b: params.b, stop });
        assert.deepEqual(
          got.map((p) => p.id),
          want.map((p) => p.id),
          `seed ${seed} query "${query}" k ${k}`,
        );
        got.forEach((p, j) => assert.ok(Math.abs(p.score - want[j]!.score) < 1e-9));
      }
    }
  }
});

Deno.test("bm25: ties are broken by document order", () => {
  const docs = [0, 1, 2, 3].map((i) => ({ id: `x${i}`, title: "", text: "same words here" }));
  const index = Bm25Index.build(docs);
  assert.deepEqual(index.search("words", 3).map((p) => p.id), ["x0", "x1", "x2"]);
});

Deno.test("bm25: edge cases — empty query, only stop words, k = 0, empty corpus", () => {
  const index = Bm25Index.build([{ id: "0", title: "T", text: "alpha beta" }]);
  assert.deepEqual(index.search("", 3), []);
  assert.deepEqual(index.search("the of and", 3), []);
  assert.deepEqual(index.search("alpha", 0), []);
  assert.deepEqual(Bm25Index.build([]).search("alpha", 3), []);
  assert.equal(index.search("ALPHA!", 3)[0]!.id, "0");
});

Deno.test("bm25: bad arguments name the argument", () => {
  assert.throws(() => Bm25Index.build([], { k1: -1 }), /k1 must be/);
  assert.throws(() => Bm25Index.build([], { b: 1.5 }), /b must be in \[0, 1\]/);
  const index = Bm25Index.build([{ id: "0", title: "", text: "x" }]);
  assert.throws(() => index.search("x", -1), /k must be an integer/);
  assert.throws(() => index.search("x", 1.5), /k must be an integer/);
  assert.throws(
    () => Bm25Index.build([{ id: 1, title: "", text: "" } as unknown as Doc]),
    /docs\[0\] must have string id/,
  );
});

Deno.test("bm25SearchTool: resolves to the index's results", async () => {
  const index = Bm25Index.build([{ id: "0", title: "Lilu", text: "a demon" }]);
  const tool = bm25SearchTool(index);
  assert.deepEqual(await tool.search("demon", 3), index.search("demon", 3));
  await assert.rejects(tool.search("demon", -2), /k must be/);
});
