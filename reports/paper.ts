/**
 * Paper cards: each method folder's `paper.ts` exports its paper(s) as data (title, arXiv id,
 * claims). Reports read them by dynamic import and treat a missing or unreadable card as
 * "no paper card", never as a crash.
 *
 * @module
 */

/** One number a paper reports (shape of methods/<name>/paper.ts claims). */
export interface CardClaim {
  metric: string;
  setting: string;
  value: number;
  source: string;
}

/** One paper as the report shows it. */
export interface CardPaper {
  title: string;
  arxiv: string;
  venue: string;
  year: number | null;
  code: string | null;
  claims: CardClaim[];
}

/** Result of {@link loadPaperCard}. */
export type PaperCard =
  | { kind: "card"; papers: CardPaper[] }
  | { kind: "missing"; reason: string };

function asPaper(v: unknown): CardPaper | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  if (typeof o["title"] !== "string" || !Array.isArray(o["claims"])) return null;
  const claims: CardClaim[] = [];
  for (const c of o["claims"] as unknown[]) {
    if (typeof c !== "object" || c === null) continue;
    const r = c as Record<string, unknown>;
    if (typeof r["value"] !== "number") continue;
    claims.push({
      metric: String(r["metric"] ?? ""),
      setting: String(r["setting"] ?? ""),
      value: r["value"],
      source: String(r["source"] ?? ""),
    });
  }
  return {
    title: o["title"],
    arxiv: typeof o["arxiv"] === "string" ? o["arxiv"] : "",
    venue: typeof o["venue"] === "string" ? o["venue"] : "",
    year: typeof o["year"] === "number" ? o["year"] : null,
    code: typeof o["code"] === "string" ? o["code"] : null,
    claims,
  };
}

/**
 * Extract papers from a card module: its `paper` export (one record or a record of records),
 * else every exported value that looks like a paper record.
 */
export function papersFromModule(mod: Record<string, unknown>): CardPaper[] {
  const collect = (v: unknown): CardPaper[] => {
    const p = asPaper(v);
    if (p) return [p];
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      return Object.keys(v).sort().flatMap((k) => {
        const q = asPaper((v as Record<string, unknown>)[k]);
        return q ? [q] : [];
      });
    }
    return [];
  };
  if ("paper" in mod) {
    const ps = collect(mod["paper"]);
    if (ps.length > 0) return ps;
  }
  return Object.keys(mod).sort().flatMap((k) => collect(mod[k]));
}

/**
 * Load `methods/<method>/paper.ts` (relative to `methodsDir`, default the repository's
 * methods/ folder).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir(); // a methods folder with one card: alpha/paper.ts
 * await Deno.mkdir(`${dir}/alpha`);
 * await Deno.writeTextFile(`${dir}/alpha/paper.ts`, `export const paper = { title: "Alpha", claims: [] };`);
 * const methodsDir = new URL(`file://${dir}/`);
 * const card = await loadPaperCard("alpha", { methodsDir });
 * assert.deepEqual(card.kind === "card" && card.papers.map((p) => p.title), ["Alpha"]);
 * const none = await loadPaperCard("beta", { methodsDir });
 * assert.equal(none.kind === "missing" && none.reason, "no paper card (methods/beta/paper.ts not found)");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadPaperCard(
  method: string,
  opts: { methodsDir?: URL } = {},
): Promise<PaperCard> {
  if (!/^[A-Za-z0-9_.-]+$/.test(method) || method.startsWith(".")) {
    return { kind: "missing", reason: `no paper card (method name ${JSON.stringify(method)})` };
  }
  const dir = opts.methodsDir ?? new URL("../methods/", import.meta.url);
  const url = new URL(`${method}/paper.ts`, dir);
  try {
    await Deno.stat(url);
  } catch {
    return { kind: "missing", reason: `no paper card (methods/${method}/paper.ts not found)` };
  }
  try {
    const mod = await import(url.href) as Record<string, unknown>;
    const papers = papersFromModule(mod);
    if (papers.length === 0) {
      return {
        kind: "missing",
        reason: `no paper card (methods/${method}/paper.ts exports no paper record)`,
      };
    }
    return { kind: "card", papers };
  } catch (e) {
    return {
      kind: "missing",
      reason: `no paper card (methods/${method}/paper.ts failed to load: ${
        (e as Error).message.split("\n")[0]
      })`,
    };
  }
}

/** An effect size a paper claims, in points (percentage points for EM-like fractions). */
export interface PaperEffect {
  paper: string;
  metric: string;
  /** How it was read off the card. */
  how: string;
  points: number;
}

/**
 * The effects a card claims: a claim whose metric says "gain" or "(points)" is itself an
 * effect; a metric reported for exactly two settings gives second − first (fractions in [0, 1]
 * are turned into points).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const claim = (setting: string, value: number) =>
 *   ({ metric: "average EM", setting, value, source: "Table 1" });
 * const claims = [claim("outcome-only RLVR", 0.447), claim("Alpha", 0.485)];
 * const paper = { title: "Alpha", arxiv: "", venue: "", year: null, code: null, claims };
 * const [effect] = paperEffects({ kind: "card", papers: [paper] });
 * assert.equal(effect!.how, "Alpha − outcome-only RLVR");
 * assert.ok(Math.abs(effect!.points - 3.8) < 1e-9); // (0.485 − 0.447) x 100 points
 * assert.deepEqual(paperEffects({ kind: "missing", reason: "no paper card" }), []);
 * ```
 */
export function paperEffects(card: PaperCard): PaperEffect[] {
  if (card.kind === "missing") return [];
  const out: PaperEffect[] = [];
  for (const p of card.papers) {
    const byMetric = new Map<string, CardClaim[]>();
    for (const c of p.claims) {
      if (/gain|\(points\)|improvement/i.test(c.metric)) {
        out.push({ paper: p.title, metric: c.metric, how: c.setting, points: c.value });
        continue;
      }
      const l = byMetric.get(c.metric) ?? [];
      l.push(c);
      byMetric.set(c.metric, l);
    }
    for (const [metric, cs] of byMetric) {
      if (cs.length !== 2) continue;
      const [a, b] = cs as [CardClaim, CardClaim];
      const frac = Math.abs(a.value) <= 1 && Math.abs(b.value) <= 1;
      out.push({
        paper: p.title,
        metric,
        how: `${b.setting} − ${a.setting}`,
        points: (b.value - a.value) * (frac ? 100 : 1),
      });
    }
  }
  return out;
}
