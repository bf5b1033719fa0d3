/**
 * The results of a sweep (cli/sweep.ts): the paired per-world comparison of one seed, and the
 * markdown table of a results file (`deno task sweep --table`).
 * @module
 */
import type { TestbedEval } from "@creditlab/experiments";
import type { SweepSettings } from "./sweep_settings.ts";

/** Per-world paired result of one seed. */
export interface WorldResult {
  before: number;
  after: number;
  /** Questions right after RL that were wrong before, and the reverse. */
  gained: number;
  lost: number;
  lookupBefore: number;
  lookupAfter: number;
}

/** Paired comparison of two evaluations of the same questions. */
export function pairWorld(before: TestbedEval, after: TestbedEval): WorldResult {
  if (before.records.length !== after.records.length) {
    throw new Error(
      `pairWorld: ${before.records.length} questions before RL, ${after.records.length} after`,
    );
  }
  let gained = 0, lost = 0;
  before.records.forEach((b, i) => {
    const a = after.records[i]!;
    if (a.questionId !== b.questionId) {
      throw new Error(
        `pairWorld: question ${i} is ${b.questionId} before RL, ${a.questionId} after`,
      );
    }
    if (a.em > b.em) gained++;
    if (a.em < b.em) lost++;
  });
  return {
    before: before.em,
    after: after.em,
    gained,
    lost,
    lookupBefore: before.lookup.accuracy,
    lookupAfter: after.lookup.accuracy,
  };
}

/** An EM change in points, signed: `+1.5`, `−0.3`. */
export const pts = (x: number) => `${x >= 0 ? "+" : "−"}${Math.abs(100 * x).toFixed(1)}`;

/** One results line, as far as {@link sweepTable} reads it. */
interface ResultRow {
  label: string | null;
  seed: number;
  settings: SweepSettings;
  worlds: { in: WorldResult; ood: WorldResult };
}

/**
 * A markdown table of a results file: one row per (label, warm start), one column per seed,
 * cells "in-domain / OOD" EM change in points; the last line of a repeated (label, warm start,
 * seed) wins. Warm starts are named by SFT steps ("cosine" when decayed), the SFT loss weight
 * of observation tokens and, when every seed started from one warm start (`--sft-seed`), its seed;
 * a row in a regime other than `mixed` names it in brackets.
 */
export function sweepTable(jsonl: string): string {
  const rows = new Map<string, Map<number, ResultRow>>();
  const seeds = new Set<number>();
  jsonl.split("\n").forEach((line, i) => {
    if (line.trim() === "") return;
    let r: ResultRow;
    try {
      r = JSON.parse(line) as ResultRow;
    } catch (e) {
      throw new Error(`sweep results line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    if (typeof r.seed !== "number" || !r.worlds?.in || !r.worlds?.ood || !r.settings?.sft) {
      throw new Error(`sweep results line ${i + 1}: expected seed, settings.sft and worlds.in/ood`);
    }
    const sft = r.settings.sft;
    const warm = `${sft.steps}${sft.decayMinLrRatio === null ? "" : " cosine"}, ${
      sft.observationWeight ?? "?"
    }${r.settings.sftSeed === undefined ? "" : `, seed ${r.settings.sftSeed}'s`}`;
    const regime = r.settings.regime && r.settings.regime !== "mixed"
      ? ` [${r.settings.regime}]`
      : "";
    const key = `${r.label ?? "(no label)"}${regime} | ${warm}`;
    if (!rows.has(key)) rows.set(key, new Map());
    rows.get(key)!.set(r.seed, r);
    seeds.add(r.seed);
  });
  const cols = [...seeds].sort((a, b) => a - b);
  const d = (w: WorldResult) => pts(w.after - w.before);
  const out = [
    `| setting | SFT steps, observation weight | ${cols.map((s) => `seed ${s}`).join(" | ")} |`,
    `| --- | --- | ${cols.map(() => "---").join(" | ")} |`,
  ];
  for (const [key, bySeed] of rows) {
    const [label, warm] = key.split(" | ");
    const cells = cols.map((s) => {
      const r = bySeed.get(s);
      return r ? `${d(r.worlds.in)} / ${d(r.worlds.ood)}` : "";
    });
    out.push(`| ${label} | ${warm} | ${cells.join(" | ")} |`);
  }
  return out.join("\n");
}
